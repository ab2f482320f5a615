"""Request bodies nesting JSON past 64 levels are refused before the recursive parser sees them."""

from __future__ import annotations

import pytest

from shared.errors import BadRequestError
from shared.http import MAX_JSON_DEPTH, json_depth, read_json_object
from tests.functions import http_request

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(("text", "depth"), [
    ("{}", 1), ('{"a": [1, {"b": 2}]}', 3), ('{"a": "[[[{{"}', 1), ('{"a": "\\"[[["}', 1), ("7", 0),
])
def test_depth_skips_brackets_inside_strings(text: str, depth: int) -> None:
    assert json_depth(text) == depth


def test_a_body_at_the_limit_is_parsed_and_one_level_more_is_refused() -> None:
    at_limit = '{"a":' * (MAX_JSON_DEPTH - 1) + "{}" + "}" * (MAX_JSON_DEPTH - 1)
    assert json_depth(at_limit) == MAX_JSON_DEPTH
    assert read_json_object(http_request("POST", "/api/x", body=at_limit, headers=JSON))["a"]["a"] is not None
    too_deep = "[" * 100_000 + "]" * 100_000
    assert json_depth(too_deep) == MAX_JSON_DEPTH + 1  # counting stops past the limit
    with pytest.raises(BadRequestError, match="nests JSON more than 64 levels deep"):
        read_json_object(http_request("POST", "/api/x", body=too_deep, headers=JSON))
