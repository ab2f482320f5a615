"""``POST /api/migrations`` bodies: parsed and validated into a ``MigrationRequest`` (shared/export/request.py)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ..archive_cutoff import ArchiveCutoff
from ..errors import BadRequestError
from ..export.request import MigrationRequest
from ..inputs import parse_instant

_SERVICE_SID = re.compile(r"IS[0-9a-f]{32}\Z")
_CONVERSATION_SID = re.compile(r"CH[0-9a-f]{32}\Z")
__all__ = ["MAX_LISTED", "MigrationRequest", "parse_migration_request"]

_FIELDS = {"services", "conversations", "since", "dryRun", "includeLegacyPublicChannels", "archiveBefore",
           "archiveKeepNewest"}
MAX_LISTED = 1000


def _sid_list(body: dict[str, Any], name: str, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
    value = body.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequestError(f"{name} must be a list of {what} SIDs.", target=name)
    if len(value) > MAX_LISTED:
        raise BadRequestError(f"{name} lists {len(value)} SIDs; at most {MAX_LISTED} per run.", target=name)
    for sid in value:
        if not pattern.match(sid):
            shown = sid[:40].encode("unicode_escape").decode("ascii")
            raise BadRequestError(f"{name} holds {shown!r}, which is not a {what} SID.", target=name)
    return tuple(dict.fromkeys(value))


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise BadRequestError(f"{name} must be true or false.", target=name)
    return value


def _since(body: dict[str, Any]) -> datetime | None:
    """A date or date-time (UTC when it names no zone), 1970-9000, so the planner never overflows."""
    return parse_instant(body.get("since"), what="since", date_only=True)


def parse_migration_request(body: dict[str, Any]) -> MigrationRequest:
    """Validate a request body; 400 naming the first problem (unknown fields included)."""
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise BadRequestError(
            f"Unknown field {unknown[0]!r}; use {', '.join(sorted(_FIELDS))}.", target=unknown[0]
        )
    return MigrationRequest(
        services=_sid_list(body, "services", _SERVICE_SID, "Conversations service (IS…)"),
        conversations=_sid_list(body, "conversations", _CONVERSATION_SID, "conversation (CH…)"),
        since=_since(body),
        dry_run=_flag(body, "dryRun"),
        include_legacy_public_channels=_flag(body, "includeLegacyPublicChannels"),
        archive=_archive(body),
    )


def _archive(body: dict[str, Any]) -> ArchiveCutoff | None:
    cutoff = ArchiveCutoff.from_parameters(body)
    return cutoff if cutoff.active else None
