"""Measure the ACS stand-in's throughput: simple authenticated requests per second over HTTPS.

Starts ``python -m emulators.acs --no-limits`` (rate limits would refuse a benchmark), makes
one user, token and thread, then keeps ``--concurrency`` keep-alive connections busy for
``--seconds`` with ``GET /chat/threads/{id}`` (bearer token verified on every call), and
again with ``POST .../messages``. Prints the figures; asserts nothing about time.

    .venv/bin/python bench/acs_throughput.py [--seconds 5] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.process import python_module_argv, running

TARGET = 1000.0


async def _setup(session: aiohttp.ClientSession, info: dict[str, str], ctx: ssl.SSLContext) -> tuple[str, str]:
    admin = info["admin"]
    async with session.post(f"{admin}/tokens", json={"scopes": ["chat"]}, ssl=ctx) as response:
        token = (await response.json())["token"]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{info['endpoint']}/chat/threads?api-version=2024-03-07"
    async with session.post(url, json={"topic": "bench", "participants": []}, headers=headers, ssl=ctx) as response:
        thread_id = (await response.json())["chatThread"]["id"]
    async with session.put(f"{admin}/recording", json={"enabled": False}, ssl=ctx) as response:
        await response.read()
    return token, thread_id


async def _load(
    method: str,
    url: str,
    body: bytes | None,
    headers: dict[str, str],
    seconds: float,
    concurrency: int,
    ctx: ssl.SSLContext,
) -> tuple[int, float, Counter[int]]:
    statuses: Counter[int] = Counter()
    connector = aiohttp.TCPConnector(limit=concurrency, ssl=ctx)
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                async with session.request(method, url, data=body, headers=headers) as response:
                    await response.read()
                    statuses[response.status] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return sum(statuses.values()), elapsed, statuses


async def _bench(info: dict[str, str], seconds: float, concurrency: int) -> list[dict[str, object]]:
    ctx = ssl.create_default_context(cafile=info["ca_bundle"])
    async with aiohttp.ClientSession() as session:
        token, thread_id = await _setup(session, info, ctx)
    auth = {"Authorization": f"Bearer {token}"}
    base = f"{info['endpoint']}/chat/threads/{thread_id}"
    runs = [
        ("GET thread properties", "GET", f"{base}?api-version=2024-03-07", None, auth),
        (
            "POST send message",
            "POST",
            f"{base}/messages?api-version=2024-03-07",
            json.dumps({"content": "bench", "type": "text"}).encode(),
            {**auth, "Content-Type": "application/json"},
        ),
    ]
    results = []
    for name, method, url, body, headers in runs:
        count, elapsed, statuses = await _load(method, url, body, headers, seconds, concurrency, ctx)
        rate = count / elapsed
        results.append(
            {
                "run": name,
                "requests": count,
                "seconds": round(elapsed, 2),
                "per_second": round(rate),
                "vs_target": round(rate / TARGET, 2),
                "statuses": dict(statuses),
            }
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    argv = python_module_argv("emulators.acs", "--port", "0", "--no-limits")
    with running("acs", argv, cwd=str(Path(__file__).resolve().parents[1])) as service:
        results = asyncio.run(_bench(service.info, args.seconds, args.concurrency))
    print(
        f"ACS stand-in throughput over HTTPS, {args.concurrency} keep-alive connections, "
        f"{args.seconds:g} s per run (target {TARGET:g} requests/s):"
    )
    for result in results:
        print(
            f"  {result['run']:<24} {result['requests']:>7} requests in {result['seconds']:>5} s = "
            f"{result['per_second']:>6} requests/s ({result['vs_target']}x target) statuses={result['statuses']}"
        )
    print(json.dumps({"results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
