"""Container health check for the gateway image: exit 0 when URL answers 2xx, else 1.

    python /opt/vectimus/bin/healthcheck.py http://127.0.0.1:8420/healthz

The slim image has no curl, and the standard library is enough. With TLS on (compose.tls.yaml,
or the chart's gateway.tls), the check calls https on the loopback address, which the
certificate does not name, so it does not verify the certificate: it asks only whether this
container's own server answers.
"""

from __future__ import annotations

import ssl
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8420/healthz"
TIMEOUT_S = 4.0


def check(url: str) -> int:
    if not url.startswith(("http://", "https://")):
        print(f"healthcheck: not an http(s) URL: {url!r}", file=sys.stderr)
        return 2
    context = ssl._create_unverified_context() if url.startswith("https://") else None  # noqa: S323
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S, context=context) as answer:  # noqa: S310
            status = int(answer.status)
    except urllib.error.HTTPError as exc:
        print(f"healthcheck: {url} answered {exc.code}: {exc.read(500)!r}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return 1
    return 0 if 200 <= status < 300 else 1


if __name__ == "__main__":
    sys.exit(check(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_URL))
