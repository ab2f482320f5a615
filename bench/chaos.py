"""Chaos runs of whole migrations: faults on both stand-ins, the Functions host SIGKILLed and restarted.

One run (``chaos_run``):

1. starts the Twilio stand-in and the ACS stand-in (time-scale 0.01) with ``fault_rate`` of every request
   answered by a fault, split evenly between the kinds (Twilio: 429, 500, 503, dropped connection; ACS:
   the same plus ``lost``, the write stored and its answer lost);
2. seeds Twilio with a seeder profile (``realistic`` by default) through the real SDK;
3. serves the app with the host stand-in as a separate process (the queue workers live there) and starts a
   migration with ``POST /api/migrations``;
4. SIGKILLs the host at seeded points (fractions of the messages sent to ACS, one maybe during planning),
   restarts it each time, and waits until the run finishes;
5. turns the faults off and checks every Twilio message against the ACS stand-in's admin listing and the
   blob container: exactly once, in order, author, content, metadata, media, read horizons, run counts.

The host stand-in hides a received queue message for 10 minutes (as the queue extension does), so a message
in flight when the host dies only comes back 10 minutes later. To keep a run short, the host process is started
with that hide time lowered to ``HIDE_SECONDS`` (``--processing-visibility``); nothing else about it changes.

``python bench/chaos.py [--seeds 10] [--first-seed 1] [--fault-rate 0.05] [--kills 3] [--profile realistic]``
prints, per seed, faults injected, kills, messages checked, lost and duplicated. Figures only; the asserting
version is ``tests/chaos/``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import secrets
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from emulators.process import RunningService, python_module_argv, start_service  # noqa: E402

ACS_TIME_SCALE = "0.01"
HIDE_SECONDS = 8  # the host's processing hide time (10 minutes in the extension), lowered for the run
FUNCTION_KEY = "chaos-function-key-" + secrets.token_hex(6)
ADMIN_KEY = "chaos-admin-key-" + secrets.token_hex(6)
MAX_RECEIPT_PARTICIPANTS = 20  # the engine sends read receipts on threads of at most 20 participants
HOST_JSON = {"version": "2.0", "extensions": {"http": {"routePrefix": "api"}, "queues": {
    "batchSize": 8, "newBatchThreshold": 4, "maxPollingInterval": "00:00:00.250",
    "visibilityTimeout": "00:00:00.500", "maxDequeueCount": 5, "messageEncoding": "base64",
}}}


def twilio_fault_spec(rate: float) -> str:
    share = rate / 4
    return f"429={share:g},500={share:g},503={share:g},drop={share:g}"


def acs_fault_spec(rate: float) -> str:
    share = rate / 5
    return (f"status:code=429,p={share:g};status:code=500,p={share:g};status:code=503,p={share:g};"
            f"drop:p={share:g};lost:p={share:g}")


@dataclass
class ChaosReport:
    """What one run did and what the check found."""

    seed: int
    run_status: str = ""
    twilio_messages: int = 0
    messages_checked: int = 0
    lost: int = 0
    duplicated: int = 0
    horizons_checked: int = 0
    media_checked: int = 0
    kills: int = 0
    kill_points: list[str] = field(default_factory=list)
    acs_faults: int = 0
    twilio_faults: int = 0
    counts: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    poisoned: int = 0

    @property
    def faults(self) -> int:
        return self.acs_faults + self.twilio_faults

    def line(self) -> str:
        return (f"seed {self.seed:>3}  {self.run_status:<9} faults {self.faults:>4} (acs {self.acs_faults}, "
                f"twilio {self.twilio_faults})  kills {self.kills}  messages checked {self.messages_checked:>5}/"
                f"{self.twilio_messages:<5} lost {self.lost}  duplicated {self.duplicated}  horizons "
                f"{self.horizons_checked}  media {self.media_checked}  problems {len(self.problems)}  "
                f"{self.seconds:.0f} s")


# --------------------------------------------------------------------------- processes
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
        "AzureWebJobsStorage": storage,
        "PUBLIC_BASE_URL": "http://localhost:7071",  # where migrated messages link attachments
        "TWILIO_ACCOUNT_SID": str(twilio.info["account_sid"]),
        "TWILIO_AUTH_TOKEN": str(twilio.info["auth_token"]),
        "TWILIO_BASE_URL": str(twilio.info["url"]),
        "ACS_CONNECTION_STRING": str(acs.info["connection_string"]),
        "ACS_CA_BUNDLE": str(acs.info["ca_bundle"]),
        "IDENTITY_TABLE": f"chaosidentities{suffix}",
        "CONVERSATION_TABLE": f"chaosconversations{suffix}",
        "MESSAGE_TABLE": f"chaosmessages{suffix}",
        "RUN_TABLE": f"chaosruns{suffix}",
        "SUBSCRIPTION_TABLE": f"chaossubscriptions{suffix}",
        "DEAD_LETTER_TABLE": f"chaosdeadletters{suffix}",
        "MIGRATION_QUEUE": f"chaos-migration-{suffix}",
        "DELIVERY_QUEUE": f"chaos-deliveries-{suffix}",
        "MEDIA_CONTAINER": f"chaos-media-{suffix}",
        "EXPORT_RATE_TIME_SCALE": ACS_TIME_SCALE,
        "EXPORT_SLICE_SECONDS": "3",
        "EXPORT_LEASE_SECONDS": "4",
        "EXPORT_FLUSH_EVERY": "5",
        "MIGRATION_PLAN_SECONDS": "10",
        "LIVE_SYNC_DELAY_SECONDS": "0.5",
        "NIGHTLY_SCHEDULE": "0 0 2 * * *",
    }


class FunctionsHost:
    """The app under the host stand-in, as a separate process that can be SIGKILLed and started again."""

    def __init__(self, settings: dict[str, str], workdir: Path, *, port: int = 0) -> None:
        self.settings = settings
        self.port = port  # 0: a free port each start; else the same port every time (an Event Grid sink)
        self.host_json = workdir / "host.json"
        self.host_json.write_text(json.dumps(HOST_JSON))
        self.service: RunningService | None = None

    def start(self) -> None:
        argv = [*python_module_argv("emulators.host"), "--processing-visibility", str(HIDE_SECONDS),
                "--app", "function_app:app",
                "--host-json", str(self.host_json), "--function-key", FUNCTION_KEY, "--admin-key", ADMIN_KEY,
                "--port", str(self.port)]
        env = {**os.environ, **self.settings}
        self.service = start_service("functions host", argv, env=env, cwd=str(REPO_ROOT), timeout=60)

    @property
    def url(self) -> str:
        assert self.service is not None
        return str(self.service.info["url"])

    def kill(self) -> None:
        """SIGKILL: no shutdown, no draining; in-flight queue messages stay hidden, leases stay held."""
        service = self.service
        if service is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(service.pid, signal.SIGKILL)
        service.process.wait(timeout=30)
        self.service = None

    def status(self) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/admin/host/status", headers={"x-functions-key": ADMIN_KEY}, timeout=10)
        data: dict[str, Any] = response.json()
        return data

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
            self.service = None


# --------------------------------------------------------------------------- admin reads
class AcsAdmin:
    def __init__(self, acs: RunningService) -> None:
        trust = ssl.create_default_context(cafile=str(acs.info["ca_bundle"]))
        self.http = httpx.Client(base_url=str(acs.info["admin"]), verify=trust, timeout=60)

    def sends(self) -> int:
        """Messages stored by the ACS stand-in so far (answered 201, or stored with the answer lost)."""
        counters = self.http.get("/counters").json()["counters"]
        route = counters.get("POST /chat/threads/{chatThreadId}/messages", {})
        return int(route.get("201", 0)) + int(route.get("lost", 0))

    def faults_fired(self) -> int:
        return sum(int(rule.get("fired", 0)) for rule in self.http.get("/faults").json().get("rules", []))

    def clear_faults(self) -> None:
        self.http.put("/faults", json={"spec": ""}).raise_for_status()

    def thread(self, thread_id: str) -> dict[str, Any]:
        response = self.http.get(f"/threads/{thread_id}")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def close(self) -> None:
        self.http.close()


class TwilioAdmin:
    def __init__(self, twilio: RunningService) -> None:
        self.http = httpx.Client(base_url=str(twilio.info["url"]), timeout=120,
                                 auth=(str(twilio.info["account_sid"]), str(twilio.info["auth_token"])))

    def clear_counters(self) -> None:
        self.http.delete("/_admin/counters").raise_for_status()

    def faults_answered(self) -> int:
        """Requests answered 429/500/503 or dropped since the counters were cleared."""
        by_route = self.http.get("/_admin/counters").json()["by_route"]
        return sum(int(n) for statuses in by_route.values() for status, n in statuses.items()
                   if status in ("429", "500", "503", "dropped"))

    def clear_faults(self) -> None:
        self.http.post("/_admin/faults", json={"spec": ""}).raise_for_status()

    def snapshot(self) -> dict[str, Any]:
        response = self.http.get("/_admin/snapshot")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def close(self) -> None:
        self.http.close()


# --------------------------------------------------------------------------- the run
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


# --------------------------------------------------------------------------- the check
def _identity_of(participant: dict[str, Any]) -> str:
    if participant.get("identity") or not participant.get("messaging_binding"):
        return str(participant.get("identity") or participant["sid"])
    binding = participant["messaging_binding"]
    address = str(binding.get("address") or binding.get("projected_address") or "")
    kind = str(binding.get("type") or "sms").lower()
    if address.startswith("whatsapp:"):
        kind = "whatsapp"
    kind = kind if kind in ("sms", "whatsapp") else "sms"
    return address if address.startswith(f"{kind}:") else f"{kind}:{address}"


def _iso_epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).timestamp()


class MigrationCheck:
    """The oracle, one named check per property; problems go to ``report.problems``."""

    def __init__(self, container: Any, acs: AcsAdmin, snapshot: dict[str, Any], report: ChaosReport) -> None:
        self.container = container
        self.acs = acs
        self.media_by_sid = {m["sid"]: m for m in snapshot["media"]}
        self.conversations = snapshot["conversations"]
        self.report = report
        self.problems = report.problems
        self._acs_ids: dict[str, str | None] = {}

    def acs_user(self, identity: str) -> str | None:
        if identity not in self._acs_ids:
            found = self.container.identity_map.find_identity(identity)
            self._acs_ids[identity] = found.acs_user_id if found else None
        return self._acs_ids[identity]

    # ------------------------------------------------------------------ one conversation
    def check_conversation(self, conv: dict[str, Any]) -> None:
        sid = conv["sid"]
        twilio_messages = sorted(conv["messages"], key=lambda m: m["index"])
        self.report.twilio_messages += len(twilio_messages)
        record = self.container.conversations.find_conversation(sid)
        if record is None or record.thread_id is None:
            self.problems.append(f"{sid}: never migrated")
            self.report.lost += len(twilio_messages)
            return
        if record.status != "done":
            self.problems.append(f"{sid}: status {record.status} ({record.last_error})")
        thread = self.acs.thread(record.thread_id)
        copies = [m for m in thread["messages"] if m["type"] in ("text", "html") and not m.get("deletedOn")
                  and (m.get("metadata") or {}).get("twilioConversationSid") == sid]
        by_key: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for copy in copies:  # arrival order
            meta = copy["metadata"]
            by_key.setdefault((meta["twilioMessageSid"], int(meta.get("twilioPart", "1"))), []).append(copy)
        self.check_no_duplicates(sid, by_key)
        self.check_order(sid, copies)
        self.check_no_strays(sid, by_key, {m["sid"] for m in twilio_messages})
        last_id_at: list[tuple[int, str]] = []
        for message in twilio_messages:
            parts = self.check_parts(sid, message, by_key)
            if not parts:
                continue
            last_id_at.append((message["index"], parts[-1]["id"]))
            where = f"{sid} message {message['index']}"
            identity = self.check_author(where, conv["participants"], message, parts[0])
            self.check_metadata(where, message, parts[0]["metadata"], identity)
            text = "".join(p["content"]["message"] for p in parts)
            self.check_content(where, message, text)
            self.check_media(where, message, parts[0]["metadata"], text)
        self.check_read_horizons(sid, conv["participants"], thread, last_id_at)

    def check_no_duplicates(self, sid: str, by_key: dict[tuple[str, int], list[dict[str, Any]]]) -> None:
        self.report.duplicated += sum(len(v) - 1 for v in by_key.values())
        for key, found in by_key.items():
            if len(found) > 1:
                self.problems.append(f"{sid}: {key[0]} part {key[1]} is in ACS {len(found)} times")

    def check_order(self, sid: str, copies: list[dict[str, Any]]) -> None:
        order = [(int(c["metadata"]["twilioIndex"]), int(c["metadata"].get("twilioPart", "1"))) for c in copies]
        seen_order = [k for n, k in enumerate(order) if k not in order[:n]]
        if seen_order != sorted(seen_order):
            self.problems.append(f"{sid}: ACS order differs from Twilio's index order")

    def check_no_strays(self, sid: str, by_key: dict[tuple[str, int], list[dict[str, Any]]], known: set[str]) -> None:
        strays = {k[0] for k in by_key if k[0] not in known}
        if strays:
            self.problems.append(f"{sid}: {len(strays)} ACS message(s) for Twilio messages that do not exist")

    def check_parts(self, sid: str, message: dict[str, Any], by_key: dict[tuple[str, int], list[dict[str, Any]]]
                    ) -> list[dict[str, Any]]:
        """Every part of the message in ACS; the first copy of each (counted as checked when all are there)."""
        where = f"{sid} message {message['index']}"
        first = by_key.get((message["sid"], 1))
        if not first:
            self.report.lost += 1
            self.problems.append(f"{where}: missing in ACS")
            return []
        count = int(first[0]["metadata"].get("twilioPartCount", "1"))
        parts: list[dict[str, Any]] = []
        for part in range(1, count + 1):
            got = by_key.get((message["sid"], part))
            if not got:
                self.problems.append(f"{where}: part {part} of {count} missing")
                self.report.lost += 1
                return parts
            parts.append(got[0])
        self.report.messages_checked += 1
        return parts

    def check_author(self, where: str, participants: dict[str, Any], message: dict[str, Any],
                     first: dict[str, Any]) -> str:
        participant = participants.get(message.get("participant_sid") or "")
        if participant is None:
            participant = next((p for p in participants.values() if p.get("identity") == message["author"]
                                or (p.get("messaging_binding") or {}).get("address") == message["author"]), None)
        identity = _identity_of(participant) if participant else str(message["author"])
        sender = (first.get("senderCommunicationIdentifier") or {}).get("rawId")
        if sender is None or sender != self.acs_user(identity):
            self.problems.append(f"{where}: sent as {sender}, not as {identity!r}")
        return identity

    def check_metadata(self, where: str, message: dict[str, Any], meta: dict[str, Any], identity: str) -> None:
        expected_meta = {"migratedFrom": "twilio", "twilioMessageSid": message["sid"],
                         "twilioIndex": str(message["index"]), "originalAuthor": identity}
        for name, value in expected_meta.items():
            if meta.get(name) != value:
                self.problems.append(f"{where}: metadata {name} is {meta.get(name)!r}, expected {value!r}")
        if abs(_iso_epoch(meta.get("originalDateCreated", "1970-01-01T00:00:00Z")) - message["date_created"]) > 1:
            self.problems.append(f"{where}: originalDateCreated {meta.get('originalDateCreated')!r}")
        attributes = message.get("attributes") or "{}"
        if attributes.strip() not in ("", "{}") and meta.get("twilioAttributesTruncated") != "true" \
                and meta.get("twilioAttributes") != attributes:
            self.problems.append(f"{where}: twilioAttributes differ")

    def check_content(self, where: str, message: dict[str, Any], text: str) -> None:
        body = message.get("body") or ""
        if body and not text.startswith(body):
            self.problems.append(f"{where}: content does not start with the Twilio body")
        if not body and not message["media_sids"] and text != "(empty message)":
            self.problems.append(f"{where}: empty message copied as {text[:40]!r}")

    def check_media(self, where: str, message: dict[str, Any], meta: dict[str, Any], text: str) -> None:
        import hashlib

        blobs = self.container.media.container
        shared = {item.get("id") for item in json.loads(meta.get("fileSharingMetadata") or "[]")}
        for media_sid in message["media_sids"]:
            media = self.media_by_sid.get(media_sid)
            if media is None:
                continue
            data = base64.b64decode(media["data"])
            blob = blobs.get_blob_client(media_sid)
            if not blob.exists():
                self.problems.append(f"{where}: media {media_sid} not in the blob container")
                continue
            stored = blob.download_blob().readall()
            if hashlib.sha256(stored).digest() != hashlib.sha256(data).digest():
                self.problems.append(f"{where}: media {media_sid} bytes differ")
            if blob.get_blob_properties().content_settings.content_type != media["content_type"]:
                self.problems.append(f"{where}: media {media_sid} content type differs")
            if media_sid not in shared:
                self.problems.append(f"{where}: fileSharingMetadata lacks {media_sid}")
            if f"({media['content_type']}, {len(data)} bytes)" not in text:
                self.problems.append(f"{where}: no attachment line for {media_sid}")
            self.report.media_checked += 1

    def check_read_horizons(self, sid: str, participants: dict[str, Any], thread: dict[str, Any],
                            last_id_at: list[tuple[int, str]]) -> None:
        """The latest copied message at or below each participant's last read index carries their receipt."""
        if len(participants) > MAX_RECEIPT_PARTICIPANTS:
            return
        receipts = {r["senderCommunicationIdentifier"]["rawId"]: r["chatMessageId"]
                    for r in thread.get("readReceipts", [])}
        for participant in participants.values():
            horizon = participant.get("last_read_message_index")
            if horizon is None or horizon < 0:
                continue
            expected = next((mid for index, mid in reversed(last_id_at) if index <= horizon), None)
            if expected is None:
                continue
            user = self.acs_user(_identity_of(participant))
            if receipts.get(user or "") != expected:
                self.problems.append(f"{sid}: read horizon {horizon} of {_identity_of(participant)!r} not applied")
            else:
                self.report.horizons_checked += 1

    # ------------------------------------------------------------------ the runs
    def check_run_counts(self, runs: list[dict[str, Any]]) -> None:
        """Every run planned and copied every conversation; one run alone counts every message."""
        total = len(self.conversations)
        for run in runs:
            counts = run["counts"]
            self.report.counts = counts
            expected_counts = {"planned": total, "done": total, "failed": 0, "notMigratable": 0}
            if len(runs) == 1:  # concurrent runs each count what their conversations gained while they had them
                expected_counts["messages"] = self.report.twilio_messages
            elif not 0 <= counts.get("messages", 0) <= self.report.twilio_messages:
                self.problems.append(f"run {run['id']} counts {counts.get('messages')} messages of "
                                     f"{self.report.twilio_messages}")
            for name, value in expected_counts.items():
                if counts.get(name) != value:
                    self.problems.append(f"run {run['id']} counts: {name} is {counts.get(name)}, expected {value}")
            if run["status"] != "succeeded":
                self.problems.append(f"run {run['id']} status {run['status']}: {run.get('error')}")


def check_migration(container: Any, acs: AcsAdmin, snapshot: dict[str, Any], runs: list[dict[str, Any]],
                    report: ChaosReport) -> None:
    """Every Twilio message exactly once in its ACS thread, in order, with author, content, metadata and
    media; every read horizon applied; the runs' counts match. Problems go to ``report.problems``."""
    check = MigrationCheck(container, acs, snapshot, report)
    for conv in check.conversations:
        check.check_conversation(conv)
    check.check_run_counts(runs)


# --------------------------------------------------------------------------- one whole run
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


def main(argv: list[str] | None = None) -> int:
    import tempfile

    from emulators.azurite import running_azurite

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--profile", default="realistic")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    reports = []
    with running_azurite() as azurite, tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            workdir = Path(tmp) / str(seed)
            workdir.mkdir()
            report = chaos_run(azurite.connection_string, seed=seed, workdir=workdir, fault_rate=args.fault_rate,
                               kills=args.kills, profile=args.profile,
                               log=(lambda text: print(text, flush=True)) if args.verbose else (lambda _: None))
            reports.append(report)
            print(report.line(), flush=True)
            for problem in report.problems[:40]:
                print(f"    {problem}", flush=True)
    print(f"\n{len(reports)} runs, profile {args.profile}, fault rate {args.fault_rate:.0%} per request: "
          f"faults injected {sum(r.faults for r in reports)}, kills {sum(r.kills for r in reports)}, "
          f"messages checked {sum(r.messages_checked for r in reports)}, lost {sum(r.lost for r in reports)}, "
          f"duplicated {sum(r.duplicated for r in reports)}, runs with problems "
          f"{sum(1 for r in reports if r.problems)}")
    return 0 if all(not r.problems for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
