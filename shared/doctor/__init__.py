"""The configuration check a team runs before a cutover (``python -m shared.cli doctor``,
``GET /api/health/deep``): settings, storage and its rights, Twilio, ACS, the JWKS, public URLs.

``build_doctor`` wires the checks from ``Settings``; ``doctor_for_invalid_settings`` reports the
bad settings and skips the rest. Both return a ``DoctorService`` whose ``run()`` gives a
``DoctorReport``: a list of named ``CheckResult``s (status and an actionable message, no secrets).
"""

from __future__ import annotations

from .. import acs_clients
from ..settings import Settings, SettingsError
from ..state.clients import StorageClients
from .remote import AcsCheck, JwksCheck, TwilioCheck
from .report import Check, CheckResult, DoctorReport, DoctorService, FixedCheck, Status
from .storage import StorageCheck, StorageNames
from .urls import PublicUrlCheck

__all__ = [
    "CHECK_NAMES", "Check", "CheckResult", "DoctorReport", "DoctorService", "Status", "build_doctor",
    "doctor_for_invalid_settings",
]

CHECK_NAMES = ("settings", "storage", "twilio", "acs", "jwks", "public-urls")
TIMEOUT_SECONDS = 10.0


def build_doctor(settings: Settings, *, storage: StorageClients) -> DoctorService:
    """Every check, wired from ``settings``; remote calls time out after ``TIMEOUT_SECONDS``."""
    from ..export.twilio_client import twilio_client  # the Twilio SDK loads only when the doctor runs

    names = settings.names
    twilio = twilio_client(settings.twilio, pool_size=2, timeout=TIMEOUT_SECONDS)
    rooms = acs_clients.rooms_client(settings.acs, retry_total=1, connection_timeout=TIMEOUT_SECONDS,
                                     read_timeout=TIMEOUT_SECONDS)
    checks: list[Check] = [
        FixedCheck("settings", "pass", "every setting the app reads is present and well-formed"),
        StorageCheck(clients=storage, names=StorageNames(
            tables=(names.identity_table, names.conversation_table, names.message_table, names.run_table,
                    names.subscription_table, names.dead_letter_table, settings.video.room_table,
                    names.webhook_table),
            queues=(names.migration_queue, names.continuation_queue, names.delivery_queue),
            container=names.media_container,
        )),
        TwilioCheck(list_one_conversation=lambda: twilio.conversations.v1.conversations.list(limit=1),
                    uses_api_key=settings.twilio.api_key_sid is not None, base_url=settings.twilio.base_url),
        AcsCheck(list_one_room=lambda: next(iter(rooms.list_rooms()), None), endpoint=settings.acs.endpoint,
                 ca_bundle=settings.acs.ca_bundle),
        _jwks_check(settings),
        PublicUrlCheck(twilio_webhook_url=settings.migrations.twilio_webhook_url,
                       public_base_url=settings.attachments.public_base_url),
    ]
    return DoctorService(checks=checks, close=rooms.close)


def _jwks_check(settings: Settings) -> Check:
    tokens = settings.tokens
    if tokens.accepts_jwt and tokens.jwks_url:
        return JwksCheck(jwks_url=tokens.jwks_url, algorithms=tokens.jwt_algorithms, timeout=TIMEOUT_SECONDS)
    if tokens.backend_key is None and not tokens.trust_app_service_auth:
        return FixedCheck("jwks", "warn", "nobody can get an ACS token: set TOKEN_JWT_ISSUER, TOKEN_JWT_AUDIENCE and "
                                          "TOKEN_JWKS_URL (users), or TOKEN_BACKEND_KEY (your backend)")
    return FixedCheck("jwks", "skip", "bearer tokens are off (TOKEN_JWT_* unset); callers use "
                                      + ("TOKEN_BACKEND_KEY" if tokens.backend_key else "App Service Authentication"))


def doctor_for_invalid_settings(error: SettingsError) -> DoctorService:
    """The settings check failed with every bad setting named; the others cannot run."""
    problems = "; ".join(str(problem) for problem in error.problems)
    checks: list[Check] = [FixedCheck("settings", "fail", f"fix these, then run the doctor again: {problems}")]
    checks += [FixedCheck(name, "skip", "not run: the settings did not load") for name in CHECK_NAMES[1:]]
    return DoctorService(checks=checks)
