"""``[escalation]`` for the gateway: the user-level config file and VECTIMUS_* variables.

The gateway reads only this table here (its ``[server]`` table is read by its own settings);
an error names the file or variable, the key and the problem, and stops the start: a gateway
told to hold calls for approval must not quietly answer "ask" instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from vectimus.core.config.load import (
    ENVIRONMENT,
    apply_environment,
    describe_errors,
    read_toml,
)
from vectimus.core.errors import ConfigError
from vectimus.core.escalation import EscalationSettings
from vectimus.core.paths import user_config_file
from vectimus.gateway.settings import ServerSettings

_SECTION = "escalation"


def load_escalation(environ: Mapping[str, str] | None = None) -> EscalationSettings:
    environ = os.environ if environ is None else environ
    path = user_config_file()
    table = read_toml(path).get("escalation", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: escalation: expected a table")
    own = {k: v for k, v in environ.items() if ENVIRONMENT.get(k, ("",))[0].startswith(_SECTION)}
    raw: dict[str, Any] = apply_environment({_SECTION: dict(table)}, own)
    try:
        return EscalationSettings.model_validate(raw[_SECTION])
    except ValidationError as exc:
        where = f"{path} and VECTIMUS_* variables"
        raise ConfigError(f"{where}: {describe_errors(exc, section=_SECTION)}") from None


def check_escalation(server: ServerSettings, environ: Mapping[str, str] | None = None) -> None:
    """Raise ConfigError before serving when ``[escalation]`` cannot work: it is invalid, or
    it holds calls for approval and no API key may approve (``vectimus server start`` runs
    this, so the error is one line and exit status 2, not a crashing worker)."""
    escalation = load_escalation(environ)
    if escalation.mode == "approval" and not any("approver" in r for r in server.roles().values()):
        raise ConfigError(NO_APPROVER, hint=NO_APPROVER_HINT)


NO_APPROVER = (
    "[escalation] mode is 'approval' but no API key has the approver role, so nobody could "
    "approve a held call"
)
NO_APPROVER_HINT = (
    'add one: VECTIMUS_API_KEYS=name:key:approver, or roles = ["approver"] in [[server.api_keys]]'
)
