"""Where the client's local pieces live: the daemon socket, its admin secret, a runtime dir.

The hook shim calls these on every tool call, so this module imports only ``os`` and
``stat`` (both loaded by the interpreter before any user code runs).

- The daemon socket: ``$XDG_RUNTIME_DIR/vectimus.sock``, else ``/tmp/vectimus-<uid>.sock``.
- The admin secret: ``~/.vectimus/daemon-secret`` (``VECTIMUS_HOME`` moves ``~/.vectimus``).
  The self-protection policies forbid an agent to read it; that path is part of the contract.
- The runtime dir (small caches such as git facts per working directory):
  ``$XDG_RUNTIME_DIR/vectimus/``, else ``/tmp/vectimus-<uid>/``.

Anything found at these paths that another user owns is not used: a socket or directory in
/tmp can be planted by anyone.
"""

from __future__ import annotations

import os
import stat

SECRET_FILE = "daemon-secret"  # noqa: S105 - a file name, not a secret


def vectimus_home() -> str:
    """The user-level directory, as :func:`vectimus.core.paths.vectimus_home` computes it."""
    override = os.environ.get("VECTIMUS_HOME")
    return override if override else os.path.join(os.path.expanduser("~"), ".vectimus")


def user_config_file() -> str:
    return os.path.join(vectimus_home(), "config.toml")


def secret_file() -> str:
    return os.path.join(vectimus_home(), SECRET_FILE)


def _runtime_base() -> str | None:
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    return runtime if os.path.isabs(runtime) else None


def socket_path() -> str:
    base = _runtime_base()
    if base is not None:
        return os.path.join(base, "vectimus.sock")
    return f"/tmp/vectimus-{os.getuid()}.sock"  # noqa: S108 - owner is checked on every use


def lock_path() -> str:
    """The daemon's single-instance lock, next to its socket."""
    return socket_path() + ".lock"


def owned_by_me(info: os.stat_result) -> bool:
    return info.st_uid == os.getuid()


def socket_state(path: str) -> str:
    """``"ok"`` (a socket this user owns), ``"missing"``, or ``"foreign"`` (anything else)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "foreign"
    if stat.S_ISSOCK(info.st_mode) and owned_by_me(info):
        return "ok"
    return "foreign"


def runtime_dir(*, create: bool = True) -> str | None:
    """A private (0700, this user's) directory for small caches, or None if there is none."""
    base = _runtime_base()
    path = (
        os.path.join(base, "vectimus") if base else f"/tmp/vectimus-{os.getuid()}"  # noqa: S108
    )
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        if not create:
            return None
        try:
            os.mkdir(path, 0o700)
            info = os.lstat(path)
        except OSError:
            return None
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or not owned_by_me(info) or info.st_mode & 0o077:
        return None
    return path
