"""The ``twilio`` SDK client and the media reader, both pointed at ``TWILIO_BASE_URL`` when it is set.

The SDK's documented extension point is a custom HTTP client (README, "custom HTTP
client"): ``RewritingHttpClient`` sends every Twilio host, absolute paging links
included, to the stand-in's base URL. Media lives on the Media Content Service, which
the SDK does not cover, so it is read with httpx and streamed, never held whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from ..settings import TwilioSettings

TWILIO_HOSTS = (
    "https://conversations.twilio.com",
    "https://chat.twilio.com",
    "https://mcs.us1.twilio.com",
)
MCS_URL = "https://mcs.us1.twilio.com"
CHUNK = 256 * 1024


class RewritingHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """A ``TwilioHttpClient`` that rewrites Twilio's hosts to ``base_url`` and pools enough connections."""

    def __init__(self, base_url: str | None, *, pool_size: int = 64, timeout: float = 60.0) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/") if base_url else None
        if self.session is not None:
            for scheme in ("http://", "https://"):
                self.session.mount(scheme, HTTPAdapter(pool_connections=4, pool_maxsize=pool_size))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self.base_url:
            for host in TWILIO_HOSTS:
                if url.startswith(host):
                    url = self.base_url + url[len(host):]
                    break
        return super().request(method, url, *args, **kwargs)


def twilio_client(settings: TwilioSettings, *, pool_size: int = 64, timeout: float = 60.0) -> Client:
    """A ``twilio.rest.Client`` for the configured account (auth token or API key)."""
    return Client(
        settings.username,
        settings.password.reveal(),
        account_sid=settings.account_sid,
        http_client=RewritingHttpClient(settings.base_url, pool_size=pool_size, timeout=timeout),
    )


class MediaExpiredError(Exception):
    """The signed direct link expired before it was read; fetch the media JSON again."""


class MediaReader:
    """Streams a media item's bytes: media JSON (Basic auth), then its short-lived direct link."""

    def __init__(self, settings: TwilioSettings, *, pool_size: int = 64) -> None:
        self._base = (settings.base_url or MCS_URL).rstrip("/")
        limits = httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size)
        self._http = httpx.Client(
            auth=(settings.username, settings.password.reveal()), timeout=60.0, limits=limits, follow_redirects=False
        )

    def describe(self, service_sid: str, media_sid: str) -> dict[str, Any]:
        response = self._http.get(f"{self._base}/v1/Services/{service_sid}/Media/{media_sid}")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def chunks(self, direct_url: str) -> Iterator[bytes]:
        """The bytes behind a direct link, chunk by chunk, without credentials."""
        with self._http.stream("GET", direct_url, auth=None) as response:
            if response.status_code == 403:
                raise MediaExpiredError(direct_url.split("?", 1)[0])
            response.raise_for_status()
            yield from response.iter_bytes(CHUNK)

    def close(self) -> None:
        self._http.close()
