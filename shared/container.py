"""The app's object graph, built once from ``Settings`` at the composition root.

``AppContainer`` holds either the settings and everything built from them, or the
``SettingsError`` that stopped them loading; in that case every feature answers 503
naming the bad settings, and ``GET /api/health`` says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from azure.data.tables import TableServiceClient

from . import __version__, acs_clients
from .acs_users import AcsUserService
from .attachments import (
    ArchiveService,
    AttachmentLinks,
    AttachmentService,
    BlobSigner,
    ParticipantBlobAccess,
    ThreadMembership,
)
from .auth import BearerVerifier, CallerAuthenticator
from .errors import ServiceUnavailableError
from .fanout.services import FanoutServices, build_fanout
from .health import HealthService
from .lazy import lazy
from .migrations.live import LiveSyncScheduler, TwilioSignatureVerifier, WebhookReplays
from .migrations.runs import MigrationRunService
from .migrations.slices import SliceRunner
from .migrations.worker import MigrationWorker, WorkerSettings
from .settings import Settings, SettingsError, load_settings
from .state import (
    ConversationStore,
    DeadLetterStore,
    IdentityMapStore,
    MessageMapStore,
    RunStore,
    SubscriptionStore,
)
from .state.clients import StorageClients
from .state.ledger import RunLedgerStore
from .state.media import MediaStore
from .state.queues import WorkQueue
from .state.rooms import RoomMapStore
from .state.webhooks import WebhookReplayStore

if TYPE_CHECKING:
    from .doctor import DoctorService
    from .export import ExportEngine
from .token_service import TokenService
from .video import AdmissionRules, RoomAdmissionService, VideoRoomService


class AppContainer:
    """Settings, clients and stores; each built at most once per process, even when threads race (``lazy``)."""

    def __init__(self, settings: Settings | None, *, error: SettingsError | None = None) -> None:
        if (settings is None) == (error is None):
            raise ValueError("give exactly one of settings and error")
        self._settings = settings
        self._error = error

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> AppContainer:
        """Load settings from ``environ``; a bad configuration is kept, not raised."""
        try:
            return cls(load_settings(environ))
        except SettingsError as error:
            return cls(None, error=error)

    @property
    def settings_error(self) -> SettingsError | None:
        return self._error

    @property
    def settings(self) -> Settings:
        """The settings; raises ``ServiceUnavailableError`` naming the bad ones if they did not load."""
        if self._settings is None:
            assert self._error is not None
            raise ServiceUnavailableError(
                "The app is not configured: " + "; ".join(str(p) for p in self._error.problems) + "."
            )
        return self._settings

    @lazy
    def storage(self) -> StorageClients:
        return StorageClients.from_settings(self.settings.storage)

    @lazy
    def identity_map(self) -> IdentityMapStore:
        return IdentityMapStore(self.storage.tables, self.settings.names.identity_table)

    @lazy
    def conversations(self) -> ConversationStore:
        return ConversationStore(self.storage.tables, self.settings.names.conversation_table)

    @lazy
    def messages(self) -> MessageMapStore:
        return MessageMapStore(self.storage.tables, self.settings.names.message_table)

    @lazy
    def runs(self) -> RunStore:
        return RunStore(self.storage.tables, self.settings.names.run_table)

    @lazy
    def run_ledger(self) -> RunLedgerStore:
        return RunLedgerStore(self.storage.tables, self.settings.names.run_table)

    @lazy
    def subscriptions(self) -> SubscriptionStore:
        return SubscriptionStore(self.storage.tables, self.settings.names.subscription_table)

    @lazy
    def dead_letters(self) -> DeadLetterStore:
        return DeadLetterStore(self.storage.tables, self.settings.names.dead_letter_table)

    @lazy
    def rooms(self) -> RoomMapStore:
        return RoomMapStore(self.storage.tables, self.settings.video.room_table)

    @lazy
    def migration_queue(self) -> WorkQueue:
        return WorkQueue(self.storage.queues, self.settings.names.migration_queue)

    @lazy
    def continuation_queue(self) -> WorkQueue:
        """Next slices of conversations under way (``MIGRATION_QUEUE``-next), apart from new work."""
        return WorkQueue(self.storage.queues, self.settings.names.continuation_queue)

    @lazy
    def delivery_queue(self) -> WorkQueue:
        return WorkQueue(self.storage.queues, self.settings.names.delivery_queue)

    @lazy
    def media(self) -> MediaStore:
        return MediaStore(self.storage.blobs, self.settings.names.media_container)

    @lazy
    def acs_users(self) -> AcsUserService:
        """The identity map's service: one ACS user per app identity."""
        return AcsUserService(store=self.identity_map, client=acs_clients.identity_client(self.settings.acs))

    @lazy
    def export_engine(self) -> ExportEngine:
        """The history export: Twilio source, per-conversation exporter, many-in-flight runner."""
        from .export import build_export_engine  # the Twilio SDK loads only where the export runs

        return build_export_engine(
            self.settings, acs_users=self.acs_users, identity_map=self.identity_map,
            conversations=self.conversations, messages=self.messages, runs=self.runs, ledger=self.run_ledger,
            media=self.media,
        )

    @lazy
    def callers(self) -> CallerAuthenticator:
        """Authenticates token-service callers (bearer JWT, App Service principal, backend key)."""
        tokens = self.settings.tokens
        bearer = BearerVerifier.from_settings(tokens) if tokens.accepts_jwt else None
        return CallerAuthenticator(settings=tokens, bearer=bearer)

    @lazy
    def tokens(self) -> TokenService:
        return TokenService(
            acs_users=self.acs_users,
            endpoint=self.settings.acs.endpoint,
            default_expires_in=timedelta(minutes=self.settings.tokens.default_expires_in_minutes),
        )

    @lazy
    def fanout(self) -> FanoutServices:
        """The event fan-out: subscriptions, dispatcher, deliverer, dead letters."""
        return build_fanout(
            self.settings, subscriptions=self.subscriptions, dead_letters=self.dead_letters,
            conversations=self.conversations, identity_map=self.identity_map, messages=self.messages,
            queue=self.delivery_queue, rooms=self.rooms,
        )

    @lazy
    def video(self) -> VideoRoomService:
        """ACS rooms by Twilio room name, and room tokens (Twilio Video migration)."""
        return VideoRoomService(
            client=acs_clients.rooms_client(self.settings.acs), store=self.rooms, acs_users=self.acs_users,
            identity_map=self.identity_map, validity=timedelta(minutes=self.settings.video.room_validity_minutes),
        )

    @lazy
    def video_admission(self) -> RoomAdmissionService:
        """Who may join which room (``POST /api/video/token``)."""
        video = self.settings.video
        return RoomAdmissionService(
            rooms=self.video, store=self.rooms, acs_users=self.acs_users, identity_map=self.identity_map,
            endpoint=self.settings.acs.endpoint, rules=AdmissionRules(
                default_role=video.default_role, role_claim=video.role_claim,
                token_expires_in=timedelta(minutes=video.token_expires_in_minutes),
                users_create_rooms=video.users_create_rooms, rooms_per_window=video.user_rooms_per_hour,
            ),
        )

    @lazy
    def attachment_links(self) -> AttachmentLinks:
        """Route URLs of migrated attachments on ``PUBLIC_BASE_URL``: what the export writes into messages."""
        return AttachmentLinks(self.settings.attachments.public_base_url)

    @lazy
    def thread_access(self) -> ParticipantBlobAccess:
        """Blobs for current participants of an ACS thread: a signed link, or the bytes (attachments, archives)."""
        acs = self.settings.acs
        membership = ThreadMembership(identity_map=self.identity_map, identity_client=acs_clients.identity_client(acs),
                                      endpoint=acs.endpoint, client_options=acs_clients.transport_options(acs))
        return ParticipantBlobAccess(
            blobs=self.storage.blobs, membership=membership, signer=BlobSigner(self.storage.blobs),
            link_lifetime=timedelta(minutes=self.settings.attachments.link_minutes),
        )

    @lazy
    def attachments(self) -> AttachmentService:
        return AttachmentService(conversations=self.conversations, access=self.thread_access,
                                 container=self.settings.names.media_container)

    @lazy
    def archives(self) -> ArchiveService:
        """Archived history (docs/archive.md), behind the same participant gate as attachments."""
        return ArchiveService(conversations=self.conversations, access=self.thread_access,
                              container=self.settings.names.media_container)

    @lazy
    def migration_runs(self) -> MigrationRunService:
        return MigrationRunService(runs=self.runs, ledger=self.run_ledger, queue=self.migration_queue,
                                   export=self.settings.export)

    @lazy
    def live_sync(self) -> LiveSyncScheduler:
        return LiveSyncScheduler(conversations=self.conversations, queue=self.migration_queue,
                                 delay_seconds=self.settings.migrations.live_sync_delay_seconds)

    @lazy
    def twilio_signatures(self) -> TwilioSignatureVerifier:
        twilio = self.settings.twilio
        if twilio.auth_token is None:
            raise ServiceUnavailableError(
                "Live sync needs TWILIO_AUTH_TOKEN: Twilio signs webhooks with the auth token, not an API key."
            )
        public_url = self.settings.live_sync_url
        if public_url is None:
            raise ServiceUnavailableError(
                "Live sync needs the public URL Twilio calls, to check its signatures against: set "
                "TWILIO_WEBHOOK_URL or PUBLIC_BASE_URL (in Azure, the site's own host name is used)."
            )
        return TwilioSignatureVerifier(auth_token=twilio.auth_token, public_url=public_url)

    @lazy
    def twilio_replays(self) -> WebhookReplays:
        """Twilio webhooks already handled, in Table Storage (every instance sees every claim)."""
        return WebhookReplays(store=WebhookReplayStore(self.storage.tables, self.settings.names.webhook_table))

    @lazy
    def migration_slices(self) -> SliceRunner:
        """The threads migration work items run on (``EXPORT_CONCURRENCY`` of them): see slices.py."""
        return SliceRunner(threads=self.settings.export.concurrency)

    @lazy
    def migration_worker(self) -> MigrationWorker:
        export = self.settings.export
        short_window = min((seconds for _, seconds in export.send_limits), default=10.0)
        return MigrationWorker(
            engine=lambda: self.export_engine, runs=self.runs, ledger=self.run_ledger, conversations=self.conversations,
            messages=self.messages,
            queue=self.migration_queue, continuations=self.continuation_queue, live=self.live_sync,
            settings=WorkerSettings(
                slice_seconds=export.slice_seconds,
                plan_seconds=self.settings.migrations.plan_seconds,
                continuation_delay_seconds=short_window * export.rate_time_scale,
                leased_delay_seconds=max(1.0, export.lease_seconds / 10),
                sweep_every_days=self.settings.migrations.sweep_every_days,
            ),
        )

    @lazy
    def doctor(self) -> DoctorService:
        """The configuration check (CLI ``doctor``, ``GET /api/health/deep``); works with bad settings too."""
        from .doctor import build_doctor, doctor_for_invalid_settings

        if self._error is not None:
            return doctor_for_invalid_settings(self._error)
        return build_doctor(self.settings, storage=self.storage)

    @lazy
    def health(self) -> HealthService:
        if self._error is not None:
            return HealthService(version=__version__, invalid_settings=tuple(self._error.names))
        tables: TableServiceClient = self.storage.tables
        return HealthService(version=__version__, storage_probe=lambda: next(iter(tables.list_tables()), None))
