"""Where one conversation's archive stands, kept in its record's ``attributes["archive"]``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

WRITING = "writing"  # blocks being staged (first write, or a rewrite after edits: generation > 1)
COMMITTED = "committed"  # both blobs committed; the link message is not sent yet
LINKED = "linked"  # the link message is in the thread; copies go on from through + 1


@dataclass(frozen=True)
class ArchiveProgress:
    through: int  # the last archived Twilio index (fixed once chosen)
    generation: int = 1
    state: str = WRITING
    blocks: int = 0  # message blocks staged so far in this generation
    next_index: int = 0  # the first Twilio index not yet in a staged block
    count: int = 0
    first_index: int = -1
    first_at: str = ""
    last_at: str = ""
    link_message_id: str | None = None
    checked_run: str | None = None  # the run whose changes were last applied to the transcript

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> ArchiveProgress | None:
        if not isinstance(data, dict) or "through" not in data:
            return None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def rewrite(self) -> ArchiveProgress:
        """A new generation, staged from the start; the committed one stays visible until it is replaced."""
        return replace(self, generation=self.generation + 1, state=WRITING, blocks=0, next_index=0, count=0,
                       first_index=-1, first_at="", last_at="")
