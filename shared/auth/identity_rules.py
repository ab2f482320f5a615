"""Rules every app identity obeys, wherever it comes from (a token claim, a body, a route)."""

from __future__ import annotations

import re
import unicodedata

from ..errors import BadRequestError

MAX_IDENTITY_CHARS = 256
_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cs": "a lone surrogate",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}
# Invisible characters that make one identity look like another (Trojan Source): bidi controls and the BOM.
_SPOOFING = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
_SEGMENTS = re.compile(r"[/\\]")


# Identities the export made for Twilio SMS and WhatsApp participants (``sms:+1555…``): no end user signs in as
# one, so only the trusted backend may act for them (shared/export/people.py makes them).
MIGRATED_PREFIXES = ("sms:", "whatsapp:")
USER_KINDS = frozenset({"chat"})  # the identity map's kinds an end user may act for


def is_migrated_identity(identity: str) -> bool:
    """True for an identity of the ``sms:`` or ``whatsapp:`` kind (any letter case)."""
    return identity.lower().startswith(MIGRATED_PREFIXES)


def check_identity(value: object, *, what: str = "identity") -> str:
    """``value`` if it is a usable identity; else ``BadRequestError`` naming the problem (never the value)."""
    if not isinstance(value, str):
        raise BadRequestError(f"The {what} must be a string.", target=what)
    if not value.strip():
        raise BadRequestError(f"The {what} is empty.", target=what)
    if len(value) > MAX_IDENTITY_CHARS:
        raise BadRequestError(
            f"The {what} is {len(value)} characters long; the limit is {MAX_IDENTITY_CHARS}.", target=what
        )
    for position, char in enumerate(value):
        category = unicodedata.category(char)
        problem = _REFUSED_CATEGORIES.get(category)
        if problem is None and (ord(char) & 0xFFFE) == 0xFFFE:
            problem = "a Unicode noncharacter"
        if problem is None and char in _SPOOFING:
            problem = "an invisible direction or byte-order mark"
        if problem is not None:
            raise BadRequestError(
                f"The {what} contains {problem} (U+{ord(char):04X} at position {position}).", target=what
            )
    if ".." in _SEGMENTS.split(value):
        raise BadRequestError(f"The {what} contains a path traversal segment (..).", target=what)
    return value
