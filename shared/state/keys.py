"""Reversible escaping of arbitrary text into Table Storage keys.

Table keys forbid ``/ \\ # ?`` and control characters (and Azurite answers 500 on
``/``). ``escape_key`` replaces each of those, plus the escape character ``~`` and
lone surrogates, with ``~XXXX`` (four hex digits); ``unescape_key`` reverses it.
Keys are limited to 1 KiB of UTF-16.
"""

from __future__ import annotations

import re

from ..errors import BadRequestError

ESCAPE = "~"
MAX_KEY_BYTES = 1024
_FORBIDDEN = frozenset("/\\#?" + ESCAPE)
_ESCAPED = re.compile(r"~([0-9A-F]{4})")


def _must_escape(char: str) -> bool:
    code = ord(char)
    return (
        char in _FORBIDDEN
        or code < 0x20
        or 0x7F <= code <= 0x9F
        or 0xD800 <= code <= 0xDFFF  # lone surrogates cannot be encoded on the wire
        or code in (0xFFFE, 0xFFFF)
    )


def escape_key(value: str, *, what: str = "key") -> str:
    """``value`` made safe for a PartitionKey or RowKey; raises ``BadRequestError`` if too long."""
    escaped = "".join(f"{ESCAPE}{ord(c):04X}" if _must_escape(c) else c for c in value)
    if len(escaped.encode("utf-16-le", "surrogatepass")) > MAX_KEY_BYTES:
        raise BadRequestError(f"The {what} is too long to store (at most {MAX_KEY_BYTES} bytes once escaped).")
    return escaped


def unescape_key(value: str) -> str:
    """The original text of a key made by ``escape_key``."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value)
