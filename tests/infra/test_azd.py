"""azure.yaml, .funcignore and the postdeploy hooks.

The bash hook runs for real against a stand-in `az` executable on PATH that records its
arguments and answers the few queries the hook makes (there is no Azure here). PowerShell is
not installable on these machines, so the .ps1 hook is checked for parity with the bash one.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.infra.bicep import INFRA_DIR, REPO_ROOT

HOOK_SH = INFRA_DIR / "hooks" / "postdeploy.sh"
HOOK_PS1 = INFRA_DIR / "hooks" / "postdeploy.ps1"
APP_ID = "/subscriptions/0000/resourceGroups/rg-dev/providers/Microsoft.Web/sites/func-abc"

FAKE_AZ = '''#!{python}
"""Stand-in for the Azure CLI: records argv, answers what postdeploy asks."""
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_AZ_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
command = " ".join(a for a in args[:5] if not a.startswith("-"))
query = args[args.index("--query") + 1] if "--query" in args else ""
if command.startswith("functionapp function list"):
    name = os.environ.get("FAKE_AZ_FUNCTION", "")
    wanted = os.environ.get("EVENTGRID_FUNCTION_NAME")
    if name and (not wanted or ("/" + wanted + "'") in query):
        print("func-abc/" + name)
elif command.startswith("functionapp show"):
    print("{app_id}")
elif command.startswith("eventgrid system-topic event-subscription create"):
    if os.environ.get("FAKE_AZ_FAIL_CREATE"):
        print("ERROR: (InvalidRequest) endpoint validation failed", file=sys.stderr)
        sys.exit(1)
else:
    print("unexpected az call: " + " ".join(args), file=sys.stderr)
    sys.exit(2)
'''


@pytest.fixture
def hook_env(tmp_path: Path) -> dict[str, Any]:
    """A PATH with the stand-in az plus seq and sleep, and the variables azd would set."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("seq", "sleep"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    az = bin_dir / "az"
    az.write_text(FAKE_AZ.format(python=sys.executable, app_id=APP_ID))
    az.chmod(0o755)
    log = tmp_path / "az.log"
    env = {
        "PATH": str(bin_dir),
        "FAKE_AZ_LOG": str(log),
        "AZURE_RESOURCE_GROUP": "rg-dev",
        "AZURE_FUNCTION_APP_NAME": "func-abc",
        "AZURE_FUNCTION_APP_URL": "https://func-abc.azurewebsites.net",
        "EVENTGRID_SYSTEM_TOPIC_NAME": "evgt-acs-abc",
        "POSTDEPLOY_WAIT_ATTEMPTS": "1",
    }
    return {"env": env, "log": log, "bin": bin_dir}


def _run(hook_env: dict[str, Any], **extra: str) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    env = {k: v for k, v in (hook_env["env"] | extra).items() if v is not None and v != "<unset>"}
    bash = shutil.which("bash")
    assert bash
    done = subprocess.run([bash, str(HOOK_SH)], env=env, capture_output=True, text=True, timeout=60, check=False)
    log: Path = hook_env["log"]
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return done, calls


def _flag(call: list[str], name: str) -> str:
    return call[call.index(name) + 1]


def test_hook_subscribes_the_event_grid_function_to_the_acs_topic(hook_env: dict[str, Any]) -> None:
    done, calls = _run(hook_env, FAKE_AZ_FUNCTION="acs_events")
    assert done.returncode == 0, done.stderr
    create = [c for c in calls if c[:4] == ["eventgrid", "system-topic", "event-subscription", "create"]]
    assert len(create) == 1
    call = create[0]
    assert _flag(call, "--resource-group") == "rg-dev"
    assert _flag(call, "--system-topic-name") == "evgt-acs-abc"
    assert _flag(call, "--endpoint-type") == "azurefunction"
    assert _flag(call, "--endpoint") == f"{APP_ID}/functions/acs_events"
    assert _flag(call, "--event-delivery-schema") == "eventgridschema"
    types = call[call.index("--included-event-types") + 1:]
    types = types[: next(i for i, a in enumerate(types) if a.startswith("--"))]
    assert "Microsoft.Communication.ChatMessageReceivedInThread" in types
    assert "Microsoft.Communication.ChatThreadParticipantAdded" in types
    assert not any(t.endswith("ChatMessageReceived") for t in types), "user-level events would duplicate"
    assert not any("code=" in a or "keys" in a for c in calls for a in c), "no function key is read or passed"
    assert "delivers to function 'acs_events'" in done.stdout


def test_hook_uses_the_named_function_and_event_types_when_given(hook_env: dict[str, Any]) -> None:
    done, calls = _run(
        hook_env, FAKE_AZ_FUNCTION="events", EVENTGRID_FUNCTION_NAME="events",
        EVENTGRID_EVENT_TYPES="Microsoft.Communication.ChatThreadCreated Microsoft.Communication.ChatThreadDeleted",
    )
    assert done.returncode == 0, done.stderr
    listing = next(c for c in calls if c[:3] == ["functionapp", "function", "list"])
    assert _flag(listing, "--query") == "[?name=='func-abc/events'].name | [0]"
    create = calls[-1]
    assert _flag(create, "--endpoint") == f"{APP_ID}/functions/events"
    start = create.index("--included-event-types") + 1
    assert create[start:start + 3] == [
        "Microsoft.Communication.ChatThreadCreated",
        "Microsoft.Communication.ChatThreadDeleted",
        "--max-delivery-attempts",
    ]


def test_hook_without_an_event_grid_function_creates_nothing_and_says_why(hook_env: dict[str, Any]) -> None:
    done, calls = _run(hook_env, FAKE_AZ_FUNCTION="")
    assert done.returncode == 0
    assert "no subscription created" in done.stderr
    assert "azd hooks run postdeploy" in done.stderr
    assert not [c for c in calls if "create" in c]


@pytest.mark.parametrize("missing", ["AZURE_RESOURCE_GROUP", "AZURE_FUNCTION_APP_NAME", "EVENTGRID_SYSTEM_TOPIC_NAME"])
def test_hook_outside_azd_fails_naming_the_missing_variable(hook_env: dict[str, Any], missing: str) -> None:
    done, calls = _run(hook_env, **{missing: "<unset>"})
    assert done.returncode != 0
    assert missing in done.stderr
    assert calls == []


def test_hook_fails_when_the_subscription_cannot_be_created(hook_env: dict[str, Any]) -> None:
    done, _ = _run(hook_env, FAKE_AZ_FUNCTION="acs_events", FAKE_AZ_FAIL_CREATE="1")
    assert done.returncode != 0
    assert "delivers to function" not in done.stdout


def test_hook_without_the_azure_cli_says_what_to_install(hook_env: dict[str, Any]) -> None:
    (hook_env["bin"] / "az").unlink()
    done, _ = _run(hook_env)
    assert done.returncode == 1
    assert "Azure CLI (az)" in done.stderr


def _create_flags(text: str) -> set[str]:
    block = text[text.index("event-subscription create"):]
    block = block[: block.index("--output none")]
    return set(re.findall(r"--[a-z][a-z-]+", block))


def _default_event_types(text: str) -> list[str]:
    return re.findall(r"Microsoft\.Communication\.\w+", text)


def test_powershell_hook_does_what_the_bash_hook_does() -> None:
    sh, ps1 = HOOK_SH.read_text(), HOOK_PS1.read_text()
    assert _create_flags(sh) == _create_flags(ps1)
    assert _default_event_types(sh) == _default_event_types(ps1)
    for needle in ("eventGridTrigger", "functionapp function list", "functionapp show", "POSTDEPLOY_WAIT_ATTEMPTS",
                   "EVENTGRID_FUNCTION_NAME", "EVENTGRID_SUBSCRIPTION_NAME", "EVENTGRID_EVENT_TYPES"):
        assert needle in sh, needle
        assert needle in ps1, needle
    assert "$ErrorActionPreference = 'Stop'" in ps1
    assert "$LASTEXITCODE" in ps1


def test_bash_hook_is_strict_and_syntactically_valid() -> None:
    text = HOOK_SH.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert os.access(HOOK_SH, os.X_OK)
    bash = shutil.which("bash")
    assert bash
    assert subprocess.run([bash, "-n", str(HOOK_SH)], capture_output=True, timeout=30, check=False).returncode == 0


# azure.yaml and the package.

def test_azure_yaml_deploys_this_folder_as_a_python_function_app() -> None:
    spec = yaml.safe_load((REPO_ROOT / "azure.yaml").read_text())
    assert spec["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}
    assert (REPO_ROOT / spec["infra"]["path"] / f"{spec['infra']['module']}.bicep").is_file()
    assert spec["services"] == {"api": {"project": ".", "language": "python", "host": "function"}}
    postdeploy = spec["hooks"]["postdeploy"]
    assert postdeploy["posix"]["shell"] == "sh"
    assert postdeploy["windows"]["shell"] == "pwsh"
    assert (REPO_ROOT / postdeploy["posix"]["run"]) == HOOK_SH
    assert (REPO_ROOT / postdeploy["windows"]["run"]) == HOOK_PS1


def test_the_service_name_matches_the_function_app_tag(bicep_trees: dict[str, dict[str, Any]]) -> None:
    spec = yaml.safe_load((REPO_ROOT / "azure.yaml").read_text())
    params = bicep_trees["infra/modules/functionapp.bicep"]["parameters"]
    assert list(spec["services"]) == [params["serviceName"]["default"]]


def _ignored(path: str, patterns: list[str]) -> bool:
    parts = path.split("/")
    for pattern in patterns:
        bare = pattern.rstrip("/")
        if any(fnmatch.fnmatch(part, bare) for part in parts) or fnmatch.fnmatch(path, bare):
            return True
    return False


def test_funcignore_ships_the_app_and_leaves_out_the_rest() -> None:
    lines = (REPO_ROOT / ".funcignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    shipped_files = ("function_app.py", "host.json", "requirements.txt", "shared/settings.py", "shared/http.py")
    for shipped in shipped_files:
        assert not _ignored(shipped, patterns), shipped
    for left_out in ("tests/conftest.py", "emulators/acs/server.py", ".venv/bin/python", ".venv-infra/pycep/x",
                     "node_modules/azurite/package.json", "local.settings.json", "infra/main.bicep", "bench/x.py"):
        assert _ignored(left_out, patterns), left_out


def test_hook_default_event_types_are_the_fan_out_s_thread_level_and_calling_events() -> None:
    from shared.fanout.events import CALLING_TYPES, PREFIX, THREAD_LEVEL_TYPES

    expected = [PREFIX + t for t in THREAD_LEVEL_TYPES + CALLING_TYPES]
    assert _default_event_types(HOOK_SH.read_text()) == expected
    assert _default_event_types(HOOK_PS1.read_text()) == expected


def test_the_app_has_exactly_one_event_grid_function_for_the_hook_to_find() -> None:
    import importlib

    from tests.functions import function_json, indexed_functions

    app = importlib.import_module("function_app").app
    event_grid = [
        name for name, function in indexed_functions(app).items()
        if any(b["type"] == "eventGridTrigger" for b in function_json(function)["bindings"])
    ]
    assert len(event_grid) == 1, event_grid
