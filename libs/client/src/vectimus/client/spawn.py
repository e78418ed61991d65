"""Start the daemon detached from whoever asked (a hook call, or `vectimus daemon start`).

Double fork: the first child starts a new session and forks the daemon, then exits at once,
so the daemon is re-parented to init and never holds the agent tool's pipes (its stdin is
/dev/null, its output goes to ``~/.vectimus/logs/daemon.log``). A stamp in the runtime dir
keeps a daemon that fails to start from being re-spawned by every hook call.
"""

from __future__ import annotations

import os
import sys
import time

from vectimus.client import locations

RESPAWN_PAUSE_S = 3.0


def _stamp_fresh() -> bool:
    directory = locations.runtime_dir()
    if directory is None:
        return False
    stamp = os.path.join(directory, "daemon-spawned")
    try:
        if time.time() - os.stat(stamp).st_mtime < RESPAWN_PAUSE_S:
            return True
    except OSError:
        pass
    try:
        os.close(os.open(stamp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        os.utime(stamp)
    except OSError:
        pass
    return False


def _log_fd() -> int:
    directory = os.path.join(locations.vectimus_home(), "logs")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        return os.open(
            os.path.join(directory, "daemon.log"),
            os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC,
            0o600,
        )
    except OSError:
        return os.open(os.devnull, os.O_WRONLY)


def spawn_daemon(*, force: bool = False) -> bool:
    """Start a daemon in the background; False when one was started moments ago."""
    if not force and _stamp_fresh():
        return False
    argv = [sys.executable, "-m", "vectimus.client.daemon"]
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                devnull = os.open(os.devnull, os.O_RDWR)
                log = _log_fd()
                os.dup2(devnull, 0)
                os.dup2(log, 1)
                os.dup2(log, 2)
                os.execv(sys.executable, argv)  # noqa: S606 - our own interpreter and module
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    return True
