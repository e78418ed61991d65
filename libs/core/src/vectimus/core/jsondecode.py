"""What ``msgspec.json.decode`` raises for bytes that are not a JSON document it can read.

Not only ``DecodeError``: invalid UTF-8 raises ``UnicodeDecodeError`` and nesting past its
depth limit raises ``RecursionError``. Every caller that decodes untrusted input catches all
three, so such input gets a named refusal rather than a traceback or a 500.
"""

from __future__ import annotations

from typing import Final

import msgspec

DECODE_ERRORS: Final = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)
