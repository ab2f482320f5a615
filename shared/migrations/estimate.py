"""The least time a run can take under ACS's per-thread send limits, from its planned message counts."""

from __future__ import annotations

from collections.abc import Iterable

from ..export.pacing import minimum_duration
from ..settings import ExportSettings


def minimum_seconds(planned_messages: Iterable[int], settings: ExportSettings) -> float:
    """The longest conversation's send floor, or all floors spread over ``EXPORT_CONCURRENCY`` if that is more.

    Planned counts are upper bounds (Twilio indexes have gaps), so this can overstate a little; it never
    understates what the limits force.
    """
    floors = [minimum_duration(n, settings.send_limits, time_scale=settings.rate_time_scale)
              for n in planned_messages if n > 0]
    if not floors:
        return 0.0
    return max(max(floors), sum(floors) / max(1, settings.concurrency))
