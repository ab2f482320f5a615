"""Migrated attachments behind ``/api/attachments``: where the app is reachable, how long links live."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .core import Reader, setting
from .parsers import int_between, match, text


def _public_base_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc and not parts.query and not parts.fragment:
        return value.rstrip("/")
    return None


@dataclass(frozen=True)
class AttachmentSettings:
    """Migrated attachments behind ``/api/attachments``: where the app is reachable, how long links live.

    ``public_base_url`` is what the export writes into messages (``PUBLIC_BASE_URL``, else
    ``https://`` + ``WEBSITE_HOSTNAME`` on App Service); None when neither is set, and then the
    export refuses to copy media rather than write a link nobody can open.
    """

    public_base_url: str | None = setting(
        "PUBLIC_BASE_URL", _public_base_url,
        "an absolute http(s) URL without query, e.g. https://chat-history.example.com", default=None)
    link_minutes: int = setting(  # lifetime of the read-only link (SAS) the route answers with
        "ATTACHMENT_LINK_MINUTES", int_between(1, 60), "whole minutes from 1 to 60", default=5)
    login_path: str = setting(  # App Service Authentication's sign-in, for browser navigations
        "ATTACHMENT_LOGIN_PATH", match(r"/\.auth/login/[a-z0-9]{2,40}\Z"),
        "/.auth/login/<provider>, e.g. /.auth/login/aad", default="/.auth/login/aad")


@dataclass(frozen=True)
class PlatformEnvironment:
    """What App Service and Functions set themselves; read only as defaults of other settings."""

    website_hostname: str | None = setting("WEBSITE_HOSTNAME", text, "the site's host name", default=None)


def load_attachments(reader: Reader) -> AttachmentSettings:
    """The attachment settings; ``public_base_url`` defaults to ``https://`` + ``WEBSITE_HOSTNAME``."""
    settings = reader.load(AttachmentSettings)
    host = reader.load(PlatformEnvironment).website_hostname
    if reader.raw("PUBLIC_BASE_URL") is None and host is not None:
        return AttachmentSettings(public_base_url=_public_base_url("https://" + host),
                                  link_minutes=settings.link_minutes, login_path=settings.login_path)
    return settings
