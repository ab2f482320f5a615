"""Reversible escaping of arbitrary text into Table Storage keys.

Table keys forbid ``/ \\ # ?`` and control characters (and Azurite answers 500 on
``/``). ``escape_key`` replaces each of those, plus the escape character ``~`` and
lone surrogates, with ``~XXXX`` (four hex digits); ``unescape_key`` reverses it.
Keys are limited to 1 KiB of UTF-16, the whole key (any prefix included): a longer one
raises ``KeyTooLongError``, a storage-layer error the triggers map to a 400.
"""

from __future__ import annotations

import re

ESCAPE = "~"
MAX_KEY_BYTES = 1024
_ESCAPED = re.compile(r"~([0-9A-F]{4})")


class KeyTooLongError(ValueError):
    """A value that cannot be stored as a table key: longer than 1 KiB once escaped and prefixed."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.message = f"The {what} is too long to store (at most {MAX_KEY_BYTES} bytes once escaped)."
        super().__init__(self.message)


# what must be escaped: ``/ \\ # ?``, the escape character, control characters (C0, DEL, C1), lone surrogates
# (they cannot be encoded on the wire) and the two non-characters U+FFFE and U+FFFF
_MUST_ESCAPE = re.compile("[/\\\\#?" + ESCAPE + "\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _escaped(match: re.Match[str]) -> str:
    return f"{ESCAPE}{ord(match.group()):04X}"


def escape_key(value: str, *, what: str = "key", prefix: str = "") -> str:
    """``prefix`` + ``value`` made safe for a PartitionKey or RowKey; ``KeyTooLongError`` if the whole is too long."""
    escaped = prefix + _MUST_ESCAPE.sub(_escaped, value)
    if len(escaped.encode("utf-16-le", "surrogatepass")) > MAX_KEY_BYTES:
        raise KeyTooLongError(what)
    return escaped


def unescape_key(value: str) -> str:
    """The original text of a key made by ``escape_key``."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value)
