from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.conftest import make_event
from vectimus.core.audit.redact import (
    DEFAULT_PATTERNS,
    RedactPatternError,
    compile_custom_pattern,
    compile_patterns,
    content_digest,
    linear_safety_problem,
    redact_decision,
    redact_decision_text,
    redact_event,
    redact_text,
)
from vectimus.core.events import Decision, Event

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
GITHUB_PAT = (
    "github_pat_11AAAAAAA0123456789_"
    + "abcdefghijklmnopqrstuvwxyz"
    + "ABCDEFGHIJKLMNOPQRSTUVWXYZ012"
)
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"

# (name, text containing the secret, the secret that must not survive)
SECRETS: list[tuple[str, str, str]] = [
    ("aws-access-key-id", "aws s3 ls --key AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("aws-sts-key-id", "export AWS_ACCESS_KEY_ID=ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A"),
    (
        "aws-secret-env",
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY aws s3 ls",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    (
        "aws-secret-configure",
        "aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    (
        "aws-secret-bare",
        "echo 'Je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY' | tee creds",
        "Je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    ),
    (
        "github-ghp",
        "git clone https://ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8@github.com/o/r",
        "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    ),
    (
        "github-gho",
        "GH_TOKEN=gho_16C7e42F292c6912E7710c838347Ae178B4a gh pr list",
        "gho_16C7e42F292c6912E7710c838347Ae178B4a",
    ),
    (
        "github-ghs",
        "curl -u x:ghs_abcdefghijklmnopqrstuvwxyz0123456789AB",
        "ghs_abcdefghijklmnopqrstuvwxyz0123456789AB",
    ),
    (
        "github-pat",
        f"gh auth login --with-token {GITHUB_PAT}",
        GITHUB_PAT,
    ),
    (
        "gitlab",
        "curl --header 'PRIVATE-TOKEN: glpat-xY9zAbCdEfGhIjKlMnOp' https://gitlab.com/api",
        "glpat-xY9zAbCdEfGhIjKlMnOp",
    ),
    (
        "slack-bot",
        "SLACK_BOT=xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx run",
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    ),
    ("slack-user", "post xoxp-1111-2222-3333-abcdefabcdef", "xoxp-1111-2222-3333-abcdefabcdef"),
    ("jwt", f"curl -d 'id_token={JWT}' https://auth", JWT),
    ("jwt-bare", f"echo {JWT} | jq", JWT),
    (
        "pem",
        f"printf '-----BEGIN RSA PRIVATE KEY-----\\n{PEM_BODY}\\n-----END RSA PRIVATE KEY-----'",
        PEM_BODY,
    ),
    ("pem-unterminated", f"cat <<EOF\n-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n", PEM_BODY),
    (
        "bearer-header",
        "curl -H 'Authorization: Bearer sk-live-4f3c2b1a0987' https://api",
        "sk-live-4f3c2b1a0987",
    ),
    (
        "bearer-lower",
        "http GET api.example.com 'authorization:bearer abc.def.ghi123'",
        "abc.def.ghi123",
    ),
    ("bearer-bare", "use bearer Zm9vYmFyYmF6cXV4", "Zm9vYmFyYmF6cXV4"),
    ("basic-auth", "curl -H 'Authorization: Basic dXNlcjpodW50ZXIy' x", "dXNlcjpodW50ZXIy"),
    ("url-password", "psql postgres://admin:Hunter2xyz@db.internal:5432/app", "Hunter2xyz"),
    (
        "url-password-https",
        "pip install --index-url https://bob:S3cr3tPw@pypi.corp/simple pkg",
        "S3cr3tPw",
    ),
    ("password=", "mysql-run password=Tr0ub4dor&3 --db x", "Tr0ub4dor"),
    ("passwd=", "ldapsearch passwd=letmein99 -x", "letmein99"),
    ("token=", "curl 'https://api.example.com/v1?token=tok_8f7e6d5c&x=1'", "tok_8f7e6d5c"),
    ("secret=", "deploy --env CLIENT_SECRET=cs_2b3c4d5e6f", "cs_2b3c4d5e6f"),
    ("api_key=", "curl https://maps.example.com/api?api_key=AIzaSyA1b2c3d4", "AIzaSyA1b2c3d4"),
    ("json-token", 'curl -d \'{"token": "tk-998877665544"}\' https://x', "tk-998877665544"),
    ("quoted-value", 'export DB_PASSWORD="correct horse battery"', "correct horse battery"),
    ("--password x", "mysql -u root --password Sup3rS3cret db", "Sup3rS3cret"),
    ("--password=x", "mysql -u root --password=Sup3rS3cret db", "Sup3rS3cret"),
    ("--token x", "npm publish --token npm_abcdef123456", "npm_abcdef123456"),
    ("--api-key x", "tool --api-key 'key with spaces' run", "key with spaces"),
    ("--secret x", "vault write x --secret=s.Qf1s5zigZ4LX", "s.Qf1s5zigZ4LX"),
]


@pytest.mark.parametrize(("name", "text", "secret"), SECRETS, ids=[s[0] for s in SECRETS])
def test_each_secret_shape_is_masked(name: str, text: str, secret: str) -> None:
    cleaned, found = redact_text(text)
    assert secret not in cleaned
    for part in secret.split():
        assert part not in cleaned or part in text.replace(secret, "")
    assert "[REDACTED:" in cleaned
    assert sum(found.values()) >= 1


@pytest.mark.parametrize(
    "text",
    [
        "git checkout 3f786850e387550fdab836ed7e6dc881de23001b",
        "cat /home/User/Projects2024/abc/def/ghijklmnopq/x.py",
        "ls -la && pytest -q tests/unit",
        "npm install left-pad@1.3.0",
        "curl https://example.com/path?page=2&sort=desc",
        "echo tokenizer=bert max_tokens=5",
        "sha256sum dist/vectimus-0.1.0.tar.gz",
        "mysql --password-file ~/.my.cnf",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == (text, {})


def test_counts_and_kinds() -> None:
    text = "a AKIAIOSFODNN7EXAMPLE b AKIAI44QH8DHBEXAMPLE c password=x1"
    cleaned, found = redact_text(text)
    assert found == {"aws-access-key-id": 2, "secret-assignment": 1}
    assert cleaned == (
        "a [REDACTED:aws-access-key-id] b [REDACTED:aws-access-key-id] "
        "c password=[REDACTED:secret-assignment]"
    )


def test_overlapping_finds_make_one_mask() -> None:
    cleaned, found = redact_text(f"Authorization: Bearer {JWT}")
    assert cleaned == "Authorization: Bearer [REDACTED:jwt]"
    assert found == {"jwt": 1}


def test_content_is_recorded_as_digest_and_length(event: Callable[..., Event]) -> None:
    body = "print('hello')\nAWS=AKIAIOSFODNN7EXAMPLE\n\u00e9"
    ev = event("python x.py", file_content=body, script_content="#!/bin/sh\necho hi\n")
    result = redact_event(ev)
    assert result.event.action.file_content is None
    assert result.event.action.script_content is None
    digest = result.content["file_content"]
    assert digest.sha256 == hashlib.sha256(body.encode()).hexdigest()
    assert digest.length == len(body.encode())
    assert result.content["script_content"] == content_digest("#!/bin/sh\necho hi\n")


def test_redact_event_masks_every_string_and_names_the_field(event: Callable[..., Event]) -> None:
    ev = event(
        "git push",
        url="https://u:pw12345@example.com/x",
        file_path="/tmp/AKIAIOSFODNN7EXAMPLE.txt",
        extra={"header": "Authorization: Bearer abcdef123456", "turns": 3},
    )
    result = redact_event(ev)
    fields = {(r.field, r.kind) for r in result.redactions}
    assert fields == {
        ("action.url", "url-password"),
        ("action.file_path", "aws-access-key-id"),
        ("action.extra.header", "authorization"),
    }
    assert result.event.action.extra["turns"] == 3
    assert result.event.action.command == "git push"
    assert result.event.source == ev.source


def test_redact_decision(decision: Callable[..., Decision]) -> None:
    dec = decision(reason="blocked: password=hunter2 in command")
    cleaned, hits = redact_decision(dec)
    assert "hunter2" not in cleaned.reason
    assert [h.field for h in hits] == ["decision.reason"]
    untouched = decision(reason="fine")
    assert redact_decision(untouched) == (untouched, ())


# --- custom patterns ----------------------------------------------------------------------


def test_custom_patterns_extend_the_defaults() -> None:
    patterns = compile_patterns([r"acme-[0-9]{6}", r"internal id (?P<secret>[A-Z]{4})"])
    cleaned, found = redact_text("deploy acme-123456 with internal id QWER now", patterns)
    assert cleaned == "deploy [REDACTED:custom-1] with internal id [REDACTED:custom-2] now"
    assert found == {"custom-1": 1, "custom-2": 1}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("(unclosed", "not a valid regex"),
        ("(a+)+$", "not linear-time safe"),
        ("(x*)*", "not linear-time safe"),
        ("(a|ab)*c", "not linear-time safe"),
        (r"(\w+)\s\1", "backreference"),
        ("a*", "empty string"),
    ],
)
def test_unsafe_or_invalid_custom_patterns_are_refused(source: str, message: str) -> None:
    with pytest.raises(RedactPatternError) as caught:
        compile_custom_pattern(source)
    assert message in str(caught.value)
    assert repr(source) in str(caught.value)


@pytest.mark.parametrize(
    ("source", "safe"),
    [
        (r"ghp_[A-Za-z0-9]{36}", True),
        (r"(?:ab){2,}", True),
        (r"(a+)?", True),
        (r"[(a+)+]", True),
        (r"x\(a+\)+", True),
        (r"(?:a|b)?c", True),
        (r"(?:(a+))+", False),
        (r"((a|b))*", False),
        (r"(a+){2}", False),
        (r"(?:a{1,3}){1,3}", False),
        (r"(?P<x>a)(?P=x)", False),
    ],
)
def test_linear_safety_check(source: str, safe: bool) -> None:
    assert (linear_safety_problem(source) is None) is safe


def test_builtin_patterns_pass_the_safety_check() -> None:
    for pattern in DEFAULT_PATTERNS:
        assert linear_safety_problem(pattern.regex.pattern) is None, pattern.kind
        for tail in pattern.extend.values():
            assert linear_safety_problem(tail.pattern) is None, pattern.kind


# --- ReDoS: every pattern, 100 KB hostile inputs, bounded time ----------------------------

SIZE = 100_000


def _repeat(unit: str) -> str:
    return (unit * (SIZE // len(unit) + 1))[:SIZE]


HOSTILE = {
    "letters": _repeat("a"),
    "spaces": _repeat(" "),
    "base64ish": _repeat("A1b/"),
    "jwt-starts": _repeat("eyJ"),
    "jwt-dots": _repeat("eyJa."),
    "github-prefix": _repeat("ghp_"),
    "kv-repeat": _repeat("password="),
    "kv-quote": _repeat('token="'),
    "url-colons": _repeat("a://b:"),
    "url-long": "ab://" + _repeat("x:"),
    "bearer-repeat": _repeat("bearer "),
    "auth-repeat": _repeat("authorization: "),
    "pem-begins": _repeat("-----BEGIN PRIVATE KEY-----"),
    "option-repeat": _repeat("--password "),
    "slack-prefix": _repeat("xoxb-"),
    "aws-prefix": _repeat("AKIA"),
    "aws-context": _repeat("secret_access_key "),
    "digits": _repeat("0123456789"),
}
PER_CALL_LIMIT_S = 1.0


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_every_pattern_is_linear_on_hostile_input(name: str) -> None:
    text = HOSTILE[name]
    patterns = compile_patterns([r"acme-[0-9]{6}", r"key=(?P<secret>[a-z]{1,64})"])
    for pattern in patterns:
        started = time.perf_counter()
        redact_text(text, [pattern])
        elapsed = time.perf_counter() - started
        assert elapsed < PER_CALL_LIMIT_S, f"{pattern.kind} took {elapsed:.2f}s on {name}"


_SECRETISH = st.sampled_from(
    [
        "ghp_" + "a1B2" * 9,
        "AKIA" + "ABCDEFGHIJKLMNOP",
        "Authorization: Basic dXNlcjpwYXNz",
        "bearer abc.def-ghi",
        "https://user:hunter2@example.com/x",
        "PASSWORD=s3cret!",
        "--api-key 0123456789abcdef",
        "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
        "xoxb-1234567890-abcdef",
        "glpat-" + "x" * 24,
        "T0ken: abc",
        "\u017fecret=abc",  # long s: re folds it onto "s", str.lower() does not
        "author\u0130zation: abc",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  # a bare 40-character secret
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40) | _SECRETISH, max_size=6).map(" ".join))
def test_trigger_prefilter_never_changes_the_result(text: str) -> None:
    """Skipping patterns whose trigger strings are absent, or texts shorter than a pattern's
    minimum length, is only a shortcut."""
    unfiltered = tuple(dataclasses.replace(p, triggers=(), min_length=0) for p in DEFAULT_PATTERNS)
    assert redact_text(text) == redact_text(text, unfiltered)


_FIELD_TEXT = st.lists(st.text(max_size=30) | _SECRETISH, max_size=4).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(command=_FIELD_TEXT, url=_FIELD_TEXT, note=_FIELD_TEXT, extra=_FIELD_TEXT)
def test_an_event_is_redacted_as_each_of_its_strings_alone(
    command: str, url: str, note: str, extra: str
) -> None:
    """redact_event looks for triggers once in the whole event, then only for those in each
    string: a shortcut that must mask exactly what redacting every string alone masks."""
    ev = make_event(command, url=url, extra={"note": note, "other": extra, "turns": 3})
    action = redact_event(ev).event.action
    assert action.command == redact_text(command)[0]
    assert action.url == redact_text(url)[0]
    assert action.extra["note"] == redact_text(note)[0]
    assert action.extra["other"] == redact_text(extra)[0]
    assert action.extra["turns"] == 3


def test_an_event_without_secrets_or_content_is_kept_as_it_is() -> None:
    """Copy on write: nothing is rebuilt when nothing is masked (most events)."""
    ev = make_event("git status && npm test", url="https://example.com/docs", extra={"n": 1})
    redacted = redact_event(ev)
    assert redacted.event is ev and redacted.redactions == () and redacted.content == {}
    secret = make_event("export TOKEN=abcdef123456", extra={"note": "fine"})
    masked = redact_event(secret).event
    assert masked is not secret and "abcdef123456" not in (masked.action.command or "")
    assert masked.action.extra == {"note": "fine"}


def test_a_decision_text_keeps_its_receipt_id_and_is_redacted_once() -> None:
    receipt_id = "0193f1c2-7a3b-7c01-9d2e-5f60718293a4"
    secret = "ghp_" + "a1B2" * 9
    reason = f"Vectimus blocked this: [r1] no tokens. Ran: export T={secret}. Receipt: {receipt_id}"
    cleaned, counts = redact_decision_text(reason)
    assert cleaned.endswith(f". Receipt: {receipt_id}") and secret not in cleaned
    assert dict(counts) == {"github-token": 1}
    assert redact_decision_text(reason) == (cleaned, counts)  # remembered, the same answer
    # Only the last marker, followed by an id, is Vectimus's: one quoted earlier is not.
    forged = f"Ran: echo Receipt: {secret}. Receipt: {receipt_id}"
    assert secret not in redact_decision_text(forged)[0]
    assert secret not in redact_decision_text(f"Receipt: x. Receipt: {secret} !")[0]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30) | _SECRETISH, max_size=5).map(" ".join))
def test_a_decision_text_without_a_receipt_id_is_redacted_as_any_text(text: str) -> None:
    assert redact_decision_text(text) == redact_text(text)
    with_id = f"{text}. Receipt: 0193f1c2-7a3b-7c01-9d2e-5f60718293a4"
    assert redact_decision_text(with_id)[0] == redact_text(f"{text}.")[0] + with_id[len(text) + 1 :]
