"""The migration fixtures (the app on the in-process host stand-in, the Twilio seeder, the ACS admin reader) for
the work-item replay tests; the chaos runs start their own processes through ``harness/chaos/``."""

from __future__ import annotations

from tests.migrations.conftest import acs_admin, host_json, host_port, migration_environ, seeder, served

__all__ = ["acs_admin", "host_json", "host_port", "migration_environ", "seeder", "served"]
