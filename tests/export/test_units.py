"""Pure parts of the export: pacing windows, the lower bound, message parts, settings."""

from __future__ import annotations

import json
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.export.content import MAX_MESSAGE_BYTES, build_parts, content_hash
from shared.export.pacing import Pacer, PriorityGate, minimum_duration
from shared.export.people import identity_of
from shared.export.plan import lower_bound
from shared.export.source import SourceConversation, SourceMessage, SourceParticipant
from shared.settings import SettingsError, load_settings

CONV = SourceConversation("CH" + "1" * 32, "IS" + "1" * 32, "conversations", "topic")


def _message(body: str, attributes: str = "{}") -> SourceMessage:
    return SourceMessage("IM" + "2" * 32, 7, "alice", None, body, attributes, (), None)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_minimum_duration_follows_both_windows() -> None:
    windows = ((10, 10.0), (30, 60.0))
    assert minimum_duration(0, windows) == 0.0
    assert minimum_duration(10, windows) == 0.0
    assert minimum_duration(11, windows) == 10.0
    assert minimum_duration(30, windows) == 20.0
    assert minimum_duration(31, windows) == 60.0
    assert minimum_duration(3000, windows) == pytest.approx(60 * 99 + 20)  # ~100 minutes, as the issue says
    assert minimum_duration(31, windows, time_scale=0.01) == pytest.approx(0.6)


def test_lower_bound_is_the_longest_or_the_spread_total() -> None:
    assert lower_bound([5.0, 1.0, 1.0], 10) == 5.0
    assert lower_bound([5.0, 5.0, 5.0, 5.0], 2) == 10.0
    assert lower_bound([], 4) == 0.0


def test_the_pacer_never_lets_a_window_overflow() -> None:
    clock = FakeClock()
    pacer = Pacer(((10, 10.0), (30, 60.0)), clock=clock)
    granted: list[float] = []
    for _ in range(65):
        delay = pacer.delay()
        clock.now += delay
        granted.append(pacer.acquire())
    for count, seconds in ((10, 10.0), (30, 60.0)):
        for i in range(len(granted) - count):
            assert granted[i + count] - granted[i] >= seconds
    assert granted[-1] == pytest.approx(minimum_duration(65, ((10, 10.0), (30, 60.0))), rel=0.02)


def test_a_throttled_call_gives_its_place_back_and_retry_after_holds() -> None:
    clock = FakeClock()
    pacer = Pacer(((2, 10.0),), clock=clock)
    first = pacer.acquire()
    pacer.done(first, counted=False)
    pacer.acquire()
    assert pacer.delay() == 0.0
    pacer.hold(3.0)
    assert pacer.delay() == pytest.approx(3.0)



def test_the_send_gate_hands_its_slots_on_highest_priority_first() -> None:
    gate = PriorityGate(1)  # one slot: each call hands it to the next, so the order is exact
    order: list[int] = []
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with gate.slot(0):
            held.set()
            release.wait(30)

    def call(priority: int) -> None:
        with gate.slot(priority):
            order.append(priority)

    holders = [threading.Thread(target=hold)]
    holders[0].start()
    assert held.wait(30)
    waiters = []
    for n, priority in enumerate([5, 50, 1, 20]):
        waiters.append(threading.Thread(target=call, args=(priority,)))
        waiters[-1].start()
        deadline = time.monotonic() + 30
        while gate.waiting < n + 1 and time.monotonic() < deadline:  # the slot is held: each call queues
            time.sleep(0.005)
    assert gate.waiting == 4
    release.set()
    for thread in holders + waiters:
        thread.join(30)
    assert order == [50, 20, 5, 1]
    assert gate.waiting == 0


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=40_000))
def test_parts_fit_in_28_kb_and_join_back_to_the_body(body: str) -> None:
    parts = build_parts(CONV, _message(body), author="alice", display_name="Alice", media=[])
    for part in parts:
        size = len(part.content.encode()) + len(b"Alice") + sum(
            len(k.encode()) + len(v.encode()) for k, v in part.metadata.items())
        assert size <= MAX_MESSAGE_BYTES
    assert "".join(p.content for p in parts) == (body or "(empty message)")
    assert [p.part for p in parts] == list(range(1, len(parts) + 1))


def test_attributes_over_4_kb_are_truncated_and_flagged() -> None:
    attributes = json.dumps({"k": "é" * 4000})
    [part] = build_parts(CONV, _message("hi", attributes), author="alice", display_name=None, media=[])
    assert part.metadata["twilioAttributesTruncated"] == "true"
    assert len(part.metadata["twilioAttributes"].encode()) <= 4096
    assert content_hash(_message("a")) != content_hash(_message("b"))


def test_sms_and_whatsapp_participants_get_one_identity_per_address() -> None:
    sms = SourceParticipant("MB1", None, "+15551234567", "sms")
    whatsapp = SourceParticipant("MB2", None, "whatsapp:+15551234567", "whatsapp")
    chat = SourceParticipant("MB3", "alice", None, "chat")
    assert [identity_of(p) for p in (sms, whatsapp, chat)] == ["sms:+15551234567", "whatsapp:+15551234567", "alice"]


def test_export_settings_have_defaults_and_name_bad_values(app_environ: dict[str, str]) -> None:
    settings_ = load_settings(app_environ)
    assert settings_.export.send_limits == ((10, 10.0), (30, 60.0))
    assert settings_.export.concurrency == 32
    tuned = load_settings(dict(app_environ, EXPORT_SEND_LIMITS="5/1, 20/30", EXPORT_RATE_TIME_SCALE="0.5"))
    assert tuned.export.send_limits == ((5, 1.0), (20, 30.0))
    assert tuned.export.rate_time_scale == 0.5
    with pytest.raises(SettingsError) as error:
        load_settings(dict(app_environ, EXPORT_IDENTITY_LIMITS="0/30", EXPORT_SLICE_SECONDS="-1",
                           EXPORT_FLUSH_EVERY="many"))
    assert set(error.value.names) == {"EXPORT_IDENTITY_LIMITS", "EXPORT_SLICE_SECONDS", "EXPORT_FLUSH_EVERY"}
    assert "many" not in str(error.value)
