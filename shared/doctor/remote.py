"""Checks that call out: Twilio (one cheap read), ACS (a harmless signed read), the JWT issuer's JWKS.

Each proves the credential or address with the smallest call that needs it, and turns the
failure into what to fix. No check echoes a secret: errors name settings, hosts and status codes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from jwt import PyJWK, PyJWKClient
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError, PyJWKError

from .report import CheckResult

_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}


class TwilioCheck:
    """Lists one conversation: proves the account SID and the auth token (or API key) together."""

    name = "twilio"

    def __init__(self, *, list_one_conversation: Callable[[], object], uses_api_key: bool,
                 base_url: str | None) -> None:
        self._list = list_one_conversation
        self._credentials = ("TWILIO_ACCOUNT_SID with TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET" if uses_api_key
                             else "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        self._base_url = base_url

    def run(self) -> CheckResult:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            self._list()
        except TwilioRestException as exc:
            return self._refused(exc.status, exc.code)
        except TwilioException as exc:  # a page that failed to load carries the response
            response = exc.args[1] if len(exc.args) > 1 else None
            return self._refused(getattr(response, "status_code", None), _twilio_code(response))
        except requests.RequestException as exc:
            where = "TWILIO_BASE_URL" if self._base_url else "the network path to api.twilio.com"
            return CheckResult(self.name, "fail", f"could not reach Twilio ({type(exc).__name__}): check {where}")
        if self._base_url:
            return CheckResult(self.name, "warn", f"the credentials work, but TWILIO_BASE_URL sends every Twilio call "
                                                  f"to {_origin(self._base_url)}, not Twilio: remove it for a cutover")
        return CheckResult(self.name, "pass", f"{self._credentials} read Conversations")


    def _refused(self, status: int | None, code: object) -> CheckResult:
        if status == 401:
            return CheckResult(self.name, "fail", f"Twilio refused the credentials (401, code {code}): "
                                                  f"check {self._credentials} (the Twilio console, Account Info)")
        if status == 403:
            return CheckResult(self.name, "fail", f"the credentials may not read Conversations (403, code {code}): "
                                                  "use the auth token or a Standard API key")
        return CheckResult(self.name, "fail", f"Twilio answered {status} (code {code}) to a conversation listing; "
                                              "see https://www.twilio.com/docs/api/errors")


def _twilio_code(response: object) -> object:
    try:
        body = json.loads(str(getattr(response, "text", "")))
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


class AcsCheck:
    """Lists rooms (a read signed with the access key): proves ACS_CONNECTION_STRING's endpoint and key."""

    name = "acs"

    def __init__(self, *, list_one_room: Callable[[], object], endpoint: str, ca_bundle: str | None) -> None:
        self._list = list_one_room
        self._host = urlsplit(endpoint).netloc
        self._ca_bundle = ca_bundle

    def run(self) -> CheckResult:
        try:
            self._list()
        except ClientAuthenticationError as exc:
            return self._refused(getattr(exc, "status_code", None))
        except (ServiceRequestError, ServiceResponseError) as exc:
            return CheckResult(self.name, "fail", f"ACS at {self._host} did not answer ({type(exc).__name__}): check "
                                                  "the endpoint in ACS_CONNECTION_STRING")
        except HttpResponseError as exc:
            if exc.status_code in (401, 403):
                return self._refused(exc.status_code)
            code = getattr(exc, "error_code", None) or exc.reason
            return CheckResult(self.name, "fail", f"ACS at {self._host} answered {exc.status_code} ({code}) "
                                                  "to a rooms listing")
        if self._ca_bundle:
            return CheckResult(self.name, "warn", f"the key works at {self._host}, but ACS_CA_BUNDLE trusts a private "
                                                  "CA meant for the local stand-in: remove it for a cutover")
        return CheckResult(self.name, "pass", f"ACS at {self._host} accepts the access key")

    def _refused(self, status: int | None) -> CheckResult:
        return CheckResult(self.name, "fail", f"ACS at {self._host} refused the access key ({status or 'refused'}): "
                                              "copy the connection string again (az communication list-key) into "
                                              "ACS_CONNECTION_STRING; the key must belong to this endpoint")


class JwksCheck:
    """Fetches TOKEN_JWKS_URL and looks for a signing key per accepted algorithm."""

    name = "jwks"

    def __init__(self, *, jwks_url: str, algorithms: tuple[str, ...], timeout: float = 10.0) -> None:
        self._url = jwks_url
        self._algorithms = algorithms
        self._timeout = timeout

    def run(self) -> CheckResult:
        client = PyJWKClient(self._url, cache_jwk_set=False, timeout=int(max(1, self._timeout)))
        try:
            data = client.fetch_data()
        except PyJWKClientConnectionError:
            return CheckResult(self.name, "fail", f"TOKEN_JWKS_URL ({_origin(self._url)}) could not be fetched: "
                                                  "check the URL and that this app can reach it")
        except (PyJWKClientError, ValueError):
            data = None
        keys = [key for key in (data.get("keys") if isinstance(data, dict) else None) or [] if _usable(key)]
        if not keys:
            return CheckResult(self.name, "fail", "TOKEN_JWKS_URL answered without usable signing keys: is it the "
                                                  "identity provider's JWKS (Entra: .../discovery/v2.0/keys)?")
        missing = [alg for alg in self._algorithms if not any(_signs(key, alg) for key in keys)]
        if missing:
            return CheckResult(self.name, "fail", f"TOKEN_JWKS_URL publishes no key for {', '.join(missing)}: set "
                                                  "TOKEN_JWT_ALGORITHMS to what the provider signs with")
        return CheckResult(self.name, "pass", f"TOKEN_JWKS_URL publishes {len(keys)} signing key(s) for "
                                              f"{', '.join(self._algorithms)}")


def _usable(key: object) -> bool:
    """A JWK PyJWT can load (the verifier would skip the others)."""
    if not isinstance(key, dict):
        return False
    try:
        PyJWK(key)
    except (PyJWKError, ValueError, TypeError, KeyError):
        return False
    return True


def _signs(key: dict[str, Any], algorithm: str) -> bool:
    return (key.get("kty") == _KEY_TYPES.get(algorithm[:2]) and key.get("use") in (None, "sig")
            and key.get("alg") in (None, algorithm))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
