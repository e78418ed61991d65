"""The policy engine: Cedar policies parsed once, indexed by action, evaluated as data.

Loading and compiling packs lives in :mod:`vectimus.core.engine.compile`; this package's
face is only what evaluation needs, so the hook's warm path stays light.
"""

from vectimus.core.engine.compiled import CompiledPolicies
from vectimus.core.engine.evaluate import Engine, Request, Verdict
from vectimus.core.engine.rules import Enforcement, RuleInfo

__all__ = ["CompiledPolicies", "Enforcement", "Engine", "Request", "RuleInfo", "Verdict"]
