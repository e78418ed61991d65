"""The tree-sitter parser, created once per process on first use.

tree-sitter-bash was chosen over bashlex because it imports in ~30 ms and parses a typical
command in a few microseconds, and the hook pays start-up cost on every tool call.
"""

from __future__ import annotations

from functools import cache
from itertools import pairwise

import tree_sitter
import tree_sitter_bash

Node = tree_sitter.Node


@cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


def encode(text: str) -> bytes:
    # Lone surrogates cannot be UTF-8 encoded; passing them through keeps offsets stable.
    return text.encode("utf-8", "surrogatepass")


# Every non-ASCII byte is shown to the parser as ``a`` and NUL as a newline. The grammar's
# scanner passes code points to ctype's isalpha()/isdigit(), whose tables end at 255: a
# character beyond the BMP after ``{`` reads out of bounds and crashes the process.
# Substitution keeps every byte offset, so node text is sliced from the original bytes.
_SAFE = bytes.maketrans(bytes(range(0x80, 0x100)) + b"\x00", b"a" * 0x80 + b"\n")


def parse(source: bytes) -> Node:
    """The root node of ``source``; check ``root.has_error`` before trusting it."""
    if not source.isascii() or b"\x00" in source:
        source = source.translate(_SAFE)
    return _parser().parse(source).root_node


# Unresolved substitutions are kept in their source spelling, but only this much of it:
# ``$(a | $(a | ...))`` nested thousands deep would otherwise copy the rest of the input
# at every level.
_HEAD = 512


def text_head(node: Node, source: bytes) -> str:
    """``text_of`` for text that is only informative: long nodes are cut short."""
    start, end = node.start_byte, node.end_byte
    if end - start <= _HEAD:
        return text_of(node, source)
    return source[start : start + _HEAD].decode("utf-8", "replace") + "…"


def text_of(node: Node, source: bytes) -> str:
    """The original text of ``node`` (never ``node.text``, which is the sanitised copy)."""
    raw = source[node.start_byte : node.end_byte]
    try:
        return raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        # A node can end inside a multibyte character.
        return raw.decode("utf-8", "replace")


_MAX_REPAIRS = 16
_SIMPLE = frozenset({"command", "declaration_command", "unset_command"})


def parse_checked(source: bytes) -> tuple[Node, bool]:
    """Parse ``source``; False if the tree has errors or cannot be trusted.

    tree-sitter-bash sometimes reads a newline that ends a command as plain whitespace
    (``a | b | c\\nrm -rf /`` makes ``rm`` an argument of ``c``; upstream issue #347), with
    no ERROR node. A newline between two words of one simple command is never valid bash,
    so such a newline is replaced by ``;`` (same length, so offsets hold) and the text is
    parsed again.
    """
    root = parse(source)
    for _ in range(_MAX_REPAIRS):
        if root.has_error or b"\n" not in source:
            return root, not root.has_error
        offsets = _swallowed_newlines(root, source)
        if not offsets:
            return root, True
        patched = bytearray(source)
        for offset in offsets:
            patched[offset] = 0x3B
        source = bytes(patched)
        root = parse(source)
    return root, False


def _swallowed_newlines(root: Node, source: bytes) -> list[int]:
    found: list[int] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.start_point[0] == node.end_point[0]:
            continue
        children = node.children
        if node.type in _SIMPLE:
            for before, after in pairwise(children):
                if after.start_point[0] == before.end_point[0]:
                    continue
                start = before.end_byte
                gap = source[start : after.start_byte]
                position = gap.find(b"\n")
                while position != -1:
                    if position == 0 or gap[position - 1] != 0x5C:
                        found.append(start + position)
                        break
                    position = gap.find(b"\n", position + 1)
        stack.extend(children)
    return found
