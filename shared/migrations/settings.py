"""The queue worker's time budgets and delays, derived from the app's settings by the container."""

from __future__ import annotations

from dataclasses import dataclass

from ..export.outcomes import ExportStatus


@dataclass(frozen=True)
class WorkerSettings:
    """Time budgets and delays of queue work (seconds), and the deep sweep's cadence (days)."""

    slice_seconds: float
    plan_seconds: float
    continuation_delay_seconds: float
    leased_delay_seconds: float
    sweep_every_days: float = 7.0
    plan_page_size: int = 100  # conversations per planning step

    def delay_after(self, outcome_status: str) -> float:
        """How long a slice's follow-up waits: a pacing window, or longer while another worker holds the lease."""
        if outcome_status == ExportStatus.LEASED:
            return self.leased_delay_seconds
        return self.continuation_delay_seconds
