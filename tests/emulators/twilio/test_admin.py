"""Admin routes: reset, snapshot/load of the whole state, counters, recording."""

from __future__ import annotations

import httpx

from .spec_check import SpecChecker
from .standin import stand_in


def test_snapshot_load_round_trip_and_reset(spec_checker: SpecChecker) -> None:
    with stand_in(spec_checker, "--seed", "5") as source, stand_in(spec_checker, "--seed", "6") as target:
        client = source.client()
        conv = client.conversations.v1.conversations.create(friendly_name="snap ✓", unique_name="snap")
        client.conversations.v1.conversations(conv.sid).participants.create(identity="sam")
        media = source.http.post(f"/v1/Services/{conv.chat_service_sid}/Media", content=b"%PDF-1.4 x",
                                 headers={"Content-Type": "application/pdf"}).json()
        for i in range(5):
            client.conversations.v1.conversations(conv.sid).messages.create(author="sam", body=f"m{i}")
        last = client.conversations.v1.conversations(conv.sid).messages.create(author="sam", media_sid=media["sid"])
        client.conversations.v1.conversations(conv.sid).messages.list()[1].delete()
        snapshot = source.admin("GET", "snapshot")
        assert snapshot["version"] == 1
        assert len(snapshot["conversations"]) == 1

        loaded = target.admin("POST", "load", content=httpx.Client().build_request(
            "POST", "http://x", json=snapshot).content)
        assert loaded["counts"]["messages"] == 5
        assert loaded["counts"]["media"] == 1
        copy = target.client()
        assert copy.conversations.v1.conversations("snap").fetch().sid == conv.sid
        assert [m.index for m in copy.conversations.v1.conversations(conv.sid).messages.list()] == [0, 2, 3, 4, 5]
        assert copy.conversations.v1.conversations(conv.sid).messages.create(body="next").index == 6  # no reuse
        assert copy.conversations.v1.conversations(conv.sid).messages(last.sid).fetch().media[0]["sid"] == media["sid"]
        raw = target.http.get(f"/v1/Services/{conv.chat_service_sid}/Media/{media['sid']}").json()
        assert httpx.get(raw["links"]["content_direct_temporary"]).content == b"%PDF-1.4 x"

        reset = target.admin("POST", "reset")
        assert reset["counts"]["conversations"] == 0
        assert reset["counts"]["services"] == 1
        assert copy.conversations.v1.conversations.list() == []


def test_counters_and_recording(twilio) -> None:
    twilio.admin("DELETE", "counters")
    client = twilio.client()
    conv = client.conversations.v1.conversations.create(friendly_name="counted")
    client.conversations.v1.conversations(conv.sid).fetch()
    client.conversations.v1.conversations(conv.sid).fetch()
    counters = twilio.admin("GET", "counters")
    assert counters["by_route"]["GET /v1/Conversations/{Sid}"] == {"200": 2}
    assert counters["by_route"]["POST /v1/Conversations"] == {"201": 1}
    assert counters["total"] >= 3
    recorded = twilio.admin("GET", "exchanges")
    assert recorded["recording"] is True
    assert any(e["path"] == f"/v1/Conversations/{conv.sid}" and e["status"] == 200 for e in recorded["exchanges"])
    health = twilio.admin("GET", "health")
    assert health["ok"] is True
    assert health["counts"]["conversations"] >= 1


def test_load_rejects_garbage(twilio) -> None:
    response = twilio.http.post("/_admin/load", content=b"not json")
    assert response.status_code == 400
    response = twilio.http.post("/_admin/load", json={"version": 99})
    assert response.status_code == 400
    assert twilio.http.post("/_admin/load", json=[1, 2]).status_code == 400
    assert twilio.http.post("/_admin/load", json={"conversations": [{"sid": 5}]}).status_code == 400
    assert twilio.http.post("/_admin/faults", json=[1]).status_code == 400
    assert twilio.http.post("/_admin/recording", content=b"[]").status_code == 400
    assert twilio.admin("GET", "health")["ok"] is True  # nothing above broke the state


def test_state_file_survives_a_restart(spec_checker: SpecChecker, tmp_path) -> None:
    state = tmp_path / "twilio-state.json"
    with stand_in(spec_checker, "--state-file", str(state)) as first:
        client = first.client()
        conv = client.conversations.v1.conversations.create(friendly_name="persisted", unique_name="keep")
        client.conversations.v1.conversations(conv.sid).messages.create(author="p", body="still here")
    assert state.exists()  # written on SIGTERM
    with stand_in(spec_checker, "--state-file", str(state)) as second:
        client = second.client()
        assert client.conversations.v1.conversations("keep").fetch().sid == conv.sid
        assert [m.body for m in client.conversations.v1.conversations(conv.sid).messages.list()] == ["still here"]
