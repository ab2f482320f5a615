"""Measure how many simple GETs per second the Twilio stand-in serves (target: >= 1,000/s on 2 cores).

Starts ``python -m emulators.twilio`` (no recording), creates one conversation with a message
through the real SDK, then runs keep-alive aiohttp workers doing authenticated
``GET /v1/Conversations/{sid}`` (a fetch) and ``GET .../Messages?PageSize=1`` (a one-item
list) for ``--seconds``; then, for information, full 50-message pages. ``--sdk`` adds the
same fetch through the SDK's async client. Prints the figures as JSON; asserts nothing.

    .venv/bin/python bench/twilio_throughput.py [--seconds 5] [--workers 32] [--sdk]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from harness.process import python_module_argv, running

TARGET = 1000.0


async def _workers(urls: list[str], auth: str, workers: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop_at = 0.0
    connector = aiohttp.TCPConnector(limit=workers, force_close=False)
    async with aiohttp.ClientSession(connector=connector, headers={"Authorization": auth}) as session:

        async def worker(n: int) -> None:
            i = n
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                async with session.get(urls[i % len(urls)]) as response:
                    await response.read()
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                latencies.append(time.perf_counter() - started)
                i += 1

        stop_at = time.perf_counter() + 0.5  # warm-up: open connections, JIT caches
        await asyncio.gather(*(worker(n) for n in range(workers)))
        latencies.clear()
        statuses.clear()
        begin = time.perf_counter()
        stop_at = begin + seconds
        await asyncio.gather(*(worker(n) for n in range(workers)))
        elapsed = time.perf_counter() - begin
    total = sum(statuses.values())
    ordered = sorted(latencies)
    return {
        "requests": total,
        "seconds": round(elapsed, 3),
        "requests_per_second": round(total / elapsed, 1),
        "ratio_vs_target": round(total / elapsed / TARGET, 2),
        "statuses": statuses,
        "latency_ms_p50": round(statistics.median(ordered) * 1000, 2) if ordered else None,
        "latency_ms_p99": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2) if ordered else None,
    }


async def _sdk_rate(url: str, sid: str, token: str, conv_sid: str, workers: int, seconds: float) -> dict[str, Any]:
    count = 0
    async with AsyncTwilioHttpClient() as http:
        client = Client(sid, token, http_client=http)
        client.conversations.base_url = url
        stop_at = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal count
            while time.perf_counter() < stop_at:
                await client.conversations.v1.conversations(conv_sid).fetch_async()
                count += 1

        begin = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(workers)))
        elapsed = time.perf_counter() - begin
    return {"requests": count, "requests_per_second": round(count / elapsed, 1),
            "ratio_vs_target": round(count / elapsed / TARGET, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--sdk", action="store_true", help="also measure through the SDK's async client")
    args = parser.parse_args(argv)
    argv_server = python_module_argv("emulators.twilio", "--faults", "concurrency=0")
    with running("twilio-bench", argv_server) as server:
        info = server.info
        client = Client(info["account_sid"], info["auth_token"])
        client.conversations.base_url = info["url"]
        conv = client.conversations.v1.conversations.create(friendly_name="bench")
        for i in range(50):
            client.conversations.v1.conversations(conv.sid).messages.create(author="bench", body=f"hello {i}")
            time.sleep(0.035)  # stay under 30 writes/s per conversation
        base = f"{info['url']}/v1/Conversations/{conv.sid}"
        urls = [base, f"{base}/Messages?PageSize=1"]
        auth = aiohttp.encode_basic_auth(info["account_sid"], info["auth_token"])
        result: dict[str, Any] = {"target_requests_per_second": TARGET, "workers": args.workers,
                                  "raw_http": asyncio.run(_workers(urls, auth, args.workers, args.seconds))}
        # Not a "simple GET": full 50-message pages, what an export mostly does.
        result["list_pages_of_50"] = asyncio.run(
            _workers([f"{base}/Messages?PageSize=50"], auth, args.workers, min(args.seconds, 3.0)))
        result["list_pages_of_50"].pop("ratio_vs_target")
        if args.sdk:
            result["twilio_sdk_async"] = asyncio.run(
                _sdk_rate(info["url"], info["account_sid"], info["auth_token"], conv.sid, args.workers,
                          args.seconds))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
