"""One error base for everything Vectimus refuses, with a stable code and a hint.

The CLI maps ``code`` to an exit status, the gateway to an HTTP answer, and the hook to a
fail-closed deny; none of them ever shows a traceback for one of these.
"""

from __future__ import annotations


class VectimusError(Exception):
    """A problem we can name: ``code`` is a stable kebab-case reference."""

    code = "vectimus-error"

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class PayloadError(VectimusError):
    """The hook payload is not JSON, or not a shape the named source sends."""

    code = "bad-payload"


class UnknownSourceError(VectimusError):
    code = "unknown-source"


class ConfigError(VectimusError):
    """A config file or variable is invalid; the message names the file, key and problem."""

    code = "bad-config"


class PolicyLoadError(VectimusError):
    """A policy failed to parse or validate; the message names the file, line and error."""

    code = "policy-load-failed"
