"""Fan-out throughput and latency: Event Grid webhook -> trigger -> Azurite queue -> deliverer -> 3 subscribers.

Starts Azurite and the host stand-in (in-process), registers three loopback subscribers
(two Twilio-format, one CloudEvents), POSTs ``--events`` ACS chat events to the host's Event
Grid webhook in batches like Event Grid does, and waits until every subscriber has every event.
Prints events/s (all three deliveries done) and the event-to-delivery latency percentiles.
Figures only, no assertions: run it by hand (``.venv/bin/python bench/fanout.py [--events 500]``).
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulators.azurite import running_azurite
from emulators.host import local_host_in_thread
from emulators.subscriber import Subscriber, running_subscriber
from scripts.fanout_pipeline import FAST_QUEUES, fanout_app
from shared.container import AppContainer

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


def key_of(received: Any) -> str:
    return str(received.fields["MessageSid"]) if received.fields else str(received.json()["data"]["messageId"])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(events: int, batch: int, concurrency: int) -> dict[str, Any]:
    with running_azurite() as azurite:
        suffix = secrets.token_hex(4)
        env = {
            "AzureWebJobsStorage": azurite.connection_string, "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": "bench", "ACS_CONNECTION_STRING": "endpoint=https://acs.bench.test/;accesskey=YmVuY2g=",
            "SUBSCRIPTION_TABLE": f"benchsubs{suffix}", "DEAD_LETTER_TABLE": f"benchdead{suffix}",
            "DELIVERY_QUEUE": f"bench-deliveries-{suffix}", "FANOUT_ALLOW_HTTP": "true",
            "FANOUT_ALLOW_PRIVATE_TARGETS": "true", "FANOUT_RETRY_BASE_SECONDS": "1",
        }
        container = AppContainer.from_environ(env)
        with local_host_in_thread(fanout_app(container), settings=env, host_json=FAST_QUEUES) as host, \
                running_subscriber(SECRET, path="/a") as a, running_subscriber(SECRET, path="/b") as b, \
                running_subscriber(SECRET, path="/c") as c, \
                httpx.Client(base_url=host.url, headers={"x-functions-key": host.keys.function_key},
                             timeout=60) as client:
            subscribers: list[Subscriber] = [a, b, c]
            for sub, fmt in zip(subscribers, ("twilio", "twilio", "cloudevents"), strict=True):
                response = client.post("/api/subscriptions", json={"url": sub.url, "format": fmt, "secret": SECRET})
                response.raise_for_status()
            webhook = f"/runtime/webhooks/eventgrid?functionName=fanout_acs_event&code={host.keys.eventgrid_key}"
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

            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                list(pool.map(post, chunks))
            posted = time.monotonic() - started
            for sub in subscribers:
                sub.wait_for(events, timeout=600)
            elapsed = time.monotonic() - started
            latencies = [r.at - sent_at[key_of(r)] for sub in subscribers for r in sub.delivered()]
            signatures_ok = all(r.signature_ok for sub in subscribers for r in sub.received)
            delivered = sum(len(sub.delivered_ids()) for sub in subscribers)
    return {
        "events": events, "batch": batch, "concurrent_posts": concurrency, "subscribers": 3,
        "deliveries": delivered, "signatures_ok": signatures_ok,
        "post_seconds": round(posted, 2), "total_seconds": round(elapsed, 2),
        "events_per_second": round(events / elapsed, 1), "deliveries_per_second": round(delivered / elapsed, 1),
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
    print(json.dumps(run(args.events, args.batch, args.concurrency), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
