"""The one place that reads environment variables: typed settings, validated at start.

Each feature declares its settings on its own type, one module per feature; a setting is
declared once with ``setting``/``secret_setting`` (name, parser, expectation, default, secret).
``load_settings(environ)`` returns a frozen ``Settings`` or raises ``SettingsError`` naming every
bad setting and what it expects, never a value. Secret values are wrapped in ``Secret`` so that
a stray ``repr`` or log line shows ``'***'``.
"""

from __future__ import annotations

from .acs import AcsSettings
from .attachments import AttachmentSettings
from .core import Reader, Secret, Setting, SettingProblem, SettingsError, secret_setting, setting
from .export import ExportSettings, Windows
from .fanout import FanoutSettings
from .loader import Settings, all_settings, load_settings
from .migrations import TWILIO_EVENTS_PATH, MigrationSettings
from .names import ResourceNames
from .parsers import parse_connection_string
from .storage import StorageSettings
from .telemetry import TelemetrySettings, load_telemetry_settings
from .tokens import ACS_SCOPES, JWT_ALGORITHMS, TokenSettings
from .twilio import TwilioSettings
from .video import ROOM_ROLES, VideoSettings

__all__ = [
    "ACS_SCOPES", "JWT_ALGORITHMS", "ROOM_ROLES", "TWILIO_EVENTS_PATH",
    "AcsSettings", "AttachmentSettings", "ExportSettings", "FanoutSettings", "MigrationSettings", "Reader",
    "ResourceNames", "Secret", "Setting", "SettingProblem", "Settings", "SettingsError", "StorageSettings",
    "TelemetrySettings", "TokenSettings", "TwilioSettings", "VideoSettings", "Windows",
    "all_settings", "load_settings", "load_telemetry_settings", "parse_connection_string", "secret_setting",
    "setting",
]
