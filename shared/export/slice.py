"""The state of one export slice of one conversation, shared by the exporter and its collaborators."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..archive_cutoff import ArchiveCutoff
from ..state import ConversationRecord
from .map_writer import MessageMapWriter
from .people import People, Person, identity_of
from .source import SourceConversation, SourceMessage, SourceParticipant


class NotMigratableError(Exception):
    """The conversation cannot be copied whole into one ACS thread."""


class SlicePeople:
    """The people of one conversation (participants, authors, authors who left), mapped once per slice."""

    def __init__(self, people: People, conv: SourceConversation) -> None:
        self._people = people
        self._conv = conv
        self.by_participant: dict[str, SourceParticipant] = {}
        self._known: dict[str, Person] = {}  # identity -> person

    def set_participants(self, participants: Iterable[SourceParticipant]) -> None:
        """The conversation's current participants (by SID), which authors are matched against."""
        self.by_participant = {p.sid: p for p in participants}

    def of_participant(self, participant: SourceParticipant) -> Person:
        """The participant's person, with the display name Twilio gives it."""
        identity = identity_of(participant)
        person = self._known.get(identity)
        if person is None:
            name = self._people.display_name(self._conv, participant, identity)
            person = self._people.person(identity, kind=participant.kind, display_name=name)
            self._known[identity] = person
        return person

    def of_departed(self, identity: str) -> Person:
        """A chat identity no longer among the participants (an author who left)."""
        person = self._known.get(identity)
        if person is None:
            name = self._people.display_name(self._conv, None, identity)
            person = self._people.person(identity, kind="chat", display_name=name)
            self._known[identity] = person
        return person

    def of_author(self, message: SourceMessage) -> Person:
        """The author of a message: its participant (by SID, identity or address), else the author who left."""
        participant = self.by_participant.get(message.participant_sid or "")
        if participant is None and message.author:
            participant = next((p for p in self.by_participant.values()
                                if p.identity == message.author or p.address == message.author), None)
        if participant is not None:
            return self.of_participant(participant)
        return self.of_departed(message.author or "system")  # still mapped, so the message keeps its author


@dataclass
class ExportSlice:
    """One slice of one conversation: its record (through its writer), its thread's members and its counts."""

    conv: SourceConversation
    writer: MessageMapWriter
    people: SlicePeople
    size_hint: int = 0  # messages left to copy, when known: sends of big conversations go first
    cutoff: ArchiveCutoff | None = None  # the run's archive cutoff (fixes the boundary of a conversation once)
    members: set[str] = field(default_factory=set)  # ACS user ids in the thread
    member_names: dict[str, str | None] = field(default_factory=dict)  # ACS user id -> display name in the thread
    partial: dict[str, dict[int, str]] = field(default_factory=dict)  # message SID -> part -> ACS id
    sent: int = 0  # messages confirmed by ACS in this slice (a split message counts once)
    media_bytes: int = 0
    edits: int = 0
    deletions: int = 0
    archived: int = 0

    @property
    def record(self) -> ConversationRecord:
        return self.writer.record

    @property
    def thread_id(self) -> str:
        """The conversation's ACS thread (created by ``ThreadSetup``)."""
        thread_id = self.record.thread_id
        assert thread_id is not None, f"{self.conv.sid} has no thread yet"
        return thread_id

    @property
    def creator(self) -> str:
        """The identity that created the thread: it adds people and reads the thread."""
        return str(self.record.attributes.get("creator") or "")
