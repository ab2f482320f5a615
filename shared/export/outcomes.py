"""One way of counting, for the CLI and the queue workers alike: an export outcome -> how it counts in its run
-> the run's final status and the CLI's exit code.

- ``done`` counts as done;
- ``failed`` counts as failed, listed with its reason;
- ``not_migratable`` counts as not migratable, listed on its own with its reason (e.g. over 250 participants);
- ``in_progress``, ``leased``, ``stopped`` count nothing yet: work is left, so the worker queues the next slice;
  a CLI run that ends there reports the conversation unfinished.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from ..state.ledger import LedgerStatus
from ..state.runs import RunStatus


class ExportStatus(StrEnum):
    """What one slice of one conversation ended with."""

    DONE = "done"
    IN_PROGRESS = "in_progress"  # the time budget ran out; work is left
    NOT_MIGRATABLE = "not_migratable"
    FAILED = "failed"
    LEASED = "leased"  # another worker holds the conversation; try again later
    STOPPED = "stopped"  # the process is stopping (Ctrl-C); a rerun resumes


def counts_as(outcome_status: str) -> LedgerStatus | None:
    """How an outcome counts in its run; None while work is left on the conversation."""
    return {
        ExportStatus.DONE: LedgerStatus.DONE,
        ExportStatus.FAILED: LedgerStatus.FAILED,
        ExportStatus.NOT_MIGRATABLE: LedgerStatus.NOT_MIGRATABLE,
    }.get(ExportStatus(outcome_status))


class ExitCode(IntEnum):
    """``acs-migrate``'s exit codes (docs/export.md)."""

    OK = 0  # every selected conversation copied (or, for verify, no difference)
    FAILED = 1  # a conversation failed or was left unfinished, or verify found a difference; rerun to resume
    BAD_INPUT = 2  # bad settings or arguments
    NOT_MIGRATABLE = 3  # nothing failed, but some conversations cannot be migrated (listed with reasons)
    INTERRUPTED = 130  # stopped with Ctrl-C; a rerun resumes


@dataclass(frozen=True)
class RunResult:
    """A run's final status, its error text and the CLI's exit code, all from its counts."""

    status: RunStatus
    error: str | None
    exit_code: ExitCode


def run_result(counts: Mapping[str, int], *, cancelled: bool = False) -> RunResult:
    """The end of a run from its ledger counts (planned, done, failed, not_migratable)."""
    failed, not_migratable = counts.get("failed", 0), counts.get("not_migratable", 0)
    unfinished = max(0, counts.get("planned", 0) - counts.get("done", 0) - failed - not_migratable)
    notes = [f"{n} conversation(s) {what}" for n, what in (
        (failed, "failed; see failures"), (unfinished, "unfinished; rerun to resume"),
        (not_migratable, "not migratable; see notMigratable"),
    ) if n]
    error = "; ".join(notes) or None
    if cancelled:
        return RunResult(RunStatus.CANCELLED, error, ExitCode.INTERRUPTED)
    if failed or unfinished:
        return RunResult(RunStatus.FAILED, error, ExitCode.FAILED)
    return RunResult(RunStatus.SUCCEEDED, error, ExitCode.NOT_MIGRATABLE if not_migratable else ExitCode.OK)
