"""What a run would copy, and the least time ACS's limits allow for it. Reads Twilio only; writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..settings import ExportSettings
from .content import MAX_MESSAGE_BYTES, SAFETY_BYTES
from .conversation import MAX_PARTICIPANTS
from .pacing import minimum_duration
from .source import SourceConversation, TwilioSource

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


def lower_bound(per_conversation: list[float], concurrency: int) -> float:
    """The least wall time: the longest conversation, or the total spread over the workers if larger."""
    if not per_conversation:
        return 0.0
    return max(max(per_conversation), sum(per_conversation) / max(1, concurrency))


def sends_for(body_bytes: int) -> int:
    return max(1, -(-body_bytes // _PART_BUDGET))


def plan_conversation(source: TwilioSource, conv: SourceConversation, settings: ExportSettings) -> ConversationPlan:
    participants = source.list_participants(conv)
    messages = sends = media_items = media_bytes = 0
    for message in source.messages(conv):
        messages += 1
        sends += sends_for(len(message.body.encode("utf-8", "surrogatepass")))
        media_items += len(message.media)
        media_bytes += sum(m.size for m in message.media)
    seconds = minimum_duration(sends, settings.send_limits, time_scale=settings.rate_time_scale)
    return ConversationPlan(conv, len(participants), messages, sends, media_items, media_bytes, seconds,
                            len(participants) <= MAX_PARTICIPANTS)


def plan_run(
    source: TwilioSource,
    conversations: list[SourceConversation],
    settings: ExportSettings,
    *,
    on_planned: Callable[[ConversationPlan], None] | None = None,
) -> RunPlan:
    """Plan every conversation (Twilio reads in parallel), largest minimum duration first."""
    def one(conv: SourceConversation) -> ConversationPlan:
        planned = plan_conversation(source, conv, settings)
        if on_planned is not None:
            on_planned(planned)
        return planned

    with ThreadPoolExecutor(max_workers=16, thread_name_prefix="plan") as pool:
        planned = list(pool.map(one, conversations))
    planned.sort(key=lambda p: (-p.minimum_seconds, p.conversation.sid))
    return RunPlan(planned, settings.concurrency)
