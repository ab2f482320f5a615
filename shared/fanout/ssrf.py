"""The SSRF guard for subscriber URLs: https only, and never an internal address.

Checked when a subscription is created and again before every delivery, after DNS
resolution (a name can be re-pointed), and the delivery then connects to the address
that was checked. IPv4-mapped and other IPv6 forms that embed an IPv4 address are
judged by the embedded address. ``allow_private`` (development) lets loopback,
private, link-local and CGNAT through; cloud metadata, multicast, unspecified and
reserved addresses are refused always. Host names are normalised first (IDNA, UTS 46:
``８.８.８.８`` is ``8.8.8.8``, ``bücher.example`` is ``xn--bcher-kva.example``), so the
check and the delivery see the same ASCII host; a name IDNA refuses is a 400.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna

from ..errors import BadRequestError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

_METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, Azure IMDS, GCP, OpenStack
    "169.254.170.2",  # AWS ECS task metadata
    "168.63.129.16",  # Azure WireServer
    "100.100.100.200",  # Alibaba Cloud
    "fd00:ec2::254",  # AWS IMDS over IPv6
))
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_RESERVED_V4 = ipaddress.ip_network("240.0.0.0/4")  # includes the broadcast address


class UnsafeTargetError(BadRequestError):
    """A subscriber URL that must not be called."""

    code = "UnsafeTarget"


class TargetResolutionError(BadRequestError):
    """The subscriber's host name does not resolve (now); may succeed later."""

    code = "TargetNotResolvable"


@dataclass(frozen=True)
class Target:
    """A checked URL: its host name, port, and the addresses it resolved to (all allowed)."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def ascii_host(host: str) -> str:
    """``host`` as the ASCII name or address a resolver and a TLS handshake use; ``BadRequestError`` otherwise."""
    if host.isascii():
        return host.lower()
    try:
        return idna.encode(host, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError, ValueError):
        raise BadRequestError("url has a host name that is not a valid internationalised domain name.",
                              target="url") from None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(address))
    return None


def address_class(address: IPAddress) -> str | None:
    """Why ``address`` is internal ("loopback", "private", ...), or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_class(embedded)
        if address.scope_id:
            return "link-local"
    if address in _METADATA:
        return "cloud metadata"
    if address.is_unspecified or address in _THIS_NETWORK:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "CGNAT"
    if address in _RESERVED_V4:
        return "reserved"
    if address.is_private:
        return "private"
    if address.is_reserved or not address.is_global:
        return "reserved"
    return None


_ALLOWED_WHEN_PRIVATE = frozenset({"loopback", "private", "link-local", "CGNAT"})


def _system_resolver(host: str, port: int) -> Sequence[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class UrlGuard:
    """Checks subscriber URLs; ``resolver`` is ``socket.getaddrinfo`` unless a test gives another."""

    def __init__(self, *, allow_http: bool = False, allow_private: bool = False,
                 resolver: Resolver | None = None) -> None:
        self._allow_http = allow_http
        self._allow_private = allow_private
        self._resolve = resolver or _system_resolver

    def check_address(self, address: str) -> None:
        """Raise ``UnsafeTargetError`` if ``address`` (an IP literal) may not be called."""
        bare, _, zone = address.partition("%")
        try:
            parsed = ipaddress.ip_address(bare)
        except ValueError:
            raise UnsafeTargetError(f"The subscriber address {address!r} is not an IP address.", target="url") from None
        kind = "link-local" if zone else address_class(parsed)
        if kind is None or (self._allow_private and kind in _ALLOWED_WHEN_PRIVATE):
            return
        raise UnsafeTargetError(
            f"The subscriber URL points at a {kind} address ({address}); webhooks go to public addresses only.",
            target="url",
        )

    def check_syntax(self, url: str) -> tuple[str, str, int]:
        """Scheme, host and port of ``url``; ``BadRequestError`` if it is not an acceptable absolute URL."""
        if not isinstance(url, str) or not url or len(url) > 2048:
            raise BadRequestError("url must be an absolute https URL of at most 2048 characters.", target="url")
        if any(c.isspace() or ord(c) < 0x20 for c in url):
            raise BadRequestError("url must not contain spaces or control characters.", target="url")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise BadRequestError("url is not a valid URL.", target="url") from None
        allowed = ("https", "http") if self._allow_http else ("https",)
        if parts.scheme not in allowed:
            what = "https or http" if self._allow_http else "https"
            raise UnsafeTargetError(f"url must use {what} (got {parts.scheme or 'no scheme'!r}).", target="url")
        if not parts.hostname:
            raise BadRequestError("url has no host.", target="url")
        if not parts.netloc.isascii():
            raise BadRequestError("url must be ASCII: send the host as IDNA (xn--...) and percent-encode the rest.",
                                  target="url")
        if parts.username is not None or parts.password is not None:
            raise BadRequestError("url must not carry a user name or password.", target="url")
        if parts.fragment:
            raise BadRequestError("url must not have a #fragment.", target="url")
        return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)

    def check(self, url: str) -> Target:
        """Syntax, then every address the host resolves to; ``UnsafeTargetError`` or ``TargetResolutionError``."""
        scheme, host, port = self.check_syntax(url)
        try:
            ipaddress.ip_address(host)
            addresses: Sequence[str] = [host]
        except ValueError:
            if host.rstrip(".").lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
                ".localhost"
            ):
                addresses = ["127.0.0.1"]
            else:
                try:
                    addresses = self._resolve(host, port)
                except (OSError, UnicodeError):
                    raise TargetResolutionError(f"The subscriber host {host!r} does not resolve.",
                                                target="url") from None
        if not addresses:
            raise TargetResolutionError(f"The subscriber host {host!r} does not resolve.", target="url")
        for address in addresses:
            self.check_address(address)
        return Target(url=url, scheme=scheme, host=host, port=port, addresses=tuple(dict.fromkeys(addresses)))
