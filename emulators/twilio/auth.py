"""HTTP Basic auth: Account SID + Auth Token, or API Key SID + secret; Twilio's 401 otherwise."""

from __future__ import annotations

import base64
import binascii
import hmac

from aiohttp import web

from .context import Emulator
from .errors import TwilioError


def unauthorized(detail: str) -> TwilioError:
    """Twilio's 401 body (code 20003) with a ``WWW-Authenticate`` challenge."""
    return TwilioError(401, 20003, "Authenticate", detail=detail,
                       headers={"WWW-Authenticate": 'Basic realm="Twilio API"'})


def authenticate(request: web.Request, emulator: Emulator, *, allow_api_keys: bool = True) -> str:
    """Return the user name that authenticated, or raise the 401 ``TwilioError``."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        raise unauthorized("No credentials provided" if not header else "Only HTTP Basic authentication is accepted")
    try:
        user, _, secret = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise unauthorized("Malformed Authorization header") from exc
    settings = emulator.settings
    if user == settings.account_sid and hmac.compare_digest(secret, settings.auth_token):
        return user
    expected = settings.api_keys.get(user) if allow_api_keys else None
    if expected is not None and hmac.compare_digest(secret, expected):
        return user
    raise unauthorized("Your AccountSid or AuthToken was incorrect.")
