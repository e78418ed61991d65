"""The timestamp format of receipts, audit records and installed bundles."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from vectimus.core.clock import format_utc, utc_now_iso

_REFERENCE = "%Y-%m-%dT%H:%M:%S.%fZ"


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 7, 13, 4, 5, 6, tzinfo=UTC),
        datetime(2026, 12, 7, 13, 4, 5, tzinfo=timezone.utc),  # noqa: UP017 - another tzinfo object
        datetime(2026, 12, 7, 1, 4, 5, 999_999, tzinfo=timezone(timedelta(hours=-11))),
        datetime(2026, 12, 7, 13, 4, 5, 123),  # naive: local time, as astimezone reads it
    ],
)
def test_the_same_text_as_strftime_in_utc(moment: datetime) -> None:
    assert format_utc(moment) == moment.astimezone(UTC).strftime(_REFERENCE)


def test_now_is_microseconds_in_utc() -> None:
    text = utc_now_iso()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", text)
    parsed = datetime.strptime(text, _REFERENCE).replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - parsed) < timedelta(seconds=5)
