"""The context a handler of a code-running program works in, and how it queues that code."""

from __future__ import annotations

from dataclasses import dataclass

from vectimus.core.shell.model import Invocation, Record, Scope, Sink, Var, Word

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

    def nest(
        self, code: str, *, windows: bool = False, positional: list[Word] | None = None
    ) -> None:
        """Queue ``code`` for analysis as commands this program runs; ``positional`` are
        its ``$0``, ``$1``... (``sh -c 'rm -rf "$1"' _ /``)."""
        scope = child_scope(self.program, self.record)
        if scope is None:
            self.record.dynamic = True
        elif code.strip():
            if positional is not None:
                bind_positional(scope, positional, first=0)
            self.sink.push_source(code, scope, windows=windows)

    def run_words(self, words: list[Word]) -> None:
        scope = child_scope(self.program, self.record)
        if scope is None:
            self.record.dynamic = True
        elif words:
            self.sink.push_words(Invocation(list(words), scope))


def bind_positional(scope: Scope, words: list[Word], *, first: int) -> None:
    """Set ``$first``, ``$first+1``... ``$@``, ``$*`` and ``$#`` from ``words``; a word that
    is not literal leaves its parameter unknown."""
    known = [word.value if word.literal and not word.glob else None for word in words]
    for offset, value in enumerate(known[: 10 - first]):
        scope.env[str(first + offset)] = Var(value)
    arguments = known[1 - first :] if first == 0 else known
    joined = None if None in arguments else " ".join(v for v in arguments if v is not None)
    scope.env["@"] = scope.env["*"] = Var(joined)
    scope.env["#"] = Var(str(len(arguments)))


def child_scope(program: str, record: Record) -> Scope | None:
    scope = record.scope
    if scope.depth + 1 > MAX_DEPTH:
        return None
    child = scope.copy(fork_env=True)
    child.depth += 1
    child.wrappers = (*record.wrappers, program)
    child.writes = child.reads = ()
    return child
