"""The Azure Communication Services resource the history goes to."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import urlsplit

from .core import Reader, Secret, setting
from .parsers import parse_connection_string, text

EXPECT_ACS = "endpoint=https://<resource>.communication.azure.com/;accesskey=<base64 key>"


@dataclass(frozen=True)
class AcsSettings:
    """The Azure Communication Services resource the history goes to."""

    endpoint: str
    access_key: Secret
    ca_bundle: str | None = None  # a CA bundle path, only for a local stand-in with its own CA

    @property
    def connection_string(self) -> Secret:
        return Secret(f"endpoint={self.endpoint}/;accesskey={self.access_key.reveal()}")


def _acs_connection_string(value: str) -> tuple[str, Secret] | None:
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
    return endpoint.rstrip("/"), Secret(key)


@dataclass(frozen=True)
class AcsEnvironment:
    """The ACS settings as declared: one connection string (endpoint and key) and an optional CA bundle."""

    connection: tuple[str, Secret] | None = setting(
        "ACS_CONNECTION_STRING", _acs_connection_string, EXPECT_ACS, default=None, required=True, secret=True)
    ca_bundle: str | None = setting("ACS_CA_BUNDLE", text, "a CA bundle file path", default=None)


def load_acs(reader: Reader) -> AcsSettings:
    """The endpoint and access key from ``ACS_CONNECTION_STRING``."""
    env = reader.load(AcsEnvironment)
    endpoint, key = env.connection or ("", Secret(""))
    return AcsSettings(endpoint=endpoint, access_key=key, ca_bundle=env.ca_bundle)
