"""Characters that look like ASCII letters, folded to them: fullwidth, Cyrillic, invisible.

A program named with look-alike characters is not the program it imitates, but it is made
to be read as that program by whoever reviews the command, and an agent that can write a
file can also create one under such a name. So the name is read as the ASCII it imitates,
and the command is marked as one whose program cannot be known.
"""

from __future__ import annotations

import unicodedata

# Cyrillic and Greek letters drawn like Latin ones (from Unicode's confusables), written as
# escapes so the table itself cannot be misread.
_CONFUSABLES = str.maketrans(
    {
        "\u0430": "a", "\u0432": "b", "\u0441": "c", "\u0501": "d", "\u0435": "e",
        "\u0451": "e", "\u04bb": "h", "\u0456": "i", "\u0457": "i", "\u0458": "j",
        "\u043a": "k", "\u04cf": "l", "\u043c": "m", "\u043d": "h", "\u043e": "o",
        "\u0440": "p", "\u051b": "q", "\u0433": "r", "\u0455": "s", "\u0442": "t",
        "\u0446": "u", "\u0475": "v", "\u051d": "w", "\u0445": "x", "\u0443": "y",
        "\u03b1": "a", "\u03b2": "b", "\u03f2": "c", "\u03b5": "e", "\u03b7": "n",
        "\u03b9": "i", "\u03ba": "k", "\u03bd": "v", "\u03bf": "o", "\u03c1": "p",
        "\u03c4": "t", "\u03c5": "u", "\u03c7": "x", "\u03b3": "y", "\u0131": "i",
        "\u0237": "j", "\u0261": "g", "\u0251": "a", "\u029f": "l", "\u217c": "l",
        "\u2113": "l",
    }
)  # fmt: skip


def fold(text: str) -> str:
    """``text`` with compatibility forms, look-alike letters and invisible characters folded
    to ASCII where they imitate it; ASCII text comes back unchanged."""
    if text.isascii():
        return text
    normal = unicodedata.normalize("NFKC", text).lower().translate(_CONFUSABLES)
    return "".join(char for char in normal if unicodedata.category(char) != "Cf")
