"""The command line: ready line, port 0, SIGTERM; and the seeder through the real SDK."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from emulators.twilio.seed_data import build_plan, pdf_bytes, png_bytes
from harness.process import python_module_argv, start_service

from .spec_check import SpecChecker
from .standin import StandIn, stand_in


def test_ready_line_and_sigterm() -> None:
    account = "AC" + "ab" * 16
    service = start_service("cli", python_module_argv("emulators.twilio", "--port", "0", "--account-sid", account,
                                                      "--auth-token", "tok", "--api-key", "SK" + "1" * 32 + ":sec"))
    try:
        info = service.info
        assert info["url"].startswith("http://127.0.0.1:")
        assert not info["url"].endswith(":0")
        assert (info["account_sid"], info["auth_token"]) == (account, "tok")
        assert (info["api_key_sid"], info["api_key_secret"]) == ("SK" + "1" * 32, "sec")
        assert httpx.get(f"{info['url']}/_admin/health", auth=(account, "tok")).json()["ok"] is True
    finally:
        service.stop()
    assert service.process.returncode == 0  # clean exit on SIGTERM


def test_bad_arguments_exit_non_zero() -> None:
    result = subprocess.run([sys.executable, "-m", "emulators.twilio", "--account-sid", "nope"], capture_output=True,
                            timeout=30, check=False)
    assert result.returncode != 0
    assert result.stdout == b""


def _seed(server: StandIn, profile: str, seed: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "emulators.twilio.seed", "--url", server.url, "--account-sid", server.account_sid,
         "--auth-token", server.auth_token, "--profile", profile, "--seed", str(seed)],
        capture_output=True, text=True, timeout=120, check=True)
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])  # type: ignore[no-any-return]


def test_seed_small_builds_everything_through_the_sdk(spec_checker: SpecChecker) -> None:
    with stand_in(spec_checker, "--seed", "1") as server:
        summary = _seed(server, "small", 4)
        for key in ("conversations", "public_channels", "private_channels", "chat_participants", "sms_participants",
                    "users", "media", "deleted_messages", "edited_messages", "closed_conversations",
                    "read_horizons", "bodies_over_28k", "emoji_bodies"):
            assert summary.get(key, 0) > 0, key
        client = server.client()
        services = summary["service_sids"]
        assert len(services) == 2
        seen_gap = seen_media = seen_closed = seen_edit = False
        for sid in services.values():
            for conv in client.conversations.v1.services(sid).conversations.list():
                msgs = client.conversations.v1.services(sid).conversations(conv.sid).messages.list()
                indices = [m.index for m in msgs]
                seen_gap |= indices != list(range(len(indices)))
                seen_media |= any(m.media for m in msgs)
                seen_closed |= conv.state == "closed"
                seen_edit |= any(m.date_updated != m.date_created for m in msgs)
            chat = client.chat.v2.services(sid)
            channels = chat.channels.list(type=["public", "private"])
            for ch in channels:
                assert chat.channels(ch.sid).messages.list()
        assert seen_gap
        assert seen_media
        assert seen_closed
        assert seen_edit
        users = client.conversations.v1.services(services["support"]).users.list()
        assert all(u.friendly_name for u in users)

        # same seed, fresh server: the same workspace
        snapshot_a = server.admin("GET", "snapshot")
    with stand_in(spec_checker, "--seed", "1") as again:
        summary_b = _seed(again, "small", 4)
        snapshot_b = again.admin("GET", "snapshot")
    for key in ("messages", "media", "deleted_messages", "edited_messages", "users"):
        assert summary_b[key] == summary[key]
    def shape(snapshot: dict) -> list:
        return [(c["sid"], c["friendly_name"], sorted(c["participants"]),
                 [(m["sid"], m["index"], m["body"], m["media_sids"]) for m in c["messages"]])
                for c in snapshot["conversations"]]

    assert shape(snapshot_a) == shape(snapshot_b)  # same SIDs, indices and contents despite parallel seeding
    assert sorted(u["sid"] for u in snapshot_a["users"]) == sorted(u["sid"] for u in snapshot_b["users"])


def test_seed_survives_faults(spec_checker: SpecChecker) -> None:
    with stand_in(spec_checker, "--seed", "2", "--faults", "429=0.1,503=0.05,drop=0.02") as server:
        summary = _seed(server, "small", 9)
        assert summary["retries"] > 0
        counts = server.admin("GET", "health")["counts"]
        assert counts["messages"] == summary["net_messages"]


def test_plan_profiles_are_deterministic_and_sized() -> None:
    assert build_plan("realistic", 3) == build_plan("realistic", 3)
    realistic = build_plan("realistic", 3)
    messages = sum(len(c.messages) for c in realistic.conversations)
    assert 1000 <= messages <= 5000
    assert {c.channel_type for c in realistic.conversations} == {None, "public", "private"}
    large = build_plan("large", 0)
    assert len(large.conversations) == 1000
    assert sum(len(c.messages) - sum(m.delete for m in c.messages) for c in large.conversations) == 100_000
    assert png_bytes(__import__("random").Random(1), 8, 8).startswith(b"\x89PNG")
    assert pdf_bytes("t", 2).startswith(b"%PDF-1.4")
    assert pdf_bytes("t", 2).rstrip().endswith(b"%%EOF")
    with pytest.raises(ValueError, match="unknown profile"):
        build_plan("huge", 0)


def test_public_url_overrides_link_host(spec_checker: SpecChecker) -> None:
    with stand_in(spec_checker, "--public-url", "https://twilio.example.test", record=False) as server:
        client = server.client()
        conv = client.conversations.v1.conversations.create(friendly_name="proxied")
        assert conv.url == f"https://twilio.example.test/v1/Conversations/{conv.sid}"
        page = server.http.get("/v1/Conversations").json()
        assert page["meta"]["first_page_url"].startswith("https://twilio.example.test/v1/Conversations?")


def test_realistic_workspace_reads_back_like_an_export(spec_checker: SpecChecker) -> None:
    """Seed ``realistic`` and read it all back the way the exporter will; every answer is spec-checked."""
    with stand_in(spec_checker, "--seed", "21") as server:
        summary = _seed(server, "realistic", 1)
        client = server.client()
        v1_messages = chat_messages = media_seen = 0
        big = 0
        public_sids: set[str] = set()
        for service in client.conversations.v1.services.list():
            convs = client.conversations.v1.services(service.sid).conversations.list(page_size=100)
            for conv in convs:
                ctx = client.conversations.v1.services(service.sid).conversations(conv.sid)
                ctx.participants.list()
                for message in ctx.messages.stream(page_size=100):
                    v1_messages += 1
                    big += bool(message.body and len(message.body.encode()) > 28 * 1024)
                    for item in message.media or []:
                        if media_seen < 5:
                            meta = server.http.get(f"/v1/Services/{service.sid}/Media/{item['sid']}").json()
                            assert len(httpx.get(meta["links"]["content_direct_temporary"]).content) == item["size"]
                        media_seen += 1
            for channel in client.chat.v2.services(service.sid).channels.list(type=["public"]):
                public_sids.add(channel.sid)
                chat = client.chat.v2.services(service.sid).channels(channel.sid)
                chat.members.list()
                chat_messages += sum(1 for _ in chat.messages.stream(page_size=100))
        assert public_sids
        assert not public_sids & {c.sid for s in summary["service_sids"].values()
                                  for c in client.conversations.v1.services(s).conversations.list()}
        assert v1_messages + chat_messages == summary["net_messages"]
        assert big >= 2
        assert media_seen > 50
