"""Benchmark of the export engine (not a test): wall time against the lower bound ACS's limits imply.

Starts Azurite, the Twilio stand-in and the ACS stand-in (limits on, windows time-scaled),
seeds Zipf-sized conversations (through the Twilio stand-in's snapshot load, so seeding
100,000 messages takes seconds), then runs the export in a child process and prints:
messages, wall time, the floor ACS's limits imply (bench/floor.py: read from the limits the
ACS stand-in enforces, with identity creation, thread creation and participant adds), their
ratio, 429s received, the child's peak RSS.
``--rss`` also runs 10,000 and 100,000 messages and prints the peak RSS growth.

    .venv/bin/python -m bench.export [--conversations 200] [--messages 20000] [--time-scale 0.02] [--rss]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from bench.floor import ConversationLoad, Floor, export_floor, fetch_limits
from emulators.azurite import running_azurite
from emulators.process import RunningService, python_module_argv, start_service

REPO_ROOT = Path(__file__).resolve().parents[1]
ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
WORDS = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod",
         "tempor", "incididunt", "ut", "labore"]


def zipf_sizes(conversations: int, messages: int, s: float = 1.0) -> list[int]:
    """``conversations`` sizes summing to ``messages``, the k-th proportional to 1/k**s (at least 1 each)."""
    weights = [1 / (k ** s) for k in range(1, conversations + 1)]
    total = sum(weights)
    sizes = [max(1, int(messages * w / total)) for w in weights]
    sizes[0] += messages - sum(sizes)
    return sizes


def _sid(rng: random.Random, prefix: str) -> str:
    return f"{prefix}{rng.getrandbits(128):032x}"


def snapshot(service_sid: str, sizes: list[int], seed: int) -> dict[str, Any]:
    """Conversations in the Twilio stand-in's snapshot format (emulators/twilio/models.py)."""
    rng = random.Random(seed)
    users = [f"user-{n:03d}" for n in range(60)]
    base = 1_600_000_000
    conversations = []
    for c, size in enumerate(sizes):
        sid = _sid(rng, "CH")
        people = rng.sample(users, 3)
        participants = {}
        for identity in people:
            psid = _sid(rng, "MB")
            participants[psid] = {
                "sid": psid, "conversation_sid": sid, "identity": identity, "attributes": "{}",
                "messaging_binding": None, "role_sid": None, "date_created": base, "date_updated": base,
                "last_read_message_index": size - 1, "last_read_timestamp": None,
            }
        by_identity = {p["identity"]: p["sid"] for p in participants.values()}
        messages = []
        for index in range(size):
            author = people[index % 3]
            body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 20)))
            messages.append({
                "sid": _sid(rng, "IM"), "conversation_sid": sid, "index": index, "author": author, "body": body,
                "attributes": "{}", "media_sids": [], "participant_sid": by_identity[author],
                "date_created": base + index * 60, "date_updated": None, "receipts": [],
            })
        conversations.append({
            "sid": sid, "service_sid": service_sid, "friendly_name": f"bench {c}", "unique_name": None,
            "attributes": "{}", "state": "active", "date_created": base + c, "date_updated": base + c,
            "type": "private", "created_by": "system", "next_index": size, "messages": messages,
            "participants": participants, "webhooks": {},
        })
    return {"version": 1, "conversations": conversations}


def start_standins(stack: ExitStack, time_scale: float) -> tuple[RunningService, RunningService, str]:
    azurite = stack.enter_context(running_azurite())
    twilio = start_service("twilio", python_module_argv(
        "emulators.twilio", "--host", "127.0.0.1", "--port", "0", "--account-sid", ACCOUNT_SID,
        "--auth-token", AUTH_TOKEN, "--seed", "3"), timeout=60)
    stack.callback(twilio.stop)
    acs = start_service("acs", python_module_argv(
        "emulators.acs", "--host", "127.0.0.1", "--port", "0", "--time-scale", str(time_scale), "--seed", "3",
        "--record-limit", "1"), timeout=60)
    stack.callback(acs.stop)
    return twilio, acs, azurite.connection_string


def seed(twilio: RunningService, sizes: list[int], seed_value: int) -> tuple[str, list[ConversationLoad], int]:
    """Load the workload; its service SID, each conversation's load (people, sends) and the distinct people."""
    url = str(twilio.info["url"])
    with httpx.Client(base_url=url, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=600) as http:
        created = http.post("/v1/Services", data={"FriendlyName": f"bench-{seed_value}"})
        created.raise_for_status()
        service_sid = str(created.json()["sid"])
        data = snapshot(service_sid, sizes, seed_value)
        http.post("/_admin/load", params={"mode": "merge"}, content=json.dumps(data)).raise_for_status()
    loads = [ConversationLoad(people=len(c["participants"]), sends=len(c["messages"])) for c in data["conversations"]]
    people = {p["identity"] for c in data["conversations"] for p in c["participants"].values()}
    return service_sid, loads, len(people)


def acs_floor(acs: RunningService, loads: list[ConversationLoad], people: int) -> Floor:
    """The floor from the limits the ACS stand-in says it enforces (bench/floor.py)."""
    limits = fetch_limits(str(acs.info["admin"]), verify=str(acs.info["ca_bundle"]))
    return export_floor(loads, limits, people=people)


def environ(twilio: RunningService, acs: RunningService, storage: str, suffix: str, time_scale: float,
            concurrency: int) -> dict[str, str]:
    return {
        "AzureWebJobsStorage": storage,
        "PUBLIC_BASE_URL": "http://localhost:7071",  # where migrated messages link attachments
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_BASE_URL": str(twilio.info["url"]),
        "ACS_CONNECTION_STRING": str(acs.info["connection_string"]),
        "ACS_CA_BUNDLE": str(acs.info["ca_bundle"]),
        "IDENTITY_TABLE": f"identities{suffix}",
        "CONVERSATION_TABLE": f"conversations{suffix}",
        "MESSAGE_TABLE": f"messages{suffix}",
        "RUN_TABLE": f"runs{suffix}",
        "MEDIA_CONTAINER": f"media-{suffix}",
        "EXPORT_RATE_TIME_SCALE": str(time_scale),
        "EXPORT_CONCURRENCY": str(concurrency),
    }


def run_export(env: dict[str, str], service_sid: str) -> dict[str, Any]:
    """The export in a child process; its own figures plus its peak RSS (from wait4)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.export", "--worker", service_sid],
        cwd=REPO_ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"the export worker failed ({process.returncode}): {output[-2000:]}")
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    # Not wait4's ru_maxrss: Linux carries the parent's high-water RSS across fork and exec into the child's
    # figure (here the parent holds the seeding snapshot), so the worker reports its own VmHWM instead.
    result["parent_inherited_maxrss_mb"] = usage.ru_maxrss / 1024
    return result


def worker(service_sid: str) -> int:
    from shared.container import AppContainer
    from shared.export import MigrationRequest

    container = AppContainer.from_environ(os.environ)
    engine = container.export_engine
    started = time.monotonic()
    if os.environ.get("BENCH_RSS_TRACE"):  # current RSS every 10 s on stderr: when does the peak happen?
        import threading

        def trace() -> None:
            last_peak = 0
            while True:
                peak = int(next(line for line in Path("/proc/self/status").read_text().splitlines()
                                if line.startswith("VmHWM")).split()[1])
                if peak > last_peak + 4096:  # the peak grew by more than 4 MB: say when, with the live threads
                    names = sorted({t.name.rstrip("0123456789_-") for t in threading.enumerate()})
                    print(f"{time.monotonic() - started:7.1f}s peak {peak // 1024} MB threads {names}",
                          file=sys.stderr, flush=True)
                    last_peak = peak
                time.sleep(0.2)

        threading.Thread(target=trace, daemon=True).start()
    report = engine.runner.run(MigrationRequest(services=(service_sid,)), kind="bench")
    seconds = time.monotonic() - started
    statuses: dict[str, int] = {}
    for outcome in report.outcomes:
        statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
    peak_kb = int(next(line for line in Path("/proc/self/status").read_text().splitlines()
                       if line.startswith("VmHWM")).split()[1])
    print(json.dumps({"messages": report.messages, "seconds": seconds, "throttled_acs": engine.stats.throttled_acs,
                      "retries": engine.stats.retries, "statuses": statuses, "peak_rss_mb": peak_kb / 1024}))
    engine.close()
    return 0 if statuses.get("done", 0) == len(report.outcomes) else 1


def scenario(conversations: int, messages: int, time_scale: float, concurrency: int, seed_value: int,
             *, uniform: bool = False) -> dict[str, Any]:
    sizes = [messages // conversations] * conversations if uniform else zipf_sizes(conversations, messages)
    with ExitStack() as stack:
        twilio, acs, storage = start_standins(stack, time_scale)
        seeded = time.monotonic()
        service_sid, loads, people = seed(twilio, sizes, seed_value)
        seed_seconds = time.monotonic() - seeded
        floor = acs_floor(acs, loads, people)
        bound = floor.seconds
        result = run_export(environ(twilio, acs, storage, f"b{seed_value}", time_scale, concurrency), service_sid)
        counters = httpx.get(f"{acs.info['admin']}/counters", verify=str(acs.info["ca_bundle"])).json()
    result.update({
        "conversations": conversations, "largest": sizes[0], "time_scale": time_scale, "concurrency": concurrency,
        "lower_bound_s": bound, "floor": floor.describe(),
        "ratio": result["seconds"] / bound if bound else float("nan"),
        "seed_seconds": seed_seconds, "server_refused": counters.get("rateLimited", {}),
    })
    return result


def show(title: str, r: dict[str, Any]) -> None:
    print(f"== {title}")
    print(f"conversations {r['conversations']} (largest {r['largest']} messages), time scale {r['time_scale']}, "
          f"concurrency {r['concurrency']}")
    print(r["floor"])
    print(f"messages {r['messages']}  wall {r['seconds']:.1f} s  lower bound {r['lower_bound_s']:.1f} s  "
          f"ratio {r['ratio']:.3f}  429s received {r['throttled_acs']}  retries {r['retries']}  "
          f"peak RSS {r['peak_rss_mb']:.0f} MB  statuses {r['statuses']}  (seeding took {r['seed_seconds']:.1f} s)")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", metavar="SERVICE_SID", help=argparse.SUPPRESS)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--time-scale", type=float, default=0.02, help="ACS windows multiplied by this")
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--rss", action="store_true", help="also measure peak RSS at 10,000 and 100,000 messages")
    parser.add_argument("--rss-time-scale", type=float, default=0.002)
    parser.add_argument("--skip-main", action="store_true")
    parser.add_argument("--rss-sizes", default="10000,100000", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker)
    if not args.skip_main:
        main_run = scenario(args.conversations, args.messages, args.time_scale, args.concurrency, 1)
        show(f"{args.conversations} conversations / {args.messages} messages", main_run)
        print(f"target: ratio <= 1.10 -> {'met' if main_run['ratio'] <= 1.10 else 'NOT met'}")
    if args.rss:  # the same 10 conversations in flight, ten times the history each
        few, many = (int(n) for n in args.rss_sizes.split(","))
        small = scenario(10, few, args.rss_time_scale, 10, 2, uniform=True)
        show(f"RSS at {few:,} messages", small)
        large = scenario(10, many, args.rss_time_scale, 10, 3, uniform=True)
        show(f"RSS at {many:,} messages", large)
        growth = large["peak_rss_mb"] / small["peak_rss_mb"] - 1
        print(f"peak RSS growth {few:,} -> {many:,} messages: {growth * 100:.1f}% "
              f"(target < 20% -> {'met' if growth < 0.20 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
