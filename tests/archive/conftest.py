"""Archive tests reuse the export fixtures (stand-ins, Azurite, engine, seeder) and the attachment route's
(a local JWT issuer and settings with PUBLIC_BASE_URL and a backend key)."""

from __future__ import annotations

from tests.attachments.conftest import attachment_environ, issuer
from tests.export.conftest import acs_admin, container, engine, export_environ, seeder

__all__ = ["acs_admin", "attachment_environ", "container", "engine", "export_environ", "issuer", "seeder"]
