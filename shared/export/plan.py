"""What a run would copy, and the least time ACS's limits allow for it. Reads Twilio only; writes nothing."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..archive_cutoff import ArchiveCutoff, is_old
from ..settings import ExportSettings
from .content import MAX_MESSAGE_BYTES, SAFETY_BYTES
from .pacing import minimum_duration
from .source import SourceConversation, TwilioSource
from .thread_setup import MAX_PARTICIPANTS

_PART_BUDGET = MAX_MESSAGE_BYTES - SAFETY_BYTES - 2048  # room left for metadata in a typical part


@dataclass(frozen=True)
class ConversationPlan:
    conversation: SourceConversation
    participants: int
    messages: int
    sends: int  # ACS sends: split bodies count once per part
    media_items: int
    media_bytes: int
    minimum_seconds: float
    migratable: bool
    archived: int = 0  # messages the run's archive cutoff sends to the archive instead
    minimum_seconds_archived: float | None = None  # the floor with the cutoff (None: no cutoff)


@dataclass
class RunPlan:
    conversations: list[ConversationPlan] = field(default_factory=list)
    concurrency: int = 1

    @property
    def messages(self) -> int:
        return sum(c.messages for c in self.conversations)

    @property
    def participants(self) -> int:
        return sum(c.participants for c in self.conversations)

    @property
    def media_bytes(self) -> int:
        return sum(c.media_bytes for c in self.conversations)

    @property
    def minimum_seconds(self) -> float:
        return lower_bound([c.minimum_seconds for c in self.conversations], self.concurrency)

    @property
    def archived(self) -> int:
        return sum(c.archived for c in self.conversations)

    @property
    def minimum_seconds_archived(self) -> float | None:
        """The floor with the archive cutoff (None when the run has none)."""
        if not any(c.minimum_seconds_archived is not None for c in self.conversations):
            return None
        return lower_bound([c.minimum_seconds if c.minimum_seconds_archived is None else c.minimum_seconds_archived
                            for c in self.conversations], self.concurrency)


def lower_bound(per_conversation: list[float], concurrency: int) -> float:
    """The least wall time: the longest conversation, or the total spread over the workers if larger."""
    if not per_conversation:
        return 0.0
    return max(max(per_conversation), sum(per_conversation) / max(1, concurrency))


def sends_for(body_bytes: int) -> int:
    return max(1, -(-body_bytes // _PART_BUDGET))


def plan_conversation(source: TwilioSource, conv: SourceConversation, settings: ExportSettings,
                      cutoff: ArchiveCutoff | None = None) -> ConversationPlan:
    participants = source.list_participants(conv)
    messages = sends = media_items = media_bytes = 0
    in_prefix, old_count, old_sends = True, 0, 0  # the leading run of messages older than archiveBefore
    newest: deque[int] = deque(maxlen=cutoff.keep_newest if cutoff and cutoff.keep_newest is not None else 0)
    for message in source.messages(conv):
        messages += 1
        n = sends_for(len(message.body.encode("utf-8", "surrogatepass")))
        sends += n
        media_items += len(message.media)
        media_bytes += sum(m.size for m in message.media)
        if cutoff is not None and cutoff.before is not None and in_prefix:
            in_prefix = is_old(message.date_created, cutoff.before)
            old_count += 1 if in_prefix else 0
            old_sends += n if in_prefix else 0
        newest.append(n)
    seconds = minimum_duration(sends, settings.send_limits, time_scale=settings.rate_time_scale)
    archived, archived_seconds = 0, None
    if cutoff is not None and cutoff.active:
        if cutoff.before is not None:
            archived, copied = old_count, sends - old_sends
        else:
            archived = max(0, messages - len(newest))
            copied = sum(newest) if archived else sends
        link = 1 if archived else 0
        archived_seconds = minimum_duration(copied + link, settings.send_limits, time_scale=settings.rate_time_scale)
    return ConversationPlan(conv, len(participants), messages, sends, media_items, media_bytes, seconds,
                            len(participants) <= MAX_PARTICIPANTS, archived, archived_seconds)


def plan_run(
    source: TwilioSource,
    conversations: list[SourceConversation],
    settings: ExportSettings,
    *,
    on_planned: Callable[[ConversationPlan], None] | None = None,
    cutoff: ArchiveCutoff | None = None,
) -> RunPlan:
    """Plan every conversation (Twilio reads in parallel), largest minimum duration first."""
    def one(conv: SourceConversation) -> ConversationPlan:
        planned = plan_conversation(source, conv, settings, cutoff)
        if on_planned is not None:
            on_planned(planned)
        return planned

    with ThreadPoolExecutor(max_workers=16, thread_name_prefix="plan") as pool:
        planned = list(pool.map(one, conversations))
    planned.sort(key=lambda p: (-p.minimum_seconds, p.conversation.sid))
    return RunPlan(planned, settings.concurrency)
