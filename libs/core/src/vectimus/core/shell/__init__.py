"""Shell analysis: split, unwrap, canonicalise and classify command lines."""

from vectimus.core.shell.analyse import analyse
from vectimus.core.shell.facts import ShellAnalysis, SimpleCommand

__all__ = ["ShellAnalysis", "SimpleCommand", "analyse"]
