"""Every setting the code reads is deployed by main.bicep and present in local.settings.sample.json,
and every setting those two define is read by the code (or by the Functions host, on a reasoned list).

The list of settings is derived, not written down (tests/infra/settings_names.py), so adding a
setting to shared/settings/ or the README without deploying it fails here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pytest

from shared.settings import SettingsError, load_settings
from tests.infra.bicep import INFRA_DIR, REPO_ROOT
from tests.infra.settings_names import (
    names_in_readme_table,
    names_in_source,
    names_looked_up,
    settings_read_by_code,
)

EXCEPTIONS = json.loads((INFRA_DIR / "settings-exceptions.json").read_text())
NOT_DEPLOYED: dict[str, str] = EXCEPTIONS["not_deployed"]
NOT_IN_SAMPLE: dict[str, str] = EXCEPTIONS["not_in_sample"]
READ_BY_HOST: dict[str, str] = EXCEPTIONS["read_by_host"]


@pytest.fixture(scope="module")
def sample() -> dict[str, str]:
    values: dict[str, str] = json.loads((REPO_ROOT / "local.settings.sample.json").read_text())["Values"]
    return values


@pytest.fixture(scope="module")
def read_by_code(sample: dict[str, str]) -> set[str]:
    names = settings_read_by_code(REPO_ROOT, sample)
    assert len(names) >= 20, names
    return names


@pytest.fixture(scope="module")
def readme_names() -> set[str]:
    return names_in_readme_table((REPO_ROOT / "README.md").read_text())


@pytest.fixture(scope="module")
def deployed(main_tree: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = main_tree["variables"]["appSettings"]["value"]
    return settings


def test_every_setting_the_code_or_readme_names_is_deployed(
    read_by_code: set[str], readme_names: set[str], deployed: dict[str, Any]
) -> None:
    missing = sorted((read_by_code | readme_names) - set(deployed) - set(NOT_DEPLOYED))
    assert not missing, (
        f"settings the app reads but infra/main.bicep does not deploy: {missing}. Add them to appSettings "
        "(secrets as Key Vault references), or to not_deployed in infra/settings-exceptions.json with a reason."
    )


def test_every_setting_the_code_reads_is_in_the_local_sample(read_by_code: set[str], sample: dict[str, str]) -> None:
    missing = sorted(read_by_code - set(sample) - set(NOT_IN_SAMPLE))
    assert not missing, f"settings the app reads but local.settings.sample.json lacks: {missing}"


def test_every_deployed_or_sample_setting_is_read(
    read_by_code: set[str], deployed: dict[str, Any], sample: dict[str, str]
) -> None:
    unread = sorted((set(deployed) | set(sample)) - read_by_code - set(READ_BY_HOST))
    assert not unread, f"settings deployed or in the sample that nothing reads (typo, or a removed setting?): {unread}"


def test_readme_table_and_code_name_the_same_settings(read_by_code: set[str], readme_names: set[str]) -> None:
    assert sorted(read_by_code - readme_names) == [], "read by shared/settings/, missing from the README table"
    assert sorted(readme_names - read_by_code - set(READ_BY_HOST)) == [], "in the README table, read by nothing"


def test_exceptions_are_reasoned_and_still_needed(
    read_by_code: set[str], deployed: dict[str, Any], sample: dict[str, str]
) -> None:
    for group in (NOT_DEPLOYED, NOT_IN_SAMPLE, READ_BY_HOST):
        for name, reason in group.items():
            assert len(reason.split()) >= 8, f"{name}: give a real reason"
    for name in NOT_DEPLOYED:
        assert name in read_by_code, f"not_deployed entry {name} is read by nothing: remove it"
        assert name not in deployed, f"not_deployed entry {name} is deployed: remove it"
    for name in NOT_IN_SAMPLE:
        assert name in read_by_code, f"not_in_sample entry {name} is read by nothing: remove it"
        assert name not in sample, f"not_in_sample entry {name} is in the sample: remove it"
    for name in READ_BY_HOST:
        assert name not in read_by_code, f"read_by_host entry {name} is read by the app: remove it"
        assert name in deployed or name in sample, f"read_by_host entry {name} is set nowhere: remove it"


def _deployed_literal(value: Any, parameters: dict[str, Any], variables: dict[str, Any]) -> str | None:
    """The value an app setting gets when it is a literal or a parameter's default; None if computed."""
    if isinstance(value, dict):  # stateNames.identityTable and the like: a literal in an object variable
        operands = value.get("operator", {}).get("operands", {})
        holder = variables.get(operands.get("operand_1"), {}) if isinstance(operands.get("operand_1"), str) else {}
        field = operands.get("operand_2")
        literal = holder.get("value", {}).get(field) if isinstance(field, str) else None
        return literal if isinstance(literal, str) else None
    if isinstance(value, str) and "${" not in value and value not in variables:
        if value in parameters:
            default = parameters[value].get("default")
            return default if isinstance(default, str) else None
        return value
    return None


def test_literal_deployed_values_are_strings_the_loader_accepts(
    main_tree: dict[str, Any], deployed: dict[str, Any], sample: dict[str, str]
) -> None:
    parameters, variables = main_tree["parameters"], main_tree["variables"]
    for name, value in deployed.items():
        assert not isinstance(value, bool | int), f"{name}: app setting values are strings: write '{value}'"
        if isinstance(value, str) and value in parameters:
            assert parameters[value]["type"] == "string", f"{name}: use a string parameter, or string(...)"
    literals = {
        name: literal for name, value in deployed.items()
        if (literal := _deployed_literal(value, parameters, variables)) is not None
    }
    assert len(literals) >= 10, literals
    environ = dict(sample) | literals
    try:
        load_settings(environ)
    except SettingsError as error:
        bad = sorted(set(error.names) & set(literals))
        assert not bad, f"main.bicep deploys values the loader rejects: {bad}"


def test_development_only_switches_are_off_in_azure(main_tree: dict[str, Any], deployed: dict[str, Any]) -> None:
    parameters, variables = main_tree["parameters"], main_tree["variables"]
    switches = [n for n in deployed if re.search(r"_ALLOW_|TRUST_", n)]
    for name in switches:
        value = _deployed_literal(deployed[name], parameters, variables)
        assert value == "false", f"{name} must be deployed as 'false' (it is {deployed[name]!r})"


# The derivation itself: it must notice a new setting however it is written.

NEW_LOADER_SOURCE = '''
def _load_widgets(reader):
    limit = reader.checked("WIDGET_LIMIT", reader.raw("WIDGET_LIMIT"), int, "a number")
    return reader.raw("AzureWebJobsWidgets__mode"), reader.raw("T"), "not a setting", limit
'''


def test_static_derivation_finds_names_in_any_reader_call() -> None:
    assert names_in_source(NEW_LOADER_SOURCE) == {"WIDGET_LIMIT", "AzureWebJobsWidgets__mode"}


def test_dynamic_derivation_finds_names_built_at_run_time() -> None:
    def load(environ: Mapping[str, str]) -> None:
        for kind in ("table", "queue"):
            environ.get(f"Store__{kind}Uri")
        if "MODE" in environ:
            environ.get("MODE_ONLY_SETTING")
        raise ValueError("settings are bad")

    assert names_looked_up(load, [{}, {"MODE": "x"}]) == {
        "Store__tableUri", "Store__queueUri", "MODE", "MODE_ONLY_SETTING",
    }


def test_readme_derivation_reads_every_name_in_the_first_column() -> None:
    readme = (
        "# App\n\n## Settings\n\n| Setting | Required |\n|---|---|\n"
        "| `A_ONE`, `A_TWO` | no, unless `NOT_THIS_ONE` |\n| `AzureWebJobsX__y` | * |\n"
        "\n## HTTP routes\n| `NOT_A_SETTING` |\n"
    )
    assert names_in_readme_table(readme) == {"A_ONE", "A_TWO", "AzureWebJobsX__y"}


# Settings the Functions host resolves in bindings: %NAME% expressions and connection prefixes.

def _binding_settings() -> tuple[set[str], set[str]]:
    """``%NAME%`` expressions and ``connection`` names in every binding the host would index."""
    import importlib

    from tests.functions import function_json, indexed_functions

    app = importlib.import_module("function_app").app
    expressions: set[str] = set()
    connections: set[str] = set()
    for function in indexed_functions(app).values():
        for binding in function_json(function)["bindings"]:
            for value in binding.values():
                if isinstance(value, str):
                    expressions |= set(re.findall(r"%([^%\s]+)%", value))
            if binding.get("connection"):
                connections.add(binding["connection"])
    return expressions, connections


def test_every_binding_expression_and_connection_is_deployed(
    main_tree: dict[str, Any], deployed: dict[str, Any], sample: dict[str, str]
) -> None:
    expressions, connections = _binding_settings()
    parameters, variables = main_tree["parameters"], main_tree["variables"]
    for name in sorted(expressions):
        assert name in deployed, f"bindings use %{name}% but main.bicep does not deploy it: the host cannot index them"
        assert _deployed_literal(deployed[name], parameters, variables) != "", f"%{name}% is deployed empty"
        assert sample.get(name), f"bindings use %{name}% but local.settings.sample.json does not set it"
    for name in sorted(connections):
        identity_forms = [key for key in deployed if key.startswith(f"{name}__")]
        assert name in deployed or identity_forms, f"bindings use connection {name}, which main.bicep does not deploy"
