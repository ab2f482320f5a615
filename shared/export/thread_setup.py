"""A conversation's ACS thread: created once (idempotently) with its people, or its members loaded and completed."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, cast

from azure.communication.chat import ChatParticipant, ChatThreadClient, CommunicationUserIdentifier

from .acs_chat import AcsChat
from .pacing import PacerRegistry
from .people import People, Person
from .retry import Retrier
from .slice import ExportSlice, NotMigratableError
from .source import SourceParticipant, TwilioSource

MAX_PARTICIPANTS = 250
MAX_PER_ADD = 200
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
THREAD_NAMESPACE = uuid.UUID("6f1c56f2-5d1e-4d0c-9a55-3f7b2f0e8a11")


def thread_token(account_sid: str, conversation_sid: str) -> str:
    """The create-thread idempotency token: the same for every attempt at one conversation."""
    return str(uuid.uuid5(THREAD_NAMESPACE, f"{account_sid}:{conversation_sid}"))


def chat_participant(person: Person) -> ChatParticipant:
    """A person as an ACS participant who sees the whole history."""
    return ChatParticipant(
        identifier=CommunicationUserIdentifier(person.acs_user_id),
        display_name=person.display_name,
        share_history_time=EPOCH,
    )


class ThreadSetup:
    """Makes a slice's thread hold every participant (and every author who left), under ACS's 250."""

    def __init__(
        self,
        *,
        account_sid: str,
        source: TwilioSource,
        people: People,
        chat: AcsChat,
        retrier: Retrier,
        create_pacers: PacerRegistry,
        participant_pacers: PacerRegistry,
    ) -> None:
        self._account_sid = account_sid
        self._source = source
        self._people = people
        self._chat = chat
        self._retrier = retrier
        self._create_pacers = create_pacers
        self._participant_pacers = participant_pacers

    def set_up(self, work: ExportSlice, participants: list[SourceParticipant]) -> None:
        """Create the thread the first time; later, load its members and add or rename who changed in Twilio."""
        if work.record.thread_id is None:
            self.create_thread(work, participants)
        else:
            self.load_members(work)
            self.add_people(work, [work.people.of_participant(p) for p in participants])

    def creator_client(self, work: ExportSlice) -> ChatThreadClient:
        """A client of the thread acting as its creator."""
        return self._chat.thread_client(work.thread_id, self._people.token(work.creator))

    def _departed_authors(self, work: ExportSlice) -> set[str]:
        present = ({p.identity for p in work.people.by_participant.values()}
                   | {p.address for p in work.people.by_participant.values()})
        authors: set[str] = set()
        for message in self._source.messages(work.conv, priority=work.size_hint):
            if message.participant_sid in work.people.by_participant:
                continue
            if message.author not in present:
                authors.add(message.author)
        return authors

    def create_thread(self, work: ExportSlice, participants: list[SourceParticipant]) -> None:
        """Create the thread as one of its chat participants, with everyone in it; raises ``NotMigratableError``."""
        if len(participants) > MAX_PARTICIPANTS:
            raise NotMigratableError(
                f"{work.conv.sid} has {len(participants)} participants; an ACS thread holds at most {MAX_PARTICIPANTS}"
            )
        if work.size_hint > 0 and len(participants) + work.size_hint <= MAX_PARTICIPANTS:
            # Fewer messages than free places: whoever wrote them fits; authors who left are added when met.
            people = [work.people.of_participant(p) for p in participants]
            departed: set[str] = set()
        else:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="authors") as pool:
                scan = pool.submit(self._departed_authors, work)  # reads the history while people are mapped
                people = [work.people.of_participant(p) for p in participants]
                departed = scan.result()
        if len(participants) + len(departed) > MAX_PARTICIPANTS:
            raise NotMigratableError(
                f"{work.conv.sid} has {len(participants)} participants and {len(departed)} authors who left; "
                f"an ACS thread holds at most {MAX_PARTICIPANTS}"
            )
        people.extend(work.people.of_departed(identity) for identity in sorted(departed))
        if not people:
            people.append(self._people.person("twilio-migration", kind="app", display_name="Twilio migration"))
        chat_people = [p for p in people if p.kind == "chat"] or people
        creator = min(chat_people, key=lambda p: p.identity)  # deterministic, so a retried create replays
        client = self._chat.chat_client(self._people.token(creator.identity))
        first = [chat_participant(p) for p in people[:MAX_PER_ADD]]
        pacer = self._create_pacers.get(creator.acs_user_id)

        def create() -> str:
            with pacer.slot():
                result = cast(Any, client).create_chat_thread(
                    work.conv.topic[:250], thread_participants=first,
                    idempotency_token=thread_token(self._account_sid, work.conv.sid),
                )
            assert result.chat_thread is not None
            return str(result.chat_thread.id)

        thread_id = self._retrier.call(create, what=f"creating the thread of {work.conv.sid}", on_throttle=pacer.hold)
        attributes = {**work.record.attributes, "creator": creator.identity, "topic": work.conv.topic}
        work.writer.save(thread_id=thread_id, attributes=attributes)
        work.members = {p.acs_user_id for p in people[:MAX_PER_ADD]} | {creator.acs_user_id}
        work.member_names = {p.acs_user_id: p.display_name for p in people[:MAX_PER_ADD]}
        self.add_people(work, people[MAX_PER_ADD:])

    def load_members(self, work: ExportSlice) -> None:
        """Read who the thread holds now, with the names it shows."""
        client = self.creator_client(work)
        members = self._retrier.call(
            lambda: [(p.identifier.properties.get("id"), p.display_name)
                     for p in client.list_participants(results_per_page=200)],
            what=f"listing the participants of {work.record.thread_id}",
        )
        work.member_names = {str(m): name for m, name in members if m}
        work.members = set(work.member_names)

    def add_people(self, work: ExportSlice, people: list[Person]) -> None:
        """Add who is missing and re-add who was renamed (adding again updates the display name)."""
        renamed = [p for p in people if p.acs_user_id in work.members and p.display_name
                   and work.member_names.get(p.acs_user_id, p.display_name) != p.display_name]
        missing = list({p.acs_user_id: p for p in people if p.acs_user_id not in work.members}.values())
        if len(work.members) + len(missing) > MAX_PARTICIPANTS:
            raise NotMigratableError(
                f"{work.conv.sid} would need {len(work.members) + len(missing)} participants in its ACS thread; "
                f"at most {MAX_PARTICIPANTS} are allowed"
            )
        missing += list({p.acs_user_id: p for p in renamed}.values())
        if not missing:
            return
        client = self.creator_client(work)
        pacer = self._participant_pacers.get(work.thread_id)
        for start in range(0, len(missing), MAX_PER_ADD):
            batch = missing[start:start + MAX_PER_ADD]

            def add(batch: list[Person] = batch) -> None:
                with pacer.slot():
                    errors = client.add_participants([chat_participant(p) for p in batch])
                if errors:
                    raise RuntimeError(f"ACS refused {len(errors)} participants of {work.conv.sid}")

            self._retrier.call(add, what=f"adding participants to {work.record.thread_id}", on_throttle=pacer.hold)
            work.members.update(p.acs_user_id for p in batch)
            work.member_names.update((p.acs_user_id, p.display_name) for p in batch)
