"""The command line: plan, migrate, status, verify in-process; SIGKILL and Ctrl-C mid-conversation in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from shared import cli
from shared.container import AppContainer
from shared.export.acs_chat import AcsChat

from .conftest import AcsAdmin
from .seeding import TwilioSeeder

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_environ(export_environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in export_environ.items():
        monkeypatch.setenv(name, value)
    return export_environ


def _conversation(seeder: TwilioSeeder, count: int, topic: str) -> str:
    conv = seeder.conversation(topic)
    reader = seeder.chat_participant(conv, "rita")
    seeder.chat_participant(conv, "sam")
    for n in range(count):
        seeder.message(conv, "rita" if n % 2 else "sam", f"{topic} {n}")
    seeder.read_up_to(conv, reader.sid, count - 1)
    return conv.sid


def test_plan_migrate_status_and_verify(
    cli_environ: dict[str, str], seeder: TwilioSeeder, acs_admin: AcsAdmin, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = _conversation(seeder, 8, "cli")
    media = seeder.upload_media(b"\x89PNG" + bytes(500), "image/png", "p.png")
    seeder.message(seeder_conv := seeder.conversation("cli media"), "sam", "pic", media_sids=[media])
    seeder.chat_participant(seeder_conv, "sam")
    service = ["--service", seeder.service_sid]

    assert cli.main(["plan", *service]) == 0
    out = capsys.readouterr().out
    assert "2 conversations" in out
    assert "9 messages" in out
    assert "504 media bytes" in out
    container = AppContainer.from_environ(cli_environ)
    assert container.conversations.find_conversation(sid) is None  # plan writes nothing

    assert cli.main(["migrate", *service]) == 0
    out = capsys.readouterr().out
    assert "2 done" in out
    assert "9 messages" in out

    assert cli.main(["status"]) == 0
    assert "succeeded" in capsys.readouterr().out

    assert cli.main(["verify"]) == 0
    out = capsys.readouterr().out
    assert "0 with differences" in out

    # A message removed from the ACS thread behind the exporter's back is a difference.
    record = container.conversations.get_conversation(sid)
    row = container.messages.get_message(sid, 3)
    assert record.thread_id is not None
    assert row.author is not None
    chat = AcsChat(container.settings.acs)
    token = container.export_engine.people.token(row.author)
    chat.thread_client(record.thread_id, token).delete_message(row.acs_message_ids[0])
    chat.close()
    assert cli.main(["verify", "--conversation", sid]) == 1
    out = capsys.readouterr().out
    assert "8 messages in Twilio, 7 in ACS" in out
    container.export_engine.close()


def test_bad_settings_exit_2_naming_them(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                         export_environ: dict[str, str]) -> None:
    for name, value in export_environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("EXPORT_SEND_LIMITS", "ten per minute")
    monkeypatch.setenv("EXPORT_CONCURRENCY", "0")
    assert cli.main(["status"]) == 2
    out = capsys.readouterr().out
    assert "EXPORT_SEND_LIMITS is malformed" in out
    assert "EXPORT_CONCURRENCY is malformed" in out
    assert "ten per minute" not in out


def _start_migrate(environ: dict[str, str], sid: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "migrate", "--conversation", sid],
        cwd=REPO_ROOT, env={**os.environ, **environ}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _wait_for_messages(admin: AcsAdmin, container: AppContainer, sid: str, at_least: int) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        record = container.conversations.find_conversation(sid)
        if record is not None and record.thread_id:
            count = len(admin.user_messages(record.thread_id))
            if count >= at_least:
                return count
        time.sleep(0.05)
    raise AssertionError("the export never got going")


def _assert_complete(admin: AcsAdmin, container: AppContainer, sid: str, count: int) -> None:
    record = container.conversations.get_conversation(sid)
    assert record.status == "done"
    assert record.thread_id is not None
    messages = admin.user_messages(record.thread_id)
    assert Counter(m["metadata"]["twilioMessageSid"] for m in messages).most_common(1)[0][1] == 1
    assert [int(m["metadata"]["twilioIndex"]) for m in messages] == list(range(count))
    assert [r.index for r in container.messages.list_messages(sid)] == list(range(count))


def test_a_run_killed_mid_conversation_resumes_without_duplicates(
    export_environ: dict[str, str], seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    count = 150
    sid = _conversation(seeder, count, "killed")
    # Paced slower than the stand-in allows, so the kill lands mid-conversation; batches of 20.
    environ = dict(export_environ, EXPORT_RATE_TIME_SCALE="0.05", EXPORT_FLUSH_EVERY="20",
                   EXPORT_LEASE_SECONDS="2")
    container = AppContainer.from_environ(environ)
    process = _start_migrate(environ, sid)
    try:
        seen = _wait_for_messages(acs_admin, container, sid, 47)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    record = container.conversations.get_conversation(sid)
    assert record.thread_id is not None
    copied = len(acs_admin.user_messages(record.thread_id))
    assert seen <= copied < count  # the kill landed mid-conversation
    assert record.status != "done"
    assert -1 <= record.high_water_index < copied  # the map never claims a message ACS does not hold
    time.sleep(2.2)  # the dead worker's lease expires

    rerun = _start_migrate(dict(environ, EXPORT_RATE_TIME_SCALE="0.01"), sid)
    assert rerun.wait(timeout=120) == 0
    _assert_complete(acs_admin, container, sid, count)


def test_ctrl_c_stops_cleanly_and_a_rerun_finishes(
    export_environ: dict[str, str], seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    count = 120
    sid = _conversation(seeder, count, "interrupted")
    environ = dict(export_environ, EXPORT_RATE_TIME_SCALE="0.05", EXPORT_FLUSH_EVERY="20")
    container = AppContainer.from_environ(environ)
    process = _start_migrate(environ, sid)
    _wait_for_messages(acs_admin, container, sid, 25)
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=60) == 130

    record = container.conversations.get_conversation(sid)
    assert record.thread_id is not None
    assert record.lease_owner is None  # released on the way out
    assert record.status == "pending"
    copied = len(acs_admin.user_messages(record.thread_id))
    assert record.high_water_index == copied - 1  # everything sent was recorded before exiting

    rerun = _start_migrate(dict(environ, EXPORT_RATE_TIME_SCALE="0.01"), sid)
    assert rerun.wait(timeout=120) == 0
    _assert_complete(acs_admin, container, sid, count)
