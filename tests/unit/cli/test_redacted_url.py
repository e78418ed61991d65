"""Redis URLs in messages: the password never shows, wherever the URL carries it."""

from __future__ import annotations

import pytest

from vectimus.cli.service_cmd import redacted_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://:s3cret@h:6379/0", "redis://:***@h:6379/0"),
        ("rediss://ops:s3cret@h/2", "rediss://ops:***@h/2"),
        ("unix:///run/redis.sock", "unix:///run/redis.sock"),
        ("unix:///run/redis.sock?db=2&password=s3cret", "unix:///run/redis.sock?db=2&password=***"),
        ("unix://ops:s3cret@/run/redis.sock?db=1", "unix://ops:***@/run/redis.sock?db=1"),
        ("redis://h:port/0", "(unparseable URL)"),
    ],
)
def test_the_password_is_masked(url: str, shown: str) -> None:
    assert redacted_url(url) == shown
    assert "s3cret" not in redacted_url(url)
