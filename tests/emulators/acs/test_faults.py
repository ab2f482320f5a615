"""Seeded faults through the real SDK: lost responses store the write, drops, statuses, latency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from emulators.acs.faults import FaultSpecError, parse_spec

from .conftest import Acs


def _thread(acs: Acs) -> tuple[Any, str]:
    _, token = acs.user()
    chat = acs.chat(token)
    thread_id = chat.create_chat_thread("faults").chat_thread.id
    return chat.get_chat_thread_client(thread_id), thread_id


def _texts(acs: Acs, thread_id: str) -> list[str]:
    view = acs.admin("GET", f"/threads/{thread_id}")
    return [m["content"]["message"] for m in view["messages"] if m["type"] == "text"]


@pytest.fixture
def faults(acs: Acs) -> Any:
    def put(spec: str | list[dict[str, Any]]) -> dict[str, Any]:
        return acs.admin("PUT", "/faults", json={"spec": spec} if isinstance(spec, str) else {"rules": spec})

    yield put
    acs.admin("PUT", "/faults", json={"spec": ""})


def test_lost_response_stores_the_message_and_a_naive_retry_duplicates_it(acs: Acs, faults: Callable[..., Any]) -> None:
    client, thread_id = _thread(acs)
    faults("lost:ops=ChatThread_SendChatMessage,n=1")
    with pytest.raises((ServiceResponseError, ServiceRequestError)):
        client.send_message("once", retry_total=0)
    assert _texts(acs, thread_id) == ["once"]
    client.send_message("once")  # the naive retry
    assert _texts(acs, thread_id) == ["once", "once"]
    counters = acs.admin("GET", "/counters")["counters"]
    assert counters["POST /chat/threads/{chatThreadId}/messages"]["lost"] >= 1


def test_lost_response_on_thread_create_is_recovered_by_the_idempotency_key(
    acs: Acs, faults: Callable[..., Any]
) -> None:
    _, token = acs.user()
    chat = acs.chat(token)
    faults("lost:ops=Chat_CreateChatThread,n=1")
    with pytest.raises((ServiceResponseError, ServiceRequestError)):
        chat.create_chat_thread("kept", idempotency_token="lost-create", retry_total=0)
    again = chat.create_chat_thread("kept", idempotency_token="lost-create")
    assert [t.id for t in chat.list_chat_threads() if t.topic == "kept"] == [again.chat_thread.id]


def test_dropped_connection_writes_nothing(acs: Acs, faults: Callable[..., Any]) -> None:
    client, thread_id = _thread(acs)
    faults("drop:ops=*SendChatMessage,n=1")
    with pytest.raises((ServiceResponseError, ServiceRequestError)):
        client.send_message("dropped", retry_total=0)
    assert _texts(acs, thread_id) == []


def test_injected_503_is_retried_by_the_sdk_for_a_post(acs: Acs, faults: Callable[..., Any]) -> None:
    client, thread_id = _thread(acs)
    faults("status:code=503,ops=*SendChatMessage,n=2")
    client.send_message("after two 503s", retry_backoff_factor=0.01)
    assert _texts(acs, thread_id) == ["after two 503s"]
    rules = acs.admin("GET", "/faults")["rules"]
    assert rules[0]["fired"] == 2


def test_injected_429_without_retry_after_reaches_the_caller_at_once(acs: Acs, faults: Callable[..., Any]) -> None:
    client, thread_id = _thread(acs)
    faults("status:code=429,retry_after=none,ops=*SendChatMessage,n=1")
    with pytest.raises(HttpResponseError) as caught:
        client.send_message("refused")
    assert caught.value.status_code == 429
    assert caught.value.error.code == "TooManyRequests"
    assert acs.admin("GET", "/faults")["rules"][0]["fired"] == 1
    assert _texts(acs, thread_id) == []


def test_injected_429_with_retry_after_is_retried_by_the_sdk(acs: Acs, faults: Callable[..., Any]) -> None:
    client, thread_id = _thread(acs)
    faults("status:code=429,retry_after=0.01,ops=*SendChatMessage,n=3")
    client.send_message("eventually")
    assert _texts(acs, thread_id) == ["eventually"]
    assert acs.admin("GET", "/faults")["rules"][0]["fired"] == 3


def test_latency_and_probability_rules_are_accepted_and_seeded(acs: Acs, faults: Callable[..., Any]) -> None:
    client, _ = _thread(acs)
    faults([{"kind": "latency", "ms": 5, "p": 0.5, "ops": "ChatThread_GetChatThreadProperties"}])
    for _ in range(10):
        client.get_properties()
    fired_first = acs.admin("GET", "/faults")["rules"][0]["fired"]
    assert 0 < fired_first < 10
    faults([{"kind": "latency", "ms": 5, "p": 0.5, "ops": "ChatThread_GetChatThreadProperties"}])
    for _ in range(10):
        client.get_properties()
    assert acs.admin("GET", "/faults")["rules"][0]["fired"] == fired_first  # same seed, same choices


def test_faults_given_at_start(acs_factory: Callable[..., Acs]) -> None:
    server = acs_factory("--faults", "status:code=500,ops=CommunicationIdentity_Create,n=1", "--seed", "3")
    response = server.session.post(
        server.endpoint + "/identities?api-version=2023-10-01", verify=server.bundle, timeout=30
    )
    assert response.status_code == 500
    assert server.admin("GET", "/faults")["rules"][0]["fired"] == 1


def test_fault_spec_parsing() -> None:
    rules = parse_spec("latency:ms=20,p=0.5;status:code=429,retry_after=none;lost:ops=a|b*,n=1;drop:p=0.1")
    assert [r.kind for r in rules] == ["latency", "status", "lost", "drop"]
    assert rules[1].retry_after is None
    assert rules[2].ops == ["a", "b*"]
    assert rules[2].matches("b_anything")
    for bad in ("boom", "status:code=404", "latency:p=2", "lost:n", "drop:colour=red"):
        with pytest.raises(FaultSpecError):
            parse_spec(bad)


def test_error_after_the_write_makes_the_sdk_retry_duplicate_the_message(acs: Acs, faults: Callable[..., Any]) -> None:
    """Research §0.9: send_message has no idempotency key and a 503 is retried by azure-core."""
    client, thread_id = _thread(acs)
    faults("status:code=503,after=1,ops=ChatThread_SendChatMessage,n=1")
    client.send_message("twice", retry_backoff_factor=0.01)
    assert _texts(acs, thread_id) == ["twice", "twice"]


def test_a_get_429_without_retry_after_is_still_retried(acs: Acs, faults: Callable[..., Any]) -> None:
    """Unlike a POST, a GET is retried on 429 even without Retry-After (research §2.5)."""
    client, _ = _thread(acs)
    faults("status:code=429,retry_after=none,ops=ChatThread_GetChatThreadProperties,n=1")
    assert client.get_properties(retry_backoff_factor=0.01).topic == "faults"
    assert acs.admin("GET", "/faults")["rules"][0]["fired"] == 1
