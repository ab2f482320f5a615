"""What changed in Twilio among the messages already copied: a lockstep walk of Twilio and the message map."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..state import MessageMapping
from .content import content_hash
from .source import SourceMessage


@dataclass(frozen=True)
class CopiedChange:
    """A copied message that Twilio has since edited (``twilio`` is the new version) or deleted (``twilio`` None)."""

    row: MessageMapping
    twilio: SourceMessage | None

    @property
    def deleted(self) -> bool:
        return self.twilio is None


def copied_changes(
    twilio_messages: Iterable[SourceMessage], rows: Iterable[MessageMapping], *, high_water_index: int
) -> Iterator[CopiedChange]:
    """Edits and deletions among rows up to ``high_water_index``; both inputs in index order, streamed."""
    current = iter(twilio_messages)
    twilio = next(current, None)
    for row in rows:
        if row.index > high_water_index:
            return
        while twilio is not None and twilio.index < row.index:
            twilio = next(current, None)
        if row.deleted:
            continue
        if twilio is None or twilio.index != row.index:
            yield CopiedChange(row, None)
        elif row.content_hash is not None and row.content_hash != content_hash(twilio):
            yield CopiedChange(row, twilio)
