"""`make demo`: a whole migration rehearsal on the local stand-ins, end to end, printing what happened.

1. Starts Azurite, the Twilio and ACS stand-ins (ACS limits time-scaled 100x), a local OpenID issuer,
   and the app itself under the local Functions host stand-in; writes the rehearsal's settings to
   .run/demo/local.settings.json and runs the configuration check (``acs-migrate doctor``).
2. Seeds Twilio with the ``realistic`` profile through the real SDK.
3. Migrates through the app's HTTP route and queue workers, polling the status route, then runs the
   CLI's ``status`` and ``verify`` (Twilio against ACS, conversation by conversation).
4. Live sync: a new Twilio message reaches ACS through Twilio's webhook.
5. Signs in as a migrated author with a JWT and gets an ACS token for the same ACS user that authored
   the migrated history; a participant downloads a migrated attachment through /api/attachments, an
   outsider gets 404.
6. The event fan-out: a subscriber receives Twilio-format webhooks for ACS chat activity, signatures verified.
7. Twilio Video: two users join an ACS room by its Twilio room name, a call is simulated there, and a subscriber
   receives Twilio room status callbacks, signatures verified.
8. ``acs-migrate scan`` on a small Twilio app (scripts/sample_twilio_app): each SDK use and its ACS counterpart.
9. A screenshot of the operator console (``/api/console``) after the migration, saved to ``.run/console.png``.

Everything started here is stopped by PID when the demo ends, also when a step fails.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from emulators.azurite import running_azurite
from harness.app_settings import standin_settings
from harness.process import RunningService, python_module_argv, running, wait_for
from scripts.rehearsal_settings import REPO_ROOT, write_rehearsal_settings

ACS_TIME_SCALE = "0.01"
SAMPLE_APP = Path(__file__).resolve().parent / "sample_twilio_app"
SCREENSHOT = Path(__file__).resolve().parents[1] / ".run" / "console.png"
FUNCTION_KEY = "demo-function-key-" + secrets.token_hex(8)
BACKEND_KEY = "demo-backend-key-" + secrets.token_hex(16)


def say(title: str, detail: object = None) -> None:
    print(f"\n== {title}", flush=True)
    if detail is not None:
        text = detail if isinstance(detail, str) else json.dumps(detail, indent=2, default=str, ensure_ascii=False)
        print(text, flush=True)


@contextmanager
def acs_admin(acs: RunningService) -> Iterator[httpx.Client]:
    client = httpx.Client(base_url=str(acs.info["admin"]), verify=str(acs.info["ca_bundle"]), timeout=30)
    try:
        yield client
    finally:
        client.close()


def user_messages(admin: httpx.Client, thread_id: str) -> list[dict[str, Any]]:
    thread = admin.get(f"/threads/{thread_id}").json()
    return [m for m in thread["messages"] if m["type"] in ("text", "html") and not m.get("deletedOn")]


def seed_twilio(twilio: RunningService) -> dict[str, Any]:
    argv = python_module_argv("emulators.twilio.seed", "--url", str(twilio.info["url"]),
                              "--account-sid", str(twilio.info["account_sid"]),
                              "--auth-token", str(twilio.info["auth_token"]), "--profile", "realistic", "--seed", "7")
    done = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=600)
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


def status_line(body: dict[str, Any]) -> str:
    """One line of a run's progress from ``GET /api/migrations/{id}``."""
    counts = body["counts"]
    return (f"   {body['status']:<10} planned {counts['planned']:>3}  done {counts['done']:>3}  "
            f"failed {counts['failed']}  not migratable {counts['notMigratable']}  messages "
            f"{counts['messages']:>5}/{counts['plannedMessages']:<5}  eta {body['estimatedSecondsLeft']}")


def migrate_over_http(host_url: str) -> dict[str, Any]:
    http = httpx.Client(base_url=host_url, headers={"x-functions-key": FUNCTION_KEY}, timeout=30)
    with http:
        started = http.post("/api/migrations", json={"includeLegacyPublicChannels": True})
        started.raise_for_status()
        location = started.headers["Location"]
        say(f"POST /api/migrations -> {started.status_code}, Location: {location}")
        last = ""

        def finished() -> dict[str, Any] | None:
            nonlocal last
            body: dict[str, Any] = http.get(location).json()
            line = status_line(body)
            if line != last:
                print(line, flush=True)
                last = line
            return body if body["status"] in ("succeeded", "failed") else None

        return dict(wait_for(finished, timeout=900, what="the migration run", every=1.0))


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(*args: str, env: dict[str, str]) -> int:
    done = subprocess.run(python_module_argv("shared.cli", *args), env=env, timeout=900, check=False)
    return done.returncode


def main() -> int:
    from harness.local_issuer import running_local_issuer

    with ExitStack() as stack:
        azurite = stack.enter_context(running_azurite())
        twilio = stack.enter_context(running("twilio", python_module_argv(
            "emulators.twilio", "--port", "0", "--seed", "7")))
        acs = stack.enter_context(running("acs", python_module_argv(
            "emulators.acs", "--port", "0", "--time-scale", ACS_TIME_SCALE, "--seed", "7"), timeout=60))
        issuer = stack.enter_context(running_local_issuer())
        say("Local services started", {
            "azurite": {"blob": azurite.blob_port, "queue": azurite.queue_port, "table": azurite.table_port},
            "twilio stand-in": twilio.info["url"], "acs stand-in": acs.info["endpoint"],
            "acs limits": f"ACS's documented limits, every window scaled by {ACS_TIME_SCALE}",
            "oidc issuer": issuer.issuer,
        })
        host_port = free_port()  # known before the host starts: migrated messages link attachments to it
        rehearsal = {
            **standin_settings(storage_connection_string=azurite.connection_string, twilio=twilio, acs=acs,
                               public_base_url=f"http://127.0.0.1:{host_port}"),
            "EXPORT_RATE_TIME_SCALE": ACS_TIME_SCALE,
            "EXPORT_SLICE_SECONDS": "5",
            "LIVE_SYNC_DELAY_SECONDS": "0.5",
            "MIGRATION_QUEUE": "migration-work",
            "DELIVERY_QUEUE": "event-deliveries",
            "NIGHTLY_SCHEDULE": "0 0 2 * * *",
            "TOKEN_BACKEND_KEY": BACKEND_KEY,
            **issuer.app_settings(),
        }
        env = {**os.environ, **rehearsal}
        written = write_rehearsal_settings(REPO_ROOT / ".run" / "demo" / "local.settings.json", rehearsal)
        say(f"The rehearsal's settings (this run's stand-ins) are in {written.relative_to(REPO_ROOT)}; "
            "local.settings.sample.json describes a real deployment")
        say("acs-migrate doctor: the configuration check a cutover starts with (docs/cutover.md)")
        if run_cli("doctor", env=env) != 0:
            say("The configuration check failed; see the table above.")
            return 1

        summary = seed_twilio(twilio)
        say("Twilio stand-in seeded (profile realistic, through the real twilio SDK)", {
            k: summary[k] for k in summary if k not in ("url", "service_sids")})

        host = stack.enter_context(running("functions host", python_module_argv(
            "emulators.host", "--app", "function_app:app", "--function-key", FUNCTION_KEY, "--port", str(host_port)),
            env=env, timeout=60))
        say("The app, served by the local Functions host stand-in", {
            "url": host.info["url"], "functions": [f["name"] for f in host.info["functions"]]})
        health = httpx.get(f"{host.info['url']}/api/health", timeout=10)
        say(f"GET /api/health -> {health.status_code}", health.json())

        started = time.monotonic()
        final = migrate_over_http(str(host.info["url"]))
        say(f"Migration run finished in {time.monotonic() - started:.1f} s", final)

        say("acs-migrate status")
        run_cli("status", env=env)
        say("acs-migrate verify (every migrated conversation, Twilio against ACS)")
        verified = run_cli("verify", env=env)
        if verified != 0 or final["status"] != "succeeded":
            say("The rehearsal found differences; see the table above.")

        with acs_admin(acs) as admin:
            live_sync_demo(env, host, twilio, admin)
            token_demo(env, host, issuer, admin)
            from scripts.demo_attachments import run_attachment_demo

            say("A participant opens a migrated attachment through /api/attachments (docs/attachments.md)",
                run_attachment_demo(container=_container(env), admin=admin, issuer=issuer))
        from scripts.demo_fanout import run_fanout_demo

        say("Event fan-out: ACS chat events delivered to a subscriber as Twilio webhooks")
        run_fanout_demo(azurite.connection_string)
        from scripts.demo_video import run_video_demo

        say("Twilio Video: two users admitted to a room by name, a call there, Twilio room status callbacks")
        run_video_demo(azurite.connection_string)
        say("acs-migrate scan: the Twilio SDK uses in a small sample app and what replaces each in ACS")
        run_cli("scan", str(SAMPLE_APP), env=env)
        console_screenshot(str(host.info["url"]))
    say("Stopped every service this demo started.")
    return 0


def console_screenshot(host_url: str) -> None:
    """The operator console after the migration, as a PNG (headless Debian Chromium through Playwright)."""
    from harness.console_browser import MISSING, chromium_executable, save_console_screenshot

    if chromium_executable() is None:
        say(f"Console screenshot skipped: {MISSING.removeprefix('browser tests skipped: ')}")
        return
    path = save_console_screenshot(host_url, FUNCTION_KEY, SCREENSHOT)
    say(f"The operator console after the migration: {host_url}/api/console?code=<function key>",
        f"screenshot saved to {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


def _container(env: dict[str, str]) -> Any:
    from shared.container import AppContainer

    return AppContainer.from_environ(env)


def live_sync_demo(env: dict[str, str], host: RunningService, twilio: RunningService, admin: httpx.Client) -> None:
    from twilio.rest import Client

    container = _container(env)
    record = next(r for r in container.conversations.list_conversations(status="done")
                  if r.source == "conversations" and r.service_sid)
    client = Client(str(twilio.info["account_sid"]), str(twilio.info["auth_token"]))
    client.conversations.base_url = str(twilio.info["url"])
    service = client.conversations.v1.services(str(record.service_sid))
    service.configuration.webhooks().update(post_webhook_url=f"{host.info['url']}/api/twilio/events",
                                            method="POST", filters=["onMessageAdded"])
    author = next(p.identity for p in service.conversations(record.conversation_sid).participants.list()
                  if p.identity)
    body = f"Sent on Twilio during the cutover ({secrets.token_hex(3)})"
    sent_at = time.monotonic()
    service.conversations(record.conversation_sid).messages.create(author=author, body=body,
                                                                   x_twilio_webhook_enabled="true")
    copied = wait_for(lambda: next((m for m in user_messages(admin, str(record.thread_id))
                                    if m["content"]["message"] == body), None), timeout=120, what="live sync")
    say(f"Live sync: a new Twilio message reached ACS {time.monotonic() - sent_at:.1f} s later", {
        "conversation": record.conversation_sid, "thread": record.thread_id, "author": author,
        "acs message": {"id": copied["id"], "content": copied["content"]["message"],
                        "metadata": copied.get("metadata")},
    })


def token_demo(env: dict[str, str], host: RunningService, issuer: Any, admin: httpx.Client) -> None:
    from scripts.demo_tokens import run_token_demo

    container = _container(env)
    record = next(r for r in container.conversations.list_conversations(status="done") if r.thread_id)
    authored = user_messages(admin, str(record.thread_id))[0]
    author_acs_id = authored["senderCommunicationIdentifier"]["communicationUser"]["id"]
    identity = container.identity_map.get_identity_for_acs_user(author_acs_id).identity
    answer = run_token_demo(host_url=str(host.info["url"]), issuer=issuer, identity=identity)
    say(f"Signed in as migrated author {identity!r} (JWT from the local issuer) -> POST /api/token", {
        "communicationUserId": answer["communicationUserId"], "expiresOn": answer["expiresOn"],
        "endpoint": answer["endpoint"], "token": answer["token"][:24] + "...",
        "same ACS user that authored the migrated messages": answer["communicationUserId"] == author_acs_id,
    })


if __name__ == "__main__":
    sys.exit(main())
