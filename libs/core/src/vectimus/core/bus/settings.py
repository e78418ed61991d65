"""What every stream worker is configured with, and how VECTIMUS_* variables set it.

Each service package subclasses :class:`WorkerSettings` with its own fields and its own
variables (:meth:`WorkerSettings.from_env`). Precedence: explicit values (CLI flags), then
the environment, then the defaults. Unknown fields are errors, and a bad variable is a
ConfigError naming it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vectimus.core.errors import ConfigError

LogLevel = Literal["debug", "info", "warning", "error"]


def default_consumer() -> str:
    """``<host>-<pid>``: unique per live process, so two workers never share pending entries."""
    return f"{socket.gethostname()}-{os.getpid()}"


def text(_name: str, value: str) -> str:
    return value


def flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={value!r}: expected true or false")


EnvParser = Callable[[str, str], Any]


class WorkerSettings(BaseModel):
    """The consume loop: where the bus is, batches, reclaiming, dead-lettering, lifecycle."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    redis_url: str | None = None
    """``redis://``, ``rediss://`` or ``unix://`` URL; None runs on an in-process bus
    (embedded mode)."""
    consumer: str = Field(default_factory=default_consumer, min_length=1, max_length=200)
    """This worker's name in its consumer group, and its heartbeat instance name."""
    batch_size: int = Field(default=100, ge=1, le=10_000)
    """Entries read per XREADGROUP (COUNT)."""
    block_ms: int = Field(default=1000, ge=10, le=5000)
    """How long one read waits for entries; also bounds how fast SIGTERM stops reading."""
    gather_ms: int = Field(default=0, ge=0, le=1000)
    """After a batch smaller than ``batch_size``, wait this long before reading again, so
    the next batch is larger (group commit: one fsync for many records). 0: read at once."""
    claim_idle_ms: int = Field(default=15_000, ge=0)
    """An entry pending this long is taken over (XAUTOCLAIM): its consumer is presumed dead."""
    reclaim_interval_s: float = Field(default=5.0, gt=0)
    max_deliveries: int = Field(default=5, ge=1)
    """An entry delivered more often than this goes to the dead-letter stream."""
    heartbeat_interval_s: float = Field(default=1.0, gt=0)
    heartbeat_ttl_s: float = Field(default=5.0, gt=0)
    drain_timeout_s: float = Field(default=10.0, ge=0)
    """After SIGTERM, in-flight work gets this long to finish before it is cancelled."""
    log_level: LogLevel = "info"

    ENVIRONMENT: ClassVar[dict[str, tuple[str, EnvParser]]] = {
        "VECTIMUS_REDIS_URL": ("redis_url", text),
        "VECTIMUS_CONSUMER": ("consumer", text),
        "VECTIMUS_BATCH_SIZE": ("batch_size", text),
        "VECTIMUS_BLOCK_MS": ("block_ms", text),
        "VECTIMUS_GATHER_MS": ("gather_ms", text),
        "VECTIMUS_CLAIM_IDLE_MS": ("claim_idle_ms", text),
        "VECTIMUS_RECLAIM_INTERVAL_S": ("reclaim_interval_s", text),
        "VECTIMUS_MAX_DELIVERIES": ("max_deliveries", text),
        "VECTIMUS_HEARTBEAT_TTL_S": ("heartbeat_ttl_s", text),
        "VECTIMUS_DRAIN_TIMEOUT_S": ("drain_timeout_s", text),
        "VECTIMUS_LOG_LEVEL": ("log_level", text),
    }
    """Variable -> (field, parser). Subclasses extend it with their own."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **explicit: Any) -> Self:
        """Settings from ``explicit`` values (None means "not given"), then ``environ``."""
        environ = os.environ if environ is None else environ
        raw: dict[str, Any] = {}
        origin: dict[str, str] = {}
        for name, (field_name, parse) in cls.ENVIRONMENT.items():
            value = environ.get(name)
            if value is not None and value != "":
                raw[field_name] = parse(name, value)
                origin[field_name] = name
        for field_name, value in explicit.items():
            if value is not None:
                raw[field_name] = value
                origin[field_name] = f"--{field_name.replace('_', '-')}"
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{origin.get(str(error['loc'][0]), error['loc'][0]) if error['loc'] else '?'}: "
                f"{error['msg']}"
                for error in exc.errors()
            )
            raise ConfigError(f"invalid {cls.__name__}: {problems}") from None
