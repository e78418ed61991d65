"""Where the policies in force came from: carried by every snapshot, shown by status commands.

Kept free of heavy imports: the hook's warm path decodes it as part of a cached snapshot.
"""

from __future__ import annotations

from typing import Literal

import msgspec

SourceKind = Literal["bundled", "directory", "bundle"]


class PolicySource(msgspec.Struct, frozen=True, kw_only=True):
    """The base policy directory of a policy set, and for an installed bundle its record."""

    kind: SourceKind = "bundled"
    location: str = ""
    """The directory the packs are read from."""
    origin: str = ""
    """The URL or file the installed bundle came from."""
    bundle_id: str = ""
    signer: str = ""
    """The key id that signed the bundle; empty for an unsigned one."""
    signer_trusted: bool = False
    """The signer is in ``[policies] trusted_keys`` (false when none are configured)."""
    built_at: str = ""
    installed_at: str = ""

    def describe(self) -> dict[str, str | bool]:
        """The fields worth showing (status commands, /policies, /health, heartbeats)."""
        shown: dict[str, str | bool] = {"kind": self.kind, "location": self.location}
        if self.kind == "bundle":
            shown |= {
                "origin": self.origin,
                "bundle_id": self.bundle_id,
                "signer": self.signer,
                "signer_trusted": self.signer_trusted,
                "built_at": self.built_at,
                "installed_at": self.installed_at,
            }
        return shown
