"""Evaluate requests against the compiled policies: Cedar decides, enforcement shapes it.

Every rule is a ``forbid``; one baseline ``permit`` per action makes "nothing matched" a
positive Allow from Cedar. Anything else (NoDecision, an evaluation error, an exception)
is a deny that says so: an unevaluated call is never allowed.

Cedar evaluates every policy of a set for every request, so each request is given only the
rules of its action that could match it (:mod:`vectimus.core.engine.index`); a request no
rule could match needs no Cedar call. The policy set of each group of rules is parsed on
first use and kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import cedarpy
import msgspec

from vectimus.core.engine.compiled import ACTION_ENTITY, BASELINE_ID, CompiledPolicies, cedar_schema
from vectimus.core.engine.index import ActionIndex
from vectimus.core.engine.rules import STRICTNESS, Enforcement, RuleInfo
from vectimus.core.events import ACTION_TYPES, Identity

_encode = msgspec.json.Encoder().encode
_MAX_SETS = 1024
# A parsed policy set, and the rule id behind each policy id Cedar reports.
_Set = tuple[cedarpy.PolicySet, dict[str, str]]


class Request(msgspec.Struct, frozen=True, kw_only=True):
    """One Cedar request: an action type, the tool as resource, and the facts as context."""

    action: str
    tool: str
    context: dict[str, Any]


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    """The combined answer over all of an event's requests; the strictest wins."""

    outcome: str  # allow | escalate | deny
    matched: tuple[str, ...] = ()
    deciding_rule: str = ""
    deciding_action: str = ""
    error: str = ""


def _baseline(action: str) -> dict[str, Any]:
    return {
        "effect": "permit",
        "principal": {"op": "All"},
        "action": {"op": "==", "entity": {"type": ACTION_ENTITY, "id": action}},
        "resource": {"op": "All"},
        "conditions": [],
    }


class Engine:
    """A loaded, immutable policy engine. Build a new one to change policies or overrides."""

    def __init__(
        self,
        compiled: CompiledPolicies,
        *,
        enforcement: Mapping[str, Enforcement] | None = None,
        disabled: Iterable[str] = (),
        observe: bool = False,
        check_requests: bool = False,
        prefilter: bool = True,
    ) -> None:
        self.compiled = compiled
        self.observe = observe
        # prefilter=False hands Cedar every rule of the action; the tests compare the two.
        self.prefilter = prefilter
        # Checking each request against the schema costs about a third more per call; the
        # tests switch it on to prove every request the pipeline builds is well typed.
        self._schema = cedar_schema() if check_requests else None
        skip = set(disabled)
        self.rules: dict[str, RuleInfo] = {
            rule_id: (
                msgspec.structs.replace(rule, enforcement=enforcement[rule_id])
                if enforcement and rule_id in enforcement
                else rule
            )
            for rule_id, rule in compiled.rules.items()
            if rule_id not in skip
        }
        self._index: dict[str, ActionIndex] = {}
        for action in ACTION_TYPES:
            ids = [rule_id for rule_id, rule in self.rules.items() if action in rule.actions]
            # An action no rule mentions needs no Cedar call: nothing can forbid it.
            if ids:
                bodies = [(rule_id, compiled.policies[rule_id]) for rule_id in ids]
                self._index[action] = ActionIndex.build(bodies)
        self._sets: dict[tuple[str, tuple[str, ...]], _Set] = {}
        self._entities: dict[tuple[str, str, str, tuple[str, ...]], cedarpy.Entities] = {}

    @property
    def policy_set_hash(self) -> str:
        return self.compiled.policy_set_hash

    def _principal(self, identity: Identity) -> tuple[dict[str, str], cedarpy.Entities]:
        kind = "Vectimus::User" if identity.identity_type == "human" else "Vectimus::Agent"
        key = (kind, identity.principal, identity.persona, identity.groups)
        entities = self._entities.get(key)
        if entities is None:
            entity = {
                "uid": {"type": kind, "id": identity.principal},
                "attrs": {"persona": identity.persona, "groups": list(identity.groups)},
                "parents": [],
            }
            entities = cedarpy.Entities.from_json_str(_encode([entity]).decode())
            if len(self._entities) > 256:
                self._entities.clear()
            self._entities[key] = entities
        return {"type": kind, "id": identity.principal}, entities

    def evaluate(self, identity: Identity, requests: Sequence[Request]) -> Verdict:
        """Evaluate every request; the strictest outcome over all of them wins."""
        try:
            return self._evaluate(identity, requests)
        except Exception as exc:  # noqa: BLE001 - any engine failure must become a deny
            return Verdict(
                outcome="deny", error=f"policy evaluation failed: {type(exc).__name__}: {exc}"
            )

    def _evaluate(self, identity: Identity, requests: Sequence[Request]) -> Verdict:
        principal, entities = self._principal(identity)
        groups: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
        for request in requests:
            if request.action not in ACTION_TYPES:
                return Verdict(outcome="deny", error=f"unknown action type {request.action!r}")
            index = self._index.get(request.action)
            if index is None:
                continue
            chosen = index.rules_for(request.context) if self.prefilter else tuple(index.order)
            if not chosen and self._schema is None:
                continue  # no rule of this action can match this program
            groups.setdefault((request.action, chosen), []).append(
                {
                    "principal": principal,
                    "action": {"type": ACTION_ENTITY, "id": request.action},
                    "resource": {"type": "Vectimus::Tool", "id": request.tool},
                    "context": _encode(request.context).decode(),
                }
            )
        matched: dict[str, str] = {}  # rule id -> the action it matched on
        for key, batch in groups.items():
            action = key[0]
            policies, names = self._policy_set(*key)
            for result in cedarpy.is_authorized_batch(batch, policies, entities, self._schema):
                error = _failure(result)
                if error:
                    return Verdict(
                        outcome="deny", matched=tuple(matched), deciding_action=action, error=error
                    )
                if result.decision is cedarpy.Decision.Deny:
                    for reason in result.diagnostics.reasons:
                        rule_id = names.get(reason, reason)
                        if rule_id != BASELINE_ID:
                            matched.setdefault(rule_id, action)
        return self._combine(matched)

    def _policy_set(self, action: str, chosen: tuple[str, ...]) -> _Set:
        """The parsed policy set of ``chosen`` rules plus the action's baseline permit."""
        found = self._sets.get((action, chosen))
        if found is None:
            texts = self.compiled.texts
            if all(rule_id in texts for rule_id in chosen):
                # Cedar text parses several times faster than its JSON form; Cedar numbers
                # the policies policy0, policy1, ... in order.
                source = [texts[rule_id] for rule_id in chosen]
                source.append(
                    f'permit (principal, action == {ACTION_ENTITY}::"{action}", resource);'
                )
                names = {f"policy{i}": rule_id for i, rule_id in enumerate(chosen)}
                names[f"policy{len(chosen)}"] = BASELINE_ID
                found = (cedarpy.PolicySet.from_str("\n".join(source)), names)
            else:
                bodies = {rule_id: self.compiled.policies[rule_id] for rule_id in chosen}
                bodies[BASELINE_ID] = _baseline(action)
                est = {"staticPolicies": bodies, "templates": {}, "templateLinks": []}
                found = (cedarpy.PolicySet.from_json_str(json.dumps(est)), {})
            if len(self._sets) >= _MAX_SETS:
                self._sets.clear()
            self._sets[(action, chosen)] = found
        return found

    def _combine(self, matched: dict[str, str]) -> Verdict:
        outcome, deciding = "allow", ""
        for rule_id in matched:
            level = self.rules[rule_id].enforcement
            if STRICTNESS[level] > STRICTNESS[outcome]:
                outcome, deciding = level, rule_id
        if outcome == "observe" or self.observe:
            outcome = "allow"
        return Verdict(
            outcome=outcome,
            matched=tuple(matched),
            deciding_rule=deciding,
            deciding_action=matched.get(deciding, ""),
        )


def _failure(result: cedarpy.AuthzResult) -> str:
    if result.diagnostics.errors:
        return "policy evaluation error: " + "; ".join(str(e) for e in result.diagnostics.errors)
    if result.decision is cedarpy.Decision.NoDecision:
        return "the policy engine reached no decision"
    if result.decision is cedarpy.Decision.Deny and not result.diagnostics.reasons:
        return "no policy permitted the request"
    return ""


__all__ = ["Engine", "Request", "Verdict"]
