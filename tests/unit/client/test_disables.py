"""Temporary disables expire on their own, by the monotonic clock."""

from __future__ import annotations

import pytest

from vectimus.client.daemon.disables import TemporaryDisables, parse_duration


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("90s", 90), ("2h", 7200), ("1h30m", 5400), ("45", 45), ("1d", 86400)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "0m", "m", "30x", "-5m", "2d", "1.5h", "30 m"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_expiry_and_scope() -> None:
    clock = Clock()
    disables = TemporaryDisables(clock)
    disables.add("/p", "rule-a", 60)
    disables.add("/p", "rule-b", 10)
    assert disables.active("/p") == ("rule-a", "rule-b")
    assert disables.active("/other") == ()
    clock.now += 10
    assert disables.active("/p") == ("rule-a",)
    assert disables.listing() == {"/p": {"rule-a": 50.0}}
    assert disables.remove("/p", "rule-a")
    assert not disables.remove("/p", "rule-a")
    assert disables.active("/p") == ()
    assert disables.listing() == {}
