"""The one place that reads environment variables: typed settings, validated at start.

``load_settings(environ)`` returns a frozen ``Settings`` or raises ``SettingsError``
naming every bad setting and what it expects, never a value. Secret values are
wrapped in ``Secret`` so that a stray ``repr`` or log line shows ``'***'``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")


class Secret:
    """A secret string that hides itself from ``repr``, ``str`` and f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself: pass it to a client, never to a log."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class SettingProblem:
    """One bad setting: its name and what it should hold."""

    name: str
    problem: str  # "is missing" or "is malformed"
    expected: str

    def __str__(self) -> str:
        return f"{self.name} {self.problem} (expected {self.expected})"


class SettingsError(Exception):
    """Raised at start when settings are missing or malformed; lists every one of them."""

    def __init__(self, problems: list[SettingProblem]) -> None:
        self.problems = problems
        super().__init__("Invalid settings: " + "; ".join(str(p) for p in problems))

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.problems]


@dataclass(frozen=True)
class StorageSettings:
    """Where the state tables, work queues and media blobs live.

    Either a connection string (``AzureWebJobsStorage``), or identity-based access
    (``AzureWebJobsStorage__accountName`` or per-service URIs, with a managed identity).
    """

    connection_string: Secret | None = None
    table_service_uri: str | None = None
    queue_service_uri: str | None = None
    blob_service_uri: str | None = None
    managed_identity_client_id: str | None = None

    @property
    def uses_identity(self) -> bool:
        return self.connection_string is None


@dataclass(frozen=True)
class TwilioSettings:
    """The Twilio account the history comes from; an auth token or an API key pair."""

    account_sid: str
    auth_token: Secret | None
    api_key_sid: str | None
    api_key_secret: Secret | None
    base_url: str | None  # None in production; the local stand-in's URL otherwise

    @property
    def username(self) -> str:
        return self.api_key_sid or self.account_sid

    @property
    def password(self) -> Secret:
        secret = self.api_key_secret if self.api_key_sid else self.auth_token
        assert secret is not None  # guaranteed by load_settings
        return secret


@dataclass(frozen=True)
class AcsSettings:
    """The Azure Communication Services resource the history goes to."""

    endpoint: str
    access_key: Secret
    ca_bundle: str | None = None  # a CA bundle path, only for a local stand-in with its own CA

    @property
    def connection_string(self) -> Secret:
        return Secret(f"endpoint={self.endpoint}/;accesskey={self.access_key.reveal()}")


@dataclass(frozen=True)
class ResourceNames:
    """Names of the tables, queues and blob container the app creates on first use."""

    identity_table: str = "identities"
    conversation_table: str = "conversations"
    message_table: str = "messages"
    run_table: str = "runs"
    subscription_table: str = "subscriptions"
    dead_letter_table: str = "deadletters"
    webhook_table: str = "twiliowebhooks"
    migration_queue: str = "migration-work"
    delivery_queue: str = "event-deliveries"
    media_container: str = "twilio-media"


ACS_SCOPES = ("chat", "voip", "chat.join", "chat.join.limited", "voip.join")
# Asymmetric only: never none or HS* (an HMAC check keyed with a public key is forgeable by anyone).
# One string, split: quoted upper-case names would read as setting names to tests/test_function_index.py.
JWT_ALGORITHMS = tuple("RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA".split())  # noqa: SIM905


@dataclass(frozen=True)
class TokenSettings:
    """Who may ask the token service for ACS tokens, and for which scopes.

    Bearer JWTs are accepted only when issuer, audience and JWKS URL are all set; only
    asymmetric algorithms are allowed (never ``none`` or HS*). ``X-MS-CLIENT-PRINCIPAL``
    is trusted only when ``trust_app_service_auth`` says App Service Authentication
    fronts the app; a trusted backend proves itself with ``backend_key``.
    """

    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwks_url: str | None = None
    identity_claim: str = "sub"
    jwt_algorithms: tuple[str, ...] = JWT_ALGORITHMS[:1]  # RS256, what Entra ID signs with
    jwt_leeway_seconds: int = 30
    trust_app_service_auth: bool = False
    backend_key: Secret | None = None
    user_scopes: tuple[str, ...] = ("chat",)
    backend_scopes: tuple[str, ...] = ACS_SCOPES
    default_expires_in_minutes: int = 60

    @property
    def accepts_jwt(self) -> bool:
        return bool(self.jwt_issuer and self.jwt_audience and self.jwks_url)


@dataclass(frozen=True)
class FanoutSettings:
    """The event fan-out: delivery retries, and which subscriber URLs are allowed (SSRF guard)."""

    allow_http: bool = False  # development only: accept http:// subscriber URLs
    allow_private_targets: bool = False  # development only: loopback, private, link-local, CGNAT targets
    max_attempts: int = 8  # delivery attempts before a dead letter
    retry_base_seconds: float = 10.0  # first retry delay; doubles per attempt
    retry_max_seconds: float = 3600.0  # cap of the retry delay
    cache_seconds: float = 5.0  # how long subscriptions and id lookups are cached per instance
    queue_first_attempt: bool = False  # every first attempt through the delivery queue (the pre-issue-18 path)


ROOM_ROLES = ("Presenter", "Attendee", "Consumer", "Collaborator")


@dataclass(frozen=True)
class VideoSettings:
    """Twilio Video migration: ACS rooms per room name, who joins with which role.

    A room made on first use is valid for ``room_validity_minutes`` (ACS allows up to 180
    days); a caller joins with ``default_role`` unless ``role_claim`` names a claim of its
    token that holds one of the roles.
    """

    room_table: str = "videorooms"
    room_validity_minutes: int = 7 * 24 * 60
    default_role: str = "Attendee"
    role_claim: str | None = None
    token_expires_in_minutes: int = 60
    users_create_rooms: bool = False  # off: rooms exist only when the backend makes them (docs/video.md)
    user_rooms_per_hour: int = 5  # rooms one user may make by joining per hour, when users may


@dataclass(frozen=True)
class Settings:
    """Everything the app is configured with, built once at the composition root."""

    storage: StorageSettings
    twilio: TwilioSettings
    acs: AcsSettings
    names: ResourceNames = field(default_factory=ResourceNames)
    fanout: FanoutSettings = field(default_factory=FanoutSettings)
    tokens: TokenSettings = field(default_factory=TokenSettings)
    export: ExportSettings = field(default_factory=lambda: ExportSettings())  # class defined below
    migrations: MigrationSettings = field(default_factory=lambda: MigrationSettings())  # class defined below
    video: VideoSettings = field(default_factory=VideoSettings)
    attachments: AttachmentSettings = field(default_factory=lambda: AttachmentSettings())  # class defined below

    @property
    def live_sync_url(self) -> str | None:
        """The URL Twilio's webhook signatures are checked against: ``TWILIO_WEBHOOK_URL``, else the site's own
        ``PUBLIC_BASE_URL`` (default ``https://`` + ``WEBSITE_HOSTNAME``) + the route; never a request's Host."""
        base = self.attachments.public_base_url
        return self.migrations.twilio_webhook_url or (base + TWILIO_EVENTS_PATH if base is not None else None)


# What each setting expects, shown in errors and mirrored in the README's table.
_ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}\Z")
_API_KEY_SID = re.compile(r"SK[0-9a-f]{32}\Z")
_TABLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{2,62}\Z")
_QUEUE_NAME = re.compile(r"(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]\Z")
_CONTAINER_NAME = _QUEUE_NAME

EXPECT_STORAGE = "a storage connection string, UseDevelopmentStorage=true, or AzureWebJobsStorage__accountName"
EXPECT_ACCOUNT_SID = "AC followed by 32 lowercase hex characters"
EXPECT_API_KEY_SID = "SK followed by 32 lowercase hex characters"
EXPECT_ACS = "endpoint=https://<resource>.communication.azure.com/;accesskey=<base64 key>"
EXPECT_URL = "an absolute http(s) URL"
EXPECT_TABLE = "3-63 letters and digits, starting with a letter"
EXPECT_QUEUE = "3-63 lowercase letters, digits and single hyphens"


class _Reader:
    """Collects problems while reading settings so that one error names them all."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.problems: list[SettingProblem] = []

    def raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        if value is None or not value.strip():
            return None
        return value.strip()

    def required(self, name: str, expected: str) -> str | None:
        value = self.raw(name)
        if value is None:
            self.problems.append(SettingProblem(name, "is missing", expected))
        return value

    def malformed(self, name: str, expected: str) -> None:
        self.problems.append(SettingProblem(name, "is malformed", expected))

    def checked(self, name: str, value: str | None, check: Callable[[str], T | None], expected: str) -> T | None:
        if value is None:
            return None
        result = check(value)
        if result is None:
            self.malformed(name, expected)
        return result


def _match(pattern: re.Pattern[str]) -> Callable[[str], str | None]:
    return lambda value: value if pattern.match(value) else None


def _url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        return value.rstrip("/")
    return None


def parse_connection_string(value: str) -> dict[str, str]:
    """``key=value;key=value`` into a dict with lower-case keys (values keep their ``=``)."""
    pairs: dict[str, str] = {}
    for part in value.split(";"):
        if not part.strip():
            continue
        key, sep, val = part.partition("=")
        if not sep:
            raise ValueError("connection string part without '='")
        pairs[key.strip().lower()] = val.strip()
    return pairs


def _acs(value: str) -> tuple[str, str] | None:
    try:
        pairs = parse_connection_string(value)
    except ValueError:
        return None
    endpoint = pairs.get("endpoint", "")
    key = pairs.get("accesskey", "")
    if urlsplit(endpoint).scheme != "https" or not urlsplit(endpoint).netloc:
        return None
    try:
        if not key or not base64.b64decode(key, validate=True):
            return None
    except (binascii.Error, ValueError):
        return None
    return endpoint.rstrip("/"), key


def _storage_connection_string(value: str) -> str | None:
    if value.replace(" ", "").lower() == "usedevelopmentstorage=true":
        return value
    try:
        pairs = parse_connection_string(value)
    except ValueError:
        return None
    has_account = "accountname" in pairs and ("accountkey" in pairs or "sharedaccesssignature" in pairs)
    has_endpoint = any(k in pairs for k in ("tableendpoint", "queueendpoint", "blobendpoint"))
    return value if has_account or has_endpoint else None


def _load_storage(reader: _Reader) -> StorageSettings:
    connection = reader.raw("AzureWebJobsStorage")
    if connection is not None:
        if reader.checked("AzureWebJobsStorage", connection, _storage_connection_string, EXPECT_STORAGE) is None:
            return StorageSettings()
        return StorageSettings(connection_string=Secret(connection))
    account = reader.raw("AzureWebJobsStorage__accountName")
    uris = {
        kind: reader.checked(f"AzureWebJobsStorage__{kind}ServiceUri",
                             reader.raw(f"AzureWebJobsStorage__{kind}ServiceUri"), _url, EXPECT_URL)
        for kind in ("table", "queue", "blob")
    }
    if account is None and not all(uris.values()):
        reader.problems.append(SettingProblem("AzureWebJobsStorage", "is missing", EXPECT_STORAGE))
        return StorageSettings()
    if account is not None and not re.match(r"[a-z0-9]{3,24}\Z", account):
        reader.malformed("AzureWebJobsStorage__accountName", "3-24 lowercase letters and digits")
    return StorageSettings(
        table_service_uri=uris["table"] or f"https://{account}.table.core.windows.net",
        queue_service_uri=uris["queue"] or f"https://{account}.queue.core.windows.net",
        blob_service_uri=uris["blob"] or f"https://{account}.blob.core.windows.net",
        managed_identity_client_id=reader.raw("AzureWebJobsStorage__clientId"),
    )


def _load_twilio(reader: _Reader) -> TwilioSettings:
    account_sid = reader.checked(
        "TWILIO_ACCOUNT_SID", reader.required("TWILIO_ACCOUNT_SID", EXPECT_ACCOUNT_SID),
        _match(_ACCOUNT_SID), EXPECT_ACCOUNT_SID,
    )
    auth_token = reader.raw("TWILIO_AUTH_TOKEN")
    key_sid = reader.checked(
        "TWILIO_API_KEY_SID", reader.raw("TWILIO_API_KEY_SID"), _match(_API_KEY_SID), EXPECT_API_KEY_SID
    )
    key_secret = reader.raw("TWILIO_API_KEY_SECRET")
    if reader.raw("TWILIO_API_KEY_SID") is not None and key_secret is None:
        reader.problems.append(SettingProblem("TWILIO_API_KEY_SECRET", "is missing", "the API key's secret"))
    elif key_secret is not None and reader.raw("TWILIO_API_KEY_SID") is None:
        reader.problems.append(SettingProblem("TWILIO_API_KEY_SID", "is missing", EXPECT_API_KEY_SID))
    elif auth_token is None and key_secret is None:
        reader.problems.append(SettingProblem(
            "TWILIO_AUTH_TOKEN", "is missing",
            "the account's auth token, or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET",
        ))
    base_url = reader.checked("TWILIO_BASE_URL", reader.raw("TWILIO_BASE_URL"), _url, EXPECT_URL)
    return TwilioSettings(
        account_sid=account_sid or "",
        auth_token=Secret(auth_token) if auth_token else None,
        api_key_sid=key_sid,
        api_key_secret=Secret(key_secret) if key_secret else None,
        base_url=base_url,
    )


def _load_acs(reader: _Reader) -> AcsSettings:
    raw = reader.required("ACS_CONNECTION_STRING", EXPECT_ACS)
    parsed = reader.checked("ACS_CONNECTION_STRING", raw, _acs, EXPECT_ACS)
    endpoint, key = parsed or ("", "")
    return AcsSettings(endpoint=endpoint, access_key=Secret(key), ca_bundle=reader.raw("ACS_CA_BUNDLE"))


def _load_names(reader: _Reader) -> ResourceNames:
    defaults = ResourceNames()
    values: dict[str, str] = {}
    for attr, setting, pattern, expected in (
        ("identity_table", "IDENTITY_TABLE", _TABLE_NAME, EXPECT_TABLE),
        ("conversation_table", "CONVERSATION_TABLE", _TABLE_NAME, EXPECT_TABLE),
        ("message_table", "MESSAGE_TABLE", _TABLE_NAME, EXPECT_TABLE),
        ("run_table", "RUN_TABLE", _TABLE_NAME, EXPECT_TABLE),
        ("subscription_table", "SUBSCRIPTION_TABLE", _TABLE_NAME, EXPECT_TABLE),
        ("dead_letter_table", "DEAD_LETTER_TABLE", _TABLE_NAME, EXPECT_TABLE),
        ("webhook_table", "TWILIO_WEBHOOK_TABLE", _TABLE_NAME, EXPECT_TABLE),
        ("migration_queue", "MIGRATION_QUEUE", _QUEUE_NAME, EXPECT_QUEUE),
        ("delivery_queue", "DELIVERY_QUEUE", _QUEUE_NAME, EXPECT_QUEUE),
        ("media_container", "MEDIA_CONTAINER", _CONTAINER_NAME, EXPECT_QUEUE),
    ):
        value = reader.checked(setting, reader.raw(setting), _match(pattern), expected)
        values[attr] = value or getattr(defaults, attr)
    return ResourceNames(**values)


EXPECT_SCOPES = "a comma-separated list drawn from " + ", ".join(ACS_SCOPES)
EXPECT_ALGORITHMS = "a comma-separated list drawn from " + ", ".join(JWT_ALGORITHMS) + " (never none or HS*)"
EXPECT_JWKS_URL = "an https URL (http only on a loopback address)"
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _csv(allowed: tuple[str, ...]) -> Callable[[str], tuple[str, ...] | None]:
    def check(value: str) -> tuple[str, ...] | None:
        items = tuple(dict.fromkeys(item.strip() for item in value.split(",") if item.strip()))
        return items if items and all(item in allowed for item in items) else None

    return check


def _int_between(low: int, high: int) -> Callable[[str], int | None]:
    def check(value: str) -> int | None:
        return int(value) if re.fullmatch(r"[0-9]{1,6}", value) and low <= int(value) <= high else None

    return check


def _bool(value: str) -> bool | None:
    return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(value.lower())


def _jwks_url(value: str) -> str | None:
    parts = urlsplit(value)
    if not parts.netloc:
        return None
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS):
        return value
    return None


def _load_tokens(reader: _Reader) -> TokenSettings:
    defaults = TokenSettings()
    issuer = reader.raw("TOKEN_JWT_ISSUER")
    audience = reader.raw("TOKEN_JWT_AUDIENCE")
    jwks_url = reader.checked("TOKEN_JWKS_URL", reader.raw("TOKEN_JWKS_URL"), _jwks_url, EXPECT_JWKS_URL)
    jwt_names = {"TOKEN_JWT_ISSUER": issuer, "TOKEN_JWT_AUDIENCE": audience,
                 "TOKEN_JWKS_URL": reader.raw("TOKEN_JWKS_URL")}
    if any(jwt_names.values()) and not all(jwt_names.values()):
        for name, value in jwt_names.items():
            if value is None:
                reader.problems.append(SettingProblem(
                    name, "is missing", "set with the other TOKEN_JWT_* settings to accept bearer tokens"
                ))
    claim = reader.raw("TOKEN_IDENTITY_CLAIM") or defaults.identity_claim
    algorithms = reader.checked("TOKEN_JWT_ALGORITHMS", reader.raw("TOKEN_JWT_ALGORITHMS"),
                                _csv(JWT_ALGORITHMS), EXPECT_ALGORITHMS)
    leeway = reader.checked("TOKEN_JWT_LEEWAY_SECONDS", reader.raw("TOKEN_JWT_LEEWAY_SECONDS"),
                            _int_between(0, 300), "whole seconds from 0 to 300")
    trust = reader.checked("TOKEN_TRUST_APP_SERVICE_AUTH", reader.raw("TOKEN_TRUST_APP_SERVICE_AUTH"),
                           _bool, "true or false")
    backend_key = reader.raw("TOKEN_BACKEND_KEY")
    if backend_key is not None and len(backend_key) < 32:
        reader.malformed("TOKEN_BACKEND_KEY", "a random key of at least 32 characters")
        backend_key = None
    user_scopes = reader.checked("TOKEN_USER_SCOPES", reader.raw("TOKEN_USER_SCOPES"), _csv(ACS_SCOPES),
                                 EXPECT_SCOPES)
    backend_scopes = reader.checked("TOKEN_BACKEND_SCOPES", reader.raw("TOKEN_BACKEND_SCOPES"),
                                    _csv(ACS_SCOPES), EXPECT_SCOPES)
    expiry = reader.checked("TOKEN_DEFAULT_EXPIRES_IN_MINUTES", reader.raw("TOKEN_DEFAULT_EXPIRES_IN_MINUTES"),
                            _int_between(60, 1440), "whole minutes from 60 to 1440")
    return TokenSettings(
        jwt_issuer=issuer,
        jwt_audience=audience,
        jwks_url=jwks_url,
        identity_claim=claim,
        jwt_algorithms=algorithms or defaults.jwt_algorithms,
        jwt_leeway_seconds=defaults.jwt_leeway_seconds if leeway is None else leeway,
        trust_app_service_auth=bool(trust),
        backend_key=Secret(backend_key) if backend_key else None,
        user_scopes=user_scopes or defaults.user_scopes,
        backend_scopes=backend_scopes or defaults.backend_scopes,
        default_expires_in_minutes=expiry or defaults.default_expires_in_minutes,
    )


Windows = tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class ExportSettings:
    """How fast and how wide the history export runs.

    Limits are ``COUNT/SECONDS`` windows, ACS's documented service limits by default;
    ``rate_time_scale`` multiplies every window (below 1 only for a time-scaled stand-in).
    """

    concurrency: int = 32  # conversations exported at once
    send_limits: Windows = ((10, 10.0), (30, 60.0))  # send/update/delete message, per thread
    participant_limits: Windows = ((10, 10.0), (30, 60.0))  # add/remove participants, per thread
    thread_create_limits: Windows = ((10, 10.0),)  # create thread, per creating user
    identity_limits: Windows = ((1000, 30.0),)  # create user and issue token, per resource
    rate_time_scale: float = 1.0
    slice_seconds: float = 240.0  # time budget of one queue-triggered slice
    lease_seconds: float = 300.0
    max_attempts: int = 8  # per ACS or Twilio call: 429s and transient failures
    flush_every: int = 50  # message map rows per batch; the high-water index advances with each batch


EXPECT_LIMITS = "comma-separated COUNT/SECONDS windows, e.g. 10/10,30/60"
EXPECT_POSITIVE_INT = "a whole number of at least 1"
EXPECT_POSITIVE_NUMBER = "a number above 0"


def _limits(value: str) -> Windows | None:
    windows = []
    for part in value.split(","):
        count, sep, seconds = part.strip().partition("/")
        try:
            window = (int(count), float(seconds))
        except ValueError:
            return None
        if not sep or window[0] < 1 or not 0 < window[1] < float("inf"):
            return None
        windows.append(window)
    return tuple(windows)


def _positive_int(value: str) -> int | None:
    return int(value) if re.fullmatch(r"[0-9]{1,6}", value) and int(value) >= 1 else None


def _positive_number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0 < number < float("inf") else None


def _load_export(reader: _Reader) -> ExportSettings:
    d = ExportSettings()

    def read(name: str, check: Callable[[str], T | None], expected: str, default: T) -> T:
        value = reader.checked(name, reader.raw(name), check, expected)
        return default if value is None else value

    return ExportSettings(
        concurrency=read("EXPORT_CONCURRENCY", _positive_int, EXPECT_POSITIVE_INT, d.concurrency),
        send_limits=read("EXPORT_SEND_LIMITS", _limits, EXPECT_LIMITS, d.send_limits),
        participant_limits=read("EXPORT_PARTICIPANT_LIMITS", _limits, EXPECT_LIMITS, d.participant_limits),
        thread_create_limits=read("EXPORT_THREAD_CREATE_LIMITS", _limits, EXPECT_LIMITS, d.thread_create_limits),
        identity_limits=read("EXPORT_IDENTITY_LIMITS", _limits, EXPECT_LIMITS, d.identity_limits),
        rate_time_scale=read("EXPORT_RATE_TIME_SCALE", _positive_number, EXPECT_POSITIVE_NUMBER, d.rate_time_scale),
        slice_seconds=read("EXPORT_SLICE_SECONDS", _positive_number, EXPECT_POSITIVE_NUMBER, d.slice_seconds),
        lease_seconds=read("EXPORT_LEASE_SECONDS", _positive_number, EXPECT_POSITIVE_NUMBER, d.lease_seconds),
        max_attempts=read("EXPORT_MAX_ATTEMPTS", _positive_int, EXPECT_POSITIVE_INT, d.max_attempts),
        flush_every=read("EXPORT_FLUSH_EVERY", _positive_int, EXPECT_POSITIVE_INT, d.flush_every),
    )


def _fanout_flag(value: str) -> bool | None:
    return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(value.lower())


def _fanout_number(low: float, high: float) -> Callable[[str], float | None]:
    def check(value: str) -> float | None:
        try:
            number = float(value)
        except ValueError:
            return None
        return number if low <= number <= high else None

    return check


def _load_fanout(reader: _Reader) -> FanoutSettings:
    defaults = FanoutSettings()

    def flag(name: str, default: bool) -> bool:
        value = reader.checked(name, reader.raw(name), _fanout_flag, "true or false")
        return default if value is None else value

    def number(name: str, default: float, low: float, high: float) -> float:
        value = reader.checked(name, reader.raw(name), _fanout_number(low, high), f"a number from {low:g} to {high:g}")
        return default if value is None else value

    return FanoutSettings(
        allow_http=flag("FANOUT_ALLOW_HTTP", defaults.allow_http),
        allow_private_targets=flag("FANOUT_ALLOW_PRIVATE_TARGETS", defaults.allow_private_targets),
        max_attempts=int(number("FANOUT_MAX_ATTEMPTS", defaults.max_attempts, 1, 50)),
        retry_base_seconds=number("FANOUT_RETRY_BASE_SECONDS", defaults.retry_base_seconds, 0, 3600),
        retry_max_seconds=number("FANOUT_RETRY_MAX_SECONDS", defaults.retry_max_seconds, 0, 7 * 24 * 3600),
        cache_seconds=number("FANOUT_CACHE_SECONDS", defaults.cache_seconds, 0, 3600),
        queue_first_attempt=flag("FANOUT_QUEUE_FIRST_ATTEMPT", defaults.queue_first_attempt),
    )


@dataclass(frozen=True)
class MigrationSettings:
    """Migration runs inside the Functions app: the nightly schedule and live sync from Twilio webhooks."""

    nightly_schedule: str = "0 0 2 * * *"  # NCRONTAB (six fields), UTC; bound as %NIGHTLY_SCHEDULE%
    plan_seconds: float = 60.0  # time budget of one planning invocation
    sweep_every_days: float = 7.0  # days between nightly runs' deep sweeps for edits and deletions (0: every night)
    live_sync_delay_seconds: float = 2.0  # webhooks within this window fold into one sync
    # The public URL Twilio calls; signatures are checked against it. TWILIO_WEBHOOK_URL, else PUBLIC_BASE_URL
    # (else https:// + WEBSITE_HOSTNAME, the site's own name in Azure) + /api/twilio/events; never the request's.
    twilio_webhook_url: str | None = None


TWILIO_EVENTS_PATH = "/api/twilio/events"
_NCRONTAB = re.compile(r"(\S+\s+){5}\S+\Z")


EXPECT_NCRONTAB = "an NCRONTAB schedule with six fields, e.g. 0 0 2 * * *"
EXPECT_NON_NEGATIVE = "a number of seconds, 0 or more"


def _non_negative(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0 <= number < 3600 else None


EXPECT_DAYS = "a number of days from 0 to 365"


def _days(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0 <= number <= 365 else None


def _load_migrations(reader: _Reader) -> MigrationSettings:
    d = MigrationSettings()
    schedule = reader.checked("NIGHTLY_SCHEDULE", reader.raw("NIGHTLY_SCHEDULE"), _match(_NCRONTAB), EXPECT_NCRONTAB)
    plan = reader.checked("MIGRATION_PLAN_SECONDS", reader.raw("MIGRATION_PLAN_SECONDS"), _positive_number,
                          EXPECT_POSITIVE_NUMBER)
    sweep = reader.checked("NIGHTLY_SWEEP_DAYS", reader.raw("NIGHTLY_SWEEP_DAYS"), _days, EXPECT_DAYS)
    delay = reader.checked("LIVE_SYNC_DELAY_SECONDS", reader.raw("LIVE_SYNC_DELAY_SECONDS"), _non_negative,
                           EXPECT_NON_NEGATIVE)
    url = reader.checked("TWILIO_WEBHOOK_URL", reader.raw("TWILIO_WEBHOOK_URL"), _url, EXPECT_URL)
    return MigrationSettings(
        nightly_schedule=schedule or d.nightly_schedule,
        plan_seconds=plan if plan is not None else d.plan_seconds,
        sweep_every_days=sweep if sweep is not None else d.sweep_every_days,
        live_sync_delay_seconds=delay if delay is not None else d.live_sync_delay_seconds,
        twilio_webhook_url=url,
    )


EXPECT_ROLE = "one of " + ", ".join(ROOM_ROLES)
_CLAIM_NAME = re.compile(r"[A-Za-z0-9_.:/-]{1,200}\Z")


def _load_video(reader: _Reader) -> VideoSettings:
    d = VideoSettings()
    table = reader.checked("VIDEO_ROOM_TABLE", reader.raw("VIDEO_ROOM_TABLE"), _match(_TABLE_NAME), EXPECT_TABLE)
    validity = reader.checked("VIDEO_ROOM_VALIDITY_MINUTES", reader.raw("VIDEO_ROOM_VALIDITY_MINUTES"),
                              _int_between(5, 180 * 24 * 60), "whole minutes from 5 to 259200 (180 days)")
    role = reader.checked("VIDEO_DEFAULT_ROLE", reader.raw("VIDEO_DEFAULT_ROLE"),
                          lambda v: v if v in ROOM_ROLES else None, EXPECT_ROLE)
    claim = reader.checked("VIDEO_ROLE_CLAIM", reader.raw("VIDEO_ROLE_CLAIM"), _match(_CLAIM_NAME),
                           "a claim name (letters, digits and _.:/-)")
    expiry = reader.checked("VIDEO_TOKEN_EXPIRES_IN_MINUTES", reader.raw("VIDEO_TOKEN_EXPIRES_IN_MINUTES"),
                            _int_between(60, 1440), "whole minutes from 60 to 1440")
    users_create = reader.checked("VIDEO_USERS_CREATE_ROOMS", reader.raw("VIDEO_USERS_CREATE_ROOMS"), _bool,
                                  "true or false")
    per_hour = reader.checked("VIDEO_USER_ROOMS_PER_HOUR", reader.raw("VIDEO_USER_ROOMS_PER_HOUR"),
                              _int_between(1, 1000), "whole rooms from 1 to 1000")
    return VideoSettings(
        room_table=table or d.room_table,
        room_validity_minutes=validity or d.room_validity_minutes,
        default_role=role or d.default_role,
        role_claim=claim,
        token_expires_in_minutes=expiry or d.token_expires_in_minutes,
        users_create_rooms=d.users_create_rooms if users_create is None else users_create,
        user_rooms_per_hour=per_hour or d.user_rooms_per_hour,
    )


@dataclass(frozen=True)
class AttachmentSettings:
    """Migrated attachments behind ``/api/attachments``: where the app is reachable, how long links live.

    ``public_base_url`` is what the export writes into messages (``PUBLIC_BASE_URL``, else
    ``https://`` + ``WEBSITE_HOSTNAME`` on App Service); None when neither is set, and then the
    export refuses to copy media rather than write a link nobody can open.
    """

    public_base_url: str | None = None
    link_minutes: int = 5  # lifetime of the read-only link (SAS) the route answers with
    login_path: str = "/.auth/login/aad"  # App Service Authentication's sign-in, for browser navigations


_LOGIN_PATH = re.compile(r"/\.auth/login/[a-z0-9]{2,40}\Z")


def _public_base_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc and not parts.query and not parts.fragment:
        return value.rstrip("/")
    return None


def _load_attachments(reader: _Reader) -> AttachmentSettings:
    d = AttachmentSettings()
    base = reader.checked("PUBLIC_BASE_URL", reader.raw("PUBLIC_BASE_URL"), _public_base_url,
                          "an absolute http(s) URL without query, e.g. https://chat-history.example.com")
    host = reader.raw("WEBSITE_HOSTNAME")
    if base is None and reader.raw("PUBLIC_BASE_URL") is None and host is not None:
        base = _public_base_url("https://" + host)
    minutes = reader.checked("ATTACHMENT_LINK_MINUTES", reader.raw("ATTACHMENT_LINK_MINUTES"),
                             _int_between(1, 60), "whole minutes from 1 to 60")
    login = reader.checked("ATTACHMENT_LOGIN_PATH", reader.raw("ATTACHMENT_LOGIN_PATH"), _match(_LOGIN_PATH),
                           "/.auth/login/<provider>, e.g. /.auth/login/aad")
    return AttachmentSettings(public_base_url=base, link_minutes=minutes or d.link_minutes,
                              login_path=login or d.login_path)


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build ``Settings`` from ``environ``; raise ``SettingsError`` naming every bad setting."""
    reader = _Reader(environ)
    settings = Settings(
        storage=_load_storage(reader),
        twilio=_load_twilio(reader),
        acs=_load_acs(reader),
        names=_load_names(reader),
        fanout=_load_fanout(reader),
        tokens=_load_tokens(reader),
        export=_load_export(reader),
        migrations=_load_migrations(reader),
        video=_load_video(reader),
        attachments=_load_attachments(reader),
    )
    if reader.problems:
        raise SettingsError(reader.problems)
    return settings


@dataclass(frozen=True)
class TelemetrySettings:
    """Where OpenTelemetry goes: Azure Monitor when a connection string is set, nowhere otherwise."""

    connection_string: Secret | None = None
    managed_identity_client_id: str | None = None  # from APPLICATIONINSIGHTS_AUTHENTICATION_STRING (Entra ID)

    @property
    def enabled(self) -> bool:
        return self.connection_string is not None


def load_telemetry_settings(environ: Mapping[str, str]) -> TelemetrySettings:
    """Read apart from the rest, so telemetry works (and reports) even while other settings are bad."""
    connection = (environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING") or "").strip()
    auth = environ.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING") or ""
    parts = dict(p.split("=", 1) for p in auth.split(";") if "=" in p)
    client_id = parts.get("ClientId", "").strip() if parts.get("Authorization", "").lower() == "aad" else ""
    return TelemetrySettings(Secret(connection) if connection else None, client_id or None)
