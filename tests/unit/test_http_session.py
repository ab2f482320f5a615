"""SdkSession sends what a plain requests.Session sends, through azure-core, and fails the same way."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
import requests
from azure.core import PipelineClient
from azure.core.exceptions import ServiceRequestError
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest

from shared.http_session import SdkSession


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, Any]]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        _Recorder.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                               "body": body})
        payload = b'{"ok": true}'
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Set-Cookie", "affinity=abc; Path=/")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Recorder.seen = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _send(session: requests.Session, url: str, request: HttpRequest) -> Any:
    client = PipelineClient(url, transport=RequestsTransport(session=session, session_owner=False))
    return client.send_request(request)


def _wire(seen: dict[str, Any]) -> tuple[str, str, dict[str, str], bytes]:
    """The request as the server saw it, less the per-request id azure-core makes up."""
    headers = {k.lower(): v for k, v in seen["headers"].items() if k.lower() not in ("x-ms-client-request-id",)}
    return seen["method"], seen["path"], headers, seen["body"]


def _plain_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


@pytest.mark.parametrize("request_args", [
    {"method": "POST", "path": "/chat/threads/19%3Aabc%40thread.v2/messages?api-version=2024-03-07",
     "json": {"content": "héllo", "metadata": {"twilioIndex": "7"}}},
    {"method": "PUT", "path": "/t(PartitionKey='a~002F',RowKey='0000000001')", "content": b"\x00\x01raw",
     "headers": {"Content-Type": "application/octet-stream", "If-Match": "*"}},
    {"method": "GET", "path": "/plain", "headers": {"Accept": "text/plain"}},
], ids=["json", "bytes", "get"])
def test_the_server_sees_the_same_request_as_from_a_plain_session(server: str, request_args: dict[str, Any]) -> None:
    args = dict(request_args)
    url = server + args.pop("path")
    for session in (_plain_session(), SdkSession()):
        response = _send(session, server, HttpRequest(args["method"], url, **{k: v for k, v in args.items()
                                                                              if k != "method"}))
        assert (response.status_code, response.json()) == (201, {"ok": True})
    plain, ours = _Recorder.seen
    assert _wire(ours) == _wire(plain)


def test_a_header_set_to_none_drops_the_session_default_as_requests_does(server: str) -> None:
    headers: Any = {"Accept-Encoding": None, "X-Custom": "1"}
    for session in (_plain_session(), SdkSession()):
        session.request("GET", server + "/x", headers=headers, allow_redirects=False)
    plain, ours = ({k.lower(): v for k, v in seen["headers"].items()} for seen in _Recorder.seen)
    assert ours == plain
    assert ours["accept-encoding"] == "identity"  # http.client's own, not the session's "gzip, deflate"
    assert (ours["x-custom"], ours["user-agent"]) == ("1", requests.utils.default_user_agent())


def test_cookies_are_neither_kept_nor_sent(server: str) -> None:
    session = SdkSession()
    for _ in range(2):
        session.request("GET", server + "/x", allow_redirects=False)
    assert len(session.cookies) == 0
    assert all("Cookie" not in seen["headers"] for seen in _Recorder.seen)


def test_calls_with_params_or_redirects_take_the_plain_path(server: str) -> None:
    session = SdkSession()
    session.request("GET", server + "/x", params={"a": "b c"}, allow_redirects=False)
    session.request("GET", server + "/y")  # requests' default: follow redirects
    assert [seen["path"] for seen in _Recorder.seen] == ["/x?a=b+c", "/y"]


def test_proxies_come_from_the_environment_once_per_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "skip.example")
    session = SdkSession()
    first = session.proxies_for("https://acs.example/chat?x=1")
    assert first == requests.utils.get_environ_proxies("https://acs.example/chat?x=1")  # what requests would use
    assert first["https"] == "http://proxy.example:3128"
    assert session.proxies_for("https://skip.example/anything") == {}
    monkeypatch.setenv("HTTPS_PROXY", "http://other.example:3128")
    assert session.proxies_for("https://ACS.example/other")["https"] == "http://proxy.example:3128"  # read once


def test_a_refused_connection_is_a_service_request_error_as_before() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    for session in (_plain_session(), SdkSession()):
        with pytest.raises(ServiceRequestError):
            _send(session, f"http://127.0.0.1:{port}", HttpRequest("GET", f"http://127.0.0.1:{port}/x"))


def test_two_origins_get_their_own_connection_pools(server: str) -> None:
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        session = SdkSession()
        for base in (server, f"http://127.0.0.1:{other.server_address[1]}", server):
            assert session.request("GET", base + "/z", allow_redirects=False).status_code == 201
        assert len(_Recorder.seen) == 3
    finally:
        other.shutdown()
        other.server_close()


@pytest.mark.parametrize("path", [
    "/chat/threads/19:a b@thread.v2/messages?api-version=2024-03-07&x=é",  # quoted by requests, as before
    "/t(PartitionKey='a%2Fb',RowKey='~002F')",  # already quoted: left as it is
], ids=["unquoted", "quoted"])
def test_urls_are_prepared_as_requests_prepares_them_each_time(server: str, path: str) -> None:
    for session in (_plain_session(), SdkSession(), SdkSession()):
        for _ in range(2):  # the second time from the prepared-URL cache
            session.request("PUT", server + path, data=b"x", allow_redirects=False)
    paths = {seen["path"] for seen in _Recorder.seen}
    assert len(_Recorder.seen) == 6
    assert len(paths) == 1


def test_credentials_in_the_url_become_basic_auth_as_in_requests(server: str) -> None:
    url = server.replace("http://", "http://ann:s%40cret@") + "/x"
    for session in (_plain_session(), SdkSession()):
        session.request("GET", url, allow_redirects=False)
    plain, ours = _Recorder.seen
    assert ours["headers"]["Authorization"] == plain["headers"]["Authorization"] == "Basic YW5uOnNAY3JldA=="


@pytest.mark.parametrize("url", ["no-scheme/x", "http://", "https://exa mple.com:99999/x"])
def test_an_invalid_url_fails_as_in_requests(url: str) -> None:
    with pytest.raises(requests.RequestException) as plain:
        _plain_session().request("GET", url, allow_redirects=False)
    for _ in range(2):  # not cached: the same error again
        with pytest.raises(requests.RequestException) as ours:
            SdkSession().request("GET", url, allow_redirects=False)
        assert type(ours.value) is type(plain.value)
