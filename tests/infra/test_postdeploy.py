"""The postdeploy hooks: the bash hook runs for real against a stand-in `az` (tests/infra/fake_az.py)
on PATH that fails in each way a real deployment does; it must exit 1 with the reason whenever it
could not subscribe. PowerShell is not installable here, so the .ps1 is held to the same calls.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.infra.bicep import INFRA_DIR

HOOK_SH = INFRA_DIR / "hooks" / "postdeploy.sh"
HOOK_PS1 = INFRA_DIR / "hooks" / "postdeploy.ps1"
FAKE_AZ = Path(__file__).resolve().parent / "fake_az.py"
SUB = "11111111-2222-3333-4444-555555555555"
OTHER_SUB = "99999999-8888-7777-6666-555555555555"
APP_ID = f"/subscriptions/{SUB}/resourceGroups/rg-dev/providers/Microsoft.Web/sites/func-abc"
DEADLETTER = (f"/subscriptions/{SUB}/resourceGroups/rg-dev/providers/Microsoft.Storage/storageAccounts/stabc"
              "/blobServices/default/containers/eventgrid-deadletter")
APP_EVENT_GRID_FUNCTION = "fanout_acs_event"


@pytest.fixture
def hook_env(tmp_path: Path) -> dict[str, Any]:
    """A PATH with the stand-in az plus the few tools the hook uses, and the variables azd would set."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("seq", "sleep", "mktemp", "rm", "grep", "tr", "bash"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    az = bin_dir / "az"
    az.write_text(f"#!{sys.executable}\nimport runpy\nrunpy.run_path({str(FAKE_AZ)!r}, run_name='__main__')\n")
    az.chmod(0o755)
    env = {
        "PATH": str(bin_dir),
        "FAKE_AZ_LOG": str(tmp_path / "az.log"),
        "FAKE_AZ_STATE": str(tmp_path / "az-state.json"),
        "FAKE_AZ_VISIBLE": SUB,
        "FAKE_AZ_APP_ID": APP_ID,
        "FAKE_AZ_FUNCTION": APP_EVENT_GRID_FUNCTION,
        "AZURE_SUBSCRIPTION_ID": SUB,
        "AZURE_TENANT_ID": "tenant-0",
        "AZURE_RESOURCE_GROUP": "rg-dev",
        "AZURE_FUNCTION_APP_NAME": "func-abc",
        "AZURE_FUNCTION_APP_URL": "https://func-abc.azurewebsites.net",
        "EVENTGRID_SYSTEM_TOPIC_NAME": "evgt-acs-abc",
        "EVENTGRID_DEADLETTER_CONTAINER_ID": DEADLETTER,
        "POSTDEPLOY_WAIT_ATTEMPTS": "3",
        "POSTDEPLOY_WAIT_SECONDS": "0",
    }
    return {"env": env, "log": tmp_path / "az.log", "bin": bin_dir, "state": tmp_path / "az-state.json"}


def _run(hook_env: dict[str, Any], *, interpreter_name: str = "bash", **extra: str,
         ) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    env = {k: v for k, v in (hook_env["env"] | extra).items() if v != "<unset>"}
    interpreter = shutil.which(interpreter_name)
    assert interpreter
    done = subprocess.run([interpreter, str(HOOK_SH)], env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    log: Path = hook_env["log"]
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return done, calls


def _flag(call: list[str], name: str) -> str:
    return call[call.index(name) + 1]


def _kind(call: list[str]) -> str:
    """The command words, up to the first flag: ``functionapp function list``."""
    words = []
    for arg in call:
        if arg.startswith("-"):
            break
        words.append(arg)
    return " ".join(words)


def _creates(calls: list[list[str]]) -> list[list[str]]:
    return [c for c in calls if _kind(c).startswith("eventgrid system-topic event-subscription create")]


def _assert_failed_loudly(done: subprocess.CompletedProcess[str], *reasons: str) -> None:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "postdeploy: FAILED:" in done.stderr
    assert "azd hooks run postdeploy" in done.stderr
    for reason in reasons:
        assert reason in done.stderr, (reason, done.stderr)
    assert "delivers to function" not in done.stdout


def test_hook_syncs_triggers_then_subscribes_with_retries_and_dead_letters(hook_env: dict[str, Any]) -> None:
    done, calls = _run(hook_env)
    assert done.returncode == 0, done.stderr
    assert [_kind(c) for c in calls] == [
        "account show", "functionapp show", "rest", "functionapp function list",
        "eventgrid system-topic event-subscription create", "eventgrid system-topic event-subscription show",
    ]
    sync = calls[2]
    assert _flag(sync, "--method") == "post"
    assert _flag(sync, "--url") == f"https://management.azure.com{APP_ID}/syncfunctiontriggers?api-version=2024-04-01"
    call = _creates(calls)[0]
    assert _flag(call, "--subscription") == SUB
    assert _flag(call, "--resource-group") == "rg-dev"
    assert _flag(call, "--system-topic-name") == "evgt-acs-abc"
    assert _flag(call, "--endpoint-type") == "azurefunction"
    assert _flag(call, "--endpoint") == f"{APP_ID}/functions/{APP_EVENT_GRID_FUNCTION}"
    assert _flag(call, "--event-delivery-schema") == "eventgridschema"
    assert _flag(call, "--max-delivery-attempts") == "30"
    assert _flag(call, "--event-ttl") == "1440"
    assert _flag(call, "--deadletter-identity") == "systemassigned"
    assert _flag(call, "--deadletter-identity-endpoint") == DEADLETTER
    types = call[call.index("--included-event-types") + 1:]
    types = types[: next(i for i, a in enumerate(types) if a.startswith("--"))]
    assert "Microsoft.Communication.ChatMessageReceivedInThread" in types
    assert not any(t.endswith("ChatMessageReceived") for t in types), "user-level events would duplicate"
    assert not any("code=" in a or "keys" in a for c in calls for a in c), "no function key is read or passed"
    assert f"delivers to function '{APP_EVENT_GRID_FUNCTION}'" in done.stdout


def test_every_az_call_names_azd_s_subscription(hook_env: dict[str, Any]) -> None:
    """The account also sees another subscription (the CLI's default): nothing may land there."""
    done, calls = _run(hook_env, FAKE_AZ_VISIBLE=f"{OTHER_SUB} {SUB}")
    assert done.returncode == 0, done.stderr
    assert len(calls) == 6
    for call in calls:
        if call[0] == "rest":
            assert f"/subscriptions/{SUB}/" in _flag(call, "--url")
        else:
            assert _flag(call, "--subscription") == SUB, call


def test_hook_waits_while_the_app_lists_only_warmup(hook_env: dict[str, Any]) -> None:
    done, calls = _run(hook_env, FAKE_AZ_SYNCS_NEEDED="3")
    assert done.returncode == 0, done.stderr
    assert [c[0] for c in calls].count("rest") == 3, "a trigger sync before each listing until it is listed"
    assert "it lists: func-abc/WarmUp" in done.stdout
    assert len(_creates(calls)) == 1


def test_a_transient_sync_error_is_retried(hook_env: dict[str, Any]) -> None:
    done, calls = _run(hook_env, FAKE_AZ_FAIL="sync-transient")
    assert done.returncode == 0, done.stderr
    assert [c[0] for c in calls].count("rest") == 2
    assert len(_creates(calls)) == 1


def test_not_signed_in_fails_and_says_az_login(hook_env: dict[str, Any]) -> None:
    done, calls = _run(hook_env, FAKE_AZ_SIGNED_IN="0")
    _assert_failed_loudly(done, "not signed in", "az login --tenant tenant-0")
    assert len(calls) == 1


def test_wrong_subscription_fails_naming_azd_s_subscription(hook_env: dict[str, Any]) -> None:
    done, calls = _run(hook_env, FAKE_AZ_VISIBLE=OTHER_SUB)
    _assert_failed_loudly(done, f"cannot see azd's subscription {SUB}", "not found",
                          "azd env set AZURE_SUBSCRIPTION_ID")
    assert len(calls) == 1


def test_function_never_listed_fails_with_what_the_app_lists(hook_env: dict[str, Any]) -> None:
    done, calls = _run(hook_env, FAKE_AZ_NEVER_LISTS="1")
    _assert_failed_loudly(done, f"does not list function '{APP_EVENT_GRID_FUNCTION}'", "it lists: func-abc/WarmUp")
    assert [c[0] for c in calls].count("rest") == 3
    assert _creates(calls) == []


@pytest.mark.parametrize(("failure", "reason"), [
    ("show-app", "could not read function app func-abc"),
    ("sync-rbac", "no right to sync the triggers"),
    ("list", "could not list the functions"),
    ("create", "Webhook validation handshake failed"),
    ("state", "in state 'Failed'"),
])
def test_each_az_failure_fails_the_hook_with_az_s_reason(hook_env: dict[str, Any], failure: str, reason: str) -> None:
    done, _ = _run(hook_env, FAKE_AZ_FAIL=failure)
    _assert_failed_loudly(done, reason)


def test_rerunning_the_hook_updates_the_same_subscription(hook_env: dict[str, Any]) -> None:
    first, _ = _run(hook_env)
    second, calls = _run(hook_env)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    state = json.loads(hook_env["state"].read_text())
    assert state["subscriptions"] == {"acs-chat-to-app": {"state": "Succeeded", "updates": 1}}
    assert len(_creates(calls)) == 2


def test_hook_uses_the_named_function_and_event_types_when_given(hook_env: dict[str, Any]) -> None:
    done, calls = _run(
        hook_env, EVENTGRID_FUNCTION_NAME="fanout_deliver",
        EVENTGRID_EVENT_TYPES="Microsoft.Communication.ChatThreadCreated Microsoft.Communication.ChatThreadDeleted",
    )
    assert done.returncode == 0, done.stderr
    create = _creates(calls)[0]
    assert _flag(create, "--endpoint") == f"{APP_ID}/functions/fanout_deliver"
    start = create.index("--included-event-types") + 1
    assert create[start:start + 3] == [
        "Microsoft.Communication.ChatThreadCreated", "Microsoft.Communication.ChatThreadDeleted",
        "--max-delivery-attempts",
    ]


@pytest.mark.parametrize("missing", ["AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZURE_FUNCTION_APP_NAME",
                                     "EVENTGRID_SYSTEM_TOPIC_NAME", "EVENTGRID_DEADLETTER_CONTAINER_ID"])
def test_hook_outside_azd_fails_naming_the_missing_variable(hook_env: dict[str, Any], missing: str) -> None:
    done, calls = _run(hook_env, **{missing: "<unset>"})
    _assert_failed_loudly(done, missing)
    assert calls == []


def test_hook_without_the_azure_cli_says_what_to_install(hook_env: dict[str, Any]) -> None:
    (hook_env["bin"] / "az").unlink()
    done, _ = _run(hook_env)
    _assert_failed_loudly(done, "Azure CLI (az)")


def test_hook_started_by_sh_reruns_itself_under_bash(hook_env: dict[str, Any]) -> None:
    """azure.yaml says `shell: sh`; on Debian sh is dash, which lacks what the hook uses."""
    sh = shutil.which("dash") or shutil.which("sh")
    assert sh
    (hook_env["bin"] / "sh").symlink_to(sh)
    done, calls = _run(hook_env, interpreter_name="sh")
    assert done.returncode == 0, done.stderr
    assert len(_creates(calls)) == 1


def test_main_outputs_what_the_hook_reads(main_tree: dict[str, Any]) -> None:
    for name in ("AZURE_RESOURCE_GROUP", "AZURE_FUNCTION_APP_NAME", "EVENTGRID_SYSTEM_TOPIC_NAME",
                 "EVENTGRID_DEADLETTER_CONTAINER_ID"):
        assert name in main_tree["outputs"], name
    containers = json.dumps(main_tree["modules"]["storage"])
    assert "deadLetterContainerName" in containers, "the dead-letter container is created with the account"
    assert main_tree["variables"]["deadLetterContainerName"]["value"] == "eventgrid-deadletter"
    assert main_tree["outputs"]["EVENTGRID_DEADLETTER_CONTAINER_ID"]["value"].endswith(
        "/blobServices/default/containers/${deadLetterContainerName}")


def test_the_hook_names_the_app_s_one_event_grid_function() -> None:
    from tests.functions import function_json, indexed_functions

    app = importlib.import_module("function_app").app
    event_grid = [
        name for name, function in indexed_functions(app).items()
        if any(b["type"] == "eventGridTrigger" for b in function_json(function)["bindings"])
    ]
    assert event_grid == [APP_EVENT_GRID_FUNCTION]
    assert f'function_name="${{EVENTGRID_FUNCTION_NAME:-{APP_EVENT_GRID_FUNCTION}}}"' in HOOK_SH.read_text()
    assert f"'{APP_EVENT_GRID_FUNCTION}'" in HOOK_PS1.read_text()


def test_hook_default_event_types_are_the_fan_out_s_thread_level_and_calling_events() -> None:
    from shared.fanout.events import CALLING_TYPES, PREFIX, THREAD_LEVEL_TYPES

    expected = [PREFIX + t for t in THREAD_LEVEL_TYPES + CALLING_TYPES]
    assert _default_event_types(HOOK_SH.read_text()) == expected
    assert _default_event_types(HOOK_PS1.read_text()) == expected


def _create_flags(text: str) -> set[str]:
    block = text[text.index("event-subscription create"):]
    block = block[: block.index("--output")]
    return set(re.findall(r"--[a-z][a-z-]+", block))


def _default_event_types(text: str) -> list[str]:
    return re.findall(r"Microsoft\.Communication\.\w+", text)


def test_powershell_hook_does_what_the_bash_hook_does() -> None:
    """No pwsh on these machines: the .ps1 is held to the same calls, flags, inputs and failure paths."""
    sh, ps1_text = HOOK_SH.read_text(), HOOK_PS1.read_text()
    ps1 = re.sub(r"'\s*,\s*'", " ", ps1_text)  # @('functionapp', 'show', ...) reads as "functionapp show ..."
    assert _create_flags(sh) == _create_flags(ps1)
    assert {"--deadletter-identity-endpoint", "--max-delivery-attempts", "--event-ttl", "--subscription"} <= (
        _create_flags(ps1))
    assert _default_event_types(sh) == _default_event_types(ps1)
    for needle in ("account show", "functionapp show", "syncfunctiontriggers?api-version=2024-04-01",
                   "function list", "event-subscription show", "provisioningState", "Succeeded",
                   "POSTDEPLOY_WAIT_ATTEMPTS", "POSTDEPLOY_WAIT_SECONDS", "AZURE_SUBSCRIPTION_ID",
                   "EVENTGRID_DEADLETTER_CONTAINER_ID", "EVENTGRID_FUNCTION_NAME", "EVENTGRID_SUBSCRIPTION_NAME",
                   "EVENTGRID_EVENT_TYPES", "postdeploy: FAILED:", "azd hooks run postdeploy", "not signed in",
                   "cannot see azd's subscription", "AuthorizationFailed", "does not list function"):
        assert needle in sh, needle
        assert needle in ps1, needle
    assert "$ErrorActionPreference = 'Stop'" in ps1
    calls = re.findall(r"Invoke-Az @\(([^)]*)\)", ps1_text)
    assert len(calls) == 5  # account, app, sync, list, read back (create builds its list first)
    for args in calls:  # every az call names the subscription, or (az rest) a URL that holds it
        assert "'--subscription'" in args or "'rest'" in args, args
    for text in (sh, ps1_text):
        assert "exit 0" not in text, "no path reports success without the subscription"


def test_bash_hook_is_strict_and_syntactically_valid() -> None:
    text = HOOK_SH.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert "|| true" not in text
    assert "2>/dev/null" not in text.replace("command -v az >/dev/null 2>&1", "")
    assert os.access(HOOK_SH, os.X_OK)
    bash = shutil.which("bash")
    assert bash
    assert subprocess.run([bash, "-n", str(HOOK_SH)], capture_output=True, timeout=30, check=False).returncode == 0
