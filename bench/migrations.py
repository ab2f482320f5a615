"""Benchmark of migration runs through the Functions path (not a test): ``POST /api/migrations`` served by the
host stand-in with its queue workers, then a nightly run over the same, unchanged workspace.

Starts Azurite, the Twilio stand-in and the ACS stand-in (limits on, windows time-scaled), seeds Zipf-sized
conversations through the Twilio stand-in's snapshot load, serves ``function_app`` with ``emulators.host`` in its
own process (queue triggers pumping real Azurite queues), starts a migration over HTTP and polls it. Prints: wall
time, the floor ACS's limits imply (harness/floor.py: asked of the ACS stand-in, with identity creation, thread
creation and participant adds), their ratio, planning time and continuations, Twilio requests per conversation
(first run and nightly; the Twilio stand-in counts every request), the ledger's totals, and ACS's stored sends.

    .venv/bin/python -m bench.migrations [--conversations 2000] [--messages 40000] [--time-scale 0.1]
"""

from __future__ import annotations

import argparse
import json
import secrets
import ssl
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from statistics import median
from typing import Any

import httpx

from bench.export import ACCOUNT_SID, AUTH_TOKEN, acs_floor, seed, start_standins, zipf_sizes
from harness.app_settings import own_storage, standin_settings
from harness.process import RunningService, python_module_argv, start_service

REPO_ROOT = Path(__file__).resolve().parents[1]
FUNCTION_KEY = "bench-function-key-" + secrets.token_hex(6)
ADMIN_KEY = "bench-admin-key-" + secrets.token_hex(6)


def host_json(batch: int, threshold: int) -> dict[str, Any]:
    """One instance's queue settings; ``batch + threshold`` work items in flight (Flex would add instances)."""
    return {"version": "2.0", "extensions": {"http": {"routePrefix": "api"}, "queues": {
        "batchSize": batch, "newBatchThreshold": threshold, "maxPollingInterval": "00:00:00.200",
        "visibilityTimeout": "00:00:01", "maxDequeueCount": 5, "messageEncoding": "base64",
    }}}


def app_settings(twilio: RunningService, acs: RunningService, storage: str, *, time_scale: float,
                 slice_seconds: float, concurrency: int) -> dict[str, str]:
    return {
        **standin_settings(storage_connection_string=storage, twilio=twilio, acs=acs),
        **own_storage("bench", secrets.token_hex(3)),
        "EXPORT_RATE_TIME_SCALE": str(time_scale),
        "EXPORT_SLICE_SECONDS": str(slice_seconds),
        "EXPORT_CONCURRENCY": str(concurrency),  # the app's slice threads: every work item the host takes at once
        "NIGHTLY_SCHEDULE": "0 0 2 * * *",
    }


def start_host(settings: dict[str, str], workdir: Path, *, batch: int, threshold: int) -> RunningService:
    path = workdir / "host.json"
    path.write_text(json.dumps(host_json(batch, threshold)))
    argv = [*python_module_argv("emulators.host"), "--app", "function_app:app", "--host-json", str(path),
            "--function-key", FUNCTION_KEY, "--admin-key", ADMIN_KEY]
    import os

    return start_service("functions host", argv, env={**os.environ, **settings}, cwd=str(REPO_ROOT), timeout=120)


class Twilio:
    """The Twilio stand-in's request counters."""

    def __init__(self, twilio: RunningService) -> None:
        self.http = httpx.Client(base_url=str(twilio.info["url"]), auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=60)

    def clear(self) -> None:
        self.http.delete("/_admin/counters").raise_for_status()

    def requests(self) -> tuple[int, dict[str, int]]:
        """Requests since ``clear`` (less this read itself): the total, and per route."""
        body = self.http.get("/_admin/counters").json()
        by_route = {route: sum(int(n) for n in statuses.values()) for route, statuses in body["by_route"].items()}
        by_route = {route: n for route, n in by_route.items() if "/_admin" not in route}
        return sum(by_route.values()), by_route


def per_conversation(by_route: dict[str, int]) -> int:
    """Requests about one conversation (its messages, participants): the rest are shared by many (list pages,
    the service's users)."""
    return sum(n for route, n in by_route.items() if "{ConversationSid}" in route or "{ChannelSid}" in route)


def describe_requests(total: int, by_route: dict[str, int], conversations: int) -> str:
    """Twilio requests per conversation, those about one conversation apart from the shared ones."""
    own = per_conversation(by_route)
    routes = ", ".join(f"{route} {n}" for route, n in sorted(by_route.items(), key=lambda kv: -kv[1]))
    return (f"Twilio requests {total} = {total / conversations:.2f} per conversation in all: "
            f"{own / conversations:.2f} about each conversation + {total - own} shared ({routes})")


def wait_run(http: httpx.Client, run_id: str, *, timeout: float) -> dict[str, Any]:
    """Poll the runs list (no ledger read, unlike GET by id) until the run ends; then its full view."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            runs = http.get("/api/migrations", params={"limit": "5"}).json()["runs"]
        except httpx.TimeoutException:  # the host is busy: ask again
            runs = []
        found = next((r for r in runs if r["id"] == run_id), None)
        if found is not None and found["status"] in ("succeeded", "failed", "cancelled"):
            body: dict[str, Any] = http.get(f"/api/migrations/{run_id}").json()
            return body
        if time.monotonic() > deadline:
            raise TimeoutError(f"the run did not finish in {timeout:.0f} s: {found and found['counts']}")
        time.sleep(2)


def request_latency_ms(acs: RunningService, http: httpx.Client) -> float:
    """The median time of a cheap ACS stand-in request from here (what one request costs on this machine)."""
    trust = ssl.create_default_context(cafile=str(acs.info["ca_bundle"]))
    times = []
    with httpx.Client(verify=trust, timeout=30) as client:
        for _ in range(20):
            started = time.perf_counter()
            client.get(f"{acs.info['admin']}/health")
            times.append((time.perf_counter() - started) * 1000)
    return median(times)


def acs_sends(acs: RunningService) -> int:
    trust = ssl.create_default_context(cafile=str(acs.info["ca_bundle"]))
    counters = httpx.get(f"{acs.info['admin']}/counters", verify=trust, timeout=60).json()["counters"]
    route = counters.get("POST /chat/threads/{chatThreadId}/messages", {})
    return int(route.get("201", 0)) + int(route.get("lost", 0))


def largest_thread(acs: RunningService) -> str:
    """The longest thread's send timeline from the ACS stand-in: did its slices keep it at ACS's limit?"""
    trust = ssl.create_default_context(cafile=str(acs.info["ca_bundle"]))
    threads = httpx.get(f"{acs.info['admin']}/threads", verify=trust, timeout=300).json()["threads"]
    sent = max(([m for m in t["messages"] if m["type"] in ("text", "html")] for t in threads), key=len, default=[])
    times = sorted(datetime.fromisoformat(m["createdOn"].replace("Z", "+00:00")).timestamp() for m in sent)
    if len(times) < 2:
        return "largest thread: fewer than 2 messages"
    gaps = [b - a for a, b in pairwise(times)]
    return (f"largest thread: {len(times)} messages sent over {times[-1] - times[0]:.1f} s, longest pause "
            f"between two sends {max(gaps):.1f} s (a slice boundary, or a wait for a worker)")


def run(conversations: int, messages: int, time_scale: float, batch: int, threshold: int, slice_seconds: float,
        timeout: float) -> int:
    sizes = zipf_sizes(conversations, messages)
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bench-migrations-") as tmp:
        twilio, acs, storage = start_standins(stack, time_scale)
        seeded = time.monotonic()
        service_sid, loads, people = seed(twilio, sizes, 1)
        print(f"seeded {conversations} conversations / {sum(sizes)} messages (largest {sizes[0]}, Zipf s=1) in "
              f"{time.monotonic() - seeded:.1f} s; ACS windows x {time_scale}; host: batchSize {batch} + "
              f"newBatchThreshold {threshold} work items in flight; EXPORT_SLICE_SECONDS {slice_seconds:g}",
              flush=True)
        floor = acs_floor(acs, loads, people)
        settings = app_settings(twilio, acs, storage, time_scale=time_scale, slice_seconds=slice_seconds,
                                concurrency=batch + threshold)
        host = start_host(settings, Path(tmp), batch=batch, threshold=threshold)
        stack.callback(host.stop)
        counter = Twilio(twilio)
        stack.callback(counter.http.close)
        http = httpx.Client(base_url=str(host.info["url"]), headers={"x-functions-key": FUNCTION_KEY}, timeout=300)
        stack.callback(http.close)
        latency = request_latency_ms(acs, http)

        counter.clear()
        started = time.monotonic()
        response = http.post("/api/migrations", json={"services": [service_sid]})
        response.raise_for_status()
        first = wait_run(http, str(response.json()["id"]), timeout=timeout)
        wall = time.monotonic() - started
        first_requests, first_routes = counter.requests()
        sends = acs_sends(acs)
        timeline = largest_thread(acs)

        counter.clear()
        nightly_started = time.monotonic()
        fired = http.post("/admin/functions/nightly_sync", json={"input": ""}, headers={"x-functions-key": ADMIN_KEY})
        fired.raise_for_status()
        nightly_id = ""
        while not nightly_id:
            runs = http.get("/api/migrations", params={"limit": "1"}).json()["runs"]
            if runs and runs[0]["kind"] == "nightly":
                nightly_id = str(runs[0]["id"])
            elif time.monotonic() - nightly_started > 120:
                raise TimeoutError("the nightly run did not start")
            else:
                time.sleep(0.5)
        nightly = wait_run(http, nightly_id, timeout=timeout)
        nightly_wall = time.monotonic() - nightly_started
        nightly_requests, nightly_routes = counter.requests()

    ratio = wall / floor.seconds
    budget_ms = 2000 * time_scale  # a thread's per-message budget at ACS's 30 a minute, time-scaled
    print(floor.describe())
    print(f"first run: status {first['status']}  wall {wall:.1f} s  floor {floor.seconds:.1f} s  ratio {ratio:.3f}  "
          f"(target <= 1.10 -> {'met' if ratio <= 1.10 else 'NOT met'})")
    print(f"  a request here takes {latency:.1f} ms (median), {latency / budget_ms:.1%} of a thread's per-message "
          f"budget of {budget_ms:.0f} ms (the ratio target assumes under 2%)")
    plan = first["planning"]
    print(f"  planning {plan['seconds']:.1f} s over {plan['continuations'] + 1} invocation(s) "
          f"({plan['continuations']} continuations); planned {first['counts']['planned']} of {conversations} "
          f"conversations")
    print(f"  {describe_requests(first_requests, first_routes, conversations)}")
    print(f"  ledger: {json.dumps(first['counts'])}; ACS stored {sends} sends for {sum(sizes)} Twilio messages")
    print(f"  {timeline}")
    nplan = nightly["planning"]
    print(f"nightly over the unchanged workspace: status {nightly['status']}  wall {nightly_wall:.1f} s  planned "
          f"{nightly['counts']['planned']}  planning {nplan['seconds']:.1f} s, {nplan['continuations']} continuations")
    each = per_conversation(nightly_routes) / conversations
    print(f"  {describe_requests(nightly_requests, nightly_routes, conversations)}")
    print(f"  about each unchanged conversation {each:.2f} (target <= 2 -> {'met' if each <= 2 else 'NOT met'}); "
          f"the shared reads are a list page per 100 conversations and the service's users")
    print(f"  ledger: {json.dumps(nightly['counts'])}")
    copied = first["counts"]["messages"] == sum(sizes) and sends == sum(sizes)
    if not copied:
        print(f"FIRST RUN INCOMPLETE: the run reported {first['counts']['messages']} messages and ACS stored {sends} "
              f"sends for {sum(sizes)} Twilio messages")
    nightly_idle = nightly["counts"]["planned"] == 0
    if not nightly_idle:
        print(f"NIGHTLY FOUND WORK in an unchanged workspace: {nightly['counts']['planned']} conversation(s)")
    ok = first["status"] == "succeeded" and nightly["status"] == "succeeded" and copied and nightly_idle
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=40_000)
    parser.add_argument("--time-scale", type=float, default=0.1, help="ACS windows multiplied by this")
    parser.add_argument("--batch-size", type=int, default=32, help="host.json queues.batchSize")
    parser.add_argument("--new-batch-threshold", type=int, default=16, help="host.json queues.newBatchThreshold")
    parser.add_argument("--slice-seconds", type=float, default=240.0, help="EXPORT_SLICE_SECONDS (its default)")
    parser.add_argument("--timeout", type=float, default=7200.0)
    args = parser.parse_args(argv)
    return run(args.conversations, args.messages, args.time_scale, args.batch_size, args.new_batch_threshold,
               args.slice_seconds, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
