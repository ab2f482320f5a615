"""One conversation copied end to end through the real SDKs."""

from __future__ import annotations

from shared.container import AppContainer
from shared.export import ExportEngine, MigrationRequest

from .conftest import AcsAdmin
from .seeding import TwilioSeeder


def test_one_conversation_is_copied_in_order_as_its_authors(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    seeder.user("alice", "Alice Liddell")
    conv = seeder.conversation("Support 123")
    seeder.chat_participant(conv, "alice")
    seeder.chat_participant(conv, "bob")
    seeder.sms_participant(conv, "+15551230001")
    bodies = [("alice", "hello"), ("bob", "hi alice"), ("+15551230001", "from my phone"), ("alice", "bye")]
    for author, body in bodies:
        seeder.message(conv, author, body)

    report = engine.runner.run(MigrationRequest(services=(seeder.service_sid,)))

    assert [o.status for o in report.outcomes] == ["done"], report.outcomes
    record = container.conversations.get_conversation(conv.sid)
    assert record.high_water_index == 3
    assert record.thread_id is not None
    messages = acs_admin.user_messages(record.thread_id)
    assert [m["content"]["message"] for m in messages] == [b for _, b in bodies]
    assert [m["metadata"]["twilioIndex"] for m in messages] == ["0", "1", "2", "3"]
    assert messages[0]["senderDisplayName"] == "Alice Liddell"
    alice = container.identity_map.get_identity("alice").acs_user_id
    phone = container.identity_map.get_identity("sms:+15551230001")
    assert phone.kind == "sms"
    assert messages[0]["senderCommunicationIdentifier"]["rawId"] == alice
    assert messages[2]["senderCommunicationIdentifier"]["rawId"] == phone.acs_user_id
    thread = acs_admin.thread(record.thread_id)
    assert thread["topic"] == "Support 123"
    assert all(p["shareHistoryTime"].startswith("1970-01-01") for p in thread["participants"])
