"""What the Functions host would index: names, triggers, routes, methods, auth levels, bindings."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

import azure.functions as func

from shared.settings import all_settings
from tests.functions import function_json, indexed_functions

REPO_ROOT = Path(__file__).resolve().parents[1]


def _app() -> func.FunctionApp:
    module = importlib.import_module("function_app")
    return module.app  # type: ignore[no-any-return]


def test_the_module_holds_exactly_one_function_app_as_the_worker_requires() -> None:
    module = importlib.import_module("function_app")
    registers = [n for n in dir(module) if isinstance(getattr(module, n), func.FunctionRegister)]
    assert registers == ["app"]


def test_health_is_an_anonymous_get_route() -> None:
    functions = indexed_functions(_app())
    trigger = function_json(functions["health"])["bindings"][0]
    assert trigger == {
        "direction": "IN", "type": "httpTrigger", "name": "req", "methods": ["GET"],
        "authLevel": "ANONYMOUS", "route": "health",
    }


def test_every_binding_name_matches_a_handler_parameter() -> None:
    for name, function in indexed_functions(_app()).items():
        params = set(inspect.signature(function.get_user_function()).parameters)
        for binding in function_json(function)["bindings"]:
            if binding["name"] != "$return":
                assert binding["name"] in params, (name, binding["name"])


def test_function_names_are_unique_and_routes_do_not_collide() -> None:
    functions = indexed_functions(_app())
    routes = [
        (b.get("route"), tuple(b.get("methods") or ()))
        for f in functions.values()
        for b in function_json(f)["bindings"]
        if b["type"] == "httpTrigger"
    ]
    assert len(routes) == len(set(routes))


def test_host_json_is_what_func_start_needs() -> None:
    host = json.loads((REPO_ROOT / "host.json").read_text())
    assert host["version"] == "2.0"
    assert host["extensionBundle"]["id"] == "Microsoft.Azure.Functions.ExtensionBundle"
    assert host["extensionBundle"]["version"].startswith("[4.")
    queues = host["extensions"]["queues"]
    assert queues["maxDequeueCount"] >= 3
    assert queues["messageEncoding"] == "base64"


def test_local_settings_sample_carries_every_setting_the_loader_reads() -> None:
    sample = json.loads((REPO_ROOT / "local.settings.sample.json").read_text())["Values"]
    assert sample["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert "AzureWebJobsStorage__accountName" in sample, "a real deployment's storage, by identity"
    read = {declared.name for declared in all_settings()}
    readme = (REPO_ROOT / "README.md").read_text()
    # Stand-in pointers and Azure-only storage settings, each with its reason (tests/infra checks the reasons).
    not_in_sample = json.loads((REPO_ROOT / "infra" / "settings-exceptions.json").read_text())["not_in_sample"]
    assert {"TWILIO_BASE_URL", "ACS_CA_BUNDLE"} <= set(not_in_sample)
    for name in read:
        if name in not_in_sample:
            assert name not in sample, f"{name} is not meant for the sample: {not_in_sample[name]}"
            continue
        assert name in sample, f"{name} is read by the settings loader but missing from local.settings.sample.json"
        assert f"`{name}`" in readme, f"{name} is missing from the README's settings table"
