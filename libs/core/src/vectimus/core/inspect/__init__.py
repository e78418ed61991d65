"""Content inspection: find the shell commands inside written files and executed scripts."""

from vectimus.core.inspect.content import ScriptLines, script_kind, script_lines

__all__ = ["ScriptLines", "script_kind", "script_lines"]
