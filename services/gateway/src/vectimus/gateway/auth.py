"""API keys: which caller is this? Constant-time, and the key's name is what gets recorded.

A key arrives as ``Authorization: Bearer <key>`` or ``X-Vectimus-Key: <key>``. Every
configured key is compared (with :func:`hmac.compare_digest`), so the time taken does not
depend on which key matched or how much of a wrong key was right.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class AuthResult:
    caller: str | None
    problem: str = ""  # "missing-api-key" | "bad-api-key" when caller is None
    roles: frozenset[str] = frozenset()


class ApiKeys:
    def __init__(
        self, keys: Mapping[str, str], roles: Mapping[str, frozenset[str]] | None = None
    ) -> None:
        self._keys = [(name, key.encode()) for name, key in keys.items()]
        self._roles = dict(roles or {})

    def with_role(self, role: str) -> list[str]:
        """The names of the keys that have ``role``."""
        return sorted(name for name, roles in self._roles.items() if role in roles)

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def check(self, authorization: str | None, key_header: str | None) -> AuthResult:
        """The caller's key name, or why there is none. Open (``anonymous``) with no keys."""
        if not self._keys:
            return AuthResult(ANONYMOUS)
        presented = key_header
        if presented is None and authorization is not None:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() == "bearer" and value.strip():
                presented = value.strip()
        if not presented:
            return AuthResult(None, "missing-api-key")
        candidate = presented.encode()
        found: str | None = None
        for name, key in self._keys:
            if hmac.compare_digest(candidate, key) and found is None:
                found = name
        if found is None:
            return AuthResult(None, "bad-api-key")
        return AuthResult(found, roles=self._roles.get(found, frozenset()))
