"""One seeded chaos run of a whole migration: faults on both stand-ins, the host process SIGKILLed and restarted,
then the oracle."""

from __future__ import annotations

import json
import random
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

from harness.app_settings import own_storage, standin_settings
from harness.chaos.admin import AcsAdmin, TwilioAdmin
from harness.chaos.oracle import check_migration
from harness.chaos.report import ChaosReport
from harness.functions_host import FUNCTION_KEY, REPO_ROOT, FunctionsHost
from harness.process import RunningService, python_module_argv, start_service

ACS_TIME_SCALE = "0.01"


def twilio_fault_spec(rate: float) -> str:
    share = rate / 4
    return f"429={share:g},500={share:g},503={share:g},drop={share:g}"


def acs_fault_spec(rate: float) -> str:
    share = rate / 5
    return (f"status:code=429,p={share:g};status:code=500,p={share:g};status:code=503,p={share:g};"
            f"drop:p={share:g};lost:p={share:g}")


def start_twilio(seed: int, fault_rate: float) -> RunningService:
    argv = python_module_argv("emulators.twilio", "--host", "127.0.0.1", "--port", "0", "--seed", str(seed))
    if fault_rate > 0:
        argv += ["--faults", twilio_fault_spec(fault_rate)]
    return start_service("twilio", argv, timeout=60)


def start_acs(seed: int, fault_rate: float) -> RunningService:
    argv = python_module_argv("emulators.acs", "--host", "127.0.0.1", "--port", "0", "--time-scale", ACS_TIME_SCALE,
                              "--seed", str(seed))
    if fault_rate > 0:
        argv += ["--faults", acs_fault_spec(fault_rate)]
    return start_service("acs", argv, timeout=60)


def seed_twilio(twilio: RunningService, *, profile: str, seed: int) -> dict[str, Any]:
    argv = python_module_argv("emulators.twilio.seed", "--url", str(twilio.info["url"]),
                              "--account-sid", str(twilio.info["account_sid"]),
                              "--auth-token", str(twilio.info["auth_token"]), "--profile", profile,
                              "--seed", str(seed))
    done = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=600, cwd=REPO_ROOT)
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


def app_settings(storage: str, twilio: RunningService, acs: RunningService, *, suffix: str) -> dict[str, str]:
    """The app's settings for one chaos run: its own tables, queues and container on ``storage``."""
    return {
        **standin_settings(storage_connection_string=storage, twilio=twilio, acs=acs),
        **own_storage("chaos", suffix),
        "EXPORT_RATE_TIME_SCALE": ACS_TIME_SCALE,
        "EXPORT_SLICE_SECONDS": "3",
        "EXPORT_LEASE_SECONDS": "4",
        "EXPORT_FLUSH_EVERY": "5",
        "MIGRATION_PLAN_SECONDS": "10",
        "LIVE_SYNC_DELAY_SECONDS": "0.5",
        "NIGHTLY_SCHEDULE": "0 0 2 * * *",
    }



def _get_run(host: FunctionsHost, location: str) -> dict[str, Any] | None:
    if host.service is None:
        return None
    try:
        response = httpx.get(f"{host.url}{location}", headers={"x-functions-key": FUNCTION_KEY}, timeout=10)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    body: dict[str, Any] = response.json()
    return body


def kill_plan(rng: random.Random, kills: int) -> tuple[float | None, list[float]]:
    """Seeded kill points: maybe one during planning (seconds after the POST), the rest as fractions of the
    messages sent to ACS."""
    during_planning = rng.uniform(0.2, 1.2) if rng.random() < 0.5 else None
    count = kills - (1 if during_planning is not None else 0)
    return during_planning, sorted(rng.uniform(0.05, 0.85) for _ in range(count))


def start_runs(host: FunctionsHost, count: int) -> list[str]:
    """POST ``count`` migrations of everything at the same moment (threads behind a barrier); their Locations."""
    import threading

    barrier = threading.Barrier(count)
    locations: list[str] = [""] * count

    def post(n: int) -> None:
        with httpx.Client(headers={"x-functions-key": FUNCTION_KEY}, timeout=30) as http:
            barrier.wait()
            response = http.post(f"{host.url}/api/migrations", json={"includeLegacyPublicChannels": True})
            response.raise_for_status()
            locations[n] = response.headers["Location"]

    threads = [threading.Thread(target=post, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if not all(locations):
        raise RuntimeError("a POST /api/migrations failed")
    return locations


def migrate_with_kills(host: FunctionsHost, acs: AcsAdmin, *, rng: random.Random, kills: int,
                       expected_sends: int, report: ChaosReport, timeout: float,
                       log: Callable[[str], None], runs: int = 1) -> list[dict[str, Any]]:
    """POST the migration(s), SIGKILL and restart the host at the seeded points, return the finished runs."""
    planning_kill, fractions = kill_plan(rng, kills)
    locations = start_runs(host, runs)
    posted = time.monotonic()
    deadline = posted + timeout

    def kill_and_restart(where: str) -> None:
        time.sleep(rng.uniform(0.0, 0.3))  # land somewhere inside whatever the workers are doing
        host.kill()
        report.kills += 1
        report.kill_points.append(where)
        log(f"  SIGKILL #{report.kills} {where}")
        time.sleep(rng.uniform(0.0, 1.0))
        host.start()

    if planning_kill is not None:
        time.sleep(planning_kill)
        kill_and_restart(f"{planning_kill:.2f} s after the POST (planning)")
    finished: dict[str, dict[str, Any]] = {}
    while True:
        for location in locations:
            run = finished.get(location) or _get_run(host, location)
            if run is not None and run["status"] in ("succeeded", "failed"):
                finished[location] = run
        if len(finished) == len(locations):
            return [finished[location] for location in locations]
        if time.monotonic() > deadline:
            raise TimeoutError(f"the run did not finish within {timeout:.0f} s: {finished}")
        if fractions:
            sent = acs.sends()
            if sent >= fractions[0] * expected_sends:
                fraction = fractions.pop(0)
                kill_and_restart(f"at {sent}/{expected_sends} sends ({fraction:.0%} point)")
                continue
        time.sleep(0.05)


@contextmanager
def _closing(*things: Any) -> Iterator[None]:
    try:
        yield
    finally:
        for thing in things:
            thing.close()


def chaos_run(storage: str, *, seed: int, workdir: Path, fault_rate: float = 0.05, kills: int = 3,
              profile: str = "realistic", timeout: float = 600.0, runs: int = 1,
              log: Callable[[str], None] = lambda _: None) -> ChaosReport:
    """One seeded chaos run on the Azurite at ``storage``; returns the figures and every problem found."""
    from shared.container import AppContainer

    report = ChaosReport(seed)
    began = time.monotonic()
    rng = random.Random(f"chaos-{seed}")
    with ExitStack() as stack:
        twilio = start_twilio(seed, fault_rate)
        stack.callback(twilio.stop)
        acs = start_acs(seed, fault_rate)
        stack.callback(acs.stop)
        summary = seed_twilio(twilio, profile=profile, seed=seed)
        log(f"seed {seed}: Twilio seeded ({summary.get('messages')} messages created, {summary.get('conversations')} "
            f"conversations) in {time.monotonic() - began:.0f} s")
        acs_admin, twilio_admin = AcsAdmin(acs), TwilioAdmin(twilio)
        stack.enter_context(_closing(acs_admin, twilio_admin))
        twilio_admin.clear_counters()  # count the migration's faults only
        settings = app_settings(storage, twilio, acs, suffix=f"{seed}x{secrets.token_hex(3)}")
        host = FunctionsHost(settings, workdir)
        host.start()
        stack.callback(host.stop)
        net_messages = sum(len(c["messages"]) for c in twilio_admin.snapshot()["conversations"])
        sends_before = acs_admin.sends()
        finished = migrate_with_kills(host, acs_admin, rng=rng, kills=kills,
                                      expected_sends=net_messages + sends_before, report=report, timeout=timeout,
                                      log=log, runs=runs)
        report.run_status = ",".join(sorted({run["status"] for run in finished}))
        report.acs_faults = acs_admin.faults_fired()
        report.twilio_faults = twilio_admin.faults_answered()
        with suppress(httpx.HTTPError):
            totals = host.status().get("totals", {})
            report.poisoned = int(totals.get("poisoned", 0))
        acs_admin.clear_faults()
        twilio_admin.clear_faults()
        container = AppContainer.from_environ(settings)
        if container.settings_error is not None:
            raise RuntimeError(str(container.settings_error))
        check_migration(container, acs_admin, twilio_admin.snapshot(), finished, report)
    report.seconds = time.monotonic() - began
    return report
