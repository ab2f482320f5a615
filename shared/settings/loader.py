"""``Settings``, everything the app is configured with, and ``load_settings``, the one loader."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from .acs import AcsEnvironment, AcsSettings, load_acs
from .attachments import AttachmentSettings, PlatformEnvironment, load_attachments
from .core import Reader, Setting, declared_settings
from .export import ExportSettings
from .fanout import FanoutSettings
from .migrations import TWILIO_EVENTS_PATH, MigrationSettings
from .names import ResourceNames
from .storage import StorageEnvironment, StorageSettings, load_storage
from .telemetry import TelemetrySettings
from .tokens import TokenSettings, load_tokens
from .twilio import TwilioSettings, load_twilio
from .video import VideoSettings


@dataclass(frozen=True)
class Settings:
    """Everything the app is configured with, built once at the composition root."""

    storage: StorageSettings
    twilio: TwilioSettings
    acs: AcsSettings
    names: ResourceNames = field(default_factory=ResourceNames)
    fanout: FanoutSettings = field(default_factory=FanoutSettings)
    tokens: TokenSettings = field(default_factory=TokenSettings)
    export: ExportSettings = field(default_factory=ExportSettings)
    migrations: MigrationSettings = field(default_factory=MigrationSettings)
    video: VideoSettings = field(default_factory=VideoSettings)
    attachments: AttachmentSettings = field(default_factory=AttachmentSettings)

    @property
    def live_sync_url(self) -> str | None:
        """The URL Twilio's webhook signatures are checked against: ``TWILIO_WEBHOOK_URL``, else the site's own
        ``PUBLIC_BASE_URL`` (default ``https://`` + ``WEBSITE_HOSTNAME``) + the route; never a request's Host."""
        base = self.attachments.public_base_url
        return self.migrations.twilio_webhook_url or (base + TWILIO_EVENTS_PATH if base is not None else None)


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build ``Settings`` from ``environ``; raise ``SettingsError`` naming every bad setting."""
    reader = Reader(environ)
    settings = Settings(
        storage=load_storage(reader),
        twilio=load_twilio(reader),
        acs=load_acs(reader),
        names=reader.load(ResourceNames),
        fanout=reader.load(FanoutSettings),
        tokens=load_tokens(reader),
        export=reader.load(ExportSettings),
        migrations=reader.load(MigrationSettings),
        video=reader.load(VideoSettings),
        attachments=load_attachments(reader),
    )
    reader.raise_problems()
    return settings


_DECLARING_TYPES = (
    StorageEnvironment, TwilioSettings, AcsEnvironment, ResourceNames, FanoutSettings, TokenSettings,
    ExportSettings, MigrationSettings, VideoSettings, AttachmentSettings, PlatformEnvironment, TelemetrySettings,
)


def all_settings() -> Iterator[Setting[object]]:
    """Every setting the app declares (``load_settings`` and ``load_telemetry_settings`` read exactly these)."""
    for kind in _DECLARING_TYPES:
        for _, declared in declared_settings(kind):
            yield declared
