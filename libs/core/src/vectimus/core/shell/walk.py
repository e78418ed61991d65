"""Walk the syntax tree and find every simple command, with an explicit stack.

A stack rather than recursion because hostile input nests thousands of levels deep. The
walk is in source order, so ``X=rm; $X -rf /`` sees the assignment before the command.
Subshells, pipeline stages and substitutions get their own copy of the variables, as in
bash; assignments inside conditionals or loops make a variable unknown if they change it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vectimus.core.shell import fallback
from vectimus.core.shell.build import build
from vectimus.core.shell.call import MAX_DEPTH, bind_positional
from vectimus.core.shell.classify import redirect_paths
from vectimus.core.shell.command import REDIRECTS, read_command_node, read_redirect
from vectimus.core.shell.model import (
    MAX_PIPE_NESTING,
    Invocation,
    Record,
    Scope,
    Shared,
    Var,
    Word,
)
from vectimus.core.shell.names import WINDOWS_PROGRAMS, is_cmdlet, program_name
from vectimus.core.shell.parse import Node, encode, parse_checked, text_of
from vectimus.core.shell.words import word_of, words_of

# Above this the input is tokenized conservatively instead of parsed (and parse_error set):
# a quarter of a megabyte is far beyond any real agent command and bounds the walk's cost.
MAX_SOURCE = 256 * 1024
# ``f() { f; f; }; f`` doubles at every level: calls beyond this are not followed.
_MAX_FUNCTION_CALLS = 64

_NODE, _SOURCE, _WORDS, _WINDOWS_SOURCE, _ATTACH = 0, 1, 2, 3, 4
_CONDITIONAL = frozenset(
    {
        "if_statement",
        "elif_clause",
        "else_clause",
        "while_statement",
        "until_statement",
        "for_statement",
        "c_style_for_statement",
        "case_statement",
        "case_item",
    }
)
_SUBSHELLS = frozenset({"subshell", "command_substitution", "process_substitution"})
_LEAVES = frozenset({"comment", "word", "number", "raw_string", "heredoc_start", "heredoc_end"})


class Walker:
    """Finds the commands in a command line; also the :class:`Sink` that builders call."""

    def __init__(self, home: str, *, tokenize_only: bool = False) -> None:
        self.shared = Shared()
        self.tokenize_only = tokenize_only
        self.records: list[Record] = []
        self.home = home
        self._stack: list[tuple[int, Any, Scope]] = []
        self._stages: dict[tuple[int, int], Record] = {}

    def run(self, text: str, *, windows: bool = False) -> None:
        scope = Scope(env={"HOME": Var("~")}, shared=self.shared, home=self.home)
        self.push_source(text, scope, windows=windows)
        stack = self._stack
        while stack:
            kind, item, scope = stack.pop()
            if kind == _NODE:
                self._node(item, scope)
            elif kind == _SOURCE:
                self._source(item, scope)
            elif kind == _WORDS:
                build(item, self)
            elif kind == _ATTACH:
                self._attach(item[0], scope, item[1])
            else:
                self._fallback(item, scope, windows=True)

    # The Sink protocol.

    def push_source(self, text: str, scope: Scope, *, windows: bool = False) -> None:
        self._stack.append((_WINDOWS_SOURCE if windows else _SOURCE, text, scope))

    def push_words(self, inv: Invocation) -> None:
        self._stack.append((_WORDS, inv, inv.scope))

    def push_subs(self, nodes: list[Node], scope: Scope) -> None:
        for node in reversed(nodes):
            self._stack.append((_NODE, node, scope))

    def previous_stage(self, scope: Scope) -> Record | None:
        if not scope.pipe:
            return None
        pipeline, stage = scope.pipe[-1]
        return self._stages.get((pipeline, stage - 1)) if stage else None

    def add(self, record: Record) -> None:
        self.records.append(record)
        if record.scope.pipe:
            self._stages[record.scope.pipe[-1]] = record

    # Sources.

    def _source(self, text: str, scope: Scope) -> None:
        if len(text) <= MAX_SOURCE and not self.tokenize_only:
            source = encode(text)
            root, sound = parse_checked(source)
            if sound:
                unit = scope.copy()
                unit.source = source
                self._stack.append((_NODE, root, unit))
                return
        self.shared.parse_error = True
        first = text.split(None, 1)[0] if text.strip() else ""
        name = program_name(Word(first, first))
        self._fallback(text, scope, windows=name in WINDOWS_PROGRAMS or is_cmdlet(name))

    def _fallback(self, text: str, scope: Scope, *, windows: bool = False) -> None:
        commands, inner = fallback.split(text, scope.env, windows=windows)
        if scope.depth < MAX_DEPTH:
            nested = scope.copy(fork_env=True)
            nested.depth += 1
            for body in reversed(inner):
                self.push_source(body, nested)
        piped = {command.pipeline for command in commands if command.stage}
        ids = {pipeline: self.shared.new_id() for pipeline in piped}
        seen: set[tuple[object, ...]] = set()
        for command in reversed(commands):
            if command.pipeline not in ids:
                # Megabytes of one repeated command need analysing once, not a million times.
                key = _flat_key(command)
                if key in seen:
                    continue
                seen.add(key)
            current = scope
            if command.pipeline in ids:
                position = (ids[command.pipeline], command.stage)
                current = scope.stage(*position)
            if command.cond and not current.cond:
                current = current.copy()
                current.cond = True
            self.push_words(Invocation(command.words, current, command.redirects, command.assigns))

    # Nodes.

    def _node(self, node: Node, scope: Scope) -> None:
        handler = _DISPATCH.get(node.type)
        if handler is not None:
            handler(self, node, scope)
        elif node.type not in _LEAVES and node.named_child_count:
            self.push_subs(node.named_children, scope)

    def _simple(self, node: Node, scope: Scope) -> None:
        self._command(node, scope, [])

    def _whole_pipeline(self, node: Node, scope: Scope) -> None:
        self._pipeline(node, scope, None)

    def _assignments(self, node: Node, scope: Scope) -> None:
        for child in node.named_children:
            self._assign(child, scope)

    def _unset(self, node: Node, scope: Scope) -> None:
        for child in node.named_children:
            scope.env[text_of(child, scope.source)] = Var(None)

    def _function(self, node: Node, scope: Scope) -> None:
        # The body is analysed where it is defined: it may run whenever the name is called.
        # A call on the same line analyses it again with the call's arguments as $1, $2...
        body = node.child_by_field_name("body")
        name = node.child_by_field_name("name")
        if body is not None:
            inner = scope.copy(fork_env=True)
            inner.cond = True
            self._push(body, inner)
            if name is not None:
                self.shared.functions[text_of(name, scope.source)] = (body, scope.source)

    def call_function(self, name: str, args: list[Word], scope: Scope) -> bool:
        """Queue the body of function ``name`` with ``args`` bound; False if none is known."""
        found = self.shared.functions.get(name)
        if found is None:
            return False
        if scope.depth >= MAX_DEPTH or self.shared.function_calls >= _MAX_FUNCTION_CALLS:
            return True
        self.shared.function_calls += 1
        body, source = found
        inner = scope.copy(fork_env=True)
        inner.depth += 1
        inner.source = source
        inner.cond = True
        inner.wrappers = (*scope.wrappers, name)
        bind_positional(inner, args, first=1)
        self._push(body, inner)
        return True

    def _subshell(self, node: Node, scope: Scope) -> None:
        inner = scope.copy(fork_env=True)
        if node.type != "subshell":
            inner.pipe = ()
        self.push_subs(node.named_children, inner)

    def _branching(self, node: Node, scope: Scope) -> None:
        if node.type == "for_statement":
            variable = node.child_by_field_name("variable")
            if variable is not None:
                scope.env[text_of(variable, scope.source)] = Var(None)
        self.push_subs(node.named_children, _conditional(scope))

    def _push(self, node: Node, scope: Scope) -> None:
        self._stack.append((_NODE, node, scope))

    def _list(self, node: Node, scope: Scope, redirects: list[Node] | None = None) -> None:
        named = [child for child in node.children if child.is_named and child.type != "comment"]
        operators = {child.type for child in node.children if not child.is_named}
        later = _conditional(scope) if operators & {"&&", "||"} else scope
        for index in range(len(named) - 1, -1, -1):
            current = later if index else scope
            if redirects is not None and index == len(named) - 1:
                self._stack.append((_ATTACH, (named[index], redirects), current))
            else:
                self._push(named[index], current)

    def _pipeline(self, node: Node, scope: Scope, redirects: list[Node] | None) -> None:
        stages = [child for child in node.children if child.is_named and child.type != "comment"]
        if len(stages) < 2 and redirects is None:
            self.push_subs(stages, scope)
            return
        pipeline = self.shared.new_id()
        last = len(stages) - 1
        for index in range(last, -1, -1):
            stage = scope.stage(pipeline, index)
            if redirects is not None and index == last:
                self._stack.append((_ATTACH, (stages[index], redirects), stage))
            else:
                self._push(stages[index], stage)

    def _redirected(self, node: Node, scope: Scope) -> None:
        body = node.child_by_field_name("body")
        redirects = [child for child in node.children if child.type in REDIRECTS]
        if body is None:
            # Redirections alone, such as ``> ~/.bashrc``.
            self._command(node, scope, [])
        else:
            self._attach(body, scope, redirects)

    def _attach(self, node: Node, scope: Scope, redirects: list[Node]) -> None:
        """Apply ``redirects`` to ``node`` as bash does.

        tree-sitter hangs ``a && b > f`` and ``a | b > f`` redirections on the whole list or
        pipeline; they belong to the last command only. A group or subshell passes them to
        every command inside.
        """
        kind = node.type
        if kind == "command":
            self._command(node, scope, redirects)
        elif kind == "list":
            self._list(node, scope, redirects)
        elif kind == "pipeline":
            self._pipeline(node, scope, redirects)
        elif kind == "redirected_statement":
            own = [child for child in node.children if child.type in REDIRECTS]
            body = node.child_by_field_name("body")
            if body is None:
                self._command(node, scope, redirects)
            else:
                self._attach(body, scope, own + redirects)
        else:
            self._compound(node, scope, redirects)

    def _compound(self, node: Node, scope: Scope, redirects: list[Node]) -> None:
        inv = Invocation([], scope)
        subs: list[Node] = []
        tails: list[tuple[str, Node]] = []
        for redirect in redirects:
            read_redirect(redirect, inv, subs, tails)
        reads, writes = redirect_paths(inv.redirects, self.home)
        for _, tail in reversed(tails):
            self._push(tail, _conditional(scope))
        inner = scope
        if reads or writes:
            inner = scope.copy()
            inner.reads = (*scope.reads, *reads)
            inner.writes = (*scope.writes, *writes)
        self._push(node, inner)
        if subs:
            self.push_subs(subs, _substitution(scope, scope.feeds))

    def _command(self, node: Node, scope: Scope, redirects: list[Node]) -> None:
        subs: list[Node] = []
        pending = list(redirects)
        inv = read_command_node(node, scope, subs, pending)
        if _windows_text(inv, node, scope):
            # PowerShell or cmd.exe text given to a bash tool: bash would read ``C:\ -Force``
            # as one word, so the command is read again the Windows way.
            self._fallback(text_of(node, scope.source), scope, windows=True)
            return
        tails: list[tuple[str, Node]] = []
        for redirect in pending:
            read_redirect(redirect, inv, subs, tails)
        pipes = [tail for kind, tail in tails if kind == "pipe"]
        for kind, tail in reversed(tails):
            if kind == "list":
                self._push(tail, _conditional(scope))
        if pipes:
            # ``cat <<EOF | sh``: tree-sitter hangs the rest of the pipeline off the heredoc.
            pipeline = self.shared.new_id()
            stages = [child for pipe in pipes for child in pipe.named_children]
            for index in range(len(stages), 0, -1):
                self._push(stages[index - 1], scope.stage(pipeline, index))
            inv.scope = scope.stage(pipeline, 0)
        record = build(inv, self)
        if subs:
            self.push_subs(subs, _substitution(scope, (*scope.feeds, record.id)))

    def _assign(self, node: Node, scope: Scope) -> None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return
        name = text_of(name_node, scope.source).split("[", 1)[0]
        value_node = node.child_by_field_name("value")
        env = scope.env
        subs: list[Node] = []
        if value_node is None:
            word = Word("", "")
        elif value_node.type == "array":
            raw = text_of(value_node, scope.source)
            word = Word(raw, raw, literal=False)
            subs.append(value_node)
        else:
            word = word_of(value_node, env, subs, scope.source)
        taints = word.taints
        if subs:
            token = self.shared.new_id()
            taints = (*taints, token)
            self.push_subs(subs, _substitution(scope, (*scope.feeds, token)))
        known = word.literal and not word.glob
        old = env.get(name)
        if any(not child.is_named and child.type == "+=" for child in node.children):
            known = known and old is not None and old.value is not None
            prefix = old.value if old is not None and old.value is not None else ""
        else:
            prefix = ""
        new = Var(prefix + word.value if known else None, word.obfuscated, taints)
        if scope.cond and old is not None and old.value != new.value:
            new = Var(None, taints=(*old.taints, *taints))
        env[name] = new

    def _declaration(self, node: Node, scope: Scope) -> None:
        keyword = node.children[0].type if node.child_count else "declare"
        words = [Word(keyword, keyword)]
        subs: list[Node] = []
        for child in node.named_children:
            if child.type == "variable_assignment":
                self._assign(child, scope)
                raw = text_of(child, scope.source)
                words.append(Word(raw, raw))
            elif child.type == "variable_name":
                raw = text_of(child, scope.source)
                words.append(Word(raw, raw))
            else:
                words.extend(words_of(child, scope.env, subs, scope.source))
        record = build(Invocation(words, scope), self)
        if subs:
            self.push_subs(subs, _substitution(scope, (*scope.feeds, record.id)))


def _windows_text(inv: Invocation, node: Node, scope: Scope) -> bool:
    if not inv.words:
        return False
    name = program_name(inv.words[0])
    if name not in WINDOWS_PROGRAMS and not is_cmdlet(name):
        return False
    raw = scope.source[node.start_byte : node.end_byte]
    return b"\\" in raw or not raw.isascii()


def _flat_key(command: fallback.Flat) -> tuple[object, ...]:
    return (
        tuple((w.value, w.raw, w.literal, w.glob) for w in command.words),
        tuple((r.op, r.target.raw if r.target else "") for r in command.redirects),
        tuple(command.assigns),
        command.cond,
    )


_DISPATCH: dict[str, Callable[[Walker, Node, Scope], None]] = {
    "command": Walker._simple,
    "redirected_statement": Walker._redirected,
    "pipeline": Walker._whole_pipeline,
    "list": Walker._list,
    "variable_assignment": Walker._assign,
    "variable_assignments": Walker._assignments,
    "declaration_command": Walker._declaration,
    "unset_command": Walker._unset,
    "function_definition": Walker._function,
    **dict.fromkeys(_SUBSHELLS, Walker._subshell),
    **dict.fromkeys(_CONDITIONAL, Walker._branching),
}


def _conditional(scope: Scope) -> Scope:
    if scope.cond:
        return scope
    conditional = scope.copy()
    conditional.cond = True
    return conditional


def _substitution(scope: Scope, feeds: tuple[int, ...]) -> Scope:
    inner = scope.copy(fork_env=True)
    # Like pipeline positions, only the innermost consumers are kept (quadratic otherwise).
    inner.pipe, inner.feeds, inner.reads, inner.writes = (), feeds[-MAX_PIPE_NESTING:], (), ()
    return inner
