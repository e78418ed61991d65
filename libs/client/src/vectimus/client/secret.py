"""The daemon's admin secret: ``~/.vectimus/daemon-secret``, 0600, 32 random bytes in hex.

Admin requests (temporary disables, reload, stop) must carry it. An agent runs as the same
user, so what keeps it from the file is policy: the self-protection rules deny reading it
with a file tool and naming it in a command. The daemon also checks that the file is this
user's and private before trusting it, and compares with ``hmac.compare_digest``.
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat

from vectimus.client import locations


def ensure_secret() -> str:
    """The secret, created on first use."""
    path = locations.secret_file()
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    found = read_secret()
    if found is None:
        raise PermissionError(f"{path} is not a private file of this user")
    return found


def read_secret() -> str | None:
    """The secret, or None when the file is missing, not private, or not this user's."""
    path = locations.secret_file()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, encoding="ascii", errors="replace") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            return None
        value = handle.read(256).strip()
    return value or None


def matches(offered: bytes) -> bool:
    expected = read_secret()
    if expected is None or not offered:
        return False
    return hmac.compare_digest(offered, expected.encode("ascii"))
