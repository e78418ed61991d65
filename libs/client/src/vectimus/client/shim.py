"""The hook shim: `vectimus hook --source S` on its fast path.

Evaluators, in order; the first usable answer wins:

1. The team gateway, when ``VECTIMUS_SERVER_URL`` or ``[server] url`` in
   ``~/.vectimus/config.toml`` is set (key ``VECTIMUS_API_KEY``, timeout ``VECTIMUS_TIMEOUT``
   seconds, default 5). The payload goes out enriched (:mod:`vectimus.client.enrich`); the
   answer counts only when it parses as a decision, and is rendered here in the tool's
   protocol (:func:`vectimus.core.protocol.render_verdict`).
2. The local daemon over its Unix socket, which answers with the rendered bytes and the exit
   status, and writes the receipt and audit record itself. When no daemon is running, one is
   started in the background for the next call.
3. Inline evaluation in this process (:func:`vectimus.cli.hook_cmd.answer_inline`).

A failure at one step (a refused connection, a timeout, garbage, a 500) only moves on to the
next, and the last one fails closed: nothing here turns a failure into an allow.

This module and what it imports on the way to a gateway or daemon answer use the standard
library's built-in modules only (``_socket``, ``_json``, ``os``): no ``json``, ``socket``,
``typing``, ``pathlib``, msgspec, pydantic or cedarpy. ``python -X importtime`` is watched
by a test.
"""

from __future__ import annotations

import os

from vectimus.client import fastjson, locations, userconf, wire

# Must equal vectimus.core.events.SOURCES (a test checks); importing that costs ~25 ms.
SOURCES = (
    "claude-code",
    "claude-agent-sdk",
    "cursor",
    "copilot",
    "gemini-cli",
    "codex",
    "langgraph",
    "google-adk",
)
DEFAULT_GATEWAY_TIMEOUT_S = 5.0
_ENV_NAMES = (b"USER", b"LOGNAME", b"HOME")


def source_from(argv: list[str]) -> str | None:
    """The source in ``--source S`` / ``--source=S``, or None for anything else."""
    if len(argv) == 2 and argv[0] == "--source":
        source = argv[1]
    elif len(argv) == 1 and argv[0].startswith("--source="):
        source = argv[0].partition("=")[2]
    else:
        return None
    return source if source in SOURCES else None


def run_hook(argv: list[str]) -> int | None:
    """Answer the hook for ``vectimus hook ARGV``; None when ARGV needs the full parser."""
    source = source_from(argv)
    return None if source is None else hook(source)


def hook(source: str) -> int:
    raw = _read_stdin()
    if not raw.strip():
        return 0
    settings = userconf.read(locations.user_config_file())
    notes: list[str] = []
    configured = os.environ.get("VECTIMUS_SERVER_URL") or settings.get(("server", "url"))
    url = configured if isinstance(configured, str) else ""
    for step in ("gateway", "daemon"):
        try:
            if step == "gateway":
                status = _via_gateway(source, raw, url, settings, notes) if url else None
            else:
                daemon_on = os.environ.get("VECTIMUS_DAEMON", "1") != "0"
                status = _via_daemon(source, raw, notes) if daemon_on else None
        except Exception as exc:  # noqa: BLE001 - a broken step moves on; inline fails closed
            notes.append(f"vectimus: {type(exc).__name__}: {exc}; trying the next evaluator")
            continue
        if status is not None:
            return status
    _write_notes(notes)
    from vectimus.cli.hook_cmd import answer_inline

    return answer_inline(source, raw)


def _read_stdin() -> bytes:
    chunks: list[bytes] = []
    while True:
        chunk = os.read(0, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _write_notes(notes: list[str]) -> None:
    """Why an earlier evaluator was passed over (stderr: the tools log it, never parse it)."""
    if notes:
        _write(2, "".join(f"{note}\n" for note in notes).encode())
        notes.clear()


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _gateway_timeout() -> float:
    try:
        return max(0.05, float(os.environ.get("VECTIMUS_TIMEOUT", DEFAULT_GATEWAY_TIMEOUT_S)))
    except ValueError:
        return DEFAULT_GATEWAY_TIMEOUT_S


def _via_gateway(
    source: str,
    raw: bytes,
    url: str,
    settings: dict[userconf.Key, userconf.Value],
    notes: list[str],
) -> int | None:
    from vectimus.client import enrich, gateway
    from vectimus.core.protocol import render_verdict

    try:
        payload = fastjson.loads(raw)
    except ValueError:
        payload = None
    body = raw
    try:
        principal = settings.get(("identity", "principal"))
        cwd = enrich.call_cwd(payload, os.getcwd())
        facts = enrich.enrichment(payload, cwd, enrich.principal_of(str(principal or "")))
        body = enrich.enriched_body(raw, payload, facts)
    except Exception as exc:  # noqa: BLE001 - enrichment is best effort; the gateway decides
        notes.append(f"vectimus: could not enrich the call for the gateway: {exc}")
    try:
        verdict = gateway.evaluate(
            url,
            source,
            body,
            api_key=os.environ.get("VECTIMUS_API_KEY", ""),
            timeout=_gateway_timeout(),
        )
    except Exception as exc:  # noqa: BLE001 - any failure moves on to the next evaluator
        notes.append(f"vectimus: no usable answer from the gateway {url} ({exc}); deciding locally")
        return None
    _write_notes(notes)
    explicit = settings.get(("hook", "explicit_allow")) is True
    answer, status = render_verdict(source, verdict.kind, verdict.reason, explicit_allow=explicit)
    if answer is not None:
        _write(1, (fastjson.dumps(answer) + "\n").encode())
    return status


def _environ() -> bytes:
    pairs = {
        name: value
        for name, value in os.environb.items()
        if name.startswith(b"VECTIMUS_") or name in _ENV_NAMES
    }
    return wire.pack_environ(pairs)


def _via_daemon(source: str, raw: bytes, notes: list[str]) -> int | None:
    from vectimus.client import local

    try:
        cwd = os.getcwdb()
    except OSError:  # removed under us: the payload's own cwd still decides
        cwd = b"/"
    request = wire.pack(b"hook", source.encode(), cwd, _environ(), raw)
    try:
        fields = local.call(request)
    except local.DaemonDown:
        from vectimus.client.spawn import spawn_daemon

        spawn_daemon()
        return None
    except local.DaemonUnusable as exc:
        notes.append(f"vectimus: not using the daemon: {exc}")
        return None
    if len(fields) != 4 or fields[0] != b"ok" or not fields[1].isdigit():
        reason = fields[1].decode("utf-8", "replace") if len(fields) > 1 else "no reason"
        notes.append(f"vectimus: the daemon did not decide this call ({reason})")
        return None
    _write_notes(notes)
    if fields[3]:
        _write(2, fields[3])
    if fields[2]:
        _write(1, fields[2])
    return int(fields[1])
