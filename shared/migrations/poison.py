"""Work items that failed ``maxDequeueCount`` times: the conversation or run is marked failed with the reason,
and the run counts it, so nothing is silently dropped."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from ..export.accounting import RunAccounting
from ..export.outcomes import ExportStatus
from ..state import ConversationRecord, ConversationStore, RunStore
from ..state.conversations import ConversationStatus
from ..state.runs import RunStatus
from ..state.tables import utcnow
from .completion import RunCompletion

logger = logging.getLogger(__name__)


class PoisonHandler:
    """Handles items from the poison queue."""

    def __init__(self, *, runs: RunStore, conversations: ConversationStore, accounting: RunAccounting,
                 completion: RunCompletion) -> None:
        self._runs = runs
        self._conversations = conversations
        self._accounting = accounting
        self._completion = completion

    def handle(self, item: dict[str, Any], *, reason: str) -> None:
        kind = item.get("kind")
        run_id = item.get("runId")
        sid = item.get("conversationSid") or (item.get("conversation") or {}).get("sid")
        if sid:
            record = self._conversations.find_conversation(str(sid)) or ConversationRecord(str(sid))
            self._conversations.upsert_conversation(replace(
                record, status=ConversationStatus.FAILED, last_error=reason[:500], lease_owner=None,
                lease_expires_at=None, sync_requested_at=None, run_id=str(run_id) if run_id else record.run_id,
            ))
            if run_id and kind == "export":
                self._accounting.settle(str(run_id), str(sid), ExportStatus.FAILED, reason=reason)
                self._completion.finish_if_complete(str(run_id), full=True)
        elif run_id and kind == "plan":
            self._runs.update_run(str(run_id), status=RunStatus.FAILED, error=reason[:500], finished_at=utcnow())
        else:
            logger.error("dropped a poisoned migration item of unknown shape: kind=%r", kind)
