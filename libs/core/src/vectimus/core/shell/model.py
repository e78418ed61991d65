"""Working records of the analyser: words, scopes and commands before they become facts.

These are mutable, slotted dataclasses because they live only for one ``analyse()`` call and
are built field by field; the frozen msgspec records in :mod:`.facts` are what leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from vectimus.core.events import ActionType

if TYPE_CHECKING:
    from tree_sitter import Node


@dataclass(slots=True)
class Word:
    """One shell word after quote removal.

    ``value`` has quotes removed and known variables substituted; anything that could not be
    resolved stays in its source spelling (``$X``). ``raw`` is the source text, which Windows
    programs use because backslashes are path separators for them, not escapes.
    """

    value: str
    raw: str
    literal: bool = True
    glob: bool = False
    obfuscated: bool = False
    taints: tuple[int, ...] = ()


@dataclass(slots=True)
class Var:
    """A shell variable whose value is known, or ``value is None`` with the substitutions
    that produced it (so a later ``bash -c "$x"`` can be linked to what fed ``x``)."""

    value: str | None
    obfuscated: bool = False
    taints: tuple[int, ...] = ()


Env = dict[str, Var]


@dataclass(slots=True)
class Redirect:
    op: str
    fd: str
    target: Word | None


@dataclass(frozen=True, slots=True)
class Written:
    """A file written earlier on the line: its content when known, and who wrote it."""

    content: str | None
    writers: tuple[str, ...] = ()


@dataclass(slots=True)
class Shared:
    """State that is global to one analysis regardless of subshells."""

    aliases: dict[str, str] = field(default_factory=dict)
    parse_error: bool = False
    next_id: int = 0
    # Functions defined on the line: name -> (body node, the bytes it was parsed from).
    functions: dict[str, tuple[Node, bytes]] = field(default_factory=dict)
    function_calls: int = 0
    # Files written on the line, by canonical path, so a later ``sh f`` or ``./f`` on the
    # same line is judged by what was written; directories filled at once (``git clone``).
    written: dict[str, Written] = field(default_factory=dict)
    written_dirs: dict[str, Written] = field(default_factory=dict)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


# A command keeps its place in at most this many enclosing pipelines (the innermost):
# deeper nesting is adversarial, and relating every command to every outer pipeline
# would make the pipe relations quadratic in the input.
MAX_PIPE_NESTING = 8


@dataclass(slots=True)
class Scope:
    """Where a command sits: its variables, pipeline position and what its output feeds.

    ``pipe`` lists ``(pipeline id, stage index)`` for every enclosing pipeline, so commands
    nested in ``{ a; b; } | c`` all precede ``c``. ``feeds`` holds the ids of commands (or of
    tainted variables) that consume this scope's output through ``$(...)``/``<(...)``.
    """

    env: Env
    shared: Shared
    cond: bool = False
    pipe: tuple[tuple[int, int], ...] = ()
    feeds: tuple[int, ...] = ()
    depth: int = 0
    wrappers: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    home: str = ""
    # The bytes the current syntax tree was parsed from; node text is sliced from them.
    source: bytes = b""

    def copy(self, *, fork_env: bool = False) -> Scope:
        """A sibling scope; ``fork_env`` gives it its own variables, as a subshell has.

        Hand-written because ``dataclasses.replace`` costs several microseconds a call and
        the walker makes one per pipeline stage and substitution.
        """
        return Scope(
            dict(self.env) if fork_env else self.env,
            self.shared,
            self.cond,
            self.pipe,
            self.feeds,
            self.depth,
            self.wrappers,
            self.writes,
            self.reads,
            self.home,
            self.source,
        )

    def stage(self, pipeline: int, index: int) -> Scope:
        """The scope of stage ``index`` of ``pipeline``: own variables, as in a subshell."""
        staged = self.copy(fork_env=True)
        staged.pipe = (*self.pipe[1 - MAX_PIPE_NESTING :], (pipeline, index))
        return staged


@dataclass(slots=True)
class Invocation:
    """A simple command as found, before wrappers are stripped."""

    words: list[Word]
    scope: Scope
    redirects: list[Redirect] = field(default_factory=list)
    assigns: list[str] = field(default_factory=list)
    stdin_text: str | None = None
    stdin_dynamic: bool = False
    dynamic: bool = False


@dataclass(slots=True)
class Record:
    """A finished simple command, still waiting for its pipeline relations."""

    id: int
    program: str
    scope: Scope
    args: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    text: str = ""
    action_type: ActionType = "shell_command"
    subcommand: str = ""
    wrappers: tuple[str, ...] = ()
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    inline_code: str = ""
    script_path: str = ""
    dynamic: bool = False
    taints: set[int] = field(default_factory=set)
    stdin_code: bool = False
    stdin_resolved: bool = False
    stdout_literal: str | None = None
    # Programs whose output reaches this command through a file written on the line.
    fed_through_files: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Runs:
    """What a runner runs: the words from ``start`` on, and/or shell ``code``."""

    start: int = -1
    code: tuple[str, ...] = ()
    # It also runs something it computes (``awk '{system($0)}'``).
    dynamic: bool = False


class Sink(Protocol):
    """What building a command may ask of the walker: more input to analyse."""

    def push_source(self, text: str, scope: Scope, *, windows: bool = False) -> None: ...

    def push_words(self, inv: Invocation) -> None: ...

    def push_subs(self, nodes: list[Node], scope: Scope) -> None: ...

    def previous_stage(self, scope: Scope) -> Record | None: ...

    def add(self, record: Record) -> None: ...

    def call_function(self, name: str, args: list[Word], scope: Scope) -> bool: ...
