"""The hook shim and its transports: the team gateway, the local daemon, inline evaluation.

The public face is small: :func:`reload_daemon` (for CLI commands that change config) and
:func:`disable_temporarily` (for ``vectimus rule disable ID --for 30m``). They are loaded on
first use, because the hook shim imports this package on every tool call and must not pay
for anything it does not use.
"""

from __future__ import annotations

__all__ = ["disable_temporarily", "reload_daemon"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from vectimus.client.control import disable_temporarily, reload_daemon


def __getattr__(name: str) -> object:
    if name in __all__:
        from vectimus.client import control

        return getattr(control, name)
    raise AttributeError(f"module 'vectimus.client' has no attribute {name!r}")
