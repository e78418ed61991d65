"""Redaction: pure functions that mask secrets in strings and replace content by digests.

Every built-in pattern is linear-time on any input. None has nested quantifiers, and every
repetition inside a regex is bounded, so the work per starting position is bounded. A
secret longer than a bound is still masked whole: after a match the mask is *extended*
forward by a plain character-class scan (``extend``), or up to an end marker (``until``),
and the search resumes after the mask, so no character is scanned twice by the extension.

Masks look like ``[REDACTED:github-token]``. Every pattern scans the original text and
overlapping finds merge into one mask, so the result does not depend on pattern order.

Custom patterns (``[audit] redact_patterns``) mask their whole match, or only the named group
``secret`` when the pattern has one. :func:`compile_custom_pattern` rejects patterns that
could backtrack catastrophically: nested repetition such as ``(a+)+``, a repeated group with
alternatives such as ``(a|ab)*``, and backreferences. Prefer bounded repeats
(``[A-Za-z0-9]{20,200}``) over ``+`` and ``*``: an unbounded repeat followed by something that
can fail is quadratic on long inputs even without nesting.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from vectimus.core.audit.record import ContentDigest, Redaction
from vectimus.core.events import Decision, Event
from vectimus.core.receipts.ids import is_safe_receipt_id

MASK_PREFIX = "[REDACTED:"
CONTENT_FIELDS = ("file_content", "script_content")
"""Action fields recorded only as :class:`ContentDigest`."""


class RedactPatternError(ValueError):
    """A custom redaction pattern is invalid or unsafe; the message quotes it."""


def mask(kind: str) -> str:
    return f"{MASK_PREFIX}{kind}]"


@dataclass(frozen=True, slots=True)
class SecretPattern:
    """One kind of secret.

    ``groups``: names of the groups to mask, first participating one wins (empty: the whole
    match). ``extend``: per masked group, a regex matched right after the group whose match
    is masked too. ``until``: mask up to and including the next match of this regex (or to
    the end of the text). ``accept``: a final check on the masked text.
    """

    kind: str
    regex: re.Pattern[str]
    groups: tuple[str, ...] = ()
    extend: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    until: re.Pattern[str] | None = None
    accept: Callable[[str], bool] | None = None
    triggers: tuple[str, ...] = ()
    """Lower-case ASCII strings of which every match contains one (empty: no such set).
    An ASCII text holding none of them is not searched: most strings hold no secret, and
    fourteen regex scans per string were half of the audit sink's work."""
    min_length: int = 0
    """No text shorter than this can hold a match (for patterns without triggers)."""


def _looks_like_aws_secret(text: str) -> bool:
    """A bare 40-character token: random-looking base64, not a path or a hex digest."""
    return (
        any(c.isupper() for c in text)
        and any(c.islower() for c in text)
        and any(c.isdigit() for c in text)
        and not text.startswith("/")
        and text.count("/") <= 3
    )


_WHOLE = "0"
_TOKEN_TAIL = re.compile(r"[A-Za-z0-9_-]*")
_B64_TAIL = re.compile(r"[A-Za-z0-9._~+/=-]*")
_UNQUOTED_TAIL = re.compile(r"[^\s\"'&;,]*")
_DQ_TAIL = re.compile(r"[^\"\n]*")
_SQ_TAIL = re.compile(r"[^'\n]*")
_VALUE = r"""(?:"(?P<dq>[^"\n]{1,256})|'(?P<sq>[^'\n]{1,256})|(?P<s>[^\s"'&;,]{1,256}))"""
_VALUE_GROUPS = ("dq", "sq", "s")
_VALUE_TAILS = {"dq": _DQ_TAIL, "sq": _SQ_TAIL, "s": _UNQUOTED_TAIL}

DEFAULT_PATTERNS: tuple[SecretPattern, ...] = (
    SecretPattern(
        "private-key",
        re.compile(r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY-----"),
        until=re.compile(r"-----END[A-Z0-9 ]{0,40}PRIVATE KEY-----"),
        triggers=("-----begin",),
    ),
    SecretPattern(
        "aws-access-key-id",
        re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
        triggers=("akia", "asia", "abia", "acca"),
    ),
    SecretPattern(
        "github-token",
        re.compile(r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,255}"),
        extend={_WHOLE: _TOKEN_TAIL},
        triggers=("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    ),
    SecretPattern(
        "github-token",
        re.compile(r"github_pat_[A-Za-z0-9_]{20,255}"),
        extend={_WHOLE: _TOKEN_TAIL},
        triggers=("github_pat_",),
    ),
    SecretPattern(
        "gitlab-token",
        re.compile(r"glpat-[A-Za-z0-9_-]{20,255}"),
        extend={_WHOLE: _TOKEN_TAIL},
        triggers=("glpat-",),
    ),
    SecretPattern(
        "slack-token",
        re.compile(r"xox[bpars]-[A-Za-z0-9-]{10,255}"),
        extend={_WHOLE: _TOKEN_TAIL},
        triggers=("xox",),
    ),
    SecretPattern(
        "jwt",
        re.compile(r"eyJ[A-Za-z0-9_-]{1,1024}\.eyJ[A-Za-z0-9_-]{0,16}"),
        extend={_WHOLE: re.compile(r"[A-Za-z0-9_=-]*(?:\.[A-Za-z0-9_=-]+)?(?:\.[A-Za-z0-9_=-]+)?")},
        triggers=("eyj",),
    ),
    SecretPattern(
        "aws-secret-access-key",
        re.compile(
            r"(?i)(?:aws_?)?secret_?access_?key[\"']?[ \t]{0,5}[:= \t][ \t]{0,5}[\"']?"
            r"(?P<s>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
        ),
        groups=("s",),
        triggers=("secret",),
    ),
    SecretPattern(
        "aws-secret-access-key",
        re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"),
        accept=_looks_like_aws_secret,
        min_length=40,
    ),
    SecretPattern(
        "authorization",
        re.compile(
            r"(?i)\b(?:proxy-)?authorization[\"']?[ \t]{0,5}[:=][ \t]{0,5}[\"']?"
            r"(?:[A-Za-z]{1,20}[ \t]{1,10})?(?P<s>[A-Za-z0-9._~+/=-]{1,256})"
        ),
        groups=("s",),
        extend={"s": _B64_TAIL},
        triggers=("authorization",),
    ),
    SecretPattern(
        "bearer-token",
        re.compile(r"(?i)\bbearer[ \t]{1,10}(?P<s>[A-Za-z0-9._~+/=-]{1,256})"),
        groups=("s",),
        extend={"s": _B64_TAIL},
        triggers=("bearer",),
    ),
    SecretPattern(
        "url-password",
        re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,30}://[^\s/?#@:]{0,256}:(?P<s>[^\s/?#@]{1,256})@"),
        groups=("s",),
        triggers=("://",),
    ),
    SecretPattern(
        "secret-assignment",
        re.compile(
            r"(?i)(?:password|passwd|passphrase|token|secret|api[_-]?key|access[_-]?key"
            r"|private[_-]?key|client[_-]?secret)[\"']?[ \t]{0,5}[=:][ \t]{0,5}" + _VALUE
        ),
        groups=_VALUE_GROUPS,
        extend=_VALUE_TAILS,
        triggers=("pass", "token", "secret", "key"),
    ),
    SecretPattern(
        "secret-option",
        re.compile(
            r"(?i)(?<![\w-])--?(?:password|passwd|pass|passphrase|token|secret|api[_-]key|apikey"
            r"|access[_-]token|auth[_-]token|client[_-]secret)(?:[ \t]{1,10}|=)" + _VALUE
        ),
        groups=_VALUE_GROUPS,
        extend=_VALUE_TAILS,
        triggers=("pass", "token", "secret", "key"),
    ),
)


def _spans(pattern: SecretPattern, text: str) -> Iterator[tuple[int, int]]:
    """The ``(start, end)`` of every secret one pattern finds in ``text``, in order."""
    pos = 0
    limit = len(text)
    while pos <= limit:
        match = pattern.regex.search(text, pos)
        if match is None:
            return
        name = next((g for g in pattern.groups if match.start(g) >= 0), _WHOLE)
        start, end = match.span(0 if name == _WHOLE else name)
        if start == end or (pattern.accept is not None and not pattern.accept(text[start:end])):
            pos = match.start() + 1
            continue
        tail = pattern.extend.get(name)
        if tail is not None:
            extra = tail.match(text, end)
            if extra is not None:
                end = extra.end()
        if pattern.until is not None:
            closing = pattern.until.search(text, end)
            end = limit if closing is None else closing.end()
        yield start, end
        pos = max(end, match.end(), start + 1)


@dataclass(frozen=True, slots=True)
class _ScanPlan:
    """Which patterns of a set can match a text: those whose triggers it holds, and those
    without triggers. (One ``in`` test per distinct trigger costs less than one regex
    alternation of them all, and finds overlapping triggers by construction.)"""

    patterns: Sequence[SecretPattern]
    by_trigger: Mapping[str, frozenset[int]]
    untriggered: tuple[int, ...]
    everything: tuple[int, ...]
    encoded: tuple[tuple[str, bytes], ...]
    """Each trigger with its bytes, for :meth:`within`."""
    memo: dict[str, tuple[str, dict[str, int]]] = field(default_factory=dict, compare=False)
    """Decision texts already redacted with this plan (:func:`redact_decision_text`)."""
    shortest: int = field(init=False)
    """No ASCII text shorter than this can hold a secret under this plan: it holds none of
    the triggers, and is below every untriggered pattern's ``min_length``. Most of an
    event's strings (tool names, ids, empty ones) are."""

    def __post_init__(self) -> None:
        bounds = [len(trigger) for trigger in self.by_trigger]
        bounds += [self.patterns[rank].min_length for rank in self.untriggered]
        object.__setattr__(self, "shortest", min(bounds, default=1 << 30))

    def candidates(self, text: str) -> Sequence[int]:
        """The ranks of the patterns worth searching ``text`` with, in any order."""
        if not text.isascii():
            # re's case-insensitive matching folds a few non-ASCII letters (the long s, the
            # dotted capital I) onto ASCII ones, which str.lower() does not: search them all.
            return self.everything
        if len(text) < self.shortest:
            return ()
        if not self.by_trigger:
            return self.untriggered
        lowered = text.lower()
        present = [ranks for trigger, ranks in self.by_trigger.items() if trigger in lowered]
        if not present:
            return self.untriggered
        return tuple(frozenset(self.untriggered).union(*present))

    def within(self, blob: bytes) -> _ScanPlan:
        """This plan for the strings of the JSON document ``blob`` only: without the
        triggers the document lacks. Sound because no trigger holds a character that JSON
        escapes, so a trigger inside a string is inside the document too."""
        lowered = blob.lower()
        kept = tuple((t, b) for t, b in self.encoded if b in lowered)
        present = {t: self.by_trigger[t] for t, _ in kept}
        return _ScanPlan(self.patterns, present, self.untriggered, self.everything, kept)


def _plan(patterns: Sequence[SecretPattern]) -> _ScanPlan:
    by_trigger: dict[str, set[int]] = {}
    for rank, pattern in enumerate(patterns):
        for trigger in pattern.triggers:
            by_trigger.setdefault(trigger, set()).add(rank)
    return _ScanPlan(
        patterns=patterns,
        by_trigger={t: frozenset(ranks) for t, ranks in by_trigger.items()},
        untriggered=tuple(r for r, p in enumerate(patterns) if not p.triggers),
        everything=tuple(range(len(patterns))),
        encoded=tuple((t, t.encode()) for t in by_trigger),
    )


_PLANS: dict[int, _ScanPlan] = {}
_PLANS_KEPT = 64
_MEMO_KEPT = 4096
_RECEIPT_MARKER = " Receipt: "


def _plan_of(patterns: Sequence[SecretPattern]) -> _ScanPlan:
    """The plan of ``patterns``, kept per pattern-set object (they are long-lived: the
    built-in set, and each service's compiled set)."""
    plan = _PLANS.get(id(patterns))
    if plan is None or plan.patterns is not patterns:
        if len(_PLANS) >= _PLANS_KEPT:
            _PLANS.clear()
        plan = _PLANS[id(patterns)] = _plan(patterns)
    return plan


def redact_text(
    text: str, patterns: Sequence[SecretPattern] = DEFAULT_PATTERNS
) -> tuple[str, dict[str, int]]:
    """``text`` with every secret masked, and how many of each kind were masked.

    Every pattern scans the original text; overlapping finds merge into one mask named
    after the earliest pattern in ``patterns`` among them.
    """
    return _redact(text, patterns, _plan_of(patterns))


def _redact(
    text: str, patterns: Sequence[SecretPattern], plan: _ScanPlan
) -> tuple[str, dict[str, int]]:
    found: list[tuple[int, int, int]] = []
    length = len(text)
    for rank in plan.candidates(text):
        pattern = patterns[rank]
        if length >= pattern.min_length:
            found.extend((start, end, rank) for start, end in _spans(pattern, text))
    if not found:
        return text, {}
    found.sort()
    merged: list[list[int]] = []
    for start, end, rank in found:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], end)
            last[2] = min(last[2], rank)
        else:
            merged.append([start, end, rank])
    out: list[str] = []
    counts: dict[str, int] = {}
    cursor = 0
    for start, end, rank in merged:
        kind = patterns[rank].kind
        out.append(text[cursor:start])
        out.append(mask(kind))
        counts[kind] = counts.get(kind, 0) + 1
        cursor = end
    out.append(text[cursor:])
    return "".join(out), counts


def redact_decision_text(
    text: str, patterns: Sequence[SecretPattern] = DEFAULT_PATTERNS
) -> tuple[str, Mapping[str, int]]:
    """:func:`redact_text` for a decision's reason or suggested alternative.

    Vectimus writes these from a rule's fixed text and ends a reason with its own receipt id
    (``... Receipt: <id>``), so apart from that id they repeat: the rest is redacted once per
    pattern set and remembered. The trailing receipt id is Vectimus's own and kept as it is.
    """
    plan = _plan_of(patterns)
    head, marker, tail = text.rpartition(_RECEIPT_MARKER)
    if not marker or not is_safe_receipt_id(tail):
        head, tail = text, ""
    else:
        tail = marker + tail
    found = plan.memo.get(head)
    if found is None:
        if len(plan.memo) >= _MEMO_KEPT:
            plan.memo.clear()
        found = plan.memo[head] = _redact(head, patterns, plan)
    cleaned, counts = found
    return cleaned + tail, counts


def redact_reason(text: str) -> str:
    """A decision reason with the built-in patterns applied (for receipts)."""
    return redact_decision_text(text)[0]


def content_digest(content: str) -> ContentDigest:
    data = content.encode("utf-8", "surrogatepass")
    return ContentDigest(sha256=hashlib.sha256(data).hexdigest(), length=len(data))


def _redact_tree(
    value: Any,
    path: str,
    patterns: Sequence[SecretPattern],
    plan: _ScanPlan,
    hits: list[Redaction],
) -> Any:
    """``value`` with secrets masked; the very object when nothing in it was (copy on write:
    most events have nothing to mask, and rebuilding them cost more than scanning them)."""
    if isinstance(value, str):
        cleaned, found = _redact(value, patterns, plan)
        if found:
            hits.extend(Redaction(field=path, kind=k, count=n) for k, n in found.items())
        return cleaned
    if isinstance(value, dict):
        copied: dict[str, Any] | None = None
        for k, v in value.items():
            if _is_clean(v, plan):
                continue
            cleaned = _redact_tree(v, f"{path}.{k}" if path else k, patterns, plan, hits)
            if cleaned is not v:
                if copied is None:
                    copied = dict(value)
                copied[k] = cleaned
        return value if copied is None else copied
    if isinstance(value, list):
        items: list[Any] | None = None
        for i, v in enumerate(value):
            if _is_clean(v, plan):
                continue
            cleaned = _redact_tree(v, f"{path}[{i}]", patterns, plan, hits)
            if cleaned is not v:
                if items is None:
                    items = list(value)
                items[i] = cleaned
        return value if items is None else items
    return value


def _is_clean(value: Any, plan: _ScanPlan) -> bool:
    """Nothing to redact: None, numbers, flags, and ASCII strings too short for the plan
    (most of an event's leaves)."""
    kind = value.__class__
    if kind is str:
        return len(value) < plan.shortest and value.isascii()
    return value is None or kind is bool or kind is int or kind is float


@dataclass(frozen=True, slots=True)
class RedactedEvent:
    event: Event
    content: dict[str, ContentDigest]
    redactions: tuple[Redaction, ...]


def redact_event(
    event: Event, patterns: Sequence[SecretPattern] = DEFAULT_PATTERNS
) -> RedactedEvent:
    """The event with content fields replaced by digests and secrets masked in every string."""
    data: dict[str, Any] = msgspec.to_builtins(event)
    action = data["action"]
    content: dict[str, ContentDigest] = {}
    for name in CONTENT_FIELDS:
        raw = action.get(name)
        if raw is not None:
            content[name] = content_digest(raw)
            action[name] = None
    hits: list[Redaction] = []
    # One trigger pass over the whole event, not one per string: most events hold none.
    plan = _plan_of(patterns).within(msgspec.json.encode(data))
    cleaned = _redact_tree(data, "", patterns, plan, hits)
    if cleaned is data and not content:
        return RedactedEvent(event=event, content=content, redactions=())
    return RedactedEvent(
        event=msgspec.convert(cleaned, Event), content=content, redactions=tuple(hits)
    )


def redact_decision(
    decision: Decision, patterns: Sequence[SecretPattern] = DEFAULT_PATTERNS
) -> tuple[Decision, tuple[Redaction, ...]]:
    """The decision with secrets masked in its reason and suggested alternative."""
    hits: list[Redaction] = []
    reason, found = redact_decision_text(decision.reason, patterns)
    hits.extend(Redaction(field="decision.reason", kind=k, count=n) for k, n in found.items())
    alternative, found = redact_decision_text(decision.suggested_alternative, patterns)
    hits.extend(
        Redaction(field="decision.suggested_alternative", kind=k, count=n) for k, n in found.items()
    )
    if not hits:
        return decision, ()
    cleaned = msgspec.structs.replace(decision, reason=reason, suggested_alternative=alternative)
    return cleaned, tuple(hits)


# --- custom patterns -----------------------------------------------------------------------

_QUANTIFIER = re.compile(r"\{(\d*)(?:(,)(\d*))?\}")
_CLASS_BODY = re.compile(r"\[\^?\]?(?:\\.|[^\]\\])*\]", re.DOTALL)


def _braces_repeat(match: re.Match[str]) -> bool:
    """Whether ``{m}``, ``{m,}`` or ``{m,n}`` can repeat its atom more than once."""
    low, comma, high = match.group(1), match.group(2), match.group(3)
    if comma:
        return not high or int(high) > 1
    return int(low) > 1


def _regex_tokens(source: str) -> Iterator[str]:
    """The structure of a regex as tokens: ``(``, ``)``, ``|``, ``repeat`` (``*``, ``+``,
    ``{m,n}`` with n > 1), ``backref``, or ``atom`` (anything else, quantifier ``?`` and
    lazy/possessive modifiers included)."""
    i = 0
    n = len(source)
    while i < n:
        char = source[i]
        if char == "\\":
            following = source[i + 1 : i + 2]
            yield "backref" if following.isdigit() and following != "0" else "atom"
            i += 2
        elif char == "[":
            body = _CLASS_BODY.match(source, i)
            i = n if body is None else body.end()
            yield "atom"
        elif char == "(" and source.startswith("(?#", i):
            end = source.find(")", i)
            i = n if end < 0 else end + 1
        elif char == "(":
            yield "backref" if source.startswith("(?P=", i) else "("
            i += 1
        elif char in ")|":
            yield char
            i += 1
        elif char in "*+":
            yield "repeat"
            i += 1
            if source[i : i + 1] in ("?", "+"):
                i += 1  # lazy or possessive modifier
        elif char == "{" and (braces := _QUANTIFIER.match(source, i)) and braces.group(0) != "{}":
            yield "repeat" if _braces_repeat(braces) else "atom"
            i = braces.end()
            if source[i : i + 1] in ("?", "+"):
                i += 1
        else:
            yield "atom"
            i += 1


def linear_safety_problem(source: str) -> str | None:
    """Why ``source`` may backtrack catastrophically, or None when it looks safe.

    A conservative check of the regex's structure: it rejects a repeated group (``*``,
    ``+``, ``{m,n}`` with n > 1) that contains, at any depth, a repeat or an alternation,
    and any backreference.
    """
    # Per open group: [contains a repeat, contains an alternation]
    stack: list[list[bool]] = [[False, False]]
    closed: list[bool] | None = None  # the group just closed, when the last token was ")"
    for part in _regex_tokens(source):
        if part == "backref":
            return "backreference"
        if part == "repeat":
            if closed is not None and closed[0]:
                return "nested repetition: a repeated group contains a repeat"
            if closed is not None and closed[1]:
                return "a repeated group contains alternatives"
            stack[-1][0] = True
        elif part == "|":
            stack[-1][1] = True
        elif part == "(":
            stack.append([False, False])
        elif part == ")" and len(stack) > 1:
            inner = stack.pop()
            stack[-1] = [stack[-1][0] or inner[0], stack[-1][1] or inner[1]]
            closed = inner
            continue
        closed = None
    return None


def compile_custom_pattern(source: str, *, index: int = 0) -> SecretPattern:
    """Compile one ``[audit] redact_patterns`` entry; :class:`RedactPatternError` if it is
    not a valid regex, can match the empty string, or is not linear-time safe."""
    try:
        regex = re.compile(source)
    except re.error as exc:
        raise RedactPatternError(f"redact pattern {source!r} is not a valid regex: {exc}") from None
    problem = linear_safety_problem(source)
    if problem is not None:
        raise RedactPatternError(f"redact pattern {source!r} is not linear-time safe: {problem}")
    if regex.search("") is not None:
        raise RedactPatternError(f"redact pattern {source!r} matches the empty string")
    groups = ("secret",) if "secret" in regex.groupindex else ()
    return SecretPattern(f"custom-{index + 1}", regex, groups=groups)


def compile_patterns(custom: Sequence[str] = ()) -> tuple[SecretPattern, ...]:
    """The built-in patterns followed by the compiled custom ones."""
    extra = tuple(compile_custom_pattern(s, index=i) for i, s in enumerate(custom))
    return DEFAULT_PATTERNS + extra
