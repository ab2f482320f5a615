"""Where OpenTelemetry goes: Azure Monitor when a connection string is set, nowhere otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .core import Reader, Secret, secret_setting, setting


def _entra_client_id(value: str) -> str | None:
    """``ClientId=<id>;Authorization=AAD``: the client id; None without ``Authorization=AAD``."""
    parts = dict(p.split("=", 1) for p in value.split(";") if "=" in p)
    client_id = parts.get("ClientId", "").strip() if parts.get("Authorization", "").lower() == "aad" else ""
    return client_id or None


@dataclass(frozen=True)
class TelemetrySettings:
    """Where OpenTelemetry goes: Azure Monitor when a connection string is set, nowhere otherwise."""

    connection_string: Secret | None = secret_setting(
        "APPLICATIONINSIGHTS_CONNECTION_STRING", "an Application Insights connection string")
    managed_identity_client_id: str | None = setting(  # Entra ID ingestion
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING", _entra_client_id,
        "ClientId=<managed identity client id>;Authorization=AAD", default=None)

    @property
    def enabled(self) -> bool:
        return self.connection_string is not None


def load_telemetry_settings(environ: Mapping[str, str]) -> TelemetrySettings:
    """Read apart from the rest and never refused, so telemetry works (and reports) while other settings are bad."""
    return Reader(environ).load(TelemetrySettings)
