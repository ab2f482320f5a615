"""The cutover's alert rules and workbook (infra/modules/alerts.bicep): wired into main.bicep, the four alerts
the runbook names, and every metric they query is one the app emits (shared/telemetry.py), so a renamed
instrument cannot silently blind an alert."""

from __future__ import annotations

import re
from typing import Any

from tests.infra.bicep import INFRA_DIR, mentions, strings

Trees = dict[str, dict[str, Any]]
ALERTS = INFRA_DIR / "modules" / "alerts.bicep"
TELEMETRY = INFRA_DIR.parent / "shared" / "telemetry.py"


def emitted_names() -> set[str]:
    return set(re.findall(r'_(?:counter|histogram)\(\s*"([a-z_.]+)"', TELEMETRY.read_text()))


def queried_names() -> set[str]:
    text = ALERTS.read_text()
    names = set(re.findall(r'name == \\?"([a-z_.]+)\\?"', text))
    for group in re.findall(r'name in \(([^)]*)\)', text):
        names.update(re.findall(r'"([a-z_.]+)"', group))
    return names


def test_every_queried_metric_is_one_the_app_emits() -> None:
    emitted, queried = emitted_names(), queried_names()
    assert len(emitted) == 10
    assert queried, "no metric names found in alerts.bicep"
    assert queried <= emitted, f"queried but never emitted: {sorted(queried - emitted)}"
    assert emitted <= queried, f"emitted but on no alert or workbook panel: {sorted(emitted - queried)}"


def test_the_four_cutover_alerts_exist_with_their_conditions(bicep_trees: Trees) -> None:
    tree = bicep_trees["infra/modules/alerts.bicep"]
    rules = {r["name"]: r for r in tree["variables"]["rules"]["value"]}
    assert set(rules) == {"dead-letters", "run-failed", "throttled", "nightly-missing"}
    assert (rules["dead-letters"]["operator"], rules["dead-letters"]["threshold"]) == ("GreaterThan", 0)
    assert "migration.run.status" in rules["run-failed"]["query"]
    assert '"failed"' in rules["run-failed"]["query"]
    assert rules["throttled"]["threshold"] == "throttleThreshold"
    assert (rules["nightly-missing"]["operator"], rules["nightly-missing"]["window"]) == ("LessThan", "P1D")
    assert set(tree["resources"]) >= {"alerts", "workbook", "actionGroup"}


def test_main_deploys_the_alerts_against_application_insights(main_tree: dict[str, Any]) -> None:
    module = main_tree["modules"]["alerts"]
    assert module["detail"]["path"] == "modules/alerts.bicep"
    params = module["config"]["params"]
    assert {"monitoring", "outputs", "applicationInsightsId"} <= set(strings(params["applicationInsightsId"]))
    assert mentions(params["alertEmail"], "alertEmail")
    assert main_tree["parameters"]["alertEmail"]["default"] == ""
