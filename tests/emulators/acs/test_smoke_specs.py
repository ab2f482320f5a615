"""The validators themselves: the official examples must pass them, and a broken body must not."""

from __future__ import annotations

import json
from pathlib import Path

from .specs import CHAT, SPEC_ROOT, EventSpec, SpecSet


def test_official_event_examples_pass_the_event_checks(event_spec: EventSpec) -> None:
    """Known inconsistency: the in-thread message examples write ``version`` as a string
    while the schema says int64; the stand-in follows the schema (an integer)."""
    assert len(event_spec.examples) == 32
    for (schema, event_type), example in event_spec.examples.items():
        problems = event_spec.check(example, schema)
        known = [p for p in problems if "data.version" in p and "is not of type 'integer'" in p]
        assert problems == known
        if known:
            assert event_type.startswith("Microsoft.Communication.ChatMessage")
            assert event_type.endswith("InThread")


def test_chat_spec_examples_pass_and_a_misspelt_field_fails(specs: SpecSet, shared_dir: Path) -> None:
    folder = (shared_dir / SPEC_ROOT / CHAT).parent / "examples"
    example = json.loads((folder / "Messages_GetChatMessage.json").read_text())
    body = example["responses"]["200"]["body"]
    exchange = {
        "operation": "ChatThread_GetChatMessage",
        "method": "GET",
        "path": "/x",
        "status": 200,
        "body": body,
        "headers": {"Content-Type": "application/json; charset=utf-8"},
    }
    assert specs.check_exchange(exchange) == []
    broken = dict(body, sequenceID="1")
    assert specs.check_exchange({**exchange, "body": broken})
    assert specs.check_exchange({**exchange, "status": 204, "body": None})
