"""Find where each policy starts in a Cedar file, so load errors can name a line.

cedarpy reports parse and validation errors without positions. We split the text into
top-level statements ourselves (respecting strings and comments) and keep each one's line.
"""

from __future__ import annotations

import re

# One piece at a time: a string literal, a comment, a newline, a bracket, a semicolon, or
# any other run of text. Strings and comments are skipped whole, so their `;` never count.
_PIECE = re.compile(r'"(?:[^"\\]|\\.)*"?|//[^\n]*|\n|[(){}\[\];]|[^"/\n(){}\[\];]+|/')


def split_statements(text: str) -> list[tuple[int, str]]:
    """Return ``(first line, statement text)`` for each ``;``-terminated top-level statement."""
    statements: list[tuple[int, str]] = []
    line, depth, start, start_line = 1, 0, 0, 0
    for match in _PIECE.finditer(text):
        piece = match.group()
        if piece.startswith("//"):
            continue
        if not start_line and piece.strip() and piece != ";":
            start_line = line
        line += piece.count("\n")
        if piece in "({[":
            depth += 1
        elif piece in ")}]":
            depth -= 1
        elif piece == ";" and depth <= 0:
            statements.append((start_line or line, text[start : match.end()]))
            start, start_line, depth = match.end(), 0, 0
    if start_line:
        statements.append((start_line, text[start:]))
    return statements
