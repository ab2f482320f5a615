"""ThreadSetup on its own: the thread created once with everyone in it, completed later, never over 250."""

from __future__ import annotations

import pytest

from shared.container import AppContainer
from shared.export.people import Person
from shared.export.slice import NotMigratableError

from .conftest import AcsAdmin
from .seeding import TwilioSeeder
from .slices import SliceKit


def _members(acs_admin: AcsAdmin, thread_id: str) -> set[str]:
    return {p["communicationIdentifier"]["rawId"] for p in acs_admin.thread(thread_id)["participants"]}


def test_the_thread_is_created_as_a_participant_with_the_authors_who_left_and_a_retry_replays_it(
    kit: SliceKit, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seeder.conversation("set-up")
    seeder.chat_participant(conv, "bob")
    seeder.chat_participant(conv, "ann")
    seeder.message(conv, "carl", "I left before the migration")
    seeder.message(conv, "bob", "still here")
    work = kit.open_slice(conv.sid, conv.service_sid)
    participants = list(work.people.by_participant.values())

    kit.threads.create_thread(work, participants)

    ids = {name: container.identity_map.get_identity(name).acs_user_id for name in ("ann", "bob", "carl")}
    thread_id = work.thread_id
    assert container.conversations.get_conversation(conv.sid).thread_id == thread_id
    assert (work.record.attributes["creator"], work.record.attributes["topic"]) == ("ann", "set-up")
    assert work.members == set(ids.values())
    assert _members(acs_admin, thread_id) == set(ids.values())
    assert acs_admin.thread(thread_id)["createdByCommunicationIdentifier"]["rawId"] == ids["ann"]

    kit.threads.create_thread(work, participants)  # a retried create (same creator, same token) replays

    assert work.thread_id == thread_id
    assert _members(acs_admin, thread_id) == set(ids.values())


def test_an_existing_thread_gets_the_participants_who_joined_since(
    kit: SliceKit, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seeder.conversation("joiners")
    seeder.chat_participant(conv, "ann")
    seeder.message(conv, "ann", "hello")
    first = kit.open_slice(conv.sid, conv.service_sid)
    kit.threads.set_up(first, list(first.people.by_participant.values()))
    seeder.chat_participant(conv, "dana")

    work = kit.open_slice(conv.sid, conv.service_sid)
    kit.threads.set_up(work, list(work.people.by_participant.values()))

    ann, dana = (container.identity_map.get_identity(n).acs_user_id for n in ("ann", "dana"))
    assert work.thread_id == first.thread_id
    assert work.members == {ann, dana}
    assert _members(acs_admin, work.thread_id) == {ann, dana}


def test_a_251st_participant_is_refused_before_any_call(kit: SliceKit, seeder: TwilioSeeder) -> None:
    conv = seeder.conversation("full")
    seeder.chat_participant(conv, "ann")
    work = kit.open_slice(conv.sid, conv.service_sid)  # no thread: any call to ACS would fail
    work.members = {f"8:acs:member-{n}" for n in range(250)}

    with pytest.raises(NotMigratableError, match="would need 251 participants"):
        kit.threads.add_people(work, [Person("newcomer", "chat", "Newcomer", "8:acs:newcomer")])

    assert len(work.members) == 250
