from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import AppError
from shared.state.keys import KeyTooLongError, escape_key, unescape_key
from tests.strategies import any_unicode, awkward_identities

any_text = st.text(any_unicode, max_size=200)


@given(any_text)
def test_escape_round_trips(value: str) -> None:
    assert unescape_key(escape_key(value)) == value


@given(awkward_identities)
def test_escaped_keys_hold_no_forbidden_character(value: str) -> None:
    escaped = escape_key(value)
    assert not set(escaped) & set("/\\#?")
    assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F and not 0xD800 <= ord(c) <= 0xDFFF for c in escaped)
    assert unescape_key(escaped) == value


def test_the_escape_character_itself_is_escaped() -> None:
    assert escape_key("a~0041") == "a~007E0041"
    assert unescape_key(escape_key("a~0041")) == "a~0041"


def test_overlong_keys_are_refused_with_a_clear_error() -> None:
    with pytest.raises(KeyTooLongError, match="identity is too long"):
        escape_key("x" * 600, what="identity")


def test_the_prefix_counts_toward_the_limit() -> None:
    near = "\U0001F600" * 256  # 1024 bytes of UTF-16 on its own
    assert escape_key(near, what="identity") == near
    with pytest.raises(KeyTooLongError, match="identity is too long"):
        escape_key(near, what="identity", prefix="i:")


def test_the_key_error_is_no_http_error() -> None:
    assert not issubclass(KeyTooLongError, AppError)


def test_every_code_point_is_escaped_exactly_when_the_rule_says() -> None:
    def must(code: int) -> bool:  # the rule as the module docstring states it
        return (chr(code) in "/\\#?~" or code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF
                or code in (0xFFFE, 0xFFFF))

    wrong = [code for code in range(0x110000)
             if escape_key(chr(code)) != (f"~{code:04X}" if must(code) else chr(code))]
    assert wrong == []
