"""What ``GET /api/health`` reports: version, whether settings loaded, whether storage answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import AzureError


@dataclass(frozen=True)
class HealthReport:
    version: str
    settings_loaded: bool
    invalid_settings: tuple[str, ...]
    storage_reachable: bool

    @property
    def healthy(self) -> bool:
        return self.settings_loaded and self.storage_reachable

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": "healthy" if self.healthy else "unhealthy",
            "version": self.version,
            "settings": {"loaded": self.settings_loaded},
            "storage": {"reachable": self.storage_reachable},
        }
        if self.invalid_settings:
            body["settings"]["invalid"] = list(self.invalid_settings)
        return body


class HealthService:
    """Checks the app's own readiness; reports names of bad settings, never values or addresses."""

    def __init__(
        self,
        *,
        version: str,
        invalid_settings: tuple[str, ...] = (),
        storage_probe: Callable[[], object] | None = None,
    ) -> None:
        self._version = version
        self._invalid = invalid_settings
        self._probe = storage_probe

    def check(self) -> HealthReport:
        reachable = False
        if self._probe is not None:
            try:
                self._probe()
                reachable = True
            except (AzureError, OSError, ValueError):
                reachable = False
        return HealthReport(
            version=self._version,
            settings_loaded=not self._invalid and self._probe is not None,
            invalid_settings=self._invalid,
            storage_reachable=reachable,
        )
