"""`make demo`: start the local services, run the app's main job end to end, print what happened.

Everything started here is stopped by PID when the demo ends, also when a step fails.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, replace
from datetime import timedelta

import httpx

from emulators.azurite import running_azurite
from emulators.process import python_module_argv, running


def say(title: str, detail: object = None) -> None:
    print(f"\n== {title}")
    if detail is not None:
        print(json.dumps(detail, indent=2, default=str, ensure_ascii=False) if not isinstance(detail, str) else detail)


@contextmanager
def app_environment(storage_connection: str) -> Iterator[dict[str, str]]:
    env = {
        "FUNCTIONS_WORKER_RUNTIME": "python",
        "AzureWebJobsStorage": storage_connection,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "demo-auth-token",
        "ACS_CONNECTION_STRING": "endpoint=https://127.0.0.1:1/;accesskey=ZGVtby1rZXk=",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def main() -> int:
    with ExitStack() as stack:
        azurite = stack.enter_context(running_azurite())
        say("Azurite started", {"blob": azurite.blob_port, "queue": azurite.queue_port, "table": azurite.table_port})
        env = stack.enter_context(app_environment(azurite.connection_string))

        import function_app
        from shared.state import IdentityMapping, MessageMapping, RunRecord
        from shared.state.runs import new_run_id

        app = function_app.app
        app.functions_bindings = {}
        functions = {f.get_function_name(): f for f in app.get_functions()}
        say("Functions the host would index", sorted(functions))

        host = stack.enter_context(running(
            "functions host", python_module_argv("emulators.host", "--app", "function_app:app"),
            env={**os.environ, **env},
        ))
        say("Local Functions host stand-in started", {"url": host.info["url"], "functions": host.info["functions"]})
        health = httpx.get(f"{host.info['url']}/api/health", timeout=10)
        say(f"GET /api/health -> {health.status_code}", health.json())

        container = function_app.container
        mapping = container.identities.create_identity(IdentityMapping("alice@example.com", "8:acs:demo-alice"))
        say("Identity map: created", {"identity": mapping.identity, "acsUserId": mapping.acs_user_id})
        back = container.identities.get_identity_for_acs_user("8:acs:demo-alice")
        say("Identity map: reverse lookup", back.identity)

        lease = container.conversations.acquire_lease("CH" + "1" * 32, owner="demo-worker",
                                                      duration=timedelta(minutes=5))
        container.conversations.update_conversation(
            replace(lease, thread_id="19:demo@thread.v2", high_water_index=2)
        )
        container.messages.upsert_messages(lease.conversation_sid, [
            MessageMapping(lease.conversation_sid, i, f"IM{i:032d}", (str(1700000000000 + i),)) for i in range(3)
        ])
        say("Conversation map and message map", {
            "conversation": asdict(container.conversations.get_conversation(lease.conversation_sid)),
            "messages": [m.twilio_message_sid for m in container.messages.list_messages(lease.conversation_sid)],
        })

        run = container.runs.create_run(RunRecord(new_run_id(), kind="cli", status="running"))
        container.runs.increment_counts(run.run_id, {"planned": 1, "done": 1, "messages": 3})
        say("Run recorded", container.runs.get_run(run.run_id).counts)
        del env
    say("Stopped every service this demo started.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
