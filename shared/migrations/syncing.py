"""``{"kind": "sync", "conversationSid", "serviceSid"?, "checkChanges"?}``: live sync after Twilio webhooks; one
slice like an export, outside any run, followed by the same item while work is left."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import telemetry
from ..export.outcomes import counts_as
from ..state import ConversationStore
from ..state.queues import WorkQueue
from .live import LiveSyncScheduler
from .settings import WorkerSettings

if TYPE_CHECKING:
    from ..export.engine import ExportEngine


class SyncHandler:
    """Handles ``sync`` work items."""

    def __init__(self, *, engine: Callable[[], ExportEngine], conversations: ConversationStore,
                 live: LiveSyncScheduler, continuations: WorkQueue, settings: WorkerSettings,
                 clock: Callable[[], float]) -> None:
        self._engine = engine
        self._conversations = conversations
        self._live = live
        self._continuations = continuations
        self._settings = settings
        self._clock = clock

    def handle(self, item: dict[str, Any]) -> None:
        conversation_sid = str(item["conversationSid"])
        service_sid = item.get("serviceSid")
        changes = self._live.clear_marker(conversation_sid) or item.get("checkChanges") is True
        engine = self._engine()
        record = self._conversations.find_conversation(conversation_sid)
        conv = engine.source.get_conversation(
            conversation_sid, service_sid=service_sid or (record.service_sid if record else None),
            source=record.source if record else None,
        )
        outcome = engine.exporter.export_conversation(conv, deadline=self._clock() + self._settings.slice_seconds,
                                                      check_changes=changes)
        telemetry.messages_copied(outcome.messages, run_id=None)
        if outcome.work_left and counts_as(outcome.status) is None:
            follow_up = {"kind": "sync", "conversationSid": conversation_sid, "serviceSid": conv.service_sid,
                         "checkChanges": changes}
            self._continuations.send(follow_up, delay_seconds=self._settings.delay_after(outcome.status))
