"""Live sync: Twilio post-event webhooks, signature-checked, coalesced, exported seconds later."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from tests.export.conftest import AcsAdmin
from tests.export.seeding import TwilioSeeder

from .conftest import MigrationHost, eventually


def _webhook(served: MigrationHost, params: dict[str, str], *, token: str | None = None) -> tuple[int, dict]:
    url = f"{served.host.url}/api/twilio/events"
    signature = RequestValidator(token or served.environ["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    response = served.http.post(
        "/api/twilio/events", content=urlencode(params),
        headers={"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature},
    )
    return response.status_code, response.json()


def _event(conversation_sid: str, service_sid: str, event_type: str = "onMessageAdded") -> dict[str, str]:
    return {"AccountSid": "AC" + "5" * 32, "EventType": event_type, "ConversationSid": conversation_sid,
            "ChatServiceSid": service_sid, "Source": "SDK", "Body": "hi", "Index": "0"}


def test_forged_unsigned_and_malformed_webhooks_are_refused_and_queue_nothing(
    served: MigrationHost, seeder: TwilioSeeder
) -> None:
    conv = seeder.conversation("forgery target")
    params = _event(conv.sid, seeder.service_sid)
    assert _webhook(served, params, token="not-the-auth-token")[0] == 403
    unsigned = served.http.post("/api/twilio/events", content=urlencode(params),
                                headers={"content-type": "application/x-www-form-urlencoded"})
    assert unsigned.status_code == 403
    assert unsigned.json()["error"]["message"] == "The X-Twilio-Signature header does not match this request."
    tampered_url = f"{served.host.url}/api/twilio/events?extra=1"
    sig = RequestValidator(served.environ["TWILIO_AUTH_TOKEN"]).compute_signature(tampered_url, params)
    replayed_elsewhere = served.http.post(
        "/api/twilio/events", content=urlencode(params),
        headers={"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": sig},
    )
    assert replayed_elsewhere.status_code == 403
    as_json = served.http.post("/api/twilio/events", json=params)
    assert as_json.status_code == 415
    assert _webhook(served, {**params, "EventType": "onUserAdded"})[0] == 400
    assert _webhook(served, {**params, "ConversationSid": "CH' or 1 eq 1"})[0] == 400
    assert served.container.conversations.find_conversation(conv.sid) is None


def test_a_burst_of_50_webhooks_becomes_one_export_stream_without_duplicates(
    served: MigrationHost, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seeder.conversation("busy")
    seeder.chat_participant(conv, "carol")
    for i in range(6):
        seeder.message(conv, "carol", f"burst {i}")
    params = _event(conv.sid, seeder.service_sid)
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: _webhook(served, params), range(50)))
    assert all(status == 200 for status, _ in results), results
    queued = sum(1 for _, body in results if body["queued"])
    assert 1 <= queued <= 3  # folded: at most a follow-up per worker pickup during the burst
    record = eventually(
        lambda: (r := served.container.conversations.find_conversation(conv.sid)) and r.high_water_index == 5 and r,
        what="the live sync export",
    )
    copied = acs_admin.user_messages(str(record.thread_id))
    assert [m["content"]["message"] for m in copied] == [f"burst {i}" for i in range(6)]


def test_twilio_webhooks_keep_acs_seconds_behind_during_a_cutover(
    served: MigrationHost, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seeder.conversation("cutover")
    seeder.chat_participant(conv, "dave")
    seeder.message(conv, "dave", "before the cutover")
    seeder.service.configuration.webhooks().update(
        post_webhook_url=f"{served.host.url}/api/twilio/events", method="POST",
        filters=["onMessageAdded", "onMessageUpdated", "onMessageRemoved"],
    )
    response = served.http.post("/api/migrations", json={"conversations": [conv.sid]})
    eventually(lambda: served.http.get(response.headers["Location"]).json()["status"] == "succeeded",
               what="the initial migration")
    seeder.service.conversations(conv.sid).messages.create(
        author="dave", body="sent after the cutover began", x_twilio_webhook_enabled="true"
    )
    record = served.container.conversations.get_conversation(conv.sid)
    copied = eventually(
        lambda: len(m := acs_admin.user_messages(str(record.thread_id))) == 2 and m, what="the live copy"
    )
    assert [m["content"]["message"] for m in copied] == ["before the cutover", "sent after the cutover began"]


def test_an_edit_webhook_applies_the_edit_between_sweeps(
    served: MigrationHost, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seeder.conversation("edited live")
    seeder.chat_participant(conv, "wes")
    seeder.message(conv, "wes", "before the edit")
    seeder.message(conv, "wes", "untouched")
    response = served.http.post("/api/migrations", json={"conversations": [conv.sid]})
    eventually(lambda: served.http.get(response.headers["Location"]).json()["status"] == "succeeded",
               what="the initial migration")
    seeder.edit(conv, conv.messages[0].sid, "after the edit")
    status, body = _webhook(served, _event(conv.sid, seeder.service_sid, "onMessageUpdated"))
    assert (status, body["queued"]) == (200, True)
    record = served.container.conversations.get_conversation(conv.sid)
    copied = eventually(
        lambda: (m := acs_admin.user_messages(str(record.thread_id)))[0]["content"]["message"] == "after the edit"
        and m, what="the edit copied by live sync")
    assert [m["content"]["message"] for m in copied] == ["after the edit", "untouched"]
    assert copied[0]["metadata"]["twilioEdited"] == "true"
    assert "syncChanges" not in served.container.conversations.get_conversation(conv.sid).attributes


def test_the_signature_is_checked_against_the_apps_public_url_never_the_host_header(
    served: MigrationHost, seeder: TwilioSeeder
) -> None:
    """Finding 7: with no TWILIO_WEBHOOK_URL the request's Host header decided which URL was signed."""
    conv = seeder.conversation("host header")
    params = _event(conv.sid, seeder.service_sid)
    forged_url = "http://attacker.example/api/twilio/events"
    signature = RequestValidator(served.environ["TWILIO_AUTH_TOKEN"]).compute_signature(forged_url, params)
    response = served.http.post("/api/twilio/events", content=urlencode(params), headers={
        "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature,
        "host": "attacker.example"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "Forbidden"
    assert served.container.conversations.find_conversation(conv.sid) is None


def test_an_identical_replay_and_a_reused_idempotency_token_are_dropped(
    served: MigrationHost, seeder: TwilioSeeder
) -> None:
    conv = seeder.conversation("replayed")
    params = _event(conv.sid, seeder.service_sid)
    first = _webhook(served, params)
    assert first == (200, {"conversationSid": conv.sid, "queued": True})
    served.container.live_sync.clear_marker(conv.sid)  # as the worker does: a new event would queue again
    assert _webhook(served, params) == (200, {"conversationSid": conv.sid, "queued": False, "duplicate": True})

    other = _event(conv.sid, seeder.service_sid, "onMessageUpdated")
    url = f"{served.host.url}/api/twilio/events"
    headers = {"content-type": "application/x-www-form-urlencoded", "I-Twilio-Idempotency-Token": "idem-1",
               "x-twilio-signature": RequestValidator(served.environ["TWILIO_AUTH_TOKEN"]).compute_signature(
                   url, other)}
    served.container.live_sync.clear_marker(conv.sid)
    assert served.http.post("/api/twilio/events", content=urlencode(other), headers=headers).json()["queued"] is True
    served.container.live_sync.clear_marker(conv.sid)
    retried = {**other, "Body": "the same event, retried"}  # another signature, the same token
    headers["x-twilio-signature"] = RequestValidator(served.environ["TWILIO_AUTH_TOKEN"]).compute_signature(
        url, retried)
    again = served.http.post("/api/twilio/events", content=urlencode(retried), headers=headers)
    assert again.json() == {"conversationSid": conv.sid, "queued": False, "duplicate": True}


def test_live_sync_refuses_to_start_without_a_trustworthy_url(migration_environ: dict[str, str]) -> None:
    import json

    from function_app import create_app
    from shared.container import AppContainer
    from tests.functions import handler, http_request

    environ = {k: v for k, v in migration_environ.items() if k not in ("PUBLIC_BASE_URL", "TWILIO_WEBHOOK_URL")}
    container = AppContainer.from_environ(environ)
    params = _event("CH" + "7" * 32, "IS" + "7" * 32)
    signature = RequestValidator(environ["TWILIO_AUTH_TOKEN"]).compute_signature(
        "http://127.0.0.1/api/twilio/events", params)
    response = handler(create_app(container), "twilio_events")(http_request(
        "POST", "/api/twilio/events", body=urlencode(params).encode(),
        headers={"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature}))
    assert response.status_code == 503
    error = json.loads(response.get_body())["error"]
    assert error["code"] == "ServiceUnavailable"
    assert "TWILIO_WEBHOOK_URL or PUBLIC_BASE_URL" in error["message"]
    assert container.conversations.find_conversation("CH" + "7" * 32) is None
