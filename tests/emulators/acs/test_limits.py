"""Service limits: the documented table (unit, fake clock) and 429 + Retry-After through the SDK."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from azure.core.exceptions import HttpResponseError

from emulators.acs.errors import ApiError
from emulators.acs.limits import LIMITS, RateLimiter

from .conftest import Acs
from .wire import bearer, hmac_headers

CHAT = "?api-version=2024-03-07"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _admit_until_refused(limiter: RateLimiter, operation: str, limit: int) -> ApiError:
    for _ in range(limit):
        limiter.check(operation, user="u", thread="t")
    with pytest.raises(ApiError) as caught:
        limiter.check(operation, user="u", thread="t")
    return caught.value


@pytest.mark.parametrize(
    ("operation", "allowed", "window"),
    [
        ("message_write", 10, 10),
        ("create_thread", 10, 10),
        ("delete_thread", 10, 10),
        ("list_messages", 50, 10),
        ("identity_create", 1000, 30),
        ("identity_issue", 1000, 30),
        ("participants_write", 10, 10),
        ("update_thread", 5, 10),
    ],
)
@pytest.mark.parametrize("scale", [1.0, 0.01])
def test_each_documented_window_refuses_with_retry_after(
    operation: str, allowed: int, window: float, scale: float
) -> None:
    clock = FakeClock()
    limiter = RateLimiter(scale, clock=clock)
    error = _admit_until_refused(limiter, operation, allowed)
    assert error.status == 429
    assert error.body == {"error": {"code": "TooManyRequests", "message": "Rate limit exceeded."}}
    assert int(error.headers["retry-after-ms"]) == pytest.approx(window * scale * 1000, abs=1)
    assert float(error.headers["Retry-After"]) == pytest.approx(window * scale, abs=0.001 if scale < 0.1 else 1)
    clock.now += window * scale
    limiter.check(operation, user="u", thread="t")


def test_thirty_per_minute_per_thread_for_message_writes() -> None:
    clock = FakeClock()
    limiter = RateLimiter(0.01, clock=clock)
    for _ in range(3):
        for _ in range(10):
            limiter.check("message_write", thread="t")
        clock.now += 0.1  # the 10 s window (scaled) passes
    with pytest.raises(ApiError) as caught:
        limiter.check("message_write", thread="t")
    assert int(caught.value.headers["retry-after-ms"]) == pytest.approx((0.6 - 0.3) * 1000, abs=1)
    limiter.check("message_write", thread="other")  # other threads are unaffected


def test_per_user_and_per_thread_scopes_are_separate() -> None:
    limiter = RateLimiter(1.0, clock=FakeClock())
    for _ in range(50):
        limiter.check("list_messages", user="a", thread="t")
    limiter.check("list_messages", user="b", thread="t")
    with pytest.raises(ApiError):
        limiter.check("list_messages", user="a", thread="t")


def test_every_documented_operation_has_a_limit() -> None:
    assert set(LIMITS) >= {
        "create_thread",
        "delete_thread",
        "update_thread",
        "participants_write",
        "get_threads",
        "get_message",
        "list_messages",
        "list_read_receipts",
        "list_participants",
        "message_write",
        "send_read_receipt",
        "typing",
        "identity_create",
        "identity_delete",
        "identity_issue",
        "identity_revoke",
        "identity_exchange",
    }


def test_disabled_limiter_admits_everything() -> None:
    limiter = RateLimiter(1.0, enabled=False, clock=FakeClock())
    for _ in range(100):
        limiter.check("message_write", thread="t")


def test_send_limit_over_the_wire_gives_429_and_retry_after(acs_factory: Callable[..., Acs]) -> None:
    """At time-scale 1 the 11th send inside 10 s is refused, whatever the machine's speed."""
    server = acs_factory("--time-scale", "1")
    _, token = server.user()
    thread = bearer(server, token, "POST", "/chat/threads" + CHAT, {"topic": "limits", "participants": []})
    thread_id = thread.json()["chatThread"]["id"]
    statuses = []
    response: requests.Response | None = None
    for i in range(11):
        response = bearer(server, token, "POST", f"/chat/threads/{thread_id}/messages" + CHAT, {"content": str(i)})
        statuses.append(response.status_code)
    assert statuses == [201] * 10 + [429]
    assert response is not None
    assert 1 <= int(response.headers["Retry-After"]) <= 10
    assert 0 < int(response.headers["retry-after-ms"]) <= 10_000
    assert response.json()["error"]["code"] == "TooManyRequests"
    counters = server.admin("GET", "/counters")
    assert counters["counters"]["POST /chat/threads/{chatThreadId}/messages"] == {"201": 10, "429": 1}
    assert counters["rateLimited"] == {"message_write": 1}


def test_list_messages_and_identity_limits_over_the_wire(acs_factory: Callable[..., Acs]) -> None:
    """At time-scale 10 the windows are 100 s and 300 s long, so the counts are exact on any machine."""
    server = acs_factory("--time-scale", "10")
    _, token = server.user()
    thread_id = bearer(server, token, "POST", "/chat/threads" + CHAT, {"topic": "reads"}).json()["chatThread"]["id"]
    reads = [bearer(server, token, "GET", f"/chat/threads/{thread_id}/messages" + CHAT).status_code for _ in range(51)]
    assert reads == [200] * 50 + [429]
    session = requests.Session()
    statuses = []
    for _ in range(1000):  # the ready user above was the first of the 1000 allowed
        body = b""
        path = "/identities?api-version=2023-10-01"
        headers = hmac_headers(server, "POST", path, body)
        statuses.append(
            session.post(
                server.endpoint + path, data=body, headers=headers, verify=server.bundle, timeout=30
            ).status_code
        )
    assert statuses == [201] * 999 + [429]
    assert server.admin("GET", "/counters")["rateLimited"] == {"list_messages_user": 1, "identity_create": 1}


def test_create_thread_limit_through_the_sdk_without_retries(acs_factory: Callable[..., Acs]) -> None:
    server = acs_factory("--time-scale", "1")
    _, token = server.user()
    chat = server.chat(token)
    for i in range(10):
        chat.create_chat_thread(f"t{i}")
    with pytest.raises(HttpResponseError) as caught:
        chat.create_chat_thread("eleventh", retry_total=0)
    assert caught.value.status_code == 429
    assert caught.value.response.headers["Retry-After"]


def test_sdk_waits_out_the_limit_by_itself(acs_factory: Callable[..., Acs]) -> None:
    """Research §0.9: a POST 429 with Retry-After is retried by azure-core, so all sends succeed.

    At time-scale 0.5 the first window is 5 s long: the 11th send meets a 429 however busy the machine.
    """
    acs = acs_factory("--time-scale", "0.5")
    _, token = acs.user()
    chat = acs.chat(token)
    thread_id = chat.create_chat_thread("patient").chat_thread.id
    client = chat.get_chat_thread_client(thread_id)
    before = acs.admin("GET", "/counters")["rateLimited"].get("message_write", 0)
    for i in range(11):
        client.send_message(f"m{i}")
    after = acs.admin("GET", "/counters")["rateLimited"].get("message_write", 0)
    assert after > before  # the SDK met 429s and retried them
    texts = [
        m["content"]["message"] for m in acs.admin("GET", f"/threads/{thread_id}")["messages"] if m["type"] == "text"
    ]
    assert texts == [f"m{i}" for i in range(11)]


def test_limits_can_be_switched_off(acs_factory: Callable[..., Acs]) -> None:
    server = acs_factory("--time-scale", "1", "--no-limits")
    _, token = server.user()
    chat = server.chat(token)
    for i in range(12):
        chat.create_chat_thread(f"free{i}", retry_total=0)
    assert server.admin("GET", "/limits")["enabled"] is False


def test_admin_limits_report_the_enforced_windows_and_the_bench_floor_reads_them(
    acs_factory: Callable[..., Acs],
) -> None:
    """Stand-in only: ``GET /__admin/limits`` lists what the limiter enforces; harness/floor.py builds on it."""
    from harness.floor import ConversationLoad, export_floor, fetch_limits, span

    server = acs_factory("--time-scale", "0.5")
    body = server.admin("GET", "/limits")
    assert body["operations"]["message_write"] == [
        {"name": "message_write", "per": "thread", "windows": [[10, 10.0], [30, 60.0]]}
    ]
    assert set(body["operations"]) == set(LIMITS)
    limits = fetch_limits(str(server.info["admin"]), verify=server.bundle)
    assert limits.time_scale == 0.5
    assert limits.windows("message_write") == ((10, 5.0), (30, 30.0))
    assert limits.windows("create_thread") == ((10, 5.0),)
    # 31 sends: the 31st waits for the 1st to leave the 60 s window (30 s scaled)
    assert span(31, limits.windows("message_write")) == 30.0
    # 2 people, 21 threads of one send each: 10 threads per creator per window -> the 21st creation
    # is the 11th by some creator, one window (5 s) after that creator's first
    floor = export_floor([ConversationLoad(people=2, sends=1)] * 21, limits, people=2)
    assert floor.threads_s == 5.0
    assert floor.requests == {"identity_create": 2, "create_thread": 21, "participants_write": 0,
                              "message_write": 21}
    # the longest conversation goes first: 31 sends dominate the creations
    floor = export_floor([ConversationLoad(people=3, sends=31), ConversationLoad(people=203, sends=1)], limits,
                         people=205)
    assert floor.seconds == 30.0
    assert floor.requests["participants_write"] == 1
