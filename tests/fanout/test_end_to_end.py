"""End to end: ACS stand-in -> its Event Grid sink -> the app's Event Grid function (host stand-in) -> Azurite
queue -> the queue-triggered deliverer -> loopback subscribers that check signatures like real consumers do."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from azure.communication.chat import ChatParticipant
from azure.communication.identity import CommunicationUserIdentifier

from harness.fanout_pipeline import running_pipeline
from harness.process import wait_for
from harness.subscriber import running_subscriber
from shared.state import ConversationRecord, IdentityMapping

pytestmark = pytest.mark.slow
SECRET_A = "flaky-subscriber-secret-0123456789"
SECRET_B = "cloudevents-subscriber-secret-0123"
SECRET_C = "migrated-subscriber-secret-0123456"
CONVERSATION = "CH" + "e2" * 16


@pytest.fixture
def e2e_environ(fanout_environ: dict[str, str]) -> dict[str, str]:
    return dict(fanout_environ, FANOUT_MAX_ATTEMPTS="12", FANOUT_RETRY_BASE_SECONDS="1",
                FANOUT_RETRY_MAX_SECONDS="2")


def test_chat_activity_reaches_every_subscriber_at_least_once_despite_a_flaky_one(
    e2e_environ: dict[str, str],
) -> None:
    with running_pipeline(e2e_environ) as pipeline, \
            running_subscriber(SECRET_A, fail_rate=0.3, seed=3) as flaky, \
            running_subscriber(SECRET_B, path="/ce") as cloud, \
            running_subscriber(SECRET_C, path="/all") as everything:
        alice, bob, carol = pipeline.new_user(), pipeline.new_user(), pipeline.new_user()
        pipeline.container.identity_map.create_identity(IdentityMapping("alice", alice.user_id))
        pipeline.container.identity_map.create_identity(IdentityMapping("bob", bob.user_id))
        thread = pipeline.create_thread(alice, "Support", [alice, bob])
        pipeline.container.conversations.create_conversation(
            ConversationRecord(CONVERSATION, thread_id=thread.thread_id, status="done"))
        cursor = pipeline.wait_until_pushed()  # the thread's own events went out before anyone subscribed

        pipeline.subscribe(flaky.url, SECRET_A)
        pipeline.subscribe(cloud.url, SECRET_B, fmt="cloudevents")
        pipeline.subscribe(everything.url, SECRET_C, eventTypes=["onMessageAdded"], includeMigrated=True)

        bodies = [f"message {n}" for n in range(20)]
        sent = {thread.send_message(body).id: body for body in bodies}
        thread.send_message("imported from Twilio", metadata={"migratedFrom": "twilio", "twilioMessageSid": "IM1"})
        bob_thread = pipeline.thread(bob, thread.thread_id)
        edited = bob_thread.send_message("tpyo")
        bob_thread.update_message(edited.id, content="typo")
        removed = next(iter(sent))
        thread.delete_message(removed)
        thread.add_participants([ChatParticipant(identifier=CommunicationUserIdentifier(carol.user_id))])
        thread.remove_participant(CommunicationUserIdentifier(carol.user_id))
        thread.update_topic("Support (migrated)")
        other = pipeline.create_thread(bob, "Side thread", [bob])
        pipeline.chat(bob).delete_chat_thread(other.thread_id)

        pipeline.wait_until_pushed()
        acs_events = pipeline.acs_events(since=cursor)["events"]
        live_events = [e for e in acs_events  # the imported message's events need includeMigrated
                       if (e["event"]["data"].get("metadata") or {}).get("migratedFrom") != "twilio"]
        assert len(acs_events) - len(live_events) == 2  # its in-thread event and bob's per-user copy
        expected_twilio = 21 + 1 + 1 + 2 + 1 + 2  # added (bob's too), updated, removed, participants, topic, T2
        twilio = {r.delivery_id: r for r in flaky.wait_for(expected_twilio, timeout=120)}
        cloud_events = {r.delivery_id: r for r in cloud.wait_for(len(live_events), timeout=60)}
        migrated_too = {r.delivery_id: r for r in everything.wait_for(22, timeout=60)}

    # Every event at least once, every request correctly signed, duplicates share a delivery id.
    assert len(twilio) == expected_twilio
    assert len(cloud_events) == len(live_events)
    assert len(migrated_too) == 22  # 21 live messages + the imported one
    assert all(r.signature_ok for s in (flaky, cloud, everything) for r in s.received)
    failed = [r for r in flaky.received if r.answered >= 300]
    assert failed, "30% of requests should have failed"
    assert {r.delivery_id for r in failed} <= set(twilio)  # each failure was retried until delivered
    attempts = Counter(r.delivery_id for r in flaky.received)
    assert all(int(twilio[d].fields["RetryCount"]) == attempts[d] - 1 for d in twilio)

    by_type = Counter(r.fields["EventType"] for r in twilio.values())
    assert by_type == {"onMessageAdded": 21, "onMessageUpdated": 1, "onMessageRemoved": 1, "onParticipantAdded": 1,
                       "onParticipantRemoved": 1, "onConversationUpdated": 1, "onConversationAdded": 1,
                       "onConversationRemoved": 1}
    added = [r.fields for r in twilio.values() if r.fields["EventType"] == "onMessageAdded"]
    assert {f["Body"] for f in added} == {*bodies, "tpyo"}  # not the imported message
    alice_messages = [f for f in added if f["Author"] == "alice"]
    assert {f["MessageSid"]: f["Body"] for f in alice_messages} == sent
    assert all(f["ConversationSid"] == CONVERSATION and f["AccountSid"] == e2e_environ["TWILIO_ACCOUNT_SID"]
               for f in added)
    (update,) = [r.fields for r in twilio.values() if r.fields["EventType"] == "onMessageUpdated"]
    assert (update["Body"], update["Author"], update["MessageSid"]) == ("typo", "bob", edited.id)
    (removal,) = [r.fields for r in twilio.values() if r.fields["EventType"] == "onMessageRemoved"]
    assert removal["MessageSid"] == removed
    assert removal["DateRemoved"].endswith("Z")
    (joined,) = [r.fields for r in twilio.values() if r.fields["EventType"] == "onParticipantAdded"]
    assert (joined["Identity"], joined["ClientIdentity"]) == (carol.user_id, "alice")  # carol is not mapped
    (renamed,) = [r.fields for r in twilio.values() if r.fields["EventType"] == "onConversationUpdated"]
    assert (renamed["FriendlyName"], renamed["ConversationSid"]) == ("Support (migrated)", CONVERSATION)
    (created,) = [r.fields for r in twilio.values() if r.fields["EventType"] == "onConversationAdded"]
    assert (created["ConversationSid"], created["ClientIdentity"]) == (other.thread_id, "bob")

    assert {r.json()["id"] for r in cloud_events.values()} == {e["event"]["id"] for e in live_events}
    assert {r.fields["Body"] for r in migrated_too.values()} == {*bodies, "tpyo", "imported from Twilio"}


def test_dead_letters_are_listed_and_replayed_and_410_disables_the_subscription(
    fanout_environ: dict[str, str],
) -> None:
    env = dict(fanout_environ, FANOUT_MAX_ATTEMPTS="2", FANOUT_RETRY_BASE_SECONDS="0")
    with running_pipeline(env) as pipeline, running_subscriber(SECRET_A, status=503) as down:
        alice = pipeline.new_user()
        thread = pipeline.create_thread(alice, "Outage", [alice])
        pipeline.wait_until_pushed()
        sub = pipeline.subscribe(down.url, SECRET_A, eventTypes=["onMessageAdded"])
        for n in range(3):
            thread.send_message(f"during the outage {n}")

        deadline = time.monotonic() + 60
        dead: list[dict[str, object]] = []
        while time.monotonic() < deadline and len(dead) < 3:
            time.sleep(0.1)
            dead = pipeline.admin.get("/api/deliveries/dead").json()["value"]
        assert len(dead) == 3
        assert {(d["subscriptionId"], d["attempts"], d["lastStatus"]) for d in dead} == {(sub["id"], 2, 503)}
        assert all("subscriber says no" in str(d["bodyExcerpt"]) for d in dead)
        assert len(down.received) == 6  # two attempts each
        assert pipeline.admin.get("/api/deliveries/dead", headers={"x-functions-key": "wrong"}).status_code == 401

        down.status = None  # the subscriber is back
        replay = pipeline.admin.post("/api/deliveries/replay", json={"subscriptionId": sub["id"]})
        assert replay.status_code == 202
        assert replay.json()["replayed"] == 3
        delivered = down.wait_for(3, timeout=60)
        assert {r.fields["Body"] for r in delivered} == {f"during the outage {n}" for n in range(3)}
        assert {r.delivery_id for r in delivered} == {str(d["deliveryId"]) for d in dead}
        assert pipeline.admin.get("/api/deliveries/dead").json()["value"] == []

        down.status = 410
        thread.send_message("after the subscriber left")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and pipeline.admin.get(f"/api/subscriptions/{sub['id']}").json()["enabled"]:
            time.sleep(0.1)
        view = pipeline.admin.get(f"/api/subscriptions/{sub['id']}").json()
        assert view["enabled"] is False
        assert "410" in view["disabledReason"]
        requests_so_far = len(down.received)
        with running_subscriber(SECRET_B, path="/witness") as witness:
            pipeline.subscribe(witness.url, SECRET_B, eventTypes=["onMessageAdded"])
            thread.send_message("nobody listens")
            (seen,) = witness.wait_for(1, timeout=60)  # the event was dispatched: both deliveries would be queued
            assert seen.fields["Body"] == "nobody listens"
            queue = pipeline.container.delivery_queue.client
            wait_for(lambda: queue.get_queue_properties().approximate_message_count == 0, timeout=30,
                     what="the delivery queue to drain (no delivery left for the disabled subscription)")
        assert len(down.received) == requests_so_far  # and none was sent to it


def test_acs_publishing_cloudevents_schema_reaches_twilio_subscribers_the_same_way(
    fanout_environ: dict[str, str],
) -> None:
    with running_pipeline(fanout_environ, acs_args=("--event-schema", "cloudevents")) as pipeline, \
            running_subscriber(SECRET_A) as sub:
        alice = pipeline.new_user()
        pipeline.container.identity_map.create_identity(IdentityMapping("alice", alice.user_id))
        thread = pipeline.create_thread(alice, "CloudEvents", [alice])
        pipeline.wait_until_pushed()
        assert all(e["schema"] == "cloudevents" for e in pipeline.acs_events()["events"])
        pipeline.subscribe(sub.url, SECRET_A, eventTypes=["onMessageAdded"])
        for n in range(3):
            thread.send_message(f"cloud {n}")
        delivered = sub.wait_for(3, timeout=60)
    assert sorted(r.fields["Body"] for r in delivered) == ["cloud 0", "cloud 1", "cloud 2"]
    assert {(r.fields["Author"], r.fields["ConversationSid"], r.signature_ok) for r in delivered} == {
        ("alice", thread.thread_id, True)
    }
