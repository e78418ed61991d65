"""Read one simple-command node: its words, prefix assignments and redirections.

tree-sitter-bash hangs whatever follows a here-document's first line off the redirect
(``cat <<EOF | sh``, ``cat <<EOF && rm x``); those continuations are handed back to the
walker as ``tails``.
"""

from __future__ import annotations

from vectimus.core.shell.model import Invocation, Redirect, Scope, Word
from vectimus.core.shell.parse import Node, text_head, text_of
from vectimus.core.shell.words import word_of, words_of

REDIRECTS = frozenset({"file_redirect", "heredoc_redirect", "herestring_redirect"})


def read_command_node(
    node: Node, scope: Scope, subs: list[Node], redirects: list[Node]
) -> Invocation:
    """The words and prefix assignments of a ``command`` node; redirections go to
    ``redirects`` and substitutions to ``subs``."""
    env, source = scope.env, scope.source
    words: list[Word] = []
    assigns: list[str] = []
    for child in node.children:
        kind = child.type
        if kind == "command_name":
            target = child.named_child(0) if child.named_child_count == 1 else child
            words.extend(words_of(target or child, env, subs, source))
        elif kind == "variable_assignment":
            name = child.child_by_field_name("name")
            value = child.child_by_field_name("value")
            assigns.append(text_of(name, source) if name is not None else "")
            if value is not None:
                word_of(value, env, subs, source)
        elif kind in REDIRECTS:
            redirects.append(child)
        elif kind == "subshell":
            # PowerShell's ``iex (iwr ...)`` parses as a command with a subshell child.
            subs.append(child)
            raw = text_head(child, source)
            words.append(Word(raw, raw, literal=False))
        elif child.is_named or kind == "$":
            words.extend(words_of(child, env, subs, source))
    return Invocation(words, scope, assigns=assigns)


def read_redirect(
    node: Node, inv: Invocation, subs: list[Node], tails: list[tuple[str, Node]]
) -> None:
    env = inv.scope.env
    kind = node.type
    if kind == "herestring_redirect":
        value = node.named_child(0)
        if value is not None:
            word = word_of(value, env, subs, inv.scope.source)
            inv.stdin_text = word.value + "\n"
            inv.stdin_dynamic = not word.literal
        return
    if kind == "heredoc_redirect":
        _heredoc(node, inv, subs, tails)
        return
    op, fd = "", ""
    destinations: list[Node] = []
    for index, child in enumerate(node.children):
        if child.type == "file_descriptor":
            fd = text_of(child, inv.scope.source)
        elif node.field_name_for_child(index) == "destination":
            destinations.append(child)
        elif not child.is_named:
            op = child.type
    target = word_of(destinations[0], env, subs, inv.scope.source) if destinations else None
    inv.redirects.append(Redirect(op, fd, target))
    for extra in destinations[1:]:
        # ``echo > f x``: words after the target are arguments of the command.
        inv.words.extend(words_of(extra, env, subs, inv.scope.source))


def _heredoc(node: Node, inv: Invocation, subs: list[Node], tails: list[tuple[str, Node]]) -> None:
    quoted = False
    strip_tabs = False
    for child in node.children:
        kind = child.type
        if kind == "heredoc_start":
            quoted = any(char in text_of(child, inv.scope.source) for char in "'\"\\")
        elif kind == "<<-":
            strip_tabs = True
        elif kind == "heredoc_body":
            body = text_of(child, inv.scope.source)
            if strip_tabs:
                body = "\n".join(line.lstrip("\t") for line in body.split("\n"))
            inv.stdin_text = body
            if not quoted and child.named_child_count:
                subs.append(child)
                inv.stdin_dynamic = "$(" in body or "`" in body
        elif kind in REDIRECTS:
            read_redirect(child, inv, subs, tails)
        elif kind == "pipeline":
            tails.append(("pipe", child))
        elif child.is_named and kind != "heredoc_end":
            tails.append(("list", child))
