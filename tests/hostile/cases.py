"""The hostile-input catalogue: every HTTP route, every way a client can get a request wrong or malicious.

Each ``Case`` is one request. The suite sends it through the host stand-in and expects a
4xx with a clear JSON error (``json_error``), never a 500, and nothing written.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from twilio.request_validator import RequestValidator

# Auth is filled in at run time (tokens need the live issuer); a case names which credential it carries.
USER, BACKEND, FUNCTION, NONE = "user", "backend", "function", "none"


@dataclass(frozen=True)
class Case:
    route: str  # the function name the request is aimed at
    what: str
    method: str
    path: str
    auth: str = NONE
    body: bytes | None = None
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    json_error: bool = True  # False where the host itself refuses (no function key)
    expect: frozenset[int] = frozenset({400, 401, 403, 404, 405, 409, 413, 415, 422})
    raw_auth: Callable[[Any], dict[str, str]] | None = None  # custom credential (forged tokens)
    sign_twilio: str | None = None  # "valid-other-url", "wrong-token", "other-body"

    @property
    def id(self) -> str:
        return f"{self.route}: {self.what}"


BIG = 1024 * 1024 + 1
# Raw JSON bodies that no route may answer with a 500.
MALFORMED_JSON: list[tuple[str, bytes]] = [
    ("truncated object", b'{"a":'),
    ("unclosed array", b"[1, 2"),
    ("bare word", b"nul"),
    ("trailing garbage", b'{"a": 1} garbage'),
    ("invalid UTF-8", b'{"a": "\xff\xfe"}'),
    ("UTF-8 BOM", b'\xef\xbb\xbf{}'),
    ("nested 100000 deep", b"[" * 100000 + b"]" * 100000),
    ("integer of 5000 digits", b'{"a": ' + b"9" * 5000 + b"}"),
    ("NaN literal", b'{"expiresInMinutes": NaN, "services": NaN}'),
    ("top-level array", b"[]"),
    ("top-level string", b'"hello"'),
    ("top-level number", b"42"),
    ("top-level null", b"null"),
    ("duplicate keys", b'{"dryRun": true, "dryRun": "yes", "format": "x", "format": 1}'),
]
WRONG_CONTENT_TYPES = [
    "text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded",
]
UNICODE_EDGES: list[tuple[str, str]] = [
    ("lone high surrogate", "\\ud800"),
    ("lone low surrogate", "\\udfff"),
    ("right-to-left override", "\\u202eevil"),
    ("NUL", "a\\u0000b"),
    ("BOM inside", "\\ufeffa"),
    ("noncharacter", "\\uffff"),
]
ODATA_INJECTIONS = [
    "' or PartitionKey ne '",
    "x' or 1 eq 1 or 'a' eq 'a",
    "') or (RowKey ne '",
]
TRAVERSALS = ["..%2F..%2Fetc%2Fpasswd", "..%5C..%5Cwindows", "%2e%2e%2f%2e%2e%2f", "a%00b", "x" * 3000]
SSRF_URLS = [
    "http://127.0.0.1/hook", "https://127.0.0.1/hook", "https://localhost/hook", "https://LOCALHOST./hook",
    "https://169.254.169.254/latest/meta-data/", "https://[fd00:ec2::254]/latest/meta-data/",
    "https://metadata.google.internal/computeMetadata/v1/", "https://[::1]/hook", "https://[::ffff:127.0.0.1]/hook",
    "https://10.1.2.3/hook", "https://172.16.0.1/hook", "https://192.168.1.1/hook", "https://100.64.0.1/hook",
    "https://0.0.0.0/hook", "https://2130706433/hook", "https://0x7f.0.0.1/hook", "https://0177.0.0.1/hook",
    "https://[fe80::1]/hook", "https://[fd12:3456::1]/hook", "https://224.0.0.1/hook",
    "file:///etc/passwd", "gopher://127.0.0.1:25/", "javascript:alert(1)", "ftp://example.com/x",
    "https://user:pass@127.0.0.1/hook", "https://example.com:99999/hook", "https:///nohost", "not a url",
]

BODY_ROUTES: list[tuple[str, str, str, str]] = [
    ("token", "POST", "/api/token", USER),
    ("token_revoke", "POST", "/api/token/revoke", USER),
    ("start_migration", "POST", "/api/migrations", FUNCTION),
    ("subscriptions_create", "POST", "/api/subscriptions", FUNCTION),
    ("subscriptions_update", "PATCH", "/api/subscriptions/sub_" + "0" * 24, FUNCTION),
    ("deliveries_replay", "POST", "/api/deliveries/replay", FUNCTION),
    ("video_token", "POST", "/api/video/token", USER),
    ("video_rooms_create", "POST", "/api/video/rooms", FUNCTION),
    ("video_rooms_participants", "PUT", "/api/video/rooms/lobby/participants", FUNCTION),
]


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _body_cases() -> Iterator[Case]:
    for route, method, path, auth in BODY_ROUTES:
        for what, body in MALFORMED_JSON:
            yield Case(route, f"malformed JSON ({what})", method, path, auth, body)
        for content_type in WRONG_CONTENT_TYPES:
            yield Case(route, f"content type {content_type.split(';')[0]}", method, path, auth, b"{}", content_type)
        yield Case(route, "body over 1 MB", method, path, auth, b'{"x": "' + b"a" * BIG + b'"}')
        yield Case(route, "unknown field", method, path, auth, _json({"surprise": 1}))


def _field_cases() -> Iterator[Case]:
    """Unicode edge cases and OData injections in each route's string fields."""
    for what, escaped in UNICODE_EDGES:
        text = f'"{escaped}"'.encode()
        yield Case("token", f"identity with {what}", "POST", "/api/token", BACKEND,
                   b'{"identity": ' + text + b"}")
        yield Case("token_revoke", f"identity with {what}", "POST", "/api/token/revoke", BACKEND,
                   b'{"identity": ' + text + b"}")
        yield Case("start_migration", f"conversation SID with {what}", "POST", "/api/migrations", FUNCTION,
                   b'{"conversations": [' + text + b"]}")
        yield Case("subscriptions_create", f"url with {what}", "POST", "/api/subscriptions", FUNCTION,
                   b'{"url": ' + text + b', "format": "twilio", "secret": "0123456789abcdef0123"}')
        yield Case("deliveries_replay", f"delivery id with {what}", "POST", "/api/deliveries/replay", FUNCTION,
                   b'{"deliveryIds": [' + text + b"]}")
    for attack in ODATA_INJECTIONS:
        yield Case("token", f"OData injection in identity {attack!r}", "GET",
                   "/api/token?" + urlencode({"identity": attack}), USER)
        yield Case("start_migration", f"OData injection in services {attack!r}", "POST", "/api/migrations",
                   FUNCTION, _json({"services": [attack]}))
        yield Case("deliveries_replay", f"OData injection in subscriptionId {attack!r}", "POST",
                   "/api/deliveries/replay", FUNCTION, _json({"subscriptionId": attack}), expect=frozenset({400, 404}))
        yield Case("get_migration", f"OData injection in run id {attack!r}", "GET",
                   "/api/migrations/" + quote(attack, safe=""), FUNCTION)
        yield Case("subscriptions_get", f"OData injection in subscription id {attack!r}", "GET",
                   "/api/subscriptions/" + quote(attack, safe=""), FUNCTION)
        yield Case("subscriptions_delete", f"OData injection in subscription id {attack!r}", "DELETE",
                   "/api/subscriptions/" + quote(attack, safe=""), FUNCTION,
                   expect=frozenset({400, 404}))
    yield Case("token", "scope that does not exist", "POST", "/api/token", USER, _json({"scopes": ["admin"]}))
    yield Case("token", "expiry below 60 minutes", "POST", "/api/token", USER, _json({"expiresInMinutes": 59}))
    yield Case("token", "expiry above 1440 minutes", "POST", "/api/token", USER, _json({"expiresInMinutes": 1441}))
    yield Case("token", "a user asking for someone else", "POST", "/api/token", USER, _json({"identity": "mallory"}))
    yield Case("token", "identity of 300 characters", "POST", "/api/token", BACKEND, _json({"identity": "x" * 300}))
    yield Case("list_migrations", "limit out of range", "GET", "/api/migrations?limit=100000", FUNCTION)
    yield Case("deliveries_dead", "limit not a number", "GET", "/api/deliveries/dead?limit=abc", FUNCTION)


def _path_cases() -> Iterator[Case]:
    for traversal in TRAVERSALS:
        shown = traversal[:24]
        # An encoded slash is decoded before routing by the host stand-in (aiohttp), so the route does not match
        # and the host answers 404 itself; the app's own answer to such identities is tested on the handler.
        host_level = "%2f" in traversal.lower()
        extra = {"json_error": False, "expect": frozenset({404})} if host_level else {}
        yield Case("user_delete", f"path traversal in identity {shown}", "DELETE", f"/api/users/{traversal}", BACKEND,
                   **extra)  # type: ignore[arg-type]
        yield Case("get_migration", f"path traversal in run id {shown}", "GET", f"/api/migrations/{traversal}",
                   FUNCTION, **extra)  # type: ignore[arg-type]
        yield Case("subscriptions_get", f"path traversal in subscription id {shown}", "GET",
                   f"/api/subscriptions/{traversal}", FUNCTION, **extra)  # type: ignore[arg-type]


def _alg_none_token(subject: str) -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    now = int(time.time())
    payload = base64.urlsafe_b64encode(json.dumps({"sub": subject, "exp": now + 600}).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}."


def _auth_cases() -> Iterator[Case]:
    def bearer(make: Callable[[Any], str]) -> Callable[[Any], dict[str, str]]:
        return lambda target: {"Authorization": f"Bearer {make(target)}"}

    forged: list[tuple[str, Callable[[Any], str]]] = [
        ("expired JWT", lambda t: t.issuer.token("alice", lifetime=-120)),
        ("not-yet-valid JWT", lambda t: t.issuer.token("alice", not_before=time.time() + 3600)),
        ("JWT for another audience", lambda t: t.issuer.token("alice", audience="api://someone-else")),
        ("JWT from another issuer", lambda t: t.issuer.token("alice", issuer="https://evil.example")),
        ("alg none JWT", lambda t: _alg_none_token("alice")),
        ("HS256 JWT signed with the public key", lambda t: _hs256_with_public_key(t)),
        ("JWT whose kid is not in the JWKS", lambda t: t.issuer.token("alice", headers={"kid": "unknown-kid"})),
        ("JWT signed by a stranger's key", lambda t: _stranger_token(t)),
        ("garbage bearer", lambda t: "a.b.c"),
    ]
    for route, method, path in (("token", "POST", "/api/token"), ("token_revoke", "POST", "/api/token/revoke"),
                                ("user_delete", "DELETE", "/api/users/alice")):
        for what, make in forged:
            yield Case(route, what, method, path, NONE, b"{}" if method == "POST" else None, raw_auth=bearer(make))
        yield Case(route, "no credentials", method, path, NONE, b"{}" if method == "POST" else None)
        yield Case(route, "wrong backend key", method, path, NONE, b"{}" if method == "POST" else None,
                   headers={"x-functions-key": "not-the-backend-key-0123456789abcdef"})
        yield Case(route, "forged App Service principal (not trusted)", method, path, NONE,
                   b"{}" if method == "POST" else None,
                   headers={"X-MS-CLIENT-PRINCIPAL": base64.b64encode(
                       _json({"claims": [{"typ": "sub", "val": "alice"}]})).decode()})
    yield Case("user_delete", "a user (not the backend) erasing someone", "DELETE", "/api/users/bob", USER)
    for route, method, path in (("start_migration", "POST", "/api/migrations"),
                                ("list_migrations", "GET", "/api/migrations"),
                                ("subscriptions_create", "POST", "/api/subscriptions"),
                                ("subscriptions_list", "GET", "/api/subscriptions"),
                                ("deliveries_dead", "GET", "/api/deliveries/dead"),
                                ("deliveries_replay", "POST", "/api/deliveries/replay"),
                                ("health_deep", "GET", "/api/health/deep"),
                                ("openapi_document", "GET", "/api/openapi.json")):
        yield Case(route, "no function key", method, path, NONE, b"{}" if method == "POST" else None,
                   json_error=False, expect=frozenset({401}))
        yield Case(route, "wrong function key", method, path, NONE, b"{}" if method == "POST" else None,
                   headers={"x-functions-key": "guess"}, json_error=False, expect=frozenset({401}))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256_with_public_key(target: Any) -> str:
    """The classic key-confusion forgery: HMAC over the token with the issuer's *public* key as the secret."""
    import hashlib
    import hmac

    header = _b64(_json({"alg": "HS256", "typ": "JWT", "kid": target.issuer.key.kid}))
    payload = _b64(_json({"sub": "alice", "iss": target.issuer.issuer, "aud": target.issuer.audience,
                          "exp": int(time.time()) + 600}))
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(target.issuer.key.public_pem(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _stranger_token(target: Any) -> str:
    from scripts.local_issuer import SigningKey

    stranger = SigningKey(kid=target.issuer.key.kid)  # same kid, other key: the signature cannot verify
    return str(target.issuer.token("alice", key=stranger))


def _twilio_cases() -> Iterator[Case]:
    form = urlencode({"EventType": "onMessageAdded", "ConversationSid": "CH" + "1" * 32,
                      "ChatServiceSid": "IS" + "1" * 32, "AccountSid": "AC" + "1" * 32}).encode()
    path = "/api/twilio/events"
    form_type = "application/x-www-form-urlencoded"
    yield Case("twilio_events", "no signature", "POST", path, NONE, form, form_type)
    yield Case("twilio_events", "signature with the wrong auth token", "POST", path, NONE, form, form_type,
               sign_twilio="wrong-token")
    yield Case("twilio_events", "signature replayed onto another URL", "POST", path, NONE, form, form_type,
               sign_twilio="valid-other-url")
    yield Case("twilio_events", "signature of another body (tampered fields)", "POST", path, NONE, form, form_type,
               sign_twilio="other-body")
    yield Case("twilio_events", "JSON instead of a form", "POST", path, NONE, b"{}", "application/json")
    yield Case("twilio_events", "form that is not UTF-8", "POST", path, NONE, b"EventType=\xff\xfe", form_type,
               sign_twilio="valid")
    yield Case("twilio_events", "form over 64 KB", "POST", path, NONE, b"Body=" + b"a" * 70000, form_type)
    yield Case("twilio_events", "signed, but an event live sync does not handle", "POST", path, NONE,
               form.replace(b"onMessageAdded", b"onUserAdded"), form_type, sign_twilio="valid")
    yield Case("twilio_events", "signed, but the conversation SID is an injection", "POST", path, NONE,
               urlencode({"EventType": "onMessageAdded", "ConversationSid": "CH' or 1 eq 1"}).encode(), form_type,
               sign_twilio="valid")


def _ssrf_cases() -> Iterator[Case]:
    for url in SSRF_URLS:
        yield Case("subscriptions_create", f"SSRF subscriber URL {url}", "POST", "/api/subscriptions", FUNCTION,
                   _json({"url": url, "format": "twilio", "secret": "0123456789abcdef0123"}))


def _video_cases() -> Iterator[Case]:
    """The Twilio Video routes: room names, roles, windows, rosters, paths and credentials."""
    token, rooms, lobby = "/api/video/token", "/api/video/rooms", "/api/video/rooms/lobby/participants"
    for what, escaped in UNICODE_EDGES:
        text = f'"{escaped}"'.encode()
        yield Case("video_token", f"room with {what}", "POST", token, BACKEND,
                   b'{"identity": "alice", "room": ' + text + b"}")
        yield Case("video_rooms_create", f"name with {what}", "POST", rooms, FUNCTION, b'{"name": ' + text + b"}")
        yield Case("video_rooms_participants", f"participant identity with {what}", "PUT", lobby, FUNCTION,
                   b'{"participants": [{"identity": ' + text + b"}]}")
    yield Case("video_token", "no room", "POST", token, USER, _json({}))
    yield Case("video_token", "room not a string", "POST", token, USER, _json({"room": ["a"]}))
    yield Case("video_token", "room of 129 characters", "POST", token, USER, _json({"room": "r" * 129}))
    yield Case("video_token", "format that does not exist", "POST", token, USER, _json({"room": "a", "format": "x"}))
    yield Case("video_token", "a user asking for someone else", "POST", token, USER,
               _json({"room": "a", "identity": "mallory"}))
    yield Case("video_token", "a user choosing its own role", "POST", token, USER,
               _json({"room": "a", "role": "Presenter"}))
    yield Case("video_token", "backend naming no identity", "POST", token, BACKEND, _json({"room": "a"}))
    yield Case("video_token", "backend naming a role that does not exist", "POST", token, BACKEND,
               _json({"room": "a", "identity": "alice", "role": "Organizer"}))
    yield Case("video_token", "a user without the voip scope", "POST", token, USER, _json({"room": "a"}))
    yield Case("video_rooms_create", "no name", "POST", rooms, FUNCTION, _json({"validUntil": "2030-01-01T00:00:00Z"}))
    yield Case("video_rooms_create", "validFrom not a date", "POST", rooms, FUNCTION,
               _json({"name": "a", "validFrom": "tomorrow"}))
    yield Case("video_rooms_create", "validUntil without a zone", "POST", rooms, FUNCTION,
               _json({"name": "a", "validUntil": "2030-01-01T00:00:00"}))
    yield Case("video_rooms_create", "validUntil in the past", "POST", rooms, FUNCTION,
               _json({"name": "a", "validUntil": "2001-01-01T00:00:00Z"}))
    yield Case("video_rooms_create", "window longer than 180 days", "POST", rooms, FUNCTION,
               _json({"name": "a", "validUntil": "2099-01-01T00:00:00Z"}))
    yield Case("video_rooms_create", "validUntil before validFrom", "POST", rooms, FUNCTION,
               _json({"name": "a", "validFrom": "2027-03-02T00:00:00Z", "validUntil": "2027-03-01T00:00:00Z"}))
    yield Case("video_rooms_create", "validFrom a year ahead", "POST", rooms, FUNCTION,
               _json({"name": "a", "validFrom": "2099-01-01T00:00:00Z"}))
    yield Case("video_rooms_participants", "participants not a list", "PUT", lobby, FUNCTION,
               _json({"participants": {"alice": "Presenter"}}))
    yield Case("video_rooms_participants", "role that does not exist", "PUT", lobby, FUNCTION,
               _json({"participants": [{"identity": "alice", "role": "Organizer"}]}))
    yield Case("video_rooms_participants", "an identity listed twice", "PUT", lobby, FUNCTION,
               _json({"participants": [{"identity": "alice"}, {"identity": "alice", "role": "Consumer"}]}))
    yield Case("video_rooms_participants", "351 participants", "PUT", lobby, FUNCTION,
               _json({"participants": [{"identity": f"u{i}"} for i in range(351)]}))
    yield Case("video_rooms_participants", "participant with an unknown field", "PUT", lobby, FUNCTION,
               _json({"participants": [{"identity": "alice", "rawId": "8:acs:x"}]}))
    for attack in ODATA_INJECTIONS:
        yield Case("video_rooms_get", f"OData injection in room name {attack!r}", "GET",
                   "/api/video/rooms/" + quote(attack, safe=""), FUNCTION)
        yield Case("video_token", f"OData injection in room {attack!r}", "POST", token, USER, _json({"room": attack}),
                   expect=frozenset({403}))  # a valid name: refused for the missing voip scope, nothing written
    for traversal in TRAVERSALS:
        shown = traversal[:24]
        host_level = "%2f" in traversal.lower()
        extra: dict[str, Any] = {"json_error": False, "expect": frozenset({404})} if host_level else {}
        yield Case("video_rooms_get", f"path traversal in room name {shown}", "GET", f"{rooms}/{traversal}",
                   FUNCTION, **extra)
        yield Case("video_rooms_delete", f"path traversal in room name {shown}", "DELETE", f"{rooms}/{traversal}",
                   FUNCTION, **extra)
        yield Case("video_rooms_participants", f"path traversal in room name {shown}", "PUT",
                   f"{rooms}/{traversal}/participants", FUNCTION, _json({"participants": []}), **extra)
    yield Case("video_rooms_get", "a room that does not exist", "GET", f"{rooms}/never-made", FUNCTION)
    for route, method, path in (("video_rooms_create", "POST", rooms), ("video_rooms_get", "GET", f"{rooms}/a"),
                                ("video_rooms_delete", "DELETE", f"{rooms}/a"),
                                ("video_rooms_participants", "PUT", lobby)):
        body = b"{}" if method in ("POST", "PUT") else None
        yield Case(route, "no function key", method, path, NONE, body, json_error=False, expect=frozenset({401}))
        yield Case(route, "wrong function key", method, path, NONE, body, headers={"x-functions-key": "guess"},
                   json_error=False, expect=frozenset({401}))
    yield Case("video_token", "no credentials", "POST", token, NONE, _json({"room": "a"}))
    yield Case("video_token", "wrong backend key", "POST", token, NONE, _json({"room": "a", "identity": "alice"}),
               headers={"x-functions-key": "not-the-backend-key-0123456789abcdef"})
    yield Case("video_token", "expired JWT", "POST", token, NONE, _json({"room": "a"}),
               raw_auth=lambda t: {"Authorization": f"Bearer {t.issuer.token('alice', lifetime=-120)}"})
    yield Case("video_token", "alg none JWT", "POST", token, NONE, _json({"room": "a"}),
               raw_auth=lambda t: {"Authorization": f"Bearer {_alg_none_token('alice')}"})
    yield Case("video_token", "JWT signed by a stranger's key", "POST", token, NONE, _json({"room": "a"}),
               raw_auth=lambda t: {"Authorization": f"Bearer {_stranger_token(t)}"})


def _attachment_cases() -> Iterator[Case]:
    conversation, media = "CH" + "a" * 32, "ME" + "b" * 32
    good = f"/api/attachments/{conversation}/{media}"
    for traversal in TRAVERSALS:
        shown = traversal[:24]
        host_level = "%2f" in traversal.lower()
        extra = {"json_error": False, "expect": frozenset({404})} if host_level else {}
        yield Case("attachment_get", f"path traversal in media {shown}", "GET",
                   f"/api/attachments/{conversation}/{traversal}", USER, **extra)  # type: ignore[arg-type]
        yield Case("attachment_get", f"path traversal in conversation {shown}", "GET",
                   f"/api/attachments/{traversal}/{media}", USER, **extra)  # type: ignore[arg-type]
    for what, path in (("media SID of the wrong kind", f"/api/attachments/{conversation}/IM{'b' * 32}"),
                       ("upper-case hex", f"/api/attachments/{conversation}/ME{'B' * 32}"),
                       ("conversation SID too short", f"/api/attachments/CH{'a' * 31}/{media}"),
                       ("unknown format", f"{good}?format=zip"),
                       ("an attachment that does not exist", good),
                       ("OData injection as conversation", "/api/attachments/CH'%20or%20'1'%20eq%20'1/" + media)):
        yield Case("attachment_get", what, "GET", path, USER, content_type=None)
    yield Case("attachment_get", "no credentials", "GET", good, NONE, content_type=None)
    yield Case("attachment_get", "backend naming no identity", "GET", good, BACKEND, content_type=None)
    yield Case("attachment_get", "backend naming an identity with a bidi override", "GET",
               f"{good}?identity=%E2%80%AEevil", BACKEND, content_type=None)
    yield Case("attachment_get", "expired JWT", "GET", good, NONE, content_type=None,
               raw_auth=lambda t: {"Authorization": f"Bearer {t.issuer.token('alice', lifetime=-120)}"})
    yield Case("attachment_get", "alg none JWT", "GET", good, NONE, content_type=None,
               raw_auth=lambda t: {"Authorization": f"Bearer {_alg_none_token('alice')}"})
    yield Case("attachment_get", "forged App Service principal", "GET", good, NONE, content_type=None,
               headers={"X-MS-CLIENT-PRINCIPAL": _b64(b'{"claims":[{"typ":"sub","val":"alice"}]}')})


def _archive_cases() -> Iterator[Case]:
    conversation = "CH" + "a" * 32
    good = f"/api/archives/{conversation}/transcript.html"
    for traversal in TRAVERSALS:
        shown = traversal[:24]
        host_level = "%2f" in traversal.lower()
        extra = {"json_error": False, "expect": frozenset({404})} if host_level else {}
        yield Case("archive_get", f"path traversal in file {shown}", "GET",
                   f"/api/archives/{conversation}/{traversal}", USER, **extra)  # type: ignore[arg-type]
        yield Case("archive_get", f"path traversal in conversation {shown}", "GET",
                   f"/api/archives/{traversal}/transcript.html", USER, **extra)  # type: ignore[arg-type]
    for what, path in (("a file that is not a transcript", f"/api/archives/{conversation}/index.html"),
                       ("a media SID as file", f"/api/archives/{conversation}/ME{'b' * 32}"),
                       ("conversation SID too short", f"/api/archives/CH{'a' * 31}/transcript.jsonl"),
                       ("unknown format", f"{good}?format=zip"),
                       ("an archive that does not exist", good),
                       ("OData injection as conversation",
                        "/api/archives/CH'%20or%20'1'%20eq%20'1/transcript.html")):
        yield Case("archive_get", what, "GET", path, USER, content_type=None)
    yield Case("archive_get", "no credentials", "GET", good, NONE, content_type=None)
    yield Case("archive_get", "backend naming no identity", "GET", good, BACKEND, content_type=None)
    yield Case("archive_get", "expired JWT", "GET", good, NONE, content_type=None,
               raw_auth=lambda t: {"Authorization": f"Bearer {t.issuer.token('alice', lifetime=-120)}"})
    yield Case("archive_get", "alg none JWT", "GET", good, NONE, content_type=None,
               raw_auth=lambda t: {"Authorization": f"Bearer {_alg_none_token('alice')}"})
    yield Case("archive_get", "forged App Service principal", "GET", good, NONE, content_type=None,
               headers={"X-MS-CLIENT-PRINCIPAL": _b64(b'{"claims":[{"typ":"sub","val":"alice"}]}')})
    for what, body in (("both archive cutoffs", {"archiveBefore": "2024-01-01", "archiveKeepNewest": 5}),
                       ("archiveKeepNewest as a string", {"archiveKeepNewest": "5"}),
                       ("archiveKeepNewest negative", {"archiveKeepNewest": -1}),
                       ("archiveKeepNewest huge", {"archiveKeepNewest": 10**30}),
                       ("archiveBefore not a date", {"archiveBefore": "last year"}),
                       ("archiveBefore with a bidi override", {"archiveBefore": "2024-01-01\u202e"})):
        yield Case("start_migration", what, "POST", "/api/migrations", FUNCTION, _json(body))


def _console_cases() -> Iterator[Case]:
    yield Case("console_page", "no function key", "GET", "/api/console", NONE, json_error=False,
               expect=frozenset({401}))
    yield Case("console_page", "wrong function key", "GET", "/api/console", NONE, headers={"x-functions-key": "x"},
               json_error=False, expect=frozenset({401}))
    for name in ("..%2F..%2Ffunction_app.py", "index.html", "console.js%00", "CONSOLE.JS", "%2e%2e", "console.js.map",
                 "%EF%BF%BF", "a" * 300):
        yield Case("console_asset", f"asset name {name[:24]!r}", "GET", f"/api/console/assets/{name}", NONE,
                   expect=frozenset({404}), json_error="%2F" not in name)  # a slash: the host finds no route


def catalogue() -> list[Case]:
    return [*_body_cases(), *_field_cases(), *_path_cases(), *_auth_cases(), *_twilio_cases(), *_ssrf_cases(),
            *_video_cases(), *_attachment_cases(), *_archive_cases(), *_console_cases()]


def sign_twilio(case: Case, target: Any) -> dict[str, str]:
    """The ``X-Twilio-Signature`` a case carries (valid for its own URL and body unless it is a forgery)."""
    from urllib.parse import parse_qsl

    url = f"{target.host.url}{case.path}"
    token = target.environ["TWILIO_AUTH_TOKEN"]
    try:
        params = dict(parse_qsl((case.body or b"").decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        params = {}
    if case.sign_twilio == "wrong-token":
        token = "not-the-auth-token"
    elif case.sign_twilio == "valid-other-url":
        url = f"{target.host.url}/api/twilio/events?replayed=1"
    elif case.sign_twilio == "other-body":
        params = {**params, "EventType": "onMessageRemoved"}
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}
