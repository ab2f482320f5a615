"""The ready line, admin routes, seeded determinism, CA reuse and error answers of unknown routes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import requests

from .conftest import Acs
from .wire import bearer

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_ready_line_has_what_clients_need(acs: Acs) -> None:
    info = acs.info
    assert info["endpoint"].startswith("https://localhost:")
    assert info["connection_string"] == f"endpoint={info['endpoint']}/;accesskey={info['access_key']}"
    bundle = Path(info["ca_bundle"]).read_text()
    assert bundle.count("BEGIN CERTIFICATE") > 50  # certifi's roots plus the local CA
    assert Path(info["ca_cert"]).read_text() in bundle
    assert info["admin"] == info["endpoint"] + "/__admin"


def test_exactly_one_line_on_stdout_then_silence(cert_dir: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "emulators.acs", "--port", "0", "--cert-dir", str(cert_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        info = json.loads(line)
        requests.get(info["admin"] + "/health", verify=info["ca_bundle"], timeout=30).raise_for_status()
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=30)
    assert out == b""
    assert process.returncode == 0


def test_same_seed_same_ids_and_key(acs_factory: Callable[..., Acs]) -> None:
    first = acs_factory("--seed", "42")
    second = acs_factory("--seed", "42")
    other = acs_factory("--seed", "43")
    assert first.info["access_key"] == second.info["access_key"] != other.info["access_key"]
    ids = [server.identity().create_user().properties["id"] for server in (first, second, other)]
    assert ids[0] == ids[1] != ids[2]


def test_snapshot_counters_threads_and_reset(acs_factory: Callable[..., Acs]) -> None:
    server = acs_factory("--time-scale", "0.01")
    _, token = server.user()
    chat = server.chat(token)
    thread_id = chat.create_chat_thread("admin view").chat_thread.id
    chat.get_chat_thread_client(thread_id).send_message("listed", metadata={"twilioSid": "IM5"})
    threads = server.admin("GET", "/threads")["threads"]
    assert [t["id"] for t in threads] == [thread_id]
    assert [m["type"] for m in threads[0]["messages"]] == ["participantAdded", "topicUpdated", "text"]
    assert threads[0]["messages"][2]["metadata"] == {"twilioSid": "IM5"}
    assert server.admin("GET", f"/threads/{thread_id}")["topic"] == "admin view"
    snapshot = server.admin("GET", "/snapshot")
    assert len(snapshot["users"]) == 1
    assert snapshot["counters"]["POST /chat/threads"] == {"201": 1}
    assert snapshot["events"]["logged"] > 0
    counters = server.admin("GET", "/counters")["counters"]
    assert counters["POST /identities"] == {"201": 1}
    server.new_exchanges()
    server.new_events()
    assert server.admin("POST", "/reset") == {"reset": True}
    server.exchange_cursor = server.event_cursor = 0
    assert server.admin("GET", "/threads") == {"threads": []}
    assert server.admin("GET", "/counters")["counters"] == {}
    assert server.admin("GET", "/events")["events"] == []
    response = bearer(server, token, "GET", "/chat/threads?api-version=2024-03-07")
    assert response.status_code == 401  # the user is gone with the reset


def test_unknown_routes_and_missing_api_version(acs: Acs) -> None:
    _, token = acs.user()
    unknown = bearer(acs, token, "GET", "/chat/nothing?api-version=2024-03-07")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "NotFound"
    missing = bearer(acs, token, "GET", "/chat/threads")
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "MissingApiVersionParameter"
    wrong_method = bearer(acs, token, "PUT", "/chat/threads?api-version=2024-03-07")
    assert wrong_method.status_code == 405


def test_admin_tokens_route_and_bad_input(acs: Acs) -> None:
    minted = acs.admin("POST", "/tokens", json={"scopes": ["chat", "voip"], "expiresInSeconds": 120})
    assert minted["userId"].startswith("8:acs:")
    assert bearer(acs, minted["token"], "GET", "/chat/threads?api-version=2024-03-07").status_code == 200
    bad = requests.put(acs.info["admin"] + "/faults", json={"spec": "explode"}, verify=acs.bundle, timeout=30)
    assert bad.status_code == 400


def test_snapshot_restores_into_a_restarted_stand_in_with_the_same_seed(acs_factory: Callable[..., Acs]) -> None:
    first = acs_factory("--seed", "11", "--time-scale", "0.01")
    _, token = first.user()
    chat = first.chat(token)
    thread_id = chat.create_chat_thread("survives restart").chat_thread.id
    client = chat.get_chat_thread_client(thread_id)
    kept = client.send_message("kept", metadata={"k": "v"}).id
    gone = client.send_message("deleted later").id
    client.delete_message(gone)
    saved = first.admin("GET", "/snapshot")
    second = acs_factory("--seed", "11", "--time-scale", "0.01")
    restored = second.admin("PUT", "/snapshot", json=saved)
    assert restored == {"restored": True, "users": 1, "threads": 1}
    again = second.chat(token).get_chat_thread_client(thread_id)  # the old token still works
    assert again.get_message(kept).metadata == {"k": "v"}
    assert again.get_message(gone).deleted_on is not None
    assert again.send_message("after restore").id > kept
    assert [m.sequence_id for m in again.list_messages()][:2] == ["5", "4"]
    assert second.admin("GET", "/snapshot")["state"]["threads"][0]["messages"][3]["content"] == {
        "message": "deleted later"
    }


def test_reads_do_not_shift_the_ids_of_later_writes(acs_factory: Callable[..., Acs]) -> None:
    quiet = acs_factory("--seed", "5")
    chatty = acs_factory("--seed", "5")
    threads = []
    for server, reads in ((quiet, 0), (chatty, 5)):
        _, token = server.user()
        chat = server.chat(token)
        for _ in range(reads):
            list(chat.list_chat_threads())
        threads.append(chat.create_chat_thread("same id").chat_thread.id)
    assert threads[0] == threads[1]
