"""A local HTTPS stand-in for ACS Identity (2023-10-01), Chat (2024-03-07) and their Event Grid events.

Start it with ``python -m emulators.acs``; it prints one JSON ready line (endpoint,
connection string, CA bundle, admin prefix). The real, unmodified Azure SDKs talk to it.
State lives in memory; ``/__admin/`` routes reset, inspect and configure it.
"""

from __future__ import annotations

ADMIN_PREFIX = "/__admin"

__all__ = ["ADMIN_PREFIX"]
