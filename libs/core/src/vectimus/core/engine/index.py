"""Which rules could possibly match a request, read from each rule's own condition.

Cedar evaluates every policy in a set for every request, at a few microseconds each. Most
rules can be ruled out from one or two facts (``context.program == "rm" && ...``), so each
rule's condition is also compiled, once at load, into a Python predicate that answers True,
False or "cannot tell" (None) for a request's context. The engine hands Cedar only the rules
whose predicate does not answer False; Cedar still makes every decision.

The predicate is sound by construction: it understands a small subset of Cedar (literals,
context attributes, ``==``, ``!=``, ``<``/``>``, ``contains``/``containsAny``/``containsAll``,
``isEmpty``, ``like``, ``&&``, ``||``, ``!``) and answers None for everything else, including
any value of an unexpected type. ``&&`` is False when either side is False; ``||`` only when
both are. A rule is left out only on a definite False, so a rule this module cannot read is
always evaluated. Rules are also keyed by the programs their condition requires, so most of
them are not even looked at for a request about another program.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Tri = bool | None
Predicate = Callable[[Mapping[str, Any]], Tri]
_Value = Callable[[Mapping[str, Any]], Any]

INDEXED_ATTRIBUTE = "program"
_UNKNOWN = object()  # a value the predicate cannot reason about


# --- program guards --------------------------------------------------------------------------


@dataclass(frozen=True)
class Guard:
    """The programs a rule can match: named exactly, or by ``like`` patterns."""

    names: frozenset[str] = frozenset()
    patterns: tuple[re.Pattern[str], ...] = ()

    def union(self, other: Guard) -> Guard:
        return Guard(self.names | other.names, self.patterns + other.patterns)


def guard_of(body: Mapping[str, Any]) -> Guard | None:
    """The programs one policy (its EST) requires, or None when it does not say."""
    for condition in body.get("conditions") or ():
        if condition.get("kind") == "when":
            found = _guard(condition.get("body"))
            if found is not None:
                return found
    return None


def _guard(node: object) -> Guard | None:
    op, arg = _split(node)
    if op == "&&":
        return _guard(arg.get("left")) or _guard(arg.get("right"))
    if op == "||":
        left, right = _guard(arg.get("left")), _guard(arg.get("right"))
        return left.union(right) if left is not None and right is not None else None
    if op == "==":
        for attribute, value in (
            (arg.get("left"), arg.get("right")),
            (arg.get("right"), arg.get("left")),
        ):
            if _attribute(attribute) == INDEXED_ATTRIBUTE and isinstance(_literal(value), str):
                return Guard(names=frozenset({_literal(value)}))
        return None
    if op == "contains" and _attribute(arg.get("right")) == INDEXED_ATTRIBUTE:
        names = _literal(arg.get("left"))
        if isinstance(names, frozenset) and all(isinstance(n, str) for n in names):
            return Guard(names=names)
        return None
    if op == "like" and _attribute(arg.get("left")) == INDEXED_ATTRIBUTE:
        pattern = _like_regex(arg.get("pattern"))
        return Guard(patterns=(pattern,)) if pattern is not None else None
    return None


# --- predicates ------------------------------------------------------------------------------


def predicate_of(body: Mapping[str, Any]) -> Predicate:
    """A three-valued predicate for one policy's conditions (all ``when``, no ``unless``)."""
    parts: list[Predicate] = []
    for condition in body.get("conditions") or ():
        compiled = _predicate(condition.get("body"))
        parts.append(compiled if condition.get("kind") == "when" else _not(compiled))
    if not parts:
        return lambda _context: True
    return parts[0] if len(parts) == 1 else _all(parts)


def _unknown(_context: Mapping[str, Any]) -> Tri:
    return None


def _all(parts: list[Predicate]) -> Predicate:
    def all_of(context: Mapping[str, Any]) -> Tri:
        answer: Tri = True
        for part in parts:
            value = part(context)
            if value is False:
                return False
            if value is None:
                answer = None
        return answer

    return all_of


def _any(parts: list[Predicate]) -> Predicate:
    def any_of(context: Mapping[str, Any]) -> Tri:
        answer: Tri = False
        for part in parts:
            value = part(context)
            if value is True:
                return True
            if value is None:
                answer = None
        return answer

    return any_of


def _not(inner: Predicate) -> Predicate:
    def negated(context: Mapping[str, Any]) -> Tri:
        value = inner(context)
        return None if value is None else not value

    return negated


def _flatten(op: str, node: object) -> list[object]:
    found, arg = _split(node)
    if found != op:
        return [node]
    return [*_flatten(op, arg.get("left")), *_flatten(op, arg.get("right"))]


def _predicate(node: object) -> Predicate:
    op, arg = _split(node)
    if op == "&&":
        parts = [_predicate(part) for part in _flatten("&&", node)]
        return _all(parts)
    if op == "||":
        return _disjunction(_flatten("||", node))
    if op == "!":
        return _not(_predicate(arg.get("arg")))
    atom = _atom(op, arg)
    if atom is not None:
        return atom
    value = _value(node)
    if value is None:
        return _unknown

    def boolean(context: Mapping[str, Any]) -> Tri:
        result = value(context)
        return result if isinstance(result, bool) else None

    return boolean


def _disjunction(nodes: list[object]) -> Predicate:
    """``a || b || ...``, with every ``context.X like "..."`` on one attribute merged."""
    likes: dict[str, list[list[object]]] = {}
    parts: list[Predicate] = []
    for node in nodes:
        op, arg = _split(node)
        name = _attribute(arg.get("left")) if op == "like" else None
        if name is not None and isinstance(arg.get("pattern"), list):
            likes.setdefault(name, []).append(arg["pattern"])
        else:
            parts.append(_predicate(node))
    for name, patterns in likes.items():
        matcher = _like_matcher(patterns)
        parts.insert(0, _like_atom(name, matcher) if matcher is not None else _unknown)
    return parts[0] if len(parts) == 1 else _any(parts)


def _atom(op: str, arg: dict[str, Any]) -> Predicate | None:
    """The common shapes, compiled directly; None for anything else."""
    if op == "like":
        name = _attribute(arg.get("left"))
        matcher = _like_matcher([arg.get("pattern")])
        return _like_atom(name, matcher) if name is not None and matcher is not None else None
    if op in ("==", "!="):
        return _comparison(op, arg.get("left"), arg.get("right"))
    if op in ("contains", "containsAny", "containsAll"):
        return _membership(op, arg.get("left"), arg.get("right"))
    if op == "isEmpty":
        name = _attribute(arg.get("arg"))
        return _is_empty_atom(name) if name is not None else None
    name = _attribute({op: arg}) if op == "." else None
    return _bool_atom(name) if name is not None else None


def _comparison(op: str, left: object, right: object) -> Predicate | None:
    name, literal = _attribute(left), _literal(right)
    if name is None:
        name, literal = _attribute(right), _literal(left)
    if name is None or not isinstance(literal, str | bool | int):
        return None
    return _compare_atom(name, literal, op == "==")


def _membership(op: str, left: object, right: object) -> Predicate | None:
    if op == "contains":
        name, literal = _attribute(right), _literal(left)
        if name is not None and isinstance(literal, frozenset):
            return _member_atom(name, literal)
        name, literal = _attribute(left), _literal(right)
        if name is not None and isinstance(literal, str | int) and not isinstance(literal, bool):
            return _set_atom(name, frozenset({literal}), any_of=True)
        return None
    name, literal = _attribute(left), _literal(right)
    if name is not None and isinstance(literal, frozenset):
        return _set_atom(name, literal, any_of=op == "containsAny")
    other = _attribute(right)
    if name is not None and other is not None:
        return _sets_atom(name, other, any_of=op == "containsAny")
    return None


def _sets_atom(name: str, other: str, *, any_of: bool) -> Predicate:
    """``context.a.containsAny(context.b)`` (or ``containsAll``) between two set facts."""

    def test(context: Mapping[str, Any]) -> Tri:
        a, b = context.get(name), context.get(other)
        if not isinstance(a, list) or not isinstance(b, list):
            return None
        if any_of:
            return not set(a).isdisjoint(b) if a and b else False
        return set(b).issubset(a)

    return test


def _is_empty_atom(name: str) -> Predicate:
    def is_empty(context: Mapping[str, Any]) -> Tri:
        value = context.get(name)
        return not value if isinstance(value, list) else None

    return is_empty


def _bool_atom(name: str) -> Predicate:
    def attribute(context: Mapping[str, Any]) -> Tri:
        value = context.get(name)
        return value if isinstance(value, bool) else None

    return attribute


def _like_atom(name: str, matcher: Callable[[str], bool]) -> Predicate:
    def like(context: Mapping[str, Any]) -> Tri:
        value = context.get(name)
        return matcher(value) if isinstance(value, str) else None

    return like


def _compare_atom(name: str, literal: str | bool | int, equal: bool) -> Predicate:
    kind = type(literal)

    def compare(context: Mapping[str, Any]) -> Tri:
        value = context.get(name)
        if type(value) is not kind:
            return None
        return (value == literal) is equal

    return compare


def _member_atom(name: str, members: frozenset[Any]) -> Predicate:
    def member(context: Mapping[str, Any]) -> Tri:
        value = context.get(name)
        if not isinstance(value, str | int) or isinstance(value, bool):
            return None
        return value in members

    return member


def _set_atom(name: str, literal: frozenset[Any], *, any_of: bool) -> Predicate:
    def test(context: Mapping[str, Any]) -> Tri:
        value = context.get(name)
        if not isinstance(value, list):
            return None
        return not literal.isdisjoint(value) if any_of else literal.issubset(value)

    return test


def _like_matcher(patterns: Sequence[object]) -> Callable[[str], bool] | None:
    """One test for several ``like`` patterns: prefix, suffix and substring checks where the
    pattern allows (they are much faster than a regex), else one combined regex."""
    exact: set[str] = set()
    prefixes: list[str] = []
    suffixes: list[str] = []
    inner: list[str] = []
    regexes: list[str] = []
    for pattern in patterns:
        pieces = _like_pieces(pattern)
        if pieces is None:
            return None
        stars = [i for i, piece in enumerate(pieces) if piece is None]
        literal = "".join(piece for piece in pieces if piece is not None)
        if not stars:
            exact.add(literal)
        elif stars == [len(pieces) - 1]:
            prefixes.append(literal)
        elif stars == [0]:
            suffixes.append(literal)
        elif stars == [0, len(pieces) - 1] and len(pieces) > 2:
            inner.append(literal)
        else:
            regexes.append("".join(".*" if p is None else re.escape(p) for p in pieces))
    starts, ends, needles = tuple(prefixes), tuple(suffixes), tuple(inner)
    combined = re.compile("|".join(f"(?:{r})" for r in regexes), re.DOTALL) if regexes else None

    def matches(value: str) -> bool:
        return (
            value in exact
            or (bool(starts) and value.startswith(starts))
            or (bool(ends) and value.endswith(ends))
            or any(needle in value for needle in needles)
            or (combined is not None and combined.fullmatch(value) is not None)
        )

    return matches


def _like_pieces(pattern: object) -> list[str | None] | None:
    """A ``like`` pattern as literal runs and None for each wildcard (runs of * merged)."""
    if not isinstance(pattern, list):
        return None
    pieces: list[str | None] = []
    for piece in pattern:
        if piece == "Wildcard":
            if not pieces or pieces[-1] is not None:
                pieces.append(None)
        elif isinstance(piece, dict) and isinstance(piece.get("Literal"), str):
            if pieces and pieces[-1] is not None:
                pieces[-1] = str(pieces[-1]) + piece["Literal"]
            else:
                pieces.append(piece["Literal"])
        else:
            return None
    return pieces


def _value(node: object) -> _Value | None:
    """A function computing ``node``'s value (or _UNKNOWN), or None if it is not supported."""
    literal = _literal(node)
    if literal is not _UNKNOWN:
        return lambda _context: literal
    name = _attribute(node)
    if name is not None:
        return lambda context: context.get(name, _UNKNOWN)
    op, arg = _split(node)
    if op in ("==", "!=", "<", "<=", ">", ">=", "contains", "containsAny", "containsAll"):
        left, right = _value(arg.get("left")), _value(arg.get("right"))
        if left is None or right is None:
            return None
        return _binary(op, left, right)
    if op in ("&&", "||", "!", "like", "isEmpty"):
        predicate = _predicate(node)
        return lambda context: _or_unknown(predicate(context))
    return None


def _or_unknown(value: Tri) -> Any:
    return _UNKNOWN if value is None else value


def _binary(op: str, left: _Value, right: _Value) -> _Value:
    def apply(context: Mapping[str, Any]) -> Any:
        a, b = left(context), right(context)
        if a is _UNKNOWN or b is _UNKNOWN:
            return _UNKNOWN
        return _OPERATIONS[op](a, b)

    return apply


def _same_kind(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    return isinstance(a, str | int) and type(a) is type(b)


def _equal(a: Any, b: Any) -> Any:
    return a == b if _same_kind(a, b) else _UNKNOWN


def _not_equal(a: Any, b: Any) -> Any:
    return a != b if _same_kind(a, b) else _UNKNOWN


def _compare(test: Callable[[int, int], bool]) -> Callable[[Any, Any], Any]:
    def compare(a: Any, b: Any) -> Any:
        if type(a) is int and type(b) is int:
            return test(a, b)
        return _UNKNOWN

    return compare


def _members(value: Any) -> frozenset[Any] | None:
    if isinstance(value, frozenset):
        return value
    if isinstance(value, list) and all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in value
    ):
        return frozenset(value)
    return None


def _contains(container: Any, element: Any) -> Any:
    members = _members(container)
    if members is None or not isinstance(element, str | int) or isinstance(element, bool):
        return _UNKNOWN
    return element in members


def _contains_any(container: Any, other: Any) -> Any:
    a, b = _members(container), _members(other)
    return _UNKNOWN if a is None or b is None else not a.isdisjoint(b)


def _contains_all(container: Any, other: Any) -> Any:
    a, b = _members(container), _members(other)
    return _UNKNOWN if a is None or b is None else b <= a


_OPERATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "==": _equal,
    "!=": _not_equal,
    "<": _compare(lambda a, b: a < b),
    "<=": _compare(lambda a, b: a <= b),
    ">": _compare(lambda a, b: a > b),
    ">=": _compare(lambda a, b: a >= b),
    "contains": _contains,
    "containsAny": _contains_any,
    "containsAll": _contains_all,
}


# --- the EST ---------------------------------------------------------------------------------


def _split(node: object) -> tuple[str, dict[str, Any]]:
    if isinstance(node, dict) and len(node) == 1:
        ((op, arg),) = node.items()
        if isinstance(arg, dict):
            return op, arg
    return "", {}


def _attribute(node: object) -> str | None:
    """The attribute name of ``context.NAME``, else None."""
    op, arg = _split(node)
    if op == "." and arg.get("left") == {"Var": "context"} and isinstance(arg.get("attr"), str):
        return str(arg["attr"])
    return None


def _literal(node: object) -> Any:
    """A string, boolean or whole number literal, or a set of them; else _UNKNOWN."""
    if not isinstance(node, dict) or len(node) != 1:
        return _UNKNOWN
    if "Value" in node:
        value = node["Value"]
        return value if isinstance(value, str | bool | int) else _UNKNOWN
    if "Set" in node and isinstance(node["Set"], list):
        items = [_literal(item) for item in node["Set"]]
        if any(item is _UNKNOWN or isinstance(item, frozenset | bool) for item in items):
            return _UNKNOWN
        return frozenset(items)
    return _UNKNOWN


def _like_regex(pattern: object) -> re.Pattern[str] | None:
    if not isinstance(pattern, list):
        return None
    parts = []
    for piece in pattern:
        if piece == "Wildcard":
            parts.append(".*")
        elif isinstance(piece, dict) and isinstance(piece.get("Literal"), str):
            parts.append(re.escape(piece["Literal"]))
        else:
            return None
    return re.compile("".join(parts), re.DOTALL)


# --- one action's rules ----------------------------------------------------------------------


@dataclass
class ActionIndex:
    """The rules of one action, keyed by the programs they require, with their predicates.

    Predicates are compiled the first time a request could need them: a short-lived hook
    process evaluates one call and should not compile every rule's predicate for it.
    """

    order: dict[str, int] = field(default_factory=dict)
    bodies: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    always: list[str] = field(default_factory=list)
    by_name: dict[str, list[str]] = field(default_factory=dict)
    by_pattern: list[tuple[re.Pattern[str], str]] = field(default_factory=list)
    _predicates: dict[str, Predicate] = field(default_factory=dict)
    _candidates: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, rules: Iterable[tuple[str, Mapping[str, Any]]]) -> ActionIndex:
        index = cls()
        for position, (rule_id, body) in enumerate(rules):
            index.order[rule_id] = position
            index.bodies[rule_id] = body
            guard = guard_of(body)
            if guard is None:
                index.always.append(rule_id)
                continue
            for name in guard.names:
                index.by_name.setdefault(name, []).append(rule_id)
            index.by_pattern.extend((pattern, rule_id) for pattern in guard.patterns)
        return index

    def predicate(self, rule_id: str) -> Predicate:
        found = self._predicates.get(rule_id)
        if found is None:
            found = self._predicates[rule_id] = predicate_of(self.bodies[rule_id])
        return found

    def candidates(self, program: object) -> tuple[str, ...]:
        """The rules a request about ``program`` could match, in load order."""
        if not isinstance(program, str):
            return tuple(self.order)
        found = self._candidates.get(program)
        if found is None:
            chosen = set(self.always)
            chosen.update(self.by_name.get(program, ()))
            chosen.update(rule for pattern, rule in self.by_pattern if pattern.fullmatch(program))
            found = tuple(sorted(chosen, key=self.order.__getitem__))
            if len(self._candidates) > 4096:
                self._candidates.clear()
            self._candidates[program] = found
        return found

    def rules_for(self, context: Mapping[str, Any]) -> tuple[str, ...]:
        """The rules whose condition is not definitely false for ``context``, in load order."""
        predicate = self.predicate
        return tuple(
            rule_id
            for rule_id in self.candidates(context.get(INDEXED_ATTRIBUTE))
            if predicate(rule_id)(context) is not False
        )
