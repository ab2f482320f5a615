"""What a real `azd up` on Flex Consumption needs and the stand-ins cannot show (issue 14):
no Flex-unsupported site property, a region with Flex and a storage redundancy it offers,
the deploying principal's type from azd, and parameters checked before anything is created.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.arm_eval import DeploymentFailed, Evaluator
from tests.infra.bicep import INFRA_DIR, config, resources

Trees = dict[str, dict[str, Any]]
UNSUPPORTED = json.loads((INFRA_DIR / "flex-unsupported.json").read_text())
VALID_SID = "AC" + "0123456789abcdef" * 2


def _set_paths(node: Any, prefix: str = "") -> set[str]:
    """Every dotted property path set in a resource body (through if/for wrappers)."""
    paths: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= _set_paths(value, path)
    return paths


def _flex_violations(trees: Trees) -> list[str]:
    found = []
    banned = {p["path"].lower() for p in UNSUPPORTED["properties"]}
    banned_types = {r["type"].lower() for r in UNSUPPORTED["resources"]}
    banned_settings = {s["name"] for s in UNSUPPORTED["app_settings"]}
    for path, tree in trees.items():
        for symbol, resource in tree.get("resources", {}).items():
            if resource["type"].lower() in banned_types:
                found.append(f"{path}: {symbol} is a {resource['type']}")
            if resource["type"].lower() != "microsoft.web/sites":
                continue
            props = config(resource).get("properties", {})
            found += [f"{path}: {symbol} sets {p}" for p in sorted(_set_paths(props)) if p.lower() in banned]
        settings = tree.get("variables", {}).get("appSettings", {}).get("value", {})
        found += [f"{path}: appSettings sets {name}" for name in sorted(set(settings) & banned_settings)]
    return found


def test_no_flex_unsupported_property_resource_or_setting_is_deployed(bicep_trees: Trees) -> None:
    assert _flex_violations(bicep_trees) == []


def test_the_unsupported_list_names_a_source_for_every_entry() -> None:
    sources = UNSUPPORTED["sources"]
    entries = UNSUPPORTED["properties"] + UNSUPPORTED["resources"] + UNSUPPORTED["app_settings"]
    assert len(entries) >= 20
    for entry in entries:
        assert entry["source"] in sources, entry
        assert isinstance(entry["verified"], bool), entry
        assert entry["why"], entry
    paths = {p["path"] for p in UNSUPPORTED["properties"]}
    assert {"siteConfig.ftpsState", "siteConfig.scmMinTlsVersion", "siteConfig.http20Enabled",
            "siteConfig.remoteDebuggingEnabled"} <= paths


def test_the_check_finds_what_issue_14_removed(bicep_trees: Trees) -> None:
    """The old template's site properties and publishing policies, put back, are each reported."""
    app_path = "infra/modules/functionapp.bicep"
    tree = json.loads(json.dumps(bicep_trees[app_path]))
    site = next(iter(resources(tree, "Microsoft.Web/sites").values()))
    config(site)["properties"]["siteConfig"] |= {
        "ftpsState": "Disabled", "scmMinTlsVersion": "1.2", "http20Enabled": True, "remoteDebuggingEnabled": False,
    }
    tree["resources"]["ftpPublishing"] = {
        "type": "Microsoft.Web/sites/basicPublishingCredentialsPolicies", "config": {"name": "ftp"},
    }
    found = _flex_violations({app_path: tree})
    assert len(found) == 5, found
    assert any("siteConfig.ftpsState" in f for f in found)


# Region and storage redundancy.

def _allowed(parameter: dict[str, Any]) -> list[str]:
    return next(d["argument"] for d in parameter["decorators"] if d["type"] == "allowed")


def test_location_is_one_of_the_flex_regions_and_azd_prompts_for_it(main_tree: dict[str, Any]) -> None:
    location = main_tree["parameters"]["location"]
    regions = _allowed(location)
    assert len(regions) >= 25
    assert len(set(regions)) == len(regions)
    assert {"westeurope", "eastus", "swedencentral", "westus", "ukwest"} <= set(regions)
    assert "eastus2euap" not in regions, "a canary region customers cannot deploy to"
    metadata = next(d["argument"] for d in location["decorators"] if d["type"] == "metadata")
    assert metadata == {"azd": {"type": "location"}}


def _storage_sku(main_tree: dict[str, Any], location: str, sku: str = "") -> str:
    value: str = Evaluator(main_tree, {"location": location, "storageSkuName": sku}).variable("storageSku")
    return value


def test_storage_redundancy_works_in_every_allowed_region(main_tree: dict[str, Any]) -> None:
    regions = _allowed(main_tree["parameters"]["location"])
    zonal = main_tree["variables"]["zoneRedundantRegions"]["value"]
    assert set(zonal) < set(regions), "zone list names only allowed regions, and not all of them"
    chosen = {region: _storage_sku(main_tree, region) for region in regions}
    assert {chosen[r] for r in regions} == {"Standard_ZRS", "Standard_LRS"}
    for region, sku in chosen.items():
        assert sku == ("Standard_ZRS" if region in zonal else "Standard_LRS"), region
    for no_zones in ("westus", "ukwest", "northcentralus", "australiasoutheast", "southindia", "westcentralus"):
        assert chosen[no_zones] == "Standard_LRS", f"{no_zones} has no availability zones: ZRS is refused there"
    assert _storage_sku(main_tree, "westus", "Standard_GRS") == "Standard_GRS", "an explicit SKU wins"
    assert config(main_tree["modules"]["storage"])["params"]["skuName"] == "storageSku"
    assert "" in _allowed(main_tree["parameters"]["storageSkuName"])


# The principal running azd.

def test_the_deploying_principal_s_type_comes_from_azd(bicep_trees: Trees, main_tree: dict[str, Any]) -> None:
    mapped = json.loads((INFRA_DIR / "main.parameters.json").read_text())["parameters"]
    assert mapped["principalType"]["value"] == "${AZURE_PRINCIPAL_TYPE=User}"
    assert set(_allowed(main_tree["parameters"]["principalType"])) == {"User", "ServicePrincipal", "Group"}
    assert config(main_tree["modules"]["rbac"])["params"]["userPrincipalType"] == "principalType"
    rbac = bicep_trees["infra/modules/rbac.bicep"]
    to_user = [
        config(r) for r in resources(rbac, "Microsoft.Authorization/roleAssignments").values()
        if config(r)["properties"]["principalId"] == "userPrincipalId"
    ]
    assert to_user
    assert all(a["properties"]["principalType"] == "userPrincipalType" for a in to_user)
    hard_coded = [
        name for name, r in resources(rbac, "Microsoft.Authorization/roleAssignments").items()
        if config(r)["properties"]["principalType"] == "User"
    ]
    assert hard_coded == []


# Parameter checks.

def _problems(main_tree: dict[str, Any], **params: str) -> list[str]:
    values = {"twilioAccountSid": VALID_SID, "environmentName": "dev", "location": "westeurope"} | params
    problems: list[str] = Evaluator(main_tree, values).variable("parameterProblems")
    return problems


def test_valid_parameters_pass(main_tree: dict[str, Any]) -> None:
    assert _problems(main_tree) == []
    assert _problems(main_tree, twilioApiKeySid="SK" + "a" * 32, twilioApiKeySecret="s",
                     tokenJwtIssuer="https://login.microsoftonline.com/t/v2.0", tokenJwtAudience="api://x",
                     tokenJwksUrl="https://login.microsoftonline.com/t/discovery/v2.0/keys",
                     tokenBackendKey="k" * 32, twilioWebhookUrl="https://chat.example.com/api/twilio/events",
                     publicBaseUrl="https://chat.example.com") == []
    evaluator = Evaluator(main_tree, {"twilioAccountSid": VALID_SID})
    assert evaluator.variable("parameterCheck") == "passed"


@pytest.mark.parametrize(("params", "named"), [
    ({"twilioAccountSid": "AC" + "0123456789ABCDEF" * 2}, "twilioAccountSid"),  # upper-case hex
    ({"twilioAccountSid": "SK" + "0" * 32}, "twilioAccountSid"),  # an API key SID pasted in
    ({"twilioAccountSid": "AC" + "0" * 31 + "g"}, "twilioAccountSid"),
    ({"twilioApiKeySid": "AC" + "0" * 32, "twilioApiKeySecret": "s"}, "twilioApiKeySid"),
    ({"twilioApiKeySid": "SK123", "twilioApiKeySecret": "s"}, "twilioApiKeySid"),
    ({"twilioApiKeySid": "SK" + "0" * 32}, "twilioApiKeySecret"),
    ({"tokenBackendKey": "short"}, "tokenBackendKey"),
    ({"tokenJwtIssuer": "https://issuer", "tokenJwtAudience": "api://x", "tokenJwksUrl": "http://keys"},
     "tokenJwksUrl"),
    ({"tokenJwtIssuer": "https://issuer"}, "tokenJwtIssuer, tokenJwtAudience and tokenJwksUrl"),
    ({"twilioWebhookUrl": "http://chat.example.com/api/twilio/events"}, "twilioWebhookUrl"),
    ({"publicBaseUrl": "http://chat.example.com"}, "publicBaseUrl"),
])
def test_a_typo_is_named_and_stops_the_deployment(
    main_tree: dict[str, Any], params: dict[str, str], named: str,
) -> None:
    problems = _problems(main_tree, **params)
    assert len(problems) == 1, problems
    assert problems[0].startswith(named), problems
    values = {"twilioAccountSid": VALID_SID} | params
    with pytest.raises(DeploymentFailed, match="Invalid parameters: " + problems[0].split(" (")[0]):
        Evaluator(main_tree, values).variable("parameterCheck")


def test_the_check_runs_before_anything_is_created(main_tree: dict[str, Any]) -> None:
    """The resource group (created first; everything else is in it) carries the check's result."""
    rg = config(main_tree["resources"]["rg"])
    assert "parameterCheck" in json.dumps(rg["tags"])
    sid = main_tree["parameters"]["twilioAccountSid"]
    limits = {d["type"]: d.get("argument") for d in sid["decorators"]}
    assert limits["min_length"] == 34
    assert limits["max_length"] == 34
    for digit in "0123456789abcdef":  # every lower-case hex digit is accepted in every position
        assert _problems(main_tree, twilioAccountSid="AC" + digit * 32) == [], digit
