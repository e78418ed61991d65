"""GET /dashboard: open, strict headers, self-contained; the data it shows needs the key."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from vectimus.core.normalise.registry import NORMALISERS
from vectimus.gateway.routes.dashboard import assets

from .conftest import ClientFactory

KEYS = ({"name": "dash", "key": "d" * 24},)
PAGE = ("/dashboard", "/dashboard/app.js", "/dashboard/style.css")


class _Markup(HTMLParser):
    """What the page's markup asks the browser to run or load."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline_script = False
        self.handlers: list[str] = []
        self.styles: list[str] = []
        self.urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts.append(found)
            self._in_script = True
        if tag == "style":
            self.styles.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        self.styles += [name for name, _ in attrs if name == "style"]
        self.urls += [v for name, v in attrs if name in {"src", "href"} and v]

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        self.inline_script = self.inline_script or (self._in_script and bool(data.strip()))


class TestPage:
    @pytest.mark.parametrize("path", PAGE)
    def test_open_with_strict_headers(self, gateway: ClientFactory, path: str) -> None:
        client, _ = gateway(api_keys=KEYS)
        answer = client.get(path)
        assert answer.status_code == 200
        csp = dict(
            part.strip().split(" ", 1)
            for part in answer.headers["content-security-policy"].split(";")
        )
        assert csp["default-src"] == "'none'"
        assert csp["script-src"] == csp["style-src"] == csp["connect-src"] == "'self'"
        assert csp["form-action"] == csp["frame-ancestors"] == csp["base-uri"] == "'none'"
        assert "unsafe" not in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-frame-options"] == "DENY"
        assert "access-control-allow-origin" not in answer.headers

    def test_media_types(self, gateway: ClientFactory) -> None:
        client, _ = gateway()
        types = [client.get(path).headers["content-type"].split(";")[0] for path in PAGE]
        assert types == ["text/html", "text/javascript", "text/css"]

    def test_no_inline_code_and_nothing_from_elsewhere(self) -> None:
        files = assets()
        markup = _Markup()
        markup.feed(files["index.html"].body.decode())
        assert [s.get("src") for s in markup.scripts] == ["/dashboard/app.js"]
        assert not markup.inline_script
        assert markup.handlers == []
        assert markup.styles == []
        assert all(url.startswith(("/dashboard/", "#", "data:")) for url in markup.urls)
        script = files["app.js"].body.decode()
        # Data from the gateway is only ever written as text.
        assert not re.search(
            r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", script
        )
        everything = b"".join(a.body for a in files.values()).decode()
        assert re.findall(r"https?://[^\s'\"]+", everything) == ["http://www.w3.org/2000/svg"]

    def test_source_suggestions_come_from_the_registry(self) -> None:
        page = assets()["index.html"].body.decode()
        listed = re.search(r'<datalist id="sources">(.*?)</datalist>', page)
        assert listed is not None
        assert re.findall(r'value="([^"]+)"', listed.group(1)) == list(NORMALISERS)

    def test_every_control_has_a_label(self) -> None:
        page = assets()["index.html"].body.decode()
        labelled = set(re.findall(r'<label for="([^"]+)"', page))
        controls = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page))
        assert controls
        assert controls <= labelled

    def test_small(self) -> None:
        assert sum(len(a.body) for a in assets().values()) < 60_000

    def test_revalidates_by_etag(self, gateway: ClientFactory) -> None:
        client, _ = gateway()
        first = client.get("/dashboard/app.js")
        again = client.get("/dashboard/app.js", headers={"If-None-Match": first.headers["etag"]})
        assert (again.status_code, again.content) == (304, b"")
        assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
        assert first.headers["cache-control"] == "no-cache"

    @pytest.mark.parametrize(
        "path", ["/dashboard/nope.js", "/dashboard/index.html", "/dashboard/..%2Fapp.py"]
    )
    def test_nothing_else_is_served(self, gateway: ClientFactory, path: str) -> None:
        client, _ = gateway()
        answer = client.get(path)
        assert answer.status_code == 404
        assert answer.json()["error"] == "not-found"


class TestData:
    def test_the_data_the_page_reads_needs_the_key(self, gateway: ClientFactory) -> None:
        client, _ = gateway(api_keys=KEYS)
        for path in ("/events", "/policies"):
            answer = client.get(path)
            assert answer.status_code == 401, path
            assert answer.json()["error"] == "missing-api-key"
        bearer = {"Authorization": "Bearer " + "d" * 24}
        assert client.get("/policies", headers=bearer).status_code == 200
        assert client.get("/events?decision=maybe", headers=bearer).status_code == 400

    def test_a_key_in_the_url_is_not_a_key(self, gateway: ClientFactory) -> None:
        client, _ = gateway(api_keys=KEYS)
        for query in ("key", "api_key", "token"):
            assert client.get(f"/policies?{query}={'d' * 24}").status_code == 401

    def test_cors_lets_only_configured_origins_read_with_the_key(
        self, gateway: ClientFactory
    ) -> None:
        client, _ = gateway(api_keys=KEYS, cors_origins=("https://dash.example",))
        preflight = {
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, last-event-id",
        }
        allowed = client.options("/events", headers={"Origin": "https://dash.example", **preflight})
        assert allowed.status_code in {200, 204}
        assert allowed.headers["access-control-allow-origin"] == "https://dash.example"
        granted = allowed.headers["access-control-allow-headers"].lower()
        assert "authorization" in granted
        assert "last-event-id" in granted
        assert "access-control-allow-credentials" not in allowed.headers
        refused = client.options("/events", headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in refused.headers
        page = client.get("/dashboard", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in page.headers

    def test_cors_covers_evaluate_too(self, gateway: ClientFactory) -> None:
        """/evaluate is a raw ASGI route; Litestar's CORS wraps it like every other."""
        client, _ = gateway(api_keys=KEYS, cors_origins=("https://dash.example",))
        origin = {"Origin": "https://dash.example"}
        preflight = client.options(
            "/evaluate",
            headers={
                **origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code in {200, 204}
        assert preflight.headers["access-control-allow-origin"] == "https://dash.example"
        body = b'{"tool_name": "Bash", "tool_input": {"command": "ls"}}'
        key = {"Authorization": f"Bearer {KEYS[0]['key']}"}
        answer = client.post("/evaluate", content=body, headers={**origin, **key})
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "https://dash.example"
        other = client.post(
            "/evaluate", content=body, headers={"Origin": "https://evil.example", **key}
        )
        assert "access-control-allow-origin" not in other.headers

    def test_no_cors_without_origins(self, gateway: ClientFactory) -> None:
        client, _ = gateway(api_keys=KEYS)
        answer = client.get("/policies", headers={"Origin": "https://dash.example"})
        assert "access-control-allow-origin" not in answer.headers
