"""The Twilio account the history comes from: an auth token or an API key pair."""

from __future__ import annotations

from dataclasses import dataclass

from .core import Reader, Secret, secret_setting, setting
from .parsers import EXPECT_URL, match, url

EXPECT_ACCOUNT_SID = "AC followed by 32 lowercase hex characters"
EXPECT_API_KEY_SID = "SK followed by 32 lowercase hex characters"


@dataclass(frozen=True)
class TwilioSettings:
    """The Twilio account the history comes from; an auth token or an API key pair."""

    account_sid: str = setting("TWILIO_ACCOUNT_SID", match(r"AC[0-9a-f]{32}\Z"), EXPECT_ACCOUNT_SID, default="",
                               required=True)
    auth_token: Secret | None = secret_setting(
        "TWILIO_AUTH_TOKEN", "the account's auth token, or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET")
    api_key_sid: str | None = setting("TWILIO_API_KEY_SID", match(r"SK[0-9a-f]{32}\Z"), EXPECT_API_KEY_SID,
                                      default=None)
    api_key_secret: Secret | None = secret_setting("TWILIO_API_KEY_SECRET", "the API key's secret")
    base_url: str | None = setting("TWILIO_BASE_URL", url, EXPECT_URL, default=None)  # the stand-in's URL, locally

    @property
    def username(self) -> str:
        return self.api_key_sid or self.account_sid

    @property
    def password(self) -> Secret:
        secret = self.api_key_secret if self.api_key_sid else self.auth_token
        assert secret is not None  # guaranteed by load_twilio
        return secret


def load_twilio(reader: Reader) -> TwilioSettings:
    """The account and its credential: a key SID needs its secret and the other way round, else the auth token."""
    settings = reader.load(TwilioSettings)
    key_sid = reader.raw("TWILIO_API_KEY_SID")
    if key_sid is not None and settings.api_key_secret is None:
        reader.missing("TWILIO_API_KEY_SECRET", "the API key's secret")
    elif settings.api_key_secret is not None and key_sid is None:
        reader.missing("TWILIO_API_KEY_SID", EXPECT_API_KEY_SID)
    elif settings.auth_token is None and settings.api_key_secret is None:
        reader.missing("TWILIO_AUTH_TOKEN",
                       "the account's auth token, or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET")
    return settings
