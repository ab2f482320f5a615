"""REST helper chains are matched by product, resource and read/write, in Node and Python spellings."""

from __future__ import annotations

import pytest

from shared.scan import rest
from shared.scan.rules import load_rulebook


def path(*segments: str) -> str:
    type_name = rest.PREFIX
    for segment in segments:
        type_name = rest.select(type_name) if segment == "()" else rest.member(type_name, segment)
    return type_name


@pytest.mark.parametrize(("segments", "rule_id"), [
    (("conversations", "v1", "conversations", "list"), "REST-CONV-READ"),
    (("conversations", "v1", "conversations", "()", "messages", "create"), "REST-CONV-MESSAGE-WRITE"),
    (("conversations", "v1", "services", "()", "conversations", "()", "participants", "remove"),
     "REST-CONV-PARTICIPANT-WRITE"),
    (("conversations", "v1", "conversations", "get", "()", "update"), "REST-CONV-THREAD-WRITE"),  # Node's .get(sid)
    (("chat", "v2", "services", "()", "channels", "()", "members", "create"), "REST-CONV-PARTICIPANT-WRITE"),
    (("chat", "v2", "services", "()", "channels", "()", "messages", "stream"), "REST-CONV-READ"),
    (("ip_messaging", "v2", "services", "()", "channels", "list"), "REST-CONV-READ"),
    (("conversations", "v1", "configuration", "webhooks", "update"), "REST-CONV-WEBHOOKS"),
    (("conversations", "v1", "roles", "create"), "REST-CONV-OTHER"),
    (("video", "v1", "rooms", "()", "participants", "()", "update"), "REST-VIDEO-PARTICIPANTS"),
    (("video", "v1", "compositions", "create"), "REST-VIDEO-RECORDING"),
    (("video", "v1", "rooms", "()", "recordings", "list"), "REST-VIDEO-RECORDING"),
    (("messages", "create"), "REST-OTHER"),
    (("api", "v2010", "accounts", "()", "calls", "create"), "REST-OTHER"),
])
def test_match(segments: tuple[str, ...], rule_id: str) -> None:
    type_name = path(*segments)
    assert rest.verb_of(type_name) == segments[-1]
    rule = rest.match_rest(load_rulebook(), type_name)
    assert rule is not None
    assert rule.id == rule_id


def test_a_chain_without_a_verb_is_not_a_call_yet() -> None:
    type_name = path("conversations", "v1", "conversations", "()", "messages")
    assert rest.verb_of(type_name) is None
    assert rest.display("client", path("video", "v1", "rooms", "()", "update")) == "client.video.v1.rooms(…).update()"
