"""A local HTTP server that serves one policy bundle with an ETag, as a CDN or S3 would,
and counts what it sent: full bodies (200) and "not modified" answers (304)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class BundleServer:
    def __init__(self) -> None:
        self.body = b""
        self.etag = ""
        self.sent = 0
        self.not_modified = 0
        self.conditional = 0
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                return

            def do_GET(self) -> None:
                with owner._lock:
                    body, etag = owner.body, owner.etag
                    asked = self.headers.get("If-None-Match", "")
                    owner.conditional += bool(asked)
                    unchanged = bool(asked) and asked == etag
                    if unchanged:
                        owner.not_modified += 1
                    else:
                        owner.sent += 1
                if unchanged:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/bundle.json"

    def serve(self, body: bytes) -> None:
        with self._lock:
            self.body = body
            self.etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def bundle_server() -> Iterator[BundleServer]:
    server = BundleServer()
    yield server
    server.close()
