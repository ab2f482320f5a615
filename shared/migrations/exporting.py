"""``{"kind": "export", "runId", "conversation", "checkChanges"?}``: one time-boxed slice of one conversation in
one run; the same item again (delayed, on the continuation queue) while work is left, else the conversation is
settled in the run's ledger."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..archive_cutoff import ArchiveCutoff
from ..export.accounting import RunAccounting
from ..export.outcomes import ExportStatus, counts_as
from ..export.source import SourceConversation
from ..state.ledger import RunLedgerStore
from ..state.queues import WorkQueue
from .completion import RunCompletion
from .settings import WorkerSettings

if TYPE_CHECKING:
    from ..export.conversation import ConversationExporter

logger = logging.getLogger(__name__)


def conversation_of(item: dict[str, Any]) -> SourceConversation:
    return SourceConversation(
        str(item["sid"]), str(item["serviceSid"]), str(item["source"]), item.get("friendlyName"),
        item.get("uniqueName"),
    )


class ExportHandler:
    """Handles ``export`` work items."""

    def __init__(self, *, exporter: Callable[[], ConversationExporter], ledger: RunLedgerStore,
                 accounting: RunAccounting, completion: RunCompletion, continuations: WorkQueue,
                 settings: WorkerSettings, clock: Callable[[], float]) -> None:
        self._exporter = exporter
        self._ledger = ledger
        self._accounting = accounting
        self._completion = completion
        self._continuations = continuations
        self._settings = settings
        self._clock = clock

    def handle(self, item: dict[str, Any]) -> None:
        run_id = str(item["runId"])
        conv = conversation_of(dict(item["conversation"]))
        entry = self._ledger.find_run_conversation(run_id, conv.sid)
        if entry is not None and entry.status.settled:
            # A second delivery of an item whose conversation this run already settled (the host died after the
            # function returned and before the message was deleted, perhaps before the run's counters moved).
            logger.info("export item for %s in run %s redelivered after it settled; skipped", conv.sid, run_id)
            self._completion.finish_if_complete(run_id, full=True)
            return
        check = item.get("checkChanges")
        archive = ArchiveCutoff.from_parameters(item["archive"]) if item.get("archive") else None
        outcome = self._exporter().export_conversation(
            conv, deadline=self._clock() + self._settings.slice_seconds, run_id=run_id,
            size_hint=entry.planned_messages if entry is not None else 0,
            check_changes=check if isinstance(check, bool) else None, archive=archive,
        )
        if counts_as(outcome.status) is None and outcome.work_left:
            self._accounting.progress(run_id, messages=outcome.messages, media_bytes=outcome.media_bytes)
            # Its own queue: a conversation under way never waits behind conversations not yet started.
            self._continuations.send(item, delay_seconds=self._settings.delay_after(outcome.status))
            return
        self._accounting.settle(run_id, conv.sid, outcome.status, reason=outcome.reason,
                                messages=outcome.messages, media_bytes=outcome.media_bytes)
        self._completion.finish_if_complete(run_id)


__all__ = ["ExportHandler", "ExportStatus", "conversation_of"]
