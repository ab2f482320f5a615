"""Benchmark of the archive (not a test): what a cutoff buys on one huge conversation, and the writer's speed.

Seeds one conversation of 200,000 messages (one every 15 minutes up to now, through the
Twilio stand-in's snapshot load) and prints:

- the plan's floor at ACS's real limits (30 sends a minute per thread) without and with a
  90-day cutoff (``--archive-before`` now - 90 days);
- the archive writer on that conversation, in a child process: messages per second into
  the transcript (Twilio stand-in reads, rendering, staged blocks into Azurite, one commit)
  and the child's own peak RSS (VmHWM); the same on a conversation a tenth the size, and the
  peak RSS growth between them (the writer streams: it must stay flat);
- the writer alone on synthetic messages (no Twilio reads): its own ceiling.

    .venv/bin/python -m bench.archive [--messages 200000] [--days 90]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.export import ACCOUNT_SID, AUTH_TOKEN, WORDS, environ, start_standins

REPO_ROOT = Path(__file__).resolve().parents[1]
SPACING = 15 * 60  # seconds between messages


def snapshot(service_sid: str, sizes: list[int], seed: int, now: float) -> dict[str, Any]:
    rng = random.Random(seed)
    conversations = []
    for c, size in enumerate(sizes):
        sid = f"CH{rng.getrandbits(128):032x}"
        people = ["agent-1", "agent-2", "customer"]
        participants = {}
        for identity in people:
            psid = f"MB{rng.getrandbits(128):032x}"
            participants[psid] = {
                "sid": psid, "conversation_sid": sid, "identity": identity, "attributes": "{}",
                "messaging_binding": None, "role_sid": None, "date_created": now, "date_updated": now,
                "last_read_message_index": None, "last_read_timestamp": None,
            }
        by_identity = {p["identity"]: p["sid"] for p in participants.values()}
        first = now - size * SPACING
        messages = []
        for index in range(size):
            author = people[index % 3]
            messages.append({
                "sid": f"IM{rng.getrandbits(128):032x}", "conversation_sid": sid, "index": index, "author": author,
                "body": " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 30))), "attributes": "{}",
                "media_sids": [], "participant_sid": by_identity[author],
                "date_created": first + index * SPACING, "date_updated": None, "receipts": [],
            })
        conversations.append({
            "sid": sid, "service_sid": service_sid, "friendly_name": f"archive bench {c}", "unique_name": None,
            "attributes": "{}", "state": "active", "date_created": first, "date_updated": first, "type": "private",
            "created_by": "system", "next_index": size, "messages": messages, "participants": participants,
            "webhooks": {},
        })
    return {"version": 1, "conversations": conversations}


def seed(url: str, sizes: list[int]) -> tuple[str, list[str]]:
    with httpx.Client(base_url=url, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=900) as http:
        created = http.post("/v1/Services", data={"FriendlyName": "archive-bench"})
        created.raise_for_status()
        service_sid = str(created.json()["sid"])
        data = snapshot(service_sid, sizes, 5, time.time())
        http.post("/_admin/load", params={"mode": "merge"}, content=json.dumps(data)).raise_for_status()
    return service_sid, [str(c["sid"]) for c in data["conversations"]]


def _peak_mb() -> float:
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith("VmHWM")).split()[1]) / 1024


# ---------------------------------------------------------------------------------------------- child processes
def worker_archive(conversation_sid: str, days: float) -> int:
    """Write the archive of one conversation (cutoff: ``days`` ago) and print its figures."""
    from shared.archive_cutoff import ArchiveCutoff, archive_boundary
    from shared.container import AppContainer
    from shared.export.archive.progress import ArchiveProgress

    container = AppContainer.from_environ(os.environ)
    engine = container.export_engine
    assert engine.archiver is not None
    conv = engine.source.get_conversation(conversation_sid)
    cutoff = ArchiveCutoff(before=datetime.now(UTC) - timedelta(days=days))
    through = archive_boundary(cutoff, engine.source.messages(conv), iter(()))
    participants = engine.source.list_participants(conv)
    started = time.monotonic()
    progress = engine.archiver.writer.write(
        conv.sid, conv.topic, engine.archiver.entries(conv, participants, 0, through), ArchiveProgress(through),
        save=lambda p: None)
    seconds = time.monotonic() - started
    size = container.media.container.get_blob_client(f"archive/{conv.sid}/transcript.jsonl").get_blob_properties()
    print(json.dumps({"messages": progress.count, "blocks": progress.blocks, "seconds": seconds,
                      "bytes": int(size.size), "peak_rss_mb": _peak_mb()}))
    engine.close()
    return 0


def worker_synthetic(count: int) -> int:
    """The writer alone: ``count`` generated messages (streamed, never held) into Azurite."""
    from shared.container import AppContainer
    from shared.export.archive.progress import ArchiveProgress
    from shared.export.archive.store import ArchiveStore
    from shared.export.archive.transcript import ArchivedMessage
    from shared.export.archive.writer import TranscriptWriter
    from shared.export.retry import Retrier, RetryStats
    from shared.export.source import SourceMessage

    container = AppContainer.from_environ(os.environ)
    rng = random.Random(9)
    base = datetime(2019, 1, 1, tzinfo=UTC)

    def entries() -> Iterator[ArchivedMessage]:
        for index in range(count):
            body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 30)))
            message = SourceMessage(f"IM{index:032x}", index, "agent-1", None, body, "{}", (),
                                    base + timedelta(minutes=15 * index))
            yield ArchivedMessage("CH" + "5" * 32, message, "agent-1", "Agent One", ())

    import threading

    retrier = Retrier(attempts=5, stats=RetryStats(), stop=threading.Event())
    writer = TranscriptWriter(store=ArchiveStore(container.media), retrier=retrier)
    started = time.monotonic()
    progress = writer.write("CH" + "5" * 32, "synthetic", entries(), ArchiveProgress(count - 1), save=lambda p: None)
    seconds = time.monotonic() - started
    print(json.dumps({"messages": progress.count, "blocks": progress.blocks, "seconds": seconds,
                      "peak_rss_mb": _peak_mb()}))
    return 0


def child(env: dict[str, str], *args: str) -> dict[str, Any]:
    output = subprocess.run([sys.executable, "-m", "bench.archive", *args], cwd=REPO_ROOT, env={**os.environ, **env},
                            stdout=subprocess.PIPE, check=True).stdout.decode()
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


# ---------------------------------------------------------------------------------------------- parent
def plan_floors(env: dict[str, str], conversation_sid: str, days: float) -> tuple[Any, float]:
    from shared.archive_cutoff import ArchiveCutoff
    from shared.container import AppContainer
    from shared.export.plan import plan_conversation

    container = AppContainer.from_environ(env)
    engine = container.export_engine
    started = time.monotonic()
    planned = plan_conversation(engine.source, engine.source.get_conversation(conversation_sid),
                                engine.settings.export, ArchiveCutoff(before=datetime.now(UTC) - timedelta(days=days)))
    seconds = time.monotonic() - started
    engine.close()
    return planned, seconds


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h ({seconds / 86400:.2f} days)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker-archive", nargs=2, metavar=("SID", "DAYS"), help=argparse.SUPPRESS)
    parser.add_argument("--worker-synthetic", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--days", type=float, default=90.0)
    args = parser.parse_args(argv)
    if args.worker_archive:
        return worker_archive(args.worker_archive[0], float(args.worker_archive[1]))
    if args.worker_synthetic:
        return worker_synthetic(args.worker_synthetic)
    small_size = args.messages // 10
    with ExitStack() as stack:
        twilio, acs, storage = start_standins(stack, 1.0)
        seeded = time.monotonic()
        _, (big, small) = seed(str(twilio.info["url"]), [args.messages, small_size])
        print(f"seeded {args.messages:,} + {small_size:,} messages (one every 15 min) in "
              f"{time.monotonic() - seeded:.1f} s")
        env = {k: v for k, v in environ(twilio, acs, storage, "arch", 1.0, 8).items()
               if k != "EXPORT_RATE_TIME_SCALE"}  # ACS's real limits: 30 sends a minute per thread
        planned, plan_seconds = plan_floors(env, big, args.days)
        print(f"== plan of one {planned.messages:,}-message conversation at ACS's limits "
              f"(Twilio read in {plan_seconds:.0f} s)")
        print(f"floor without a cutoff: {_hours(planned.minimum_seconds)}")
        assert planned.minimum_seconds_archived is not None
        print(f"floor with a {args.days:g}-day cutoff: {_hours(planned.minimum_seconds_archived)}  "
              f"({planned.archived:,} archived, {planned.messages - planned.archived:,} copied + 1 link message; "
              f"{planned.minimum_seconds / planned.minimum_seconds_archived:.1f}x shorter)")
        sys.stdout.flush()
        large = child(env, "--worker-archive", big, str(args.days))
        little = child(env, "--worker-archive", small, "0")
        synthetic = child(env, "--worker-synthetic", str(args.messages))
    print("== archive writer (child process; Twilio stand-in -> transcript in Azurite)")
    for name, r in ((f"{args.messages:,}-message conversation", large),
                    (f"{small_size:,}-message conversation", little)):
        print(f"{name}: {r['messages']:,} messages in {r['seconds']:.1f} s = {r['messages'] / r['seconds']:,.0f} "
              f"messages/s, {r['blocks']} blocks, {r['bytes'] / 1e6:.1f} MB of JSON lines, "
              f"peak RSS {r['peak_rss_mb']:.0f} MB")
    growth = large["peak_rss_mb"] / little["peak_rss_mb"] - 1
    print(f"peak RSS growth for {large['messages'] / little['messages']:.1f}x the messages: {growth * 100:+.1f}%")
    print(f"writer alone (synthetic, no Twilio reads): {synthetic['messages']:,} messages in "
          f"{synthetic['seconds']:.1f} s = {synthetic['messages'] / synthetic['seconds']:,.0f} messages/s, "
          f"peak RSS {synthetic['peak_rss_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
