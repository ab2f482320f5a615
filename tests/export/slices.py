"""Build the exporter's collaborators on their own, over the engine's real Twilio source, people and ACS clients."""

from __future__ import annotations

import threading
from datetime import timedelta

from shared.attachments.links import AttachmentLinks
from shared.container import AppContainer
from shared.export import ExportEngine
from shared.export.edits import ChangeApplier
from shared.export.map_writer import MessageMapWriter
from shared.export.media import MediaCopier
from shared.export.pacing import PacerRegistry
from shared.export.receipts import ReceiptSender
from shared.export.reconcile import Reconciler
from shared.export.retry import Retrier, RetryStats
from shared.export.slice import ExportSlice, SlicePeople
from shared.export.thread_setup import ThreadSetup
from shared.state import ConversationRecord

LEASE_SECONDS = 60.0


class SliceKit:
    """One collaborator of each kind, and slices opened the way the exporter opens them (lease first)."""

    def __init__(self, container: AppContainer, engine: ExportEngine) -> None:
        self.container = container
        self.engine = engine
        settings = container.settings.export
        stop = threading.Event()
        self.retrier = Retrier(attempts=settings.max_attempts, stats=RetryStats(), stop=stop)

        def pacers(windows: tuple[tuple[int, float], ...]) -> PacerRegistry:
            return PacerRegistry(windows, time_scale=settings.rate_time_scale, stop=stop)

        self.send_pacers = pacers(settings.send_limits)
        self.threads = ThreadSetup(
            account_sid=container.settings.twilio.account_sid, source=engine.source, people=engine.people,
            chat=engine.chat, retrier=self.retrier, create_pacers=pacers(settings.thread_create_limits),
            participant_pacers=pacers(settings.participant_limits))
        self.reconciler = Reconciler(threads=self.threads, retrier=self.retrier)
        media = MediaCopier(reader=engine.media_reader, store=container.media, retrier=self.retrier,
                            links=AttachmentLinks(container.settings.attachments.public_base_url))
        self.changes = ChangeApplier(source=engine.source, people=engine.people, media=media, chat=engine.chat,
                                     messages=container.messages, retrier=self.retrier,
                                     send_pacers=self.send_pacers, flush_every=2)
        self.receipts = ReceiptSender(people=engine.people, chat=engine.chat, messages=container.messages,
                                      retrier=self.retrier, pacers=pacers(settings.send_limits))
        self._writers: list[MessageMapWriter] = []

    def writer(self, record: ConversationRecord, *, owner: str) -> MessageMapWriter:
        writer = MessageMapWriter(record, owner=owner, conversations=self.container.conversations,
                                  messages=self.container.messages, retrier=self.retrier,
                                  lease_seconds=LEASE_SECONDS)
        self._writers.append(writer)
        return writer

    def open_slice(self, sid: str, service_sid: str, *, owner: str = "test-slice") -> ExportSlice:
        """Lease the conversation and read its participants, as a slice starts."""
        conv = self.engine.source.get_conversation(sid, service_sid=service_sid)
        record = self.container.conversations.acquire_lease(sid, owner=owner,
                                                           duration=timedelta(seconds=LEASE_SECONDS))
        work = ExportSlice(conv, self.writer(record, owner=owner), SlicePeople(self.engine.people, conv))
        work.people.set_participants(self.engine.source.list_participants(conv))
        return work

    def close(self) -> None:
        for writer in self._writers:
            writer.close()
