"""Compare every migrated conversation with its ACS thread: count, order, authors, content, media, receipts.

Reads only. Twilio is read through the SDK; the thread through the chat SDK as the user
who created it; media through Blob Storage; a sample of attachments through the app's
``/api/attachments`` route (verify_people.py). Each difference is named.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..attachments.links import AttachmentLinks
from ..state import ConversationRecord, ConversationStore, IdentityMapStore, MessageMapStore
from ..state.media import MediaStore
from .acs_chat import AcsChat
from .archive.progress import ArchiveProgress
from .archive.store import ArchiveStore
from .archive.verify import verify_archive
from .content import CopiedMedia, expected_text
from .media import media_file_name
from .people import People, identity_of
from .receipts import MAX_RECEIPT_PARTICIPANTS
from .source import SourceConversation, SourceMessage, TwilioSource
from .verify_people import SAMPLE_PER_CONVERSATION, AttachmentProbe, name_problems

PAGE = 200


@dataclass
class Verdict:
    conversation_sid: str
    thread_id: str | None
    status: str
    twilio_messages: int = 0
    acs_messages: int = 0
    media: int = 0
    receipts: int = 0
    names: int = 0  # participants whose display name was compared
    attachments: int = 0  # attachments opened through the route
    archived: int = 0  # messages in the archive transcript (docs/archive.md)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Verifier:
    """Checks migrated conversations against Twilio; never writes."""

    def __init__(self, *, source: TwilioSource, conversations: ConversationStore, messages: MessageMapStore,
                 identity_map: IdentityMapStore, media: MediaStore, chat: AcsChat, people: People,
                 links: AttachmentLinks, probe: AttachmentProbe) -> None:
        self._links = links
        self._probe = probe
        self._source = source
        self._conversations = conversations
        self._messages = messages
        self._identity_map = identity_map
        self._media = media
        self._chat = chat
        self._people = people

    def close(self) -> None:
        self._probe.close()

    @property
    def attachments_skipped_because(self) -> str | None:
        """Why no attachment is opened through the route, or None when they are sampled."""
        return self._probe.skipped_because

    def records(self, only: list[str] | None = None) -> list[ConversationRecord]:
        records = [r for r in self._conversations.list_conversations() if r.thread_id or r.status != "pending"]
        if only:
            records = [r for r in records if r.conversation_sid in only]
        return sorted(records, key=lambda r: r.conversation_sid)

    def verify(self, record: ConversationRecord) -> Verdict:
        verdict = Verdict(record.conversation_sid, record.thread_id, record.status)
        if record.status == "not_migratable":
            return verdict  # reported by the run, with its reason; nothing was copied
        if record.thread_id is None or record.status != "done":
            verdict.problems.append(f"not fully migrated (status {record.status})")
            return verdict
        try:
            conv = self._source.get_conversation(record.conversation_sid, service_sid=record.service_sid,
                                                 source=record.source)
        except LookupError as exc:
            verdict.problems.append(str(exc))
            return verdict
        creator = str(record.attributes.get("creator") or "")
        client = self._chat.thread_client(record.thread_id, self._people.token(creator))
        copies = self._acs_copies(client, conv.sid)
        participants = self._source.list_participants(conv)
        by_participant = {p.sid: p for p in participants}
        twilio = list(self._source.messages(conv))
        total = len(twilio)
        archive = ArchiveProgress.from_json(record.attributes.get("archive"))
        if archive is not None:  # each message is in exactly one place: the archive up to `through`, ACS after
            checked = verify_archive(ArchiveStore(self._media), conv.sid, archive,
                                     (m for m in twilio if m.index <= archive.through), client)
            verdict.archived = checked.archived
            verdict.problems.extend(checked.problems)
            twilio = [m for m in twilio if m.index > archive.through]
            both = [c["metadata"]["twilioIndex"] for c in copies
                    if int(c["metadata"]["twilioIndex"]) <= archive.through]
            if both:
                verdict.problems.append(f"messages {', '.join(both[:5])} are both archived and copied")
        verdict.twilio_messages = total
        verdict.acs_messages = len(copies)
        if len(copies) != len(twilio):
            after = f" after the archive (up to {archive.through})" if archive is not None else ""
            verdict.problems.append(f"{len(twilio)} messages in Twilio{after}, {len(copies)} in ACS")
        order = [int(c["metadata"]["twilioIndex"]) for c in copies]
        if order != sorted(order):
            verdict.problems.append("ACS order differs from Twilio's index order")
        by_sid = {c["metadata"]["twilioMessageSid"]: c for c in copies}
        for message in twilio:
            copy = by_sid.get(message.sid)
            if copy is None:
                verdict.problems.append(f"message {message.index} ({message.sid}) missing in ACS")
                continue
            self._check_message(conv, message, copy, by_participant, verdict)
        if len(participants) <= MAX_RECEIPT_PARTICIPANTS:
            self._check_receipts(client, conv, participants, verdict)
        shown = {str(p.identifier.properties.get("id")): p.display_name
                 for p in client.list_participants(results_per_page=PAGE)}
        verdict.problems.extend(name_problems(conv, participants, shown, people=self._people,
                                              identity_map=self._identity_map))
        verdict.names = len(participants)
        self._sample_attachments(conv, twilio, participants, verdict)
        return verdict

    def _sample_attachments(self, conv: SourceConversation, twilio: list[SourceMessage],
                            participants: list[Any], verdict: Verdict) -> None:
        """A participant gets each sampled attachment's bytes through the route; an outsider gets 404."""
        if self._probe.skipped_because is not None:
            return
        member = next((identity_of(p) for p in participants if p.kind == "chat"), None)
        sample = [m.sid for message in twilio for m in message.media][:SAMPLE_PER_CONVERSATION]
        if member is None or not sample:
            return
        for media_sid in sample:
            verdict.problems.extend(self._probe.check(
                conv.sid, media_sid, participant=member,
                expected=lambda sid=media_sid: self._media.read_media(sid)))  # type: ignore[misc]
            verdict.attachments += 1

    def _acs_copies(self, client: Any, conversation_sid: str) -> list[dict[str, Any]]:
        """Migrated, undeleted ACS messages grouped per Twilio message, in arrival order."""
        grouped: dict[str, dict[str, Any]] = {}
        for message in reversed(list(client.list_messages(results_per_page=PAGE))):
            metadata = message.metadata or {}
            if message.deleted_on is not None or metadata.get("twilioConversationSid") != conversation_sid:
                continue
            sid = metadata.get("twilioMessageSid")
            if not sid:
                continue
            entry = grouped.setdefault(sid, {"metadata": metadata, "parts": {}, "sender": None, "name": None})
            entry["name"] = message.sender_display_name
            entry["parts"][int(metadata.get("twilioPart", "1"))] = message.content.message if message.content else ""
            identifier = message.sender
            entry["sender"] = identifier.properties.get("id") if identifier is not None else None
        return list(grouped.values())

    def _expected_identity(self, message: SourceMessage, by_participant: dict[str, Any]) -> str:
        participant = by_participant.get(message.participant_sid or "")
        if participant is None:
            participant = next((p for p in by_participant.values()
                                if p.identity == message.author or p.address == message.author), None)
        return identity_of(participant) if participant is not None else (message.author or "system")

    def _check_message(self, conv: SourceConversation, message: SourceMessage, copy: dict[str, Any],
                       by_participant: dict[str, Any], verdict: Verdict) -> None:
        where = f"message {message.index}"
        identity = self._expected_identity(message, by_participant)
        mapping = self._identity_map.find_identity(identity)
        if mapping is None or copy["sender"] != mapping.acs_user_id:
            verdict.problems.append(f"{where}: not sent as {identity!r}")
        participant = by_participant.get(message.participant_sid or "") or next(
            (p for p in by_participant.values() if identity_of(p) == identity), None)
        name = self._people.display_name(conv, participant, identity)
        if copy["name"] != name:  # ACS keeps the name a message was sent with, even after a rename
            verdict.problems.append(f"{where}: sender shown as {copy['name']!r}, Twilio names {identity!r} {name!r}")
        parts = copy["parts"]
        expected_parts = int(copy["metadata"].get("twilioPartCount", "1"))
        if sorted(parts) != list(range(1, expected_parts + 1)):
            verdict.problems.append(f"{where}: parts {sorted(parts)} of {expected_parts}")
        media = []
        for item in message.media:
            blob = self._media.container.get_blob_client(item.sid)
            if not blob.exists():
                verdict.problems.append(f"{where}: media {item.sid} missing in Blob Storage")
                continue
            size = int(blob.get_blob_properties().size)
            if size != item.size:
                verdict.problems.append(f"{where}: media {item.sid} has {size} bytes, Twilio {item.size}")
            media.append(CopiedMedia(item.sid, media_file_name(item), item.content_type,
                                     self._links.attachment_url(conv.sid, item.sid), item.size))
            verdict.media += 1
        if message.media:
            shared = {m.get("id") for m in json.loads(copy["metadata"].get("fileSharingMetadata") or "[]")}
            missing = [m.sid for m in message.media if m.sid not in shared]
            if missing:
                verdict.problems.append(f"{where}: fileSharingMetadata lacks {', '.join(missing)}")
        joined = "".join(parts[k] for k in sorted(parts))
        if _hash(joined) != _hash(expected_text(message, media)):
            verdict.problems.append(f"{where}: content differs")

    def _check_receipts(self, client: Any, conv: SourceConversation, participants: list[Any],
                        verdict: Verdict) -> None:
        receipts = {r.sender.properties.get("id"): r.chat_message_id for r in client.list_read_receipts()}
        for participant in participants:
            index = participant.last_read_index
            if index is None or index < 0:
                continue
            row = self._latest_mapped(conv.sid, index)
            if row is None:
                continue
            mapping = self._identity_map.find_identity(identity_of(participant))
            user = mapping.acs_user_id if mapping else None
            if receipts.get(user) != row:
                verdict.problems.append(f"no read receipt of {identity_of(participant)!r} at message {index}")
            else:
                verdict.receipts += 1

    def _latest_mapped(self, conversation_sid: str, index: int) -> str | None:
        best = None
        for row in self._messages.list_messages(conversation_sid):
            if row.index > index:
                break
            if not row.deleted and row.acs_message_ids:
                best = row.acs_message_ids[-1]
        return best
