"""Archive tests reuse the export fixtures: stand-ins, Azurite, the export engine and the Twilio seeder."""

from __future__ import annotations

from tests.export.conftest import acs_admin, container, engine, export_environ, seeder

__all__ = ["acs_admin", "container", "engine", "export_environ", "seeder"]
