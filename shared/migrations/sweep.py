"""The deep sweep: edits and deletions among messages already copied, found by walking a conversation's Twilio
history against its message map, one Twilio page at a time, resumable from Twilio's own next-page link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from itertools import takewhile
from typing import Any

from ..export.changes import copied_changes
from ..export.source import SourceConversation, TwilioSource
from ..state import ConversationRecord, MessageMapping, MessageMapStore


def _at_most(top: int, row: MessageMapping) -> bool:
    return row.index <= top


@dataclass(frozen=True)
class SweepPosition:
    """Where a conversation's sweep stopped: the next Twilio page's link and the last index compared."""

    page: str | None = None
    index: int = -1

    def to_json(self) -> dict[str, Any]:
        return {"page": self.page, "index": self.index}

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> SweepPosition:
        value = value or {}
        return cls(value.get("page"), int(value.get("index", -1)))


class ChangeSweep:
    """Compares one conversation's Twilio pages with its map rows; costs one Twilio request per 100 messages."""

    def __init__(self, *, source: TwilioSource, messages: MessageMapStore, clock: Callable[[], float]) -> None:
        self._source = source
        self._messages = messages
        self._clock = clock

    def changed(self, conv: SourceConversation, record: ConversationRecord, *, position: SweepPosition,
                deadline: float) -> tuple[bool | None, SweepPosition]:
        """True when a copied message was edited or deleted in Twilio, False when none was; None (with where to
        resume) when ``deadline`` came first."""
        high_water = record.high_water_index
        while True:
            if self._clock() > deadline:
                return None, position
            page, following = self._source.message_page(conv, url=position.page)
            top = high_water if following is None or not page else min(page[-1].index, high_water)
            rows = takewhile(partial(_at_most, top), self._messages.list_messages(
                conv.sid, after_index=position.index if position.index >= 0 else None, results_per_page=100))
            if next(copied_changes(page, rows, high_water_index=high_water), None) is not None:
                return True, SweepPosition()
            if following is None or top >= high_water:
                return False, SweepPosition()
            position = SweepPosition(following, top)
