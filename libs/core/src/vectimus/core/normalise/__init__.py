"""Normalisers: one module per agent tool, turning its hook payload into an Event.

Use :func:`normalise`; the per-source modules are reachable through :data:`NORMALISERS`.
"""

from .registry import NORMALISERS, Normaliser, get_normaliser, normalise

__all__ = ["NORMALISERS", "Normaliser", "get_normaliser", "normalise"]
