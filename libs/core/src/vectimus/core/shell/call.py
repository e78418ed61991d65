"""The context a handler of a code-running program works in, and how it queues that code."""

from __future__ import annotations

from dataclasses import dataclass

from vectimus.core.shell.model import Invocation, Record, Scope, Sink, Word

# How many times code may be handed down (``bash -c "bash -c '...'"``) before the innermost
# is left unanalysed and its runner marked dynamic.
MAX_DEPTH = 8


@dataclass(slots=True)
class Call:
    """One call of a program that may run other code, as its handler sees it."""

    program: str
    words: list[Word]
    values: list[str]
    inv: Invocation
    record: Record
    sink: Sink

    def nest(self, code: str, *, windows: bool = False) -> None:
        """Queue ``code`` for analysis as commands this program runs."""
        scope = child_scope(self.program, self.record)
        if scope is None:
            self.record.dynamic = True
        elif code.strip():
            self.sink.push_source(code, scope, windows=windows)

    def run_words(self, words: list[Word]) -> None:
        scope = child_scope(self.program, self.record)
        if scope is None:
            self.record.dynamic = True
        elif words:
            self.sink.push_words(Invocation(list(words), scope))


def child_scope(program: str, record: Record) -> Scope | None:
    scope = record.scope
    if scope.depth + 1 > MAX_DEPTH:
        return None
    child = scope.copy(fork_env=True)
    child.depth += 1
    child.wrappers = (*record.wrappers, program)
    child.writes = child.reads = ()
    return child
