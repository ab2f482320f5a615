"""Benchmark of the export engine (not a test): wall time against the lower bound ACS's limits imply.

Starts Azurite, the Twilio stand-in and the ACS stand-in (limits on, windows time-scaled),
seeds Zipf-sized conversations (through the Twilio stand-in's snapshot load, so seeding
100,000 messages takes seconds), then runs the export in a child process and prints:
messages, wall time, the floor ACS's limits imply (harness/floor.py: read from the limits the
ACS stand-in enforces, with identity creation, thread creation and participant adds), their
ratio, 429s received, the child's peak RSS.
``--rss`` also runs 10,000 and 100,000 messages and prints the peak RSS growth.

    .venv/bin/python -m bench.export [--conversations 200] [--messages 20000] [--time-scale 0.02] [--rss]
    .venv/bin/python -m bench.export --compare-with a07dc23 [--rounds 2]   # cost against an older exporter
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.naive_export import NaiveResult, naive_export
from emulators.azurite import running_azurite
from harness.app_settings import own_storage, standin_settings
from harness.floor import ConversationLoad, Floor, export_floor, fetch_limits
from harness.process import RunningService, python_module_argv, start_service

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
    """The floor from the limits the ACS stand-in says it enforces (harness/floor.py)."""
    return acs_floor_and_budget(acs, loads, people)[0]


def acs_floor_and_budget(acs: RunningService, loads: list[ConversationLoad], people: int) -> tuple[Floor, float]:
    """``acs_floor`` and a thread's per-message budget (the longest window's seconds per message: 2 s at
    ACS's real limits)."""
    limits = fetch_limits(str(acs.info["admin"]), verify=str(acs.info["ca_bundle"]))
    budget = max(seconds / count for count, seconds in limits.windows("message_write"))
    return export_floor(loads, limits, people=people), budget


def environ(twilio: RunningService, acs: RunningService, storage: str, suffix: str, time_scale: float,
            concurrency: int) -> dict[str, str]:
    return {
        **standin_settings(storage_connection_string=storage, twilio=twilio, acs=acs),
        **own_storage("bench", suffix),
        "EXPORT_RATE_TIME_SCALE": str(time_scale),
        "EXPORT_CONCURRENCY": str(concurrency),
    }


def run_export(env: dict[str, str], service_sid: str, *, profile: str | None = None,
               code: Path = REPO_ROOT) -> dict[str, Any]:
    """The export in a child process; its own figures plus its CPU and peak RSS (from wait4).

    ``profile``: run it under py-spy (every thread, idle time left out), collapsed stacks written there.
    ``code``: the checkout whose exporter runs (``--compare-with`` runs an older revision's worker).
    """
    argv = [sys.executable, "-m", "bench.export", "--worker", service_sid]
    if profile:
        spy = str(Path(sys.executable).with_name("py-spy"))
        argv = [spy, "record", "--format", "raw", "--rate", "200", "--nonblocking", "--gil", "--output", profile,
                "--", *argv]
    process = subprocess.Popen(
        argv,
        cwd=code, env={**os.environ, **env}, stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"the export worker failed ({process.returncode}): {output[-2000:]}")
    result: dict[str, Any] = json.loads([line for line in output.splitlines() if line.startswith("{")][-1])
    # Not wait4's ru_maxrss: Linux carries the parent's high-water RSS across fork and exec into the child's
    # figure (here the parent holds the seeding snapshot), so the worker reports its own VmHWM instead.
    result["parent_inherited_maxrss_mb"] = usage.ru_maxrss / 1024
    # the whole child process, start to exit, every thread: the one CPU figure any revision's worker has
    result["process_cpu_s"] = usage.ru_utime + usage.ru_stime
    result["context_switches"] = (usage.ru_nvcsw, usage.ru_nivcsw)  # voluntary (a thread blocked), involuntary
    return result


class LatencyProbe:
    """One send every ``every`` seconds to a thread of its own, from inside the exporter process during its run.

    What one request takes under the run's own load (same process, same servers), to check the
    pacing run's premise: a request is a small part of a thread's per-message budget. Probe
    user stamps are counted on their own thread and user, so they never meet the export's limits.
    """

    def __init__(self, every: float) -> None:
        import threading

        from azure.communication.chat import ChatClient, ChatThreadClient, CommunicationTokenCredential
        from azure.communication.identity import CommunicationIdentityClient, CommunicationTokenScope

        ca = os.environ["ACS_CA_BUNDLE"]
        identity = CommunicationIdentityClient.from_connection_string(os.environ["ACS_CONNECTION_STRING"],
                                                                      connection_verify=ca)
        _, token = identity.create_user_and_token(scopes=[CommunicationTokenScope.CHAT])
        endpoint = os.environ["ACS_CONNECTION_STRING"].split(";")[0].split("=", 1)[1]
        chat = ChatClient(endpoint, CommunicationTokenCredential(token.token), connection_verify=ca)
        thread_id = chat.create_chat_thread("latency probe").chat_thread.id
        self._client = ChatThreadClient(endpoint, CommunicationTokenCredential(token.token), thread_id,
                                        connection_verify=ca, retry_total=0)
        self._every = every
        self._stop = threading.Event()
        self.samples: list[float] = []
        self.refused = 0
        self._thread = threading.Thread(target=self._run, name="latency-probe", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            began = time.perf_counter()
            try:
                self._client.send_message("probe")
            except Exception:  # noqa: BLE001  a refused probe (its own limit) is no latency sample
                self.refused += 1
            else:
                self.samples.append((time.perf_counter() - began) * 1000)

    def stop(self) -> list[float]:
        self._stop.set()
        self._thread.join(timeout=30)
        return self.samples


def worker(service_sid: str) -> int:
    from shared.container import AppContainer
    from shared.export import MigrationRequest
    from shared.state.runs import RunKind

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
    probe = LatencyProbe(float(os.environ["BENCH_PROBE_EVERY"])) if os.environ.get("BENCH_PROBE_EVERY") else None
    report = engine.runner.run(MigrationRequest(services=(service_sid,)), kind=RunKind.BENCH)
    seconds = time.monotonic() - started
    latencies = probe.stop() if probe is not None else []
    statuses: dict[str, int] = {}
    for outcome in report.outcomes:
        statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
    peak_kb = int(next(line for line in Path("/proc/self/status").read_text().splitlines()
                       if line.startswith("VmHWM")).split()[1])
    usage = resource.getrusage(resource.RUSAGE_SELF)  # the exporter process itself, every thread, from its start
    print(json.dumps({"messages": report.messages, "seconds": seconds, "throttled_acs": engine.stats.throttled_acs,
                      "retries": engine.stats.retries, "statuses": statuses, "peak_rss_mb": peak_kb / 1024,
                      "cpu_s": usage.ru_utime + usage.ru_stime, "user_s": usage.ru_utime, "sys_s": usage.ru_stime,
                      "probe_ms": latencies}))
    engine.close()
    return 0 if statuses.get("done", 0) == len(report.outcomes) else 1


def scenario(conversations: int, messages: int, time_scale: float, concurrency: int, seed_value: int,
             *, uniform: bool = False, profile: str | None = None, naive_budget: float = 0.0,
             probe: bool = False, code: Path = REPO_ROOT) -> dict[str, Any]:
    sizes = [messages // conversations] * conversations if uniform else zipf_sizes(conversations, messages)
    with ExitStack() as stack:
        twilio, acs, storage = start_standins(stack, time_scale)
        seeded = time.monotonic()
        service_sid, loads, people = seed(twilio, sizes, seed_value)
        seed_seconds = time.monotonic() - seeded
        floor, budget_s = acs_floor_and_budget(acs, loads, people)
        bound = floor.seconds
        env = environ(twilio, acs, storage, f"b{seed_value}", time_scale, concurrency)
        if probe:
            env["BENCH_PROBE_EVERY"] = str(budget_s * 4)  # well inside the probe thread's own limit
        load_before = os.getloadavg()[0]
        result = run_export(env, service_sid, profile=profile, code=code)
        result["load"] = (load_before, os.getloadavg()[0])
        counters = httpx.get(f"{acs.info['admin']}/counters", verify=str(acs.info["ca_bundle"])).json()
        if naive_budget > 0:  # the same workload, by hand, after ours (its own ACS users and threads)
            naive = naive_export(
                twilio_base_url=str(twilio.info["url"]), account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN,
                service_sid=service_sid, acs_connection_string=str(acs.info["connection_string"]),
                acs_endpoint=str(acs.info["endpoint"]), ca_bundle=str(acs.info["ca_bundle"]), budget_s=naive_budget,
            )
            result["naive"] = naive
    result.update({
        "conversations": conversations, "largest": sizes[0], "time_scale": time_scale, "concurrency": concurrency,
        "lower_bound_s": bound, "floor": floor.describe(), "budget_s": budget_s,
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
    naive: NaiveResult | None = r.get("naive")
    if naive is not None:
        total = r["messages"]
        if naive.finished:
            print(f"naive peer (bench/naive_export.py, one conversation then one message after another): "
                  f"{naive.messages} messages in {naive.seconds:.1f} s, measured; ours {r['seconds']:.1f} s: "
                  f"measured speed-up {naive.seconds / r['seconds']:.1f}x")
        else:
            rate = naive.messages / naive.seconds if naive.seconds else float("nan")
            projected = total / rate if rate else float("nan")
            print(f"naive peer (bench/naive_export.py, one conversation then one message after another): stopped at "
                  f"its {naive.seconds:.0f} s budget after {naive.messages} messages ({naive.conversations} "
                  f"conversations), measured rate {rate:.1f} messages/s, {naive.throttled} 429s; EXTRAPOLATED to "
                  f"{total} messages: {projected:.0f} s, so an extrapolated speed-up of "
                  f"{projected / r['seconds']:.1f}x over ours ({r['seconds']:.1f} s measured)")
    cost = r["cpu_s"] / r["messages"] * 1000 if r["messages"] else float("nan")
    print(f"cost: exporter process CPU {r['cpu_s']:.1f} s (user {r['user_s']:.1f} + sys {r['sys_s']:.1f}) "
          f"= {cost:.2f} CPU-s per 1,000 messages copied")
    voluntary, involuntary = r["context_switches"]
    print(f"context switches of the exporter process: {voluntary} voluntary + {involuntary} involuntary = "
          f"{(voluntary + involuntary) / max(1, r['messages']):.1f} per message")
    sys.stdout.flush()


@contextmanager
def checkout(revision: str) -> Iterator[Path]:
    """A throw-away ``git worktree`` of ``revision`` (its own exporter code; the same interpreter and packages)."""
    parent = Path(tempfile.mkdtemp(prefix="bench-revision-"))
    path = parent / "repo"
    subprocess.run(["git", "-C", str(REPO_ROOT), "worktree", "add", "--detach", "--quiet", str(path), revision],
                   check=True)
    try:
        yield path
    finally:
        subprocess.run(["git", "-C", str(REPO_ROOT), "worktree", "remove", "--force", str(path)], check=False)
        shutil.rmtree(parent, ignore_errors=True)


def compare(revision: str, rounds: int, conversations: int, messages: int, time_scale: float,
            concurrency: int) -> None:
    """The exporter's cost against ``revision``'s, in one run: the same workload, fresh stand-ins each time,
    the two taking turns (older first in odd rounds, ours first in even ones) so both meet the same machine.

    Cost is the worker process's own CPU from wait4 (user + system, every thread, start to exit), the one figure
    a worker of any revision gives.
    """
    with checkout(revision) as old_code:
        costs: dict[str, list[float]] = {"then": [], "now": []}
        for number in range(1, rounds + 1):
            order = (("then", old_code), ("now", REPO_ROOT)) if number % 2 else (("now", REPO_ROOT), ("then", old_code))
            for label, code in order:
                r = scenario(conversations, messages, time_scale, concurrency, 1, code=code)
                if r["messages"] != messages:
                    raise RuntimeError(f"{label}: copied {r['messages']} of {messages} messages: {r['statuses']}")
                cost = r["process_cpu_s"] / r["messages"] * 1000
                costs[label].append(cost)
                print(f"round {number} {label:>4} ({revision if label == 'then' else 'this checkout'}): "
                      f"{r['messages']} messages, wall {r['seconds']:.1f} s, ratio {r['ratio']:.3f}, process CPU "
                      f"{r['process_cpu_s']:.1f} s = {cost:.2f} CPU-s per 1,000 messages, "
                      f"{sum(r['context_switches']) / r['messages']:.1f} context switches per message "
                      f"(load {r['load'][0]:.1f} -> {r['load'][1]:.1f})", flush=True)
        then, now = sum(costs["then"]), sum(costs["now"])
        pairs = ", ".join(f"{a / b:.2f}x" for a, b in zip(costs["then"], costs["now"], strict=True))
        print(f"cost {revision}: {then / rounds:.2f}, this checkout: {now / rounds:.2f} CPU-s per 1,000 messages "
              f"(mean of {rounds}); this checkout is {then / now:.2f}x cheaper (per round: {pairs})")


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
    parser.add_argument("--naive-budget", type=float, default=120.0,
                        help="seconds the naive peer (bench/naive_export.py) gets on the same workload; 0 skips it")
    parser.add_argument("--pacing-conversations", type=int, default=20, help="0 skips the pacing run")
    parser.add_argument("--pacing-messages", type=int, default=400)
    parser.add_argument("--pacing-time-scale", type=float, default=1.0,
                        help="large enough that one request is under 2%% of a thread's per-message budget")
    parser.add_argument("--profile", metavar="FILE", help="run the exporter under py-spy; collapsed stacks to FILE")
    parser.add_argument("--rss-sizes", default="10000,100000", help=argparse.SUPPRESS)
    parser.add_argument("--compare-with", metavar="REVISION",
                        help="only compare CPU per 1,000 messages with this git revision's exporter, turn by turn")
    parser.add_argument("--rounds", type=int, default=2, help="turns each of --compare-with")
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker)
    if args.compare_with:
        compare(args.compare_with, args.rounds, args.conversations, args.messages, args.time_scale, args.concurrency)
        return 0
    if not args.skip_main:
        main_run = scenario(args.conversations, args.messages, args.time_scale, args.concurrency, 1,
                            profile=args.profile, naive_budget=args.naive_budget)
        show(f"{args.conversations} conversations / {args.messages} messages", main_run)
        if args.profile:
            from bench.profile import show as show_profile

            print(f"profile of the exporter process (py-spy, idle left out; {args.profile}):")
            print(show_profile(args.profile))
        print(f"(at x {args.time_scale} a thread's per-message budget is {main_run['budget_s'] * 1000:.0f} ms, so this "
              "ratio is mostly the machine's overhead under load, not pacing: see the pacing run)")
    if args.pacing_conversations:
        pacing = scenario(args.pacing_conversations, args.pacing_messages, args.pacing_time_scale,
                          args.pacing_conversations, 4, probe=True)
        show(f"pacing: {args.pacing_conversations} conversations / {args.pacing_messages} messages", pacing)
        probe = sorted(pacing["probe_ms"])
        budget_ms = pacing["budget_s"] * 1000
        if probe:
            p50, p95 = probe[len(probe) // 2], probe[min(len(probe) - 1, int(len(probe) * 0.95))]
            print(f"one send during the run (a probe in the exporter process, {len(probe)} samples): p50 {p50:.1f} ms, "
                  f"p95 {p95:.1f} ms = {p50 / budget_ms:.1%} / {p95 / budget_ms:.1%} of a thread's per-message budget "
                  f"({budget_ms:.0f} ms at x {args.pacing_time_scale}); premise (p50 < 2%) "
                  f"{'holds' if p50 < 0.02 * budget_ms else 'does NOT hold: raise --pacing-time-scale'}")
        print(f"pacing efficiency (wall / ACS floor) {pacing['ratio']:.3f}: target <= 1.05 -> "
              f"{'met' if pacing['ratio'] <= 1.05 else 'NOT met'}")
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
