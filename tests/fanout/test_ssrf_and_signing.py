"""The SSRF guard refuses every internal address class (literal, by name, IPv6 forms) and the signatures verify."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from shared.errors import BadRequestError
from shared.fanout.signing import body_signature, twilio_signature, verify_body_signature
from shared.fanout.ssrf import TargetResolutionError, UnsafeTargetError, UrlGuard, address_class

REFUSED = {
    "loopback": ["127.0.0.1", "127.255.0.9", "::1"],
    "private": ["10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "fc00::1", "fd12:3456::1"],
    "link-local": ["169.254.1.1", "fe80::1"],
    "CGNAT": ["100.64.0.1", "100.127.255.254"],
    "multicast": ["224.0.0.1", "239.1.2.3", "ff02::1"],
    "unspecified": ["0.0.0.0", "::", "0.1.2.3"],
    "cloud metadata": ["169.254.169.254", "168.63.129.16", "100.100.100.200", "fd00:ec2::254"],
}
# IPv6 spellings of internal IPv4 addresses: judged by the embedded address.
EMBEDDED = {
    "::ffff:127.0.0.1": "loopback",
    "::ffff:7f00:1": "loopback",
    "::ffff:169.254.169.254": "cloud metadata",
    "::ffff:10.1.2.3": "private",
    "2002:7f00:1::": "loopback",  # 6to4 of 127.0.0.1
    "64:ff9b::a9fe:a9fe": "cloud metadata",  # NAT64 of 169.254.169.254
    "::127.0.0.1": "loopback",  # deprecated IPv4-compatible
}
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"]


def resolver_to(*addresses: str) -> object:
    def resolve(host: str, port: int) -> Sequence[str]:
        return list(addresses)

    return resolve


def _url(address: str) -> str:
    return f"https://[{address}]/hook" if ":" in address else f"https://{address}/hook"


@pytest.mark.parametrize(("kind", "address"), [(k, a) for k, addrs in REFUSED.items() for a in addrs])
def test_each_internal_class_is_refused_as_a_literal_and_by_name(kind: str, address: str) -> None:
    with pytest.raises(UnsafeTargetError, match=kind):
        UrlGuard().check(_url(address))
    with pytest.raises(UnsafeTargetError, match=kind):
        UrlGuard(resolver=resolver_to(address)).check("https://hooks.example.com/hook")  # type: ignore[arg-type]


@pytest.mark.parametrize(("address", "kind"), EMBEDDED.items())
def test_ipv6_forms_of_internal_ipv4_addresses_are_refused(address: str, kind: str) -> None:
    with pytest.raises(UnsafeTargetError, match=kind):
        UrlGuard().check(_url(address))


def test_a_name_is_refused_when_any_of_its_addresses_is_internal() -> None:
    guard = UrlGuard(resolver=resolver_to("93.184.216.34", "127.0.0.1"))  # type: ignore[arg-type]
    with pytest.raises(UnsafeTargetError, match="loopback"):
        guard.check("https://rebinding.example.com/hook")


def test_localhost_names_resolve_to_loopback_and_are_refused() -> None:
    for url in ("https://localhost/hook", "https://LOCALHOST./x", "https://api.localhost/x"):
        with pytest.raises(UnsafeTargetError, match="loopback"):
            UrlGuard().check(url)


def test_the_system_resolver_is_used_and_an_internal_answer_refused() -> None:
    name = socket.gethostname()  # this machine's own name resolves to a loopback or private address
    addresses = {info[4][0] for info in socket.getaddrinfo(name, 443)}
    if not any(address_class(ipaddress.ip_address(str(a).split("%")[0])) for a in addresses):
        pytest.skip(f"{name} resolves to public addresses only here")
    with pytest.raises(UnsafeTargetError):
        UrlGuard().check(f"https://{name}/hook")
    with pytest.raises(TargetResolutionError):
        UrlGuard().check("https://no-such-host.invalid/hook")


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    target = UrlGuard(resolver=resolver_to(address)).check("https://hooks.example.com:8443/a?b=c")  # type: ignore[arg-type]
    assert (target.host, target.port, target.addresses) == ("hooks.example.com", 8443, (address,))


def test_allow_private_lets_loopback_and_private_through_but_never_metadata_or_multicast() -> None:
    guard = UrlGuard(allow_private=True)
    for address in ("127.0.0.1", "::1", "10.1.1.1", "100.64.1.1", "169.254.9.9"):
        guard.check(_url(address))
    for address in ("169.254.169.254", "fd00:ec2::254", "224.0.0.1", "0.0.0.0", "::ffff:169.254.169.254"):
        with pytest.raises(UnsafeTargetError):
            guard.check(_url(address))


@pytest.mark.parametrize("url", [
    "http://93.184.216.34/hook", "ftp://93.184.216.34/x", "file:///etc/passwd", "gopher://x/", "//x/y",
])
def test_only_https_unless_http_is_allowed(url: str) -> None:
    with pytest.raises(BadRequestError):
        UrlGuard().check(url)


def test_http_is_accepted_when_the_development_setting_allows_it() -> None:
    assert UrlGuard(allow_http=True).check("http://93.184.216.34/hook").port == 80


@pytest.mark.parametrize("url", [
    "", "https://", "https://user:pw@93.184.216.34/", "https://93.184.216.34/a#frag", "https://exa mple.com/",
    "https://93.184.216.34:99999/", "https://" + "a" * 2100 + ".com/",
])
def test_malformed_urls_are_bad_requests(url: str) -> None:
    with pytest.raises(BadRequestError):
        UrlGuard(resolver=resolver_to("93.184.216.34")).check(url)  # type: ignore[arg-type]


params_strategy = st.dictionaries(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40),
    max_size=8,
)


@given(params=params_strategy, secret=st.text(min_size=16, max_size=40).filter(lambda s: "\x00" not in s))
def test_twilio_signature_passes_twilios_own_request_validator(params: dict[str, str], secret: str) -> None:
    url = "https://hooks.example.com/twilio?x=1"
    signature = twilio_signature(url, params, secret)
    validator = RequestValidator(secret)
    assert signature == validator.compute_signature(url, params)
    assert validator.validate(url, params, signature)
    assert validator.validate("https://hooks.example.com:443/twilio?x=1", params, signature)
    assert not RequestValidator(secret + "x").validate(url, params, signature)


def test_a_tampered_twilio_request_fails_validation() -> None:
    params = {"EventType": "onMessageAdded", "Body": "hello"}
    signature = twilio_signature("https://h.example.com/t", params, "s" * 20)
    assert not RequestValidator("s" * 20).validate("https://h.example.com/t", {**params, "Body": "hellO"}, signature)
    assert not RequestValidator("s" * 20).validate("https://h.example.com/other", params, signature)


def test_cloudevents_signature_covers_timestamp_and_body() -> None:
    now = int(time.time())
    body = b'{"specversion":"1.0","id":"1"}'
    signature = body_signature(now, body, "k" * 20)
    assert signature.startswith("sha256=")
    assert len(signature) == 7 + 64
    assert verify_body_signature(str(now), body, signature, "k" * 20, now=now)
    assert not verify_body_signature(str(now), body + b" ", signature, "k" * 20, now=now)
    assert not verify_body_signature(str(now + 1), body, signature, "k" * 20, now=now)
    assert not verify_body_signature(str(now), body, signature, "other-secret-000000", now=now)
    assert not verify_body_signature(str(now - 3600), body, body_signature(now - 3600, body, "k" * 20), "k" * 20,
                                     now=now)
