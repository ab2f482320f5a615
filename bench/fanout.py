"""Fan-out cost, throughput and latency: Event Grid webhook -> the app on the host -> 3 subscribers.

Three processes besides Azurite: the app under the host stand-in (``function_app:app``), the
three loopback subscribers (``bench/fanout_subscribers.py``: two Twilio-format, one
CloudEvents, signatures checked) and this one, which POSTs ``--events`` ACS chat events to the
host's Event Grid webhook in batches like Event Grid does and waits until every subscriber
has every event. Prints events/s, deliveries/s, the host process's own CPU (user + system
from /proc, host stand-in included) per delivery and deliveries per CPU-second of it, and
the event-to-delivery latency percentiles.
Figures only, no assertions: run it by hand (``.venv/bin/python bench/fanout.py [--events 500]``).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulators.azurite import running_azurite
from harness.process import python_module_argv, start_service

REPO_ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-subscriber-secret-0123456789"
THREAD = "19:benchmark0000000000000000000000@thread.v2"
SENDER = "8:acs:bench_0000-sender"


def chat_event(n: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()), "topic": "/bench", "subject": f"thread/{THREAD}/sender/{SENDER}",
        "eventType": "Microsoft.Communication.ChatMessageReceivedInThread", "dataVersion": "1.0",
        "metadataVersion": "1", "eventTime": datetime.now(UTC).isoformat(),
        "data": {"messageBody": f"bench message {n}", "messageId": str(1_700_000_000_000 + n), "type": "Text",
                 "version": str(n), "threadId": THREAD, "senderDisplayName": "Bench", "metadata": {},
                 "senderCommunicationIdentifier": {"rawId": SENDER, "communicationUser": {"id": SENDER}},
                 "composeTime": datetime.now(UTC).isoformat(), "transactionId": "bench"},
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


HOST_JSON = {"version": "2.0", "extensions": {"http": {"routePrefix": "api"}, "queues": {
    "batchSize": 16, "newBatchThreshold": 8, "maxPollingInterval": "00:00:00.100",
    "visibilityTimeout": "00:00:01", "maxDequeueCount": 5, "messageEncoding": "base64",
}}}
FUNCTION_KEY = "bench-function-key-" + secrets.token_hex(6)


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its reaped children, from the kernel's own accounting."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def run(events: int, batch: int, concurrency: int, workdir: Path, *, queue_first: bool) -> dict[str, Any]:
    with running_azurite() as azurite, ExitStack() as stack:
        suffix = secrets.token_hex(4)
        env = {
            "AzureWebJobsStorage": azurite.connection_string, "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": "bench", "ACS_CONNECTION_STRING": "endpoint=https://acs.bench.test/;accesskey=YmVuY2g=",
            "SUBSCRIPTION_TABLE": f"benchsubs{suffix}", "DEAD_LETTER_TABLE": f"benchdead{suffix}",
            "DELIVERY_QUEUE": f"bench-deliveries-{suffix}", "FANOUT_ALLOW_HTTP": "true",
            "FANOUT_ALLOW_PRIVATE_TARGETS": "true", "FANOUT_RETRY_BASE_SECONDS": "1",
            # the whole app is loaded, so every binding needs its setting (nothing is queued there)
            "MIGRATION_QUEUE": f"bench-migration-{suffix}", "NIGHTLY_SCHEDULE": "0 0 2 * * *",
            "FANOUT_QUEUE_FIRST_ATTEMPT": "true" if queue_first else "false",
        }
        host_json = workdir / "host.json"
        host_json.write_text(json.dumps(HOST_JSON))
        host = start_service("functions host", [
            *python_module_argv("emulators.host"), "--app", "function_app:app", "--host-json", str(host_json),
            "--function-key", FUNCTION_KEY, "--port", "0"], env={**os.environ, **env}, cwd=str(REPO_ROOT), timeout=90)
        stack.callback(host.stop)
        subscribers = start_service("subscribers", [*python_module_argv("bench.fanout_subscribers"), SECRET],
                                    cwd=str(REPO_ROOT), timeout=60)
        stack.callback(subscribers.stop)
        client = stack.enter_context(httpx.Client(base_url=str(host.info["url"]),
                                                  headers={"x-functions-key": FUNCTION_KEY}, timeout=60))
        urls = list(subscribers.info["urls"])
        for url, fmt in zip(urls, ("twilio", "twilio", "cloudevents"), strict=True):
            client.post("/api/subscriptions", json={"url": url, "format": fmt, "secret": SECRET}).raise_for_status()
        webhook = f"/runtime/webhooks/eventgrid?functionName=fanout_acs_event&code={FUNCTION_KEY}"
        sent_at: dict[str, float] = {}
        chunks = [[chat_event(n) for n in range(first, min(events, first + batch))]
                  for first in range(0, events, batch)]

        def post(chunk: list[dict[str, Any]]) -> None:
            now = time.time()
            for event in chunk:
                sent_at[event["data"]["messageId"]] = now
            response = client.post(webhook, content=json.dumps(chunk),
                                   headers={"aeg-event-type": "Notification", "Content-Type": "application/json"})
            response.raise_for_status()

        def delivered() -> dict[str, list[list[Any]]]:
            got: dict[str, list[list[Any]]] = httpx.get(str(subscribers.info["stats"]), timeout=60).json()
            return got

        post([chat_event(events + n) for n in range(3)])  # warm: imports, connections, tables, the queue
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and min(len(v) for v in delivered().values()) < 3:
            time.sleep(0.2)
        warm = {path: len(v) for path, v in delivered().items()}
        sent_at.clear()
        cpu_before = process_cpu(host.pid)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(post, chunks))
        posted = time.monotonic() - started
        deadline = time.monotonic() + 600
        while True:
            got = delivered()
            fresh = {path: {row[0] for row in rows if row[0] in sent_at} for path, rows in got.items()}
            if min(len(keys) for keys in fresh.values()) >= events or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        cpu = process_cpu(host.pid) - cpu_before
        rows = [row for path, rows_ in got.items() for row in rows_[warm[path]:] if row[0] in sent_at]
        latencies = [row[1] - sent_at[row[0]] for row in rows]
        signatures_ok = all(row[2] for row in rows)
        deliveries = sum(len(keys) for keys in fresh.values())
    return {
        "first_attempt": "through the delivery queue" if queue_first else "straight from the Event Grid trigger",
        "events": events, "batch": batch, "concurrent_posts": concurrency, "subscribers": 3,
        "deliveries": deliveries, "signatures_ok": signatures_ok,
        "post_seconds": round(posted, 2), "total_seconds": round(elapsed, 2),
        "events_per_second": round(events / elapsed, 1), "deliveries_per_second": round(deliveries / elapsed, 1),
        "app_cpu_seconds": round(cpu, 2),
        "app_cpu_ms_per_delivery": round(1000 * cpu / deliveries, 3) if deliveries else None,
        "deliveries_per_app_cpu_second": round(deliveries / cpu, 1) if cpu else None,
        "latency_p50_ms": round(1000 * statistics.median(latencies), 1),
        "latency_p99_ms": round(1000 * percentile(latencies, 0.99), 1),
        "latency_max_ms": round(1000 * max(latencies), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--batch", type=int, default=10, help="events per Event Grid POST")
    parser.add_argument("--concurrency", type=int, default=1, help="Event Grid batches in flight at once")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as workdir:
        # the earlier path (FANOUT_QUEUE_FIRST_ATTEMPT=true) and today's, one after the other in this run
        queued = run(args.events, args.batch, args.concurrency, Path(workdir), queue_first=True)
        print(json.dumps(queued, indent=2), flush=True)
        inline = run(args.events, args.batch, args.concurrency, Path(workdir), queue_first=False)
        print(json.dumps(inline, indent=2))
    ratio = inline["deliveries_per_app_cpu_second"] / queued["deliveries_per_app_cpu_second"]
    print(f"deliveries per app CPU-second: {inline['deliveries_per_app_cpu_second']} (first attempt from the trigger) "
          f"vs {queued['deliveries_per_app_cpu_second']} (through the queue) = {ratio:.2f}x, target >= 3 -> "
          f"{'met' if ratio >= 3 else 'NOT met'}; p99 event-to-delivery {inline['latency_p99_ms']} ms, target < 500 "
          f"-> {'met' if inline['latency_p99_ms'] < 500 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
