"""schemathesis against the gateway's OpenAPI document (docs/openapi.json).

The real app (build_app over a core with the in-process bus and the real evaluator service)
runs once, lifespan and all, in Litestar's test client; schemathesis generates requests from
the document, valid and invalid, and every response must be declared there, match its
schema, and never be a 5xx. /events is a stream that never ends: it is declared but not
generated against (tests/integration covers it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar.testing import TestClient
from schemathesis.specs.openapi.checks import ignored_auth

from tests.conftest import REPO
from tests.unit.gateway.conftest import make_core
from vectimus.gateway.app import build_app

KEY = "schemathesis-key-0123456789abcdef"
SCHEMA = schemathesis.openapi.from_path(REPO / "docs" / "openapi.json").exclude(path="/events")
EXAMPLES = int(os.environ.get("VECTIMUS_FUZZ_EXAMPLES", "40"))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient[Any]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VECTIMUS_HOME", str(tmp_path_factory.mktemp("home")))
        core = make_core(api_keys=[{"name": "fuzzer", "key": KEY}])
        with TestClient(app=build_app(core)) as test_client:
            yield test_client


def test_the_document_is_where_the_docs_say() -> None:
    assert (Path(REPO) / "docs" / "openapi.json").is_file()


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_responses_match_the_document(case: schemathesis.Case, client: TestClient[Any]) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url), headers=headers)
    response = client.request(
        kwargs["method"],
        kwargs["url"],
        headers=kwargs.get("headers"),
        params=kwargs.get("params"),
        content=_body(kwargs),
    )
    assert response.status_code < 500 or response.status_code == 503, response.text[:500]
    # The key sent is the real one, so "accepts invalid authentication" does not apply;
    # test_a_missing_or_wrong_key_is_refused checks the other side.
    case.validate_response(response, excluded_checks=[ignored_auth])


@pytest.mark.parametrize("path", ["/policies", "/metrics"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"X-Vectimus-Key": ""}])
def test_a_missing_or_wrong_key_is_refused(
    client: TestClient[Any], path: str, headers: dict[str, str]
) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] in ("missing-api-key", "bad-api-key")


def _body(kwargs: dict[str, Any]) -> bytes | None:
    if "json" in kwargs:
        return json.dumps(kwargs["json"]).encode()
    data = kwargs.get("data")
    if isinstance(data, str):
        return data.encode()
    return data if isinstance(data, bytes) else None


@pytest.mark.parametrize(
    "body",
    [
        b'{"tool_name": "Bash", "tool_input": {"command": "rm -rf \xff /"}}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b"\x00" * 1000,
        b"",
    ],
    ids=["invalid-utf8", "deep-list", "deep-object", "nul-bytes", "empty"],
)
def test_unreadable_bodies_are_refused_not_500(client: TestClient[Any], body: bytes) -> None:
    # Invalid UTF-8 and deep nesting make msgspec raise UnicodeDecodeError and
    # RecursionError, not DecodeError: this was a 500 before they were caught.
    response = client.post(
        "/evaluate",
        content=body,
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"] == "bad-json"
