"""The project's own deployment rules, asserted on pycep-parser's trees of infra/*.bicep.

pycep-parser checks syntax only, so these tests also do the cross-file checks a Bicep compiler
would (module paths, parameter names, required parameters, module outputs used by main.bicep).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from shared.settings import ResourceNames
from tests.infra.bicep import (
    INFRA_DIR,
    config,
    has_default,
    is_secure,
    mentions,
    resources,
    strings,
    without_emptiness_tests,
)

Trees = dict[str, dict[str, Any]]

# Settings whose names say they hold a secret; each must be a Key Vault reference when deployed.
SECRET_NAME = re.compile(r".*_(TOKEN|SECRET|KEY|PASSWORD|CONNECTION_STRING)")
NOT_SECRET = {
    # An ingestion address and instrumentation key; with DisableLocalAuth the key alone cannot send telemetry.
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
}


def _one(tree: dict[str, Any], resource_type: str) -> dict[str, Any]:
    found = resources(tree, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return config(next(iter(found.values())))


def _module_file(caller: str, module: dict[str, Any]) -> str:
    path = (INFRA_DIR.parent / caller).parent / module["detail"]["path"]
    return path.resolve().relative_to(INFRA_DIR.parent).as_posix()


def _app_settings(main_tree: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = main_tree["variables"]["appSettings"]["value"]
    return value


# Storage.

def test_storage_is_tls12_https_only_without_shared_keys_or_public_blobs(bicep_trees: Trees) -> None:
    tree = bicep_trees["infra/modules/storage.bicep"]
    props = _one(tree, "Microsoft.Storage/storageAccounts")["properties"]
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["supportsHttpsTrafficOnly"] is True
    assert props["allowSharedKeyAccess"] is False
    assert props["defaultToOAuthAuthentication"] is True
    assert props["allowBlobPublicAccess"] is False
    containers = _one(tree, "Microsoft.Storage/storageAccounts/blobServices/containers")
    assert containers["properties"]["publicAccess"] == "None"


def test_the_state_main_bicep_creates_matches_the_app_defaults(main_tree: dict[str, Any]) -> None:
    names = main_tree["variables"]["stateNames"]["value"]
    defaults = ResourceNames()
    assert names == {
        "identityTable": defaults.identity_table,
        "conversationTable": defaults.conversation_table,
        "messageTable": defaults.message_table,
        "runTable": defaults.run_table,
        "subscriptionTable": defaults.subscription_table,
        "deadLetterTable": defaults.dead_letter_table,
        "webhookTable": defaults.webhook_table,
        "migrationQueue": defaults.migration_queue,
        "deliveryQueue": defaults.delivery_queue,
        "mediaContainer": defaults.media_container,
    }
    params = config(main_tree["modules"]["storage"])["params"]
    assert len(params["tableNames"]) == 7
    assert len(params["queueNames"]) == 3
    assert any(mentions(q, "stateNames") and any(s.endswith("-next") for s in strings(q)) for q in params["queueNames"])
    assert any(mentions(c, "stateNames") and "mediaContainer" in strings(c) for c in params["containerNames"])


# Function App.

def test_function_app_is_flex_consumption_python_311_https_only(bicep_trees: Trees) -> None:
    tree = bicep_trees["infra/modules/functionapp.bicep"]
    plan = _one(tree, "Microsoft.Web/serverfarms")
    assert plan["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    assert plan["properties"]["reserved"] is True
    app = _one(tree, "Microsoft.Web/sites")
    assert app["kind"] == "functionapp,linux"
    props = app["properties"]
    assert props["httpsOnly"] is True
    assert props["siteConfig"]["minTlsVersion"] == "1.2"
    assert props["functionAppConfig"]["runtime"] == {"name": "python", "version": "3.11"}


def test_function_app_runs_as_its_user_assigned_identity_everywhere(bicep_trees: Trees) -> None:
    tree = bicep_trees["infra/modules/functionapp.bicep"]
    app = _one(tree, "Microsoft.Web/sites")
    assert app["identity"]["type"] == "UserAssigned"
    assert list(app["identity"]["userAssignedIdentities"]) == ["'${identityId}'"]
    assert app["properties"]["keyVaultReferenceIdentity"] == "identityId"
    deployment = app["properties"]["functionAppConfig"]["deployment"]["storage"]
    assert deployment["authentication"] == {
        "type": "UserAssignedIdentity", "userAssignedIdentityResourceId": "identityId",
    }


def test_app_settings_are_main_bicep_s_object_applied_whole(bicep_trees: Trees, main_tree: dict[str, Any]) -> None:
    params = config(main_tree["modules"]["functionApp"])["params"]
    assert params["appSettings"] == "appSettings"
    site = _one(bicep_trees["infra/modules/functionapp.bicep"], "Microsoft.Web/sites")
    loop = site["properties"]["siteConfig"]["appSettings"]
    items = {"function": {"type": "items", "parameters": {"arg_1": "appSettings"}}}
    assert loop["loop_type"]["detail"]["array_name"] == items

    def accessor(field: str) -> dict[str, Any]:
        return {"operator": {"type": "property_accessor", "operands": {"operand_1": "setting", "operand_2": field}}}

    assert loop["config"] == {"name": accessor("key"), "value": accessor("value")}


def test_storage_settings_are_identity_based(main_tree: dict[str, Any]) -> None:
    settings = _app_settings(main_tree)
    assert "AzureWebJobsStorage" not in settings, "no connection string: shared-key access is off"
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert mentions(settings["AzureWebJobsStorage__clientId"], "identity")
    assert "clientId" in strings(settings["AzureWebJobsStorage__clientId"])
    assert "name" in strings(settings["AzureWebJobsStorage__accountName"])
    for kind in ("blob", "queue", "table"):
        assert f"{kind}Endpoint" in strings(settings[f"AzureWebJobsStorage__{kind}ServiceUri"])
    # Flex Consumption rejects these; the runtime comes from functionAppConfig.
    assert "FUNCTIONS_WORKER_RUNTIME" not in settings
    assert "FUNCTIONS_EXTENSION_VERSION" not in settings


def test_telemetry_uses_entra_id(bicep_trees: Trees, main_tree: dict[str, Any]) -> None:
    insights = _one(bicep_trees["infra/modules/monitoring.bicep"], "Microsoft.Insights/components")
    assert insights["properties"]["DisableLocalAuth"] is True
    assert mentions(insights["properties"]["WorkspaceResourceId"], "workspace")
    settings = _app_settings(main_tree)
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == (
        "ClientId=${identity.outputs.clientId};Authorization=AAD"
    )


# Secrets.

def test_secret_settings_are_key_vault_references(bicep_trees: Trees, main_tree: dict[str, Any]) -> None:
    settings = _app_settings(main_tree)
    kv_outputs = bicep_trees["infra/modules/keyvault.bicep"]["outputs"]
    secret_settings = [name for name in settings if SECRET_NAME.fullmatch(name) and name not in NOT_SECRET]
    assert {"TWILIO_AUTH_TOKEN", "TWILIO_API_KEY_SECRET", "ACS_CONNECTION_STRING"} <= set(secret_settings)
    for name in secret_settings:
        used = [s for s in strings(settings[name]) if s.endswith("Reference")]
        assert used, f"{name} is not a Key Vault reference"
        for output in used:
            value = kv_outputs[output]["value"]
            assert value.startswith("@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/"), output
            assert value.endswith("/)"), f"{output}: versionless, so a rotated secret is picked up"


def test_key_vault_is_rbac_only_recoverable_and_every_secret_has_a_content_type(bicep_trees: Trees) -> None:
    tree = bicep_trees["infra/modules/keyvault.bicep"]
    props = _one(tree, "Microsoft.KeyVault/vaults")["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enableSoftDelete"] is True
    assert props["enablePurgeProtection"] is True
    secrets = resources(tree, "Microsoft.KeyVault/vaults/secrets")
    assert len(secrets) >= 4
    for name, secret in secrets.items():
        assert config(secret)["properties"]["contentType"] == "text/plain", name


def test_secure_parameters_never_reach_an_output(bicep_trees: Trees) -> None:
    for path, tree in bicep_trees.items():
        secure = [name for name, p in tree.get("parameters", {}).items() if is_secure(p)]
        for output_name, output in tree.get("outputs", {}).items():
            for name in secure:
                assert not mentions(output["value"], name), f"{path}: output {output_name} uses @secure() {name}"
            listing = [s for s in strings(output["value"]) if re.fullmatch(r"list[A-Z]\w*", s)]
            assert not listing, f"{path}: output {output_name} calls {listing}: keys and secrets never go out"


def test_secure_parameters_are_passed_only_to_secure_module_parameters(bicep_trees: Trees) -> None:
    checked = 0
    for path, tree in bicep_trees.items():
        secure = [name for name, p in tree.get("parameters", {}).items() if is_secure(p)]
        for symbol, module in tree.get("modules", {}).items():
            target = bicep_trees[_module_file(path, module)]
            for arg, value in config(module)["params"].items():
                for name in secure:
                    if mentions(without_emptiness_tests(value), name):
                        checked += 1
                        assert is_secure(target["parameters"][arg]), (
                            f"{path}: module {symbol} gets @secure() {name} in non-secure parameter {arg}"
                        )
    assert checked >= 2


def test_secure_parameters_have_no_literal_default_and_stay_out_of_app_settings(main_tree: dict[str, Any]) -> None:
    secure = {name: p for name, p in main_tree["parameters"].items() if is_secure(p)}
    assert {"twilioAuthToken", "twilioApiKeySecret", "tokenBackendKey"} <= set(secure)
    assert not has_default(secure["twilioAuthToken"]), "the auth token is required: azd prompts for it"
    for name, parameter in secure.items():
        assert parameter["default"] in (None, ""), f"{name}: a secret has no default value"
    settings = without_emptiness_tests(_app_settings(main_tree))
    for name in secure:
        assert not mentions(settings, name), f"{name} would be readable in the app's configuration"


# Identity and roles.

def test_the_app_identity_gets_exactly_the_data_roles_it_needs(bicep_trees: Trees) -> None:
    tree = bicep_trees["infra/modules/rbac.bicep"]
    roles = tree["variables"]["roles"]["value"]
    assert roles == {
        "storageBlobDataOwner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        "storageBlobDelegator": "db58b8e5-c6ad-4a2a-8342-4190687cbf4a",  # user delegation SAS for attachments
        "storageQueueDataContributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
        "storageTableDataContributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
        "monitoringMetricsPublisher": "3913510d-42f4-4e42-8a64-420c390055eb",
        "keyVaultSecretsUser": "4633458b-17de-408a-b874-0445c86b69e6",
        "storageBlobDataContributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    }
    assignments = {name: config(r) for name, r in resources(tree, "Microsoft.Authorization/roleAssignments").items()}
    to_app = {n: a for n, a in assignments.items() if a["properties"]["principalId"] == "managedIdentityPrincipalId"}
    assert {a["scope"] for a in to_app.values()} == {"storage", "vault", "applicationInsights"}
    assert all(a["properties"]["principalType"] == "ServicePrincipal" for a in to_app.values())
    to_topic = [a for a in assignments.values() if a["properties"]["principalId"] == "eventGridTopicPrincipalId"]
    assert len(to_topic) == 1, "the system topic writes dead letters with its own identity"
    assert to_topic[0]["scope"] == "storage"
    assert "storageBlobDataContributor" in json.dumps(to_topic[0]["properties"]["roleDefinitionId"])


# ACS and Event Grid.

def test_acs_and_its_event_grid_system_topic(bicep_trees: Trees) -> None:
    tree = bicep_trees["infra/modules/communication.bicep"]
    acs = _one(tree, "Microsoft.Communication/communicationServices")
    assert acs["location"] == "global"
    assert acs["properties"]["dataLocation"] == "dataLocation"
    topic = _one(tree, "Microsoft.EventGrid/systemTopics")
    assert topic["location"] == "global"
    assert topic["properties"]["topicType"] == "Microsoft.Communication.CommunicationServices"
    assert topic["properties"]["source"] == {
        "operator": {"type": "property_accessor", "operands": {"operand_1": "communication", "operand_2": "id"}}
    }
    assert not resources(tree, "Microsoft.EventGrid/systemTopics/eventSubscriptions"), (
        "the subscription is made by the postdeploy hook, once the function exists"
    )


# What a compiler would check across files.

def test_modules_exist_and_get_exactly_their_parameters(bicep_trees: Trees) -> None:
    for path, tree in bicep_trees.items():
        for symbol, module in tree.get("modules", {}).items():
            target_path = _module_file(path, module)
            assert target_path in bicep_trees, f"{path}: module {symbol} points at missing {target_path}"
            params = bicep_trees[target_path].get("parameters", {})
            given = set(config(module)["params"])
            assert given <= set(params), f"{path}: module {symbol} passes unknown {sorted(given - set(params))}"
            required = {name for name, p in params.items() if not has_default(p)}
            assert required <= given, f"{path}: module {symbol} misses required {sorted(required - given)}"


def test_module_outputs_used_by_main_exist(bicep_trees: Trees, main_tree: dict[str, Any]) -> None:
    modules = main_tree["modules"]
    outputs = {s: set(bicep_trees[_module_file("infra/main.bicep", m)].get("outputs", {})) for s, m in modules.items()}
    used: set[tuple[str, str]] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            op = node.get("operator", {})
            first = op.get("operands", {}).get("operand_1") if isinstance(op, dict) else None
            if op.get("type") == "property_accessor" and isinstance(first, str) and first in modules:
                inner = op["operands"]["operand_2"]
                if (
                    isinstance(inner, dict)
                    and inner.get("operator", {}).get("type") == "property_accessor"
                    and inner["operator"]["operands"]["operand_1"] == "outputs"
                ):
                    used.add((first, inner["operator"]["operands"]["operand_2"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            for module, output in re.findall(r"\b(\w+)\.outputs\.(\w+)", node):
                used.add((module, output))

    walk(main_tree)
    assert len(used) > 15
    missing = sorted((m, o) for m, o in used if m not in outputs or o not in outputs[m])
    assert not missing, f"main.bicep uses module outputs that do not exist: {missing}"


def test_parameters_file_maps_exactly_main_bicep_parameters(main_tree: dict[str, Any]) -> None:
    mapped = json.loads((INFRA_DIR / "main.parameters.json").read_text())["parameters"]
    params = main_tree["parameters"]
    assert set(mapped) <= set(params), f"unknown parameters: {sorted(set(mapped) - set(params))}"
    required = {name for name, p in params.items() if not has_default(p)}
    assert required <= set(mapped), f"required parameters azd cannot fill: {sorted(required - set(mapped))}"
    for name, entry in mapped.items():
        assert re.fullmatch(r"\$\{[A-Z_]+(=[^}]*)?\}", entry["value"]), f"{name}: map it from an azd env variable"


@pytest.mark.parametrize("name", ["AZURE_RESOURCE_GROUP", "AZURE_FUNCTION_APP_NAME", "EVENTGRID_SYSTEM_TOPIC_NAME"])
def test_main_outputs_what_the_postdeploy_hook_reads(main_tree: dict[str, Any], name: str) -> None:
    assert name in main_tree["outputs"]
    for hook in ("postdeploy.sh", "postdeploy.ps1"):
        assert name in (INFRA_DIR / "hooks" / hook).read_text()


UNIQUE_STRING_LENGTH = 13  # uniqueString() always returns 13 characters


def _length_limits(parameter: dict[str, Any]) -> tuple[int, int]:
    limits = {d["type"]: d.get("argument") for d in parameter.get("decorators", [])}
    return int(limits.get("min_length") or 0), int(limits.get("max_length") or 10**6)


def test_generated_resource_names_fit_their_limits(bicep_trees: Trees, main_tree: dict[str, Any]) -> None:
    token = main_tree["variables"]["resourceToken"]["value"]
    assert "unique_string" in json.dumps(token), "resource names derive from uniqueString()"
    checked = []
    for symbol, module in main_tree["modules"].items():
        target = bicep_trees[_module_file("infra/main.bicep", module)]["parameters"]
        for arg, value in config(module)["params"].items():
            match = re.fullmatch(r"([a-z0-9-]*)\$\{resourceToken\}", value) if isinstance(value, str) else None
            if match is None:
                continue
            low, high = _length_limits(target[arg])
            length = len(match.group(1)) + UNIQUE_STRING_LENGTH
            assert low <= length <= high, f"module {symbol}: {arg} is {length} characters, allowed {low}-{high}"
            checked.append(f"{symbol}.{arg}")
    assert len(checked) >= 8, checked
    storage_name = config(main_tree["modules"]["storage"])["params"]["name"]
    assert re.fullmatch(r"[a-z0-9]+\$\{resourceToken\}", storage_name), "storage names are lowercase letters and digits"
    deployment = main_tree["variables"]["deploymentContainerName"]["value"]
    assert len(deployment.replace("${resourceToken}", "x" * UNIQUE_STRING_LENGTH)) <= 63
