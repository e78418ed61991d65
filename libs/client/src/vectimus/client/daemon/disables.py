"""Temporary rule disables: held in the daemon's memory, per project, expiring on their own.

Nothing is written to disk, so a daemon restart forgets them and every rule is enforced
again (fail closed). Expiry uses the monotonic clock: setting the wall clock back cannot
stretch a disable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

MAX_SECONDS = 24 * 3600
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """Seconds in ``30m``, ``90s``, ``2h``, ``1h30m`` or a bare number of seconds.

    Raises ValueError for anything else, for zero, and for more than a day.
    """
    text = text.strip().lower()
    if text.isdigit():
        seconds = int(text)
    else:
        seconds, number = 0, ""
        for char in text:
            if char.isdigit():
                number += char
            elif char in _UNITS and number:
                seconds += int(number) * _UNITS[char]
                number = ""
            else:
                raise ValueError(f"{text!r} is not a duration such as 30m, 2h or 90s")
        if number or not text:
            raise ValueError(f"{text!r} is not a duration such as 30m, 2h or 90s")
    if seconds <= 0:
        raise ValueError("a temporary disable needs a positive duration")
    if seconds > MAX_SECONDS:
        raise ValueError("a temporary disable lasts at most 24h; disable the rule in config")
    return seconds


class TemporaryDisables:
    """Rule ids disabled until a deadline, per project root (``""`` outside any project)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._until: dict[str, dict[str, float]] = {}

    def add(self, project: str, rule_id: str, seconds: float) -> float:
        with self._lock:
            until = self._clock() + seconds
            self._until.setdefault(project, {})[rule_id] = until
            return until

    def remove(self, project: str, rule_id: str) -> bool:
        with self._lock:
            return self._until.get(project, {}).pop(rule_id, None) is not None

    def active(self, project: str) -> tuple[str, ...]:
        """The rule ids disabled in ``project`` right now, sorted; expired ones are dropped."""
        with self._lock:
            rules = self._until.get(project)
            if not rules:
                return ()
            now = self._clock()
            for rule_id in [r for r, until in rules.items() if until <= now]:
                del rules[rule_id]
            return tuple(sorted(rules))

    def listing(self) -> dict[str, dict[str, float]]:
        """Seconds left for every active disable, by project."""
        with self._lock:
            now = self._clock()
            return {
                project: {r: round(until - now, 1) for r, until in rules.items() if until > now}
                for project, rules in self._until.items()
                if any(until > now for until in rules.values())
            }
