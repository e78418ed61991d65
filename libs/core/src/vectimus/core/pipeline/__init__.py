"""From an Event to a Decision: expand into Cedar requests, evaluate, explain."""

from vectimus.core.pipeline.decide import Pipeline
from vectimus.core.pipeline.expand import Expansion, Limits, expand

__all__ = ["Expansion", "Limits", "Pipeline", "expand"]
