"""Recordings of real ACS traffic replay against the stand-in with the same statuses and fields.

Each recorded request is sent again (ids learnt from earlier answers are substituted for the
recorded ones, and the stand-in's own HMAC key or bearer token replaces the sanitised auth).
The answer must have the recorded status, the recorded headers that matter (``Location``,
JSON content type) and the recorded body's field structure; values that identify behaviour
(topics, types, sequence ids, error codes and messages) must be equal, and timestamp formats
must match the recorded ones. Error bodies may carry more fields than recorded (the spec's
``error`` object beside the real ``CommunicationError``); success bodies may not.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest
import requests
import yaml

from .conftest import Acs
from .wire import hmac_headers

RECORDINGS = Path("specs/acs/recordings")
COMPARED_VALUES = {"topic", "type", "sequenceId", "code", "message", "target", "Code", "Message"}
TIME_FORMATS = {
    "whole-seconds-Z": re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"),
    "7-digit-offset": re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00$"),
}


@dataclass
class Exchange:
    method: str
    uri: str
    request_headers: dict[str, str]
    request_body: Any
    status: int
    response_headers: dict[str, str]
    response_body: Any


def _json_or_none(text: Any) -> Any:
    if text in (None, ""):
        return None
    if isinstance(text, (dict, list)):
        return text
    return json.loads(text)


def load_recording(path: Path) -> list[Exchange]:
    if path.suffix == ".json":
        entries = json.loads(path.read_text(encoding="utf-8"))["Entries"]
        return [
            Exchange(
                e["RequestMethod"],
                e["RequestUri"],
                e["RequestHeaders"],
                e.get("RequestBody"),
                e["StatusCode"],
                e["ResponseHeaders"],
                e.get("ResponseBody"),
            )
            for e in entries
        ]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    exchanges = []
    for item in data["interactions"]:
        request, response = item["request"], item["response"]
        exchanges.append(
            Exchange(
                request["method"],
                request["uri"],
                {k: v[0] for k, v in request["headers"].items() if v},
                _json_or_none(request["body"]),
                response["status"]["code"],
                {k: v[0] for k, v in response["headers"].items() if v},
                _json_or_none(response["body"]["string"]),
            )
        )
    return exchanges


def shape(value: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON value (list items share ``[]``)."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            paths.add(prefix + key)
            paths |= shape(item, prefix + key + ".")
    elif isinstance(value, list):
        for item in value:
            paths |= shape(item, prefix + "[].")
    return paths


def leaves(value: Any, prefix: str = "") -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                out += leaves(item, prefix + key + ".")
            else:
                out.append((prefix + key, key, item))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += leaves(item, f"{prefix}[{index}].")
    return out


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


@dataclass
class Replayer:
    acs: Acs
    token: str | None = None
    user_id: str | None = None
    identity_id: str | None = None
    threads: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    first_create: dict[str, Any] = field(default_factory=dict)

    def _path(self, uri: str) -> str:
        parts = urlsplit(uri)
        path = unquote(parts.path)
        for recorded, live in self.threads.items():
            path = path.replace(recorded, live)
        if self.threads:
            path = path.replace("/chat/threads/sanitized", "/chat/threads/" + next(iter(self.threads.values())))
        for recorded, live in self.messages.items():
            path = path.replace(f"/messages/{recorded}", f"/messages/{live}")
        if self.identity_id:
            path = path.replace("/identities/sanitized", "/identities/" + self.identity_id)
        return quote(path, safe="/:@") + ("?" + parts.query if parts.query else "")

    def _body(self, body: Any) -> bytes:
        if body is None:
            return b""
        text = json.dumps(body)
        if self.user_id:
            text = re.sub(r'"8:acs:[^"]*"', json.dumps(self.user_id), text).replace(
                '"sanitized"', json.dumps(self.user_id)
            )
        return text.encode()

    def send(self, exchange: Exchange) -> requests.Response:
        path = self._path(exchange.uri)
        body = self._body(exchange.request_body)
        headers = {}
        for name in ("Content-Type", "repeatability-request-id", "x-ms-return-client-request-id"):
            value = _header(exchange.request_headers, name)
            if value is not None:
                headers[name] = value
        if path.startswith(("/identities", "/teamsUser")):
            headers.update(hmac_headers(self.acs, exchange.method, path, body))
            if _header(exchange.request_headers, "Content-Type") is None:
                headers.pop("Content-Type", None)
        else:
            assert self.token is not None
            headers["Authorization"] = f"Bearer {self.token}"
        return requests.request(
            exchange.method, self.acs.endpoint + path, data=body, headers=headers, verify=self.acs.bundle, timeout=30
        )

    def learn(self, exchange: Exchange, response: requests.Response, body: Any) -> None:
        if isinstance(body, dict) and "identity" in body:
            self.identity_id = body["identity"]["id"]
            if "accessToken" in body:
                self.user_id, self.token = body["identity"]["id"], body["accessToken"]["token"]
        recorded_location = _header(exchange.response_headers, "Location")
        live_location = response.headers.get("Location")
        if recorded_location and live_location:
            recorded_path, live_path = unquote(urlsplit(recorded_location).path), unquote(urlsplit(live_location).path)
            if "/messages/" in recorded_path:
                self.messages[recorded_path.rsplit("/", 1)[1]] = live_path.rsplit("/", 1)[1]
            else:
                self.threads[recorded_path.rsplit("/", 1)[1]] = live_path.rsplit("/", 1)[1]

    def compare_bodies(self, where: str, exchange: Exchange, recorded: Any, body: Any) -> None:
        """The same fields as the recording, the compared values equal, times in the recorded formats."""
        problems = self.problems
        missing = shape(recorded) - shape(body)
        extra = shape(body) - shape(recorded)
        if missing:
            problems.append(f"{where}: fields missing {sorted(missing)}")
        if extra and exchange.status < 400:
            problems.append(f"{where}: fields not in the recording {sorted(extra)}")
        live = {path: value for path, _, value in leaves(body)}
        for path, key, value in leaves(recorded):
            if value == "sanitized" or path not in live:
                continue
            if key in COMPARED_VALUES and live[path] != value:
                problems.append(f"{where}: {path} = {live[path]!r}, recorded {value!r}")
            for name, pattern in TIME_FORMATS.items():
                if isinstance(value, str) and pattern.match(value) and not pattern.match(str(live[path])):
                    problems.append(f"{where}: {path} {live[path]!r} is not in the recorded {name} format")

    def compare(self, index: int, exchange: Exchange, response: requests.Response) -> None:
        where = f"entry {index} {exchange.method} {urlsplit(exchange.uri).path}"
        problems = self.problems
        if response.status_code != exchange.status:
            problems.append(f"{where}: status {response.status_code} != recorded {exchange.status}")
            return
        body = response.json() if response.content else None
        recorded = exchange.response_body
        if (recorded is None) != (body is None):
            problems.append(f"{where}: body presence differs: recorded {recorded!r}, got {body!r}")
        for name in ("Location",):
            if _header(exchange.response_headers, name) and name not in response.headers:
                problems.append(f"{where}: header {name} missing")
        recorded_type = _header(exchange.response_headers, "Content-Type")
        if recorded_type and recorded_type.split(";")[0] != response.headers.get("Content-Type", "").split(";")[0]:
            problems.append(f"{where}: content type {response.headers.get('Content-Type')} != {recorded_type}")
        if recorded is not None and body is not None:
            self.compare_bodies(where, exchange, recorded, body)
        self.learn(exchange, response, body)
        if exchange.method == "POST" and isinstance(body, dict) and "chatThread" in body:
            request_id = _header(exchange.request_headers, "repeatability-request-id")
            first = self.first_create.setdefault(request_id or "", body["chatThread"])
            if first["id"] != body["chatThread"]["id"] or first["createdOn"] != body["chatThread"]["createdOn"]:
                problems.append(f"{where}: a replayed repeatability-request-id gave another thread")


def _recordings(shared_dir: Path) -> list[Path]:
    folder = shared_dir / RECORDINGS
    found = [p for p in sorted(folder.rglob("*")) if p.suffix in (".json", ".yaml") and "rooms" not in p.name]
    assert len(found) == 7
    return found


RECORDING_NAMES = [
    "test_chat_client_e2e.pyTestChatClienttest_create_chat_thread_w_repeatability_request_id.json",
    "test_chat_client_e2e.pyTestChatClienttest_list_chat_threads.json",
    "test_chat_thread_client_e2e.pyTestChatThreadClienttest_update_message.json",
    "test_communication_identity_client.pyTestClienttest_create_user_and_token_with_invalid_custom_expirations"
    "[max_invalid_mins-1441].json",
    "test_communication_identity_client.pyTestClienttest_get_token.json",
    "azure-cli-extensions/test_chat_list_messages.yaml",
    "azure-cli-extensions/test_chat_list_participants_bad_thread_id.yaml",
]


def test_the_recording_list_is_complete(shared_dir: Path) -> None:
    folder = shared_dir / RECORDINGS
    assert sorted(str(p.relative_to(folder)) for p in _recordings(shared_dir)) == sorted(RECORDING_NAMES)


@pytest.mark.parametrize("name", RECORDING_NAMES, ids=lambda n: n.rsplit("test", 1)[-1][:40])
def test_recording_replays_with_the_same_statuses_and_fields(acs: Acs, shared_dir: Path, name: str) -> None:
    exchanges = load_recording(shared_dir / RECORDINGS / name)
    replayer = Replayer(acs)
    if not any(urlsplit(e.uri).path == "/identities" for e in exchanges):
        user, token = acs.user()
        replayer.user_id, replayer.token = user.properties["id"], token
    for index, exchange in enumerate(exchanges):
        replayer.compare(index, exchange, replayer.send(exchange))
    assert replayer.problems == []
