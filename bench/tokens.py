"""POST /api/token through the local Functions host stand-in against the ACS stand-in, with a warm identity map.

Starts Azurite, the ACS stand-in (``--no-limits``: this measures the app, not ACS's rate
limits) and the local issuer; serves the token Blueprint with ``local_host_in_thread``.
Then, for one signed-in user whose mapping exists:

* latency: ``--requests`` sequential POST /api/token (a reused bearer JWT, verified every
  time), interleaved one for one with the bare ``CommunicationIdentityClient.get_token``
  call the function makes, so both see the same machine; p50/p95/p99 of each, and the
  function's median overhead over the bare call as a difference and a ratio;
* the same request straight into the handler in-process (no host, no HTTP), to split the
  overhead into the host hop and the app's own work (JWT check, map lookup, JSON); and once
  more with the in-process identity cache cleared first (the map read from the Table, as
  before the cache), interleaved, so the two app shares come from one run;
* throughput: ``--workers`` threads doing POST /api/token for ``--seconds``.

Prints JSON; asserts nothing (target: < 5 ms median overhead).

    .venv/bin/python bench/tokens.py [--requests 500] [--workers 8] [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import azure.functions as func
import httpx
from azure.communication.identity import CommunicationIdentityClient, CommunicationUserIdentifier

from emulators.azurite import running_azurite
from emulators.host import local_host_in_thread
from harness.local_issuer import running_local_issuer
from harness.process import python_module_argv, running
from shared.container import AppContainer
from shared.triggers import tokens

TARGET_OVERHEAD_MS = 5.0


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)

    return {"p50_ms": round(statistics.median(ordered) * 1000, 3), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 3), "n": len(ordered)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    with ExitStack() as stack:
        azurite = stack.enter_context(running_azurite())
        acs = stack.enter_context(running("acs", python_module_argv("emulators.acs", "--port", "0", "--no-limits")))
        issuer = stack.enter_context(running_local_issuer())
        suffix = secrets.token_hex(4)
        env = {
            "AzureWebJobsStorage": azurite.connection_string,
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": "bench-auth-token",
            "ACS_CONNECTION_STRING": str(acs.info["connection_string"]),
            "ACS_CA_BUNDLE": str(acs.info["ca_bundle"]),
            "IDENTITY_TABLE": f"benchidentities{suffix}",
            **issuer.app_settings(),
        }
        container = AppContainer.from_environ(env)
        if container.settings_error is not None:
            raise SystemExit(str(container.settings_error))
        app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
        app.register_functions(tokens.build_blueprint(container))
        host = stack.enter_context(local_host_in_thread(app, queues=False))
        url = f"{host.url}/api/token"
        headers = {"Authorization": f"Bearer {issuer.token('bench-user@example.com', lifetime=7200)}"}
        body = {"scopes": ["chat"], "expiresInMinutes": 60}
        client = stack.enter_context(httpx.Client(timeout=30))

        first = client.post(url, headers=headers, json=body)
        first.raise_for_status()
        user = CommunicationUserIdentifier(first.json()["communicationUserId"])
        bare = CommunicationIdentityClient.from_connection_string(
            env["ACS_CONNECTION_STRING"], connection_verify=env["ACS_CA_BUNDLE"]
        )
        for _ in range(50):  # warm both paths: connections, JWKS cache, table client
            client.post(url, headers=headers, json=body).raise_for_status()
            bare.get_token(user, ["chat"])

        app.functions_bindings = {}  # get_functions() is not idempotent; the host called it already
        handler = next(f for f in app.get_functions() if f.get_function_name() == "token").get_user_function()
        raw_body = json.dumps(body).encode()

        def direct() -> int:
            request = func.HttpRequest("POST", url, headers={**headers, "content-type": "application/json"},
                                       params={}, route_params={}, body=raw_body)
            return int(handler(request).status_code)

        for _ in range(20):
            direct()
        function_s: list[float] = []
        bare_s: list[float] = []
        handler_s: list[float] = []
        uncached_s: list[float] = []
        handler_cpu: list[float] = []
        uncached_cpu: list[float] = []
        bare_cpu: list[float] = []
        cache = container.acs_users.cache
        for _ in range(args.requests):
            started, cpu = time.perf_counter(), time.thread_time()
            if direct() != 200:
                raise SystemExit("the token handler refused the request")
            handler_s.append(time.perf_counter() - started)
            handler_cpu.append(time.thread_time() - cpu)
            cache.clear()  # the same request with the identity map read from the Table, as before the cache
            started, cpu = time.perf_counter(), time.thread_time()
            if direct() != 200:
                raise SystemExit("the token handler refused the request")
            uncached_s.append(time.perf_counter() - started)
            uncached_cpu.append(time.thread_time() - cpu)
            started = time.perf_counter()
            response = client.post(url, headers=headers, json=body)
            function_s.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"POST /api/token answered {response.status_code}")
            started, cpu = time.perf_counter(), time.thread_time()
            bare.get_token(user, ["chat"])
            bare_s.append(time.perf_counter() - started)
            bare_cpu.append(time.thread_time() - cpu)

        counts = {"ok": 0, "failed": 0}
        lock = threading.Lock()
        stop_at = 0.0

        def worker() -> None:
            with httpx.Client(timeout=30) as own:
                while time.perf_counter() < stop_at:
                    status = own.post(url, headers=headers, json=body).status_code
                    with lock:
                        counts["ok" if status == 200 else "failed"] += 1

        stop_at = time.perf_counter() + args.seconds
        began = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(args.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began

        function = _percentiles(function_s)
        acs_only = _percentiles(bare_s)
        in_process = _percentiles(handler_s)
        uncached = _percentiles(uncached_s)
        app_ms = round(in_process["p50_ms"] - acs_only["p50_ms"], 3)
        uncached_app_ms = round(uncached["p50_ms"] - acs_only["p50_ms"], 3)
        overhead = round(function["p50_ms"] - acs_only["p50_ms"], 3)
        print(json.dumps({
            "cpus": os.cpu_count(),
            "sequential": {"post_api_token": function, "handler_in_process": in_process,
                           "handler_in_process_map_read_from_table": uncached, "bare_acs_get_token": acs_only},
            "overhead_median_ms": overhead,
            "overhead_median_ratio": round(function["p50_ms"] / acs_only["p50_ms"], 3),
            "overhead_split_ms": {"app": app_ms,
                                  "host_hop": round(function["p50_ms"] - in_process["p50_ms"], 3)},
            "app_share_p50_ms": {"identity_map_cached": app_ms, "identity_map_read_from_table": uncached_app_ms,
                                 "target_ms": 1.0, "met": app_ms <= 1.0},
            # CPU of the calling thread (time.thread_time), less bent by a busy machine than wall time
            "app_cpu_p50_ms": {
                "identity_map_cached": round((statistics.median(handler_cpu) - statistics.median(bare_cpu)) * 1000, 3),
                "identity_map_read_from_table": round(
                    (statistics.median(uncached_cpu) - statistics.median(bare_cpu)) * 1000, 3),
            },
            "target_overhead_ms": TARGET_OVERHEAD_MS,
            "throughput": {"workers": args.workers, "seconds": round(elapsed, 2), **counts,
                           "requests_per_second": round(counts["ok"] / elapsed, 1)},
        }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
