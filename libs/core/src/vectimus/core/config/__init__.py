"""Configuration people write: TOML files and VECTIMUS_* variables, validated once."""

from vectimus.core.config.load import LoadedConfig, load_config
from vectimus.core.config.models import Settings

__all__ = ["LoadedConfig", "Settings", "load_config"]
