"""A stateful local stand-in for Twilio Conversations v1, Programmable Chat v2 and media (MCS).

``python -m emulators.twilio`` starts the server (see ``__main__``); ``python -m
emulators.twilio.seed`` fills it through the real ``twilio`` SDK. The server keeps all
state in memory, answers with Twilio's JSON shapes (validated against the official
OpenAPI specs by the tests) and builds every URL from the host that serves the request.

Modules: ``__main__`` (CLI), ``app`` (aiohttp app, middlewares, timers), ``context``
(settings and per-server state), ``auth``, ``faults`` (fault spec, injector, write limits),
``paging``, ``formats``, ``errors``, ``models`` and ``store`` (records and shared operations),
``views`` (JSON shapes), ``resources`` (list and fetch handlers from one description of a
resource, for v1 and v2), ``conversations``/``v1_configuration``/``v1_users``/``v1_common``
(Conversations v1 routes), ``chat`` (Chat v2 and the v3 migration), ``media`` (MCS),
``webhooks`` (signed post-event delivery), ``admin``, ``seed``/``seed_data`` (the seeder).
See docs/emulators/twilio.md.
"""

from __future__ import annotations

__all__ = ["DEFAULT_ACCOUNT_SID", "DEFAULT_AUTH_TOKEN"]

# Well-known local credentials, used when none are given on the command line.
DEFAULT_ACCOUNT_SID = "AC" + "0" * 31 + "1"
DEFAULT_AUTH_TOKEN = "local-twilio-stand-in-auth-token"
