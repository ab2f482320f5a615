"""Hypothesis strategies shared by the tests."""

from __future__ import annotations

from hypothesis import strategies as st

# Every general category, lone surrogates (Cs), controls (Cc), format (Cf) and private use (Co) included.
ALL_CATEGORIES = [
    "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No",
    "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So",
    "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co",
]

any_unicode = st.characters(categories=ALL_CATEGORIES)
# Identities as apps send them: anything, biased towards the characters Table keys forbid.
awkward_identities = st.text(
    st.one_of(any_unicode, st.sampled_from(list("/\\#?~'\"%&=+ \t\n\x00\u202e\u200f\ufeff"))),
    min_size=1,
    max_size=64,
)
