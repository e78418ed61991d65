"""The gateway's own settings: one pydantic model, validated once at start-up.

Precedence, highest first: CLI flags, ``VECTIMUS_*`` variables, ``./vectimus.toml``,
``~/.vectimus/config.toml``, defaults. Both files hold a ``[server]`` table; in
``./vectimus.toml`` it is the only table allowed. API keys are the exception to
"highest wins": keys from every layer are merged by name (a higher layer replaces a key of
the same name). Every error names the file or variable, the key and the problem.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from vectimus.core.config.load import describe_errors, read_toml
from vectimus.core.errors import ConfigError
from vectimus.core.paths import user_config_file

DEFAULT_PORT = 8420
MIB = 1024 * 1024
LOCAL_CONFIG = "vectimus.toml"


# What a key may do beyond evaluating and watching: "approver" decides held escalations
# (POST /approvals/{id}). No key has a role unless it is given one, so a hook's own key can
# never approve the calls it escalated.
Role = Literal["approver"]
ROLES: tuple[Role, ...] = ("approver",)


class ApiKey(BaseModel):
    """A named key: the name (never the key) is what audit records and events attribute."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    key: SecretStr = Field(min_length=1)
    roles: tuple[Role, ...] = ()


class ServerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    policy_dir: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    observe: bool = False
    # Unset: embedded mode (every service in this process, over the in-process bus).
    redis_url: SecretStr | None = None
    api_keys: tuple[ApiKey, ...] = ()
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = Field(default=MIB, ge=1024, le=64 * MIB)
    # How long a request waits for an evaluator before it is evaluated here (degraded).
    eval_deadline_ms: int = Field(default=1000, ge=10, le=60_000)
    # Off: a request no evaluator answered in time is denied instead of evaluated here.
    degraded_fallback: bool = True
    sse_heartbeat_s: float = Field(default=15.0, gt=0, le=300)
    # Recheck the policy files this often; a change (or a fixed broken file) reloads them.
    policy_reload_s: float = Field(default=5.0, gt=0)
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @property
    def embedded(self) -> bool:
        return self.redis_url is None

    def keys(self) -> dict[str, str]:
        """Key name -> key value."""
        return {k.name: k.key.get_secret_value() for k in self.api_keys}

    def roles(self) -> dict[str, frozenset[str]]:
        """Key name -> the roles it has (keys without roles are left out)."""
        return {k.name: frozenset(k.roles) for k in self.api_keys if k.roles}


def _env_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={value!r}: expected true or false")


def _env_list(_name: str, value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _env_text(_name: str, value: str) -> str:
    return value


# VECTIMUS_* variable -> (key in [server], parser). One table, so docs and code agree.
ENVIRONMENT = {
    "VECTIMUS_HOST": ("host", _env_text),
    "VECTIMUS_PORT": ("port", _env_text),
    "VECTIMUS_WORKERS": ("workers", _env_text),
    "VECTIMUS_POLICY_DIR": ("policy_dir", _env_text),
    "VECTIMUS_SSL_CERTFILE": ("ssl_certfile", _env_text),
    "VECTIMUS_SSL_KEYFILE": ("ssl_keyfile", _env_text),
    "VECTIMUS_OBSERVE": ("observe", _env_bool),
    "VECTIMUS_REDIS_URL": ("redis_url", _env_text),
    "VECTIMUS_CORS_ORIGINS": ("cors_origins", _env_list),
    "VECTIMUS_MAX_BODY_BYTES": ("max_body_bytes", _env_text),
    "VECTIMUS_EVAL_DEADLINE_MS": ("eval_deadline_ms", _env_text),
    "VECTIMUS_DEGRADED_FALLBACK": ("degraded_fallback", _env_bool),
    "VECTIMUS_SSE_HEARTBEAT_S": ("sse_heartbeat_s", _env_text),
    "VECTIMUS_LOG_LEVEL": ("log_level", _env_text),
}


def _key_roles(rest: str) -> tuple[str, list[str]]:
    """``key`` or ``key:role+role`` (the key itself may hold colons): the key and its roles."""
    key, sep, tail = rest.rpartition(":")
    roles = [role.strip() for role in tail.split("+")]
    if sep and key.strip() and all(role in ROLES for role in roles):
        return key, roles
    return rest, []


def env_api_keys(environ: Mapping[str, str]) -> list[dict[str, Any]]:
    """VECTIMUS_API_KEYS (``name:key,...``, or ``name:key:approver`` for a key with the
    approver role) then VECTIMUS_API_KEY (named ``default``, no role)."""
    keys: list[dict[str, Any]] = []
    for item in _env_list("VECTIMUS_API_KEYS", environ.get("VECTIMUS_API_KEYS", "")):
        name, sep, rest = item.partition(":")
        key, roles = _key_roles(rest)
        if not sep or not name.strip() or not key.strip():
            raise ConfigError(
                "VECTIMUS_API_KEYS: each entry must be name:key or name:key:approver",
                hint=f"entry {item.split(':')[0]!r}... has no name or no key",
            )
        keys.append({"name": name.strip(), "key": key.strip(), "roles": roles})
    single = environ.get("VECTIMUS_API_KEY", "").strip()
    if single:
        keys.append({"name": "default", "key": single})
    return keys


def _server_table(path: Path, *, only_server: bool) -> dict[str, Any]:
    raw = read_toml(path)
    if only_server:
        extra = sorted(k for k in raw if k != "server")
        if extra:
            raise ConfigError(
                f"{path}: unknown table(s) {', '.join(extra)}",
                hint="this file holds only a [server] table",
            )
    table = raw.get("server", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: server: expected a table")
    table = dict(table)
    # ``[server] url`` is the hook shim's (where the gateway is), not the gateway's own.
    table.pop("url", None)
    for key in ("policy_dir", "ssl_certfile", "ssl_keyfile"):
        if isinstance(table.get(key), str):
            table[key] = str(path.parent / Path(table[key]).expanduser())
    return table


def _validate(raw: Mapping[str, Any], origin: str) -> ServerSettings:
    try:
        return ServerSettings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {describe_errors(exc, section='server')}") from None


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> ServerSettings:
    """Merge the layers (see the module docstring) and validate them once."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    layers: list[tuple[str, dict[str, Any]]] = []
    user_file = user_config_file()
    layers.append((str(user_file), _server_table(user_file, only_server=False)))
    local_file = cwd / LOCAL_CONFIG
    layers.append((str(local_file), _server_table(local_file, only_server=True)))
    env_layer: dict[str, Any] = {}
    for name, (key, parse) in ENVIRONMENT.items():
        if environ.get(name, "") != "":
            env_layer[key] = parse(name, environ[name])
    env_layer["api_keys"] = env_api_keys(environ)
    layers.append(("VECTIMUS_* variables", env_layer))
    layers.append(
        ("command-line flags", {k: v for k, v in (overrides or {}).items() if v is not None})
    )

    merged: dict[str, Any] = {}
    keys: dict[str, Any] = {}
    for origin, layer in layers:
        _validate(layer, origin)  # name the layer that holds the problem
        for item in layer.get("api_keys", ()):
            keys[item["name"] if isinstance(item, dict) else item.name] = item
        merged.update({k: v for k, v in layer.items() if k != "api_keys"})
    merged["api_keys"] = list(keys.values())
    settings = _validate(merged, "merged server configuration")
    if (settings.ssl_certfile is None) != (settings.ssl_keyfile is None):
        raise ConfigError(
            "server.ssl_certfile and server.ssl_keyfile must be given together",
            hint="TLS needs both the certificate and its private key",
        )
    return settings


def to_environment(settings: ServerSettings) -> dict[str, str]:
    """The settings as VECTIMUS_* variables, so granian's worker processes see CLI flags."""
    env: dict[str, str] = {
        "VECTIMUS_HOST": settings.host,
        "VECTIMUS_PORT": str(settings.port),
        "VECTIMUS_WORKERS": str(settings.workers),
        "VECTIMUS_OBSERVE": "true" if settings.observe else "false",
    }
    if settings.policy_dir is not None:
        env["VECTIMUS_POLICY_DIR"] = str(settings.policy_dir)
    if settings.redis_url is not None:
        env["VECTIMUS_REDIS_URL"] = settings.redis_url.get_secret_value()
    return env
