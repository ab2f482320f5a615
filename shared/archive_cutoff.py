"""The archive cutoff of a run, and the boundary it fixes in one conversation (import-light: no SDKs)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import BadRequestError
from .inputs import parse_instant

MAX_KEEP_NEWEST = 10_000_000


@dataclass(frozen=True)
class ArchiveCutoff:
    """Archive messages older than ``before``, or all but the newest ``keep_newest`` of each conversation.

    Only the leading run of old messages is archived: the archive is a prefix of the history,
    so the link message can stand first in the thread and the copies keep Twilio's order.
    """

    before: datetime | None = None
    keep_newest: int | None = None

    def __post_init__(self) -> None:
        if self.before is not None and self.keep_newest is not None:
            raise BadRequestError("Set archiveBefore or archiveKeepNewest, not both.", target="archiveBefore")
        if self.keep_newest is not None and not 0 <= self.keep_newest <= MAX_KEEP_NEWEST:
            raise BadRequestError(f"archiveKeepNewest must be a whole number from 0 to {MAX_KEEP_NEWEST}.",
                                  target="archiveKeepNewest")

    @property
    def active(self) -> bool:
        return self.before is not None or self.keep_newest is not None

    def describe(self) -> str:
        if self.before is not None:
            return f"messages before {self.before.isoformat()}"
        if self.keep_newest is not None:
            return f"all but the newest {self.keep_newest} messages"
        return "no archive"

    def to_parameters(self) -> dict[str, Any]:
        return {"archiveBefore": self.before.isoformat() if self.before else None,
                "archiveKeepNewest": self.keep_newest}

    @classmethod
    def from_parameters(cls, body: dict[str, Any]) -> ArchiveCutoff:
        """Parse the ``archiveBefore`` / ``archiveKeepNewest`` fields; 400 naming the bad one."""
        return cls(before=parse_before(body.get("archiveBefore")), keep_newest=_keep(body.get("archiveKeepNewest")))


def parse_before(value: object) -> datetime | None:
    """A date or date-time (UTC when it names no zone), 1970-9000; 400 naming archiveBefore otherwise."""
    return parse_instant(value, what="archiveBefore", date_only=True)


def _keep(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_KEEP_NEWEST:
        raise BadRequestError(f"archiveKeepNewest must be a whole number from 0 to {MAX_KEEP_NEWEST}.",
                              target="archiveKeepNewest")
    return value


def is_old(date_created: datetime | None, before: datetime) -> bool:
    """A message without a time counts as old (it cannot be newer than the cutoff)."""
    return date_created is None or date_created < before


def archive_boundary(cutoff: ArchiveCutoff, oldest_first: Iterable[Any], newest_first: Iterable[Any]) -> int:
    """The last Twilio index to archive (-1: none). Reads only as far as it must.

    ``oldest_first``/``newest_first`` yield messages (``index``, ``date_created``) lazily; only
    the one the cutoff needs is iterated.
    """
    through = -1
    if cutoff.before is not None:
        for message in oldest_first:
            if not is_old(message.date_created, cutoff.before):
                break
            through = message.index
        return through
    if cutoff.keep_newest is not None:
        for position, message in enumerate(newest_first):
            if position == cutoff.keep_newest:
                return int(message.index)
    return through
