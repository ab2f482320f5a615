"""``python -m emulators.host`` as a child process: ready line, serving, queue pumping, SIGTERM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from harness.process import python_module_argv, running
from tests.emulators.host.conftest import SAMPLE_HOST_JSON

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLE_APP = "tests.emulators.host.sample_app.function_app:app"


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for(check: Any, *, within: float = 30.0) -> Any:
    deadline = time.monotonic() + within
    while not (result := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {within:.0f} s")
        time.sleep(0.1)
    return result


@pytest.fixture
def cli_env(storage_connection_string: str) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:10]
    return {
        **os.environ,
        "AzureWebJobsStorage": storage_connection_string,
        "SAMPLE_ROUTE": "cli",
        "SAMPLE_SCHEDULE": "0 0 3 * * *",
        "SAMPLE_FLAKY_QUEUE": f"cli-flaky-{suffix}",
        "SAMPLE_POISON_QUEUE": f"cli-doomed-{suffix}",
        "SAMPLE_TEXT_QUEUE": f"cli-text-{suffix}",
    }


def test_cli_prints_ready_line_serves_pumps_and_stops_on_sigterm(cli_env: dict[str, str]) -> None:
    argv = python_module_argv(
        "emulators.host", "--app", SAMPLE_APP, "--host-json", str(SAMPLE_HOST_JSON), "--function-key", "fk"
    )
    with running("local-host", argv, env=cli_env, cwd=str(REPO_ROOT)) as service:
        info = service.info
        assert set(info) >= {"url", "function_key", "admin_key", "functions"}
        assert info["url"].startswith("http://127.0.0.1:")
        assert info["function_key"] == "fk"
        assert len(info["admin_key"]) >= 40  # generated
        functions = {f["name"]: f for f in info["functions"]}
        assert functions["get_item"] == {
            "name": "get_item", "trigger": "httpTrigger", "route": "items/{id:int}", "methods": ["GET"],
            "auth_level": "function",
        }
        assert functions["configured_route"]["route"] == "cli/ping"
        assert functions["nightly"] == {"name": "nightly", "trigger": "timerTrigger", "schedule": "0 0 3 * * *"}
        assert functions["flaky"]["queue"] == cli_env["SAMPLE_FLAKY_QUEUE"]
        assert functions["on_event"]["trigger"] == "eventGridTrigger"

        assert get(f"{info['url']}/api/hello")[0] == 200
        assert get(f"{info['url']}/api/items/5")[0] == 401
        assert get(f"{info['url']}/api/items/5?code=fk") == (200, b'{"id": "5"}')

        queue = QueueClient.from_connection_string(
            cli_env["AzureWebJobsStorage"],
            cli_env["SAMPLE_FLAKY_QUEUE"],
            message_encode_policy=TextBase64EncodePolicy(),
        )
        with queue:
            queue.send_message(json.dumps({"key": "cli", "fail_times": 1}))

        def flaky_counters() -> dict[str, Any] | None:
            status, body = get(f"{info['url']}/admin/host/status", {"x-functions-key": info["admin_key"]})
            assert status == 200
            counters: dict[str, Any] = json.loads(body)["functions"]["flaky"]
            return counters if counters["successes"] == 1 else None

        counters = wait_for(flaky_counters)
        assert (counters["invocations"], counters["failures"]) == (2, 1)
        service.stop()
        assert service.process.returncode == 0


@pytest.mark.parametrize(
    ("app", "message"),
    [
        ("tests.emulators.host.bad_apps.two_apps", "exactly one FunctionApp"),
        ("tests.emulators.host.bad_apps.no_app", "exactly one FunctionApp"),
        ("tests.emulators.host.no_such_module", "cannot import"),
        # the %SETTING% expressions are not defined in this environment: all are named at once
        (SAMPLE_APP, "SAMPLE_ROUTE, SAMPLE_SCHEDULE, SAMPLE_FLAKY_QUEUE, SAMPLE_POISON_QUEUE, SAMPLE_TEXT_QUEUE"),
    ],
)
def test_cli_refuses_apps_the_host_would_refuse(app: str, message: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMPLE_")}
    result = subprocess.run(
        [sys.executable, "-m", "emulators.host", "--app", app, "--no-queues"],
        cwd=str(REPO_ROOT), env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr


def test_cli_without_a_queue_connection_fails_fast_unless_queues_are_off(cli_env: dict[str, str]) -> None:
    env = {k: v for k, v in cli_env.items() if k != "AzureWebJobsStorage"}
    argv = [sys.executable, "-m", "emulators.host", "--app", SAMPLE_APP]
    result = subprocess.run(
        argv, cwd=str(REPO_ROOT), env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert "'AzureWebJobsStorage' (the queue connection string) is not set" in result.stderr
    with running("local-host", [*python_module_argv("emulators.host", "--app", SAMPLE_APP), "--no-queues"],
                 env=env, cwd=str(REPO_ROOT)) as service:
        assert get(f"{service.info['url']}/api/hello")[0] == 200
