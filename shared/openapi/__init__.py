"""The OpenAPI 3.1 description of every HTTP route, served at ``GET /api/openapi.json``.

One module per feature area holds ``PATHS`` (keyed by route under ``/api``) and ``SCHEMAS``;
``build_document`` merges them with the security schemes and the error answers. A new
route is described by adding it to its area's module (or a new module listed in ``AREAS``);
``tests/openapi`` fails for an HTTP function without a description, and checks every answer
the route tests see against it.
"""

from __future__ import annotations

import copy
from functools import cache
from types import ModuleType

from . import archives, attachments, console, fanout, health, migrations, tokens, video
from .common import ERROR_SCHEMA, SECURITY_SCHEMES, Json, error_components

AREAS: tuple[ModuleType, ...] = (health, tokens, migrations, fanout, video, attachments, archives, console)
TAGS: list[Json] = [
    {"name": "health", "description": "Probes and this description."},
    {"name": "tokens", "description": "ACS user tokens, replacing a Twilio token server."},
    {"name": "migrations", "description": "Copying Twilio chat history into ACS: runs, nightly and live sync."},
    {"name": "fanout", "description": "ACS events to webhook subscribers in Twilio's format or as CloudEvents."},
    {"name": "video", "description": "Twilio Video rooms on ACS Rooms."},
    {"name": "attachments", "description": "Migrated attachments and archived history, for the conversation's "
                                           "current participants."},
    {"name": "console", "description": "The operator console, a page over the routes above."},
]


@cache
def _document(version: str) -> Json:
    paths: Json = {}
    schemas: Json = {"Error": ERROR_SCHEMA}
    for area in AREAS:
        for route, item in area.PATHS.items():
            if route in paths:
                raise ValueError(f"{area.__name__} describes {route}, already described by another area")
            paths[route] = item
        schemas.update(area.SCHEMAS)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Twilio to Azure Communication Services migration",
            "version": version,
            "description": "Token service, chat history export, event fan-out and video rooms. Function-key "
                           "routes are for operators and backends; the token routes authenticate end users "
                           "themselves.",
        },
        "servers": [{"url": "/api"}],
        "tags": TAGS,
        "paths": paths,
        "components": {
            "securitySchemes": SECURITY_SCHEMES,
            "responses": error_components(),
            "schemas": schemas,
        },
    }


def build_document(*, version: str = "dev", server_url: str | None = None) -> Json:
    """A fresh copy of the document; ``server_url`` (e.g. ``https://app.example/api``) replaces ``/api``."""
    document = copy.deepcopy(_document(version))
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document
