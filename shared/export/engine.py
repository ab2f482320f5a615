"""The export engine's object graph, built once from settings and the app's stores."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..acs_users import AcsUserService
from ..attachments.links import AttachmentLinks
from ..settings import Settings
from ..state import ConversationStore, IdentityMapStore, MessageMapStore, RunStore
from ..state.ledger import RunLedgerStore
from ..state.media import MediaStore
from .acs_chat import AcsChat
from .archive.archiver import ConversationArchiver
from .archive.link import ArchiveLinks
from .archive.store import ArchiveStore
from .conversation import ConversationExporter
from .media import MediaCopier
from .pacing import Pacer
from .people import People
from .retry import Retrier, RetryStats
from .runner import ExportRunner
from .source import TwilioSource
from .twilio_client import MediaReader, twilio_client
from .verify import Verifier
from .verify_people import AttachmentProbe


@dataclass
class ExportEngine:
    """Everything the export needs: the Twilio source, the per-conversation exporter and the runner."""

    settings: Settings
    source: TwilioSource
    exporter: ConversationExporter
    runner: ExportRunner
    chat: AcsChat
    media_reader: MediaReader
    people: People
    verifier: Verifier
    stats: RetryStats
    stop: threading.Event
    archiver: ConversationArchiver | None = None

    def close(self) -> None:
        self.chat.close()
        self.media_reader.close()
        self.verifier.close()


def build_export_engine(
    settings: Settings,
    *,
    acs_users: AcsUserService,
    identity_map: IdentityMapStore,
    conversations: ConversationStore,
    messages: MessageMapStore,
    runs: RunStore,
    ledger: RunLedgerStore,
    media: MediaStore,
    stop: threading.Event | None = None,
    owner: str | None = None,
) -> ExportEngine:
    """Wire the engine; nothing here reads the environment."""
    export = settings.export
    stop = stop or threading.Event()
    stats = RetryStats()
    retrier = Retrier(attempts=export.max_attempts, stats=stats, stop=stop)
    pool = max(16, export.concurrency * 2)
    source = TwilioSource(twilio_client(settings.twilio, pool_size=pool), retrier=retrier)
    reader = MediaReader(settings.twilio, pool_size=pool)
    chat = AcsChat(settings.acs, pool_size=pool)
    identity_pacer = Pacer(export.identity_limits, time_scale=export.rate_time_scale, stop=stop)
    links = AttachmentLinks(settings.attachments.public_base_url)
    people = People(acs_users=acs_users, source=source, pacer=identity_pacer, retrier=retrier)
    copier = MediaCopier(reader=reader, store=media, retrier=retrier, links=links)
    archiver = ConversationArchiver(source=source, people=people, media=copier, store=ArchiveStore(media),
                                    retrier=retrier, links=ArchiveLinks(settings.attachments.public_base_url))
    exporter = ConversationExporter(
        account_sid=settings.twilio.account_sid,
        source=source,
        people=people,
        media=copier,
        chat=chat,
        conversations=conversations,
        messages=messages,
        settings=export,
        retrier=retrier,
        stop=stop,
        owner=owner,
        archiver=archiver,
    )
    runner = ExportRunner(exporter=exporter, source=source, runs=runs, ledger=ledger, conversations=conversations,
                          concurrency=export.concurrency, stats=stats, stop=stop)
    verifier = Verifier(source=source, conversations=conversations, messages=messages, identity_map=identity_map,
                        media=media, chat=chat, people=people, links=links,
                        probe=AttachmentProbe(links=links, backend_key=settings.tokens.backend_key))
    return ExportEngine(settings, source, exporter, runner, chat, reader, people, verifier, stats, stop,
                        archiver=archiver)
