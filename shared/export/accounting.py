"""A run's accounting, the same for the CLI's runner and the queue workers: progress while slices run, one
ledger row settled per conversation when it ends (outcomes.py decides how an outcome counts)."""

from __future__ import annotations

from .. import telemetry
from ..state import ConversationStore, RunStore
from ..state.ledger import LedgerStatus, RunConversation, RunLedgerStore, settled_entry
from .outcomes import counts_as


class RunAccounting:
    """Counts what runs copy; safe across workers (ETag-guarded counters, insert-if-absent ledger rows)."""

    def __init__(self, *, runs: RunStore, ledger: RunLedgerStore, conversations: ConversationStore) -> None:
        self._runs = runs
        self._ledger = ledger
        self._conversations = conversations

    def progress(self, run_id: str, *, messages: int, media_bytes: int) -> None:
        """What one slice copied, shown while the run goes on (the ledger decides the final figures)."""
        telemetry.messages_copied(messages, run_id=run_id)
        if messages or media_bytes:
            self._runs.increment_counts(run_id, {"messages": messages, "media_bytes": media_bytes})

    def settle(self, run_id: str, conversation_sid: str, outcome_status: str, *, reason: str | None = None,
               messages: int = 0, media_bytes: int = 0) -> LedgerStatus | None:
        """Record how a conversation ended in the run; its messages are what its record's count grew by since
        the run planned it, so slices cut short by a crash count too. Returns how it counts when this call
        settled it; None when work is left or it was settled before (a work item delivered twice).

        ``messages``/``media_bytes``: what its last slice copied, counted as ``progress`` does, in the same
        counter write as the settlement when there is one.
        """
        status = counts_as(outcome_status)
        if status is None:
            self.progress(run_id, messages=messages, media_bytes=media_bytes)
            return None
        entry = self._ledger.find_run_conversation(run_id, conversation_sid) or RunConversation(conversation_sid)
        if entry.status.settled:
            self.progress(run_id, messages=messages, media_bytes=media_bytes)
            return None
        record = self._conversations.find_conversation(conversation_sid)
        copied = max(0, record.message_count - entry.base_messages) if record else 0
        media = max(0, record.media_bytes - entry.base_media_bytes) if record else 0
        moved = self._ledger.settle_conversation(run_id, settled_entry(
            entry, status, messages=copied, media_bytes=media,
            reason=None if status is LedgerStatus.DONE else reason))
        if not moved:
            self.progress(run_id, messages=messages, media_bytes=media_bytes)
            return None
        telemetry.messages_copied(messages, run_id=run_id)
        counts = {str(status): 1, **({"messages": messages, "media_bytes": media_bytes}
                                     if messages or media_bytes else {})}
        self._runs.increment_counts(run_id, counts)
        telemetry.conversation_settled(run_id, str(status))
        return status
