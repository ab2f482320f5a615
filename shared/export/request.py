"""``MigrationRequest``: which conversations a run covers. One type for the CLI, the API and the nightly timer.

Its JSON names (``to_parameters``) are those of ``POST /api/migrations`` and of the run row's ``parameters``;
the CLI's flags are the same names in kebab case (``--include-legacy-public-channels``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..archive_cutoff import ArchiveCutoff


@dataclass(frozen=True)
class MigrationRequest:
    """What a run should copy: all conversations, or only some services or conversations."""

    services: tuple[str, ...] = ()
    conversations: tuple[str, ...] = ()
    since: datetime | None = None  # only conversations created at or after this moment
    dry_run: bool = False  # plan and count, copy nothing
    include_legacy_public_channels: bool = False  # also public Programmable Chat channels
    archive: ArchiveCutoff | None = None  # archiveBefore / archiveKeepNewest: older messages go to an archive

    def to_parameters(self) -> dict[str, Any]:
        """The request under its JSON names (the run row's ``parameters``)."""
        return {
            "services": list(self.services),
            "conversations": list(self.conversations),
            "since": self.since.isoformat() if self.since else None,
            "dryRun": self.dry_run,
            "includeLegacyPublicChannels": self.include_legacy_public_channels,
            **(self.archive.to_parameters() if self.archive is not None else {}),
        }

    @classmethod
    def from_parameters(cls, parameters: dict[str, Any]) -> MigrationRequest:
        """The request a run row recorded (written by ``to_parameters``; other keys are ignored)."""
        since = parameters.get("since")
        moment = datetime.fromisoformat(str(since).replace("Z", "+00:00")) if since else None
        return cls(
            services=tuple(parameters.get("services") or ()),
            conversations=tuple(parameters.get("conversations") or ()),
            since=moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC),
            dry_run=bool(parameters.get("dryRun", False)),
            include_legacy_public_channels=bool(parameters.get("includeLegacyPublicChannels",
                                                               parameters.get("legacyPublicChannels", False))),
            archive=_archive(parameters),
        )


def _archive(parameters: dict[str, Any]) -> ArchiveCutoff | None:
    cutoff = ArchiveCutoff.from_parameters(parameters)
    return cutoff if cutoff.active else None
