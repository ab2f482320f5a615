"""checkov over infra/ (Bicep, offline): it must parse everything, and fail only what is allow-listed.

checkov exits 0 on files it could not parse and its pycep-parser 0.5.1 skips modern Bicep
silently, so the gate is the JSON summary, not the exit code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.infra.bicep import INFRA_DIR, run_checkov

ALLOWLIST = INFRA_DIR / "checkov-allowlist.json"
Finding = tuple[str, str, str]  # check id, file relative to infra/, resource


def _allowed() -> dict[Finding, str]:
    entries = json.loads(ALLOWLIST.read_text())["allowed"]
    return {(e["check"], e["file"], e["resource"]): e["reason"] for e in entries}


def _failures(report: dict[str, Any]) -> set[Finding]:
    return {
        (c["check_id"], c["file_path"].lstrip("/"), c["resource"])
        for c in report["results"]["failed_checks"]
    }


def test_checkov_parses_every_file_and_scans_resources(
    checkov_report: tuple[int, dict[str, Any]], bicep_trees: dict[str, dict[str, Any]]
) -> None:
    _, report = checkov_report
    summary = report["summary"]
    assert summary["parsing_errors"] == 0, f"checkov could not parse: {report['results'].get('parsing_errors')}"
    declared = sum(
        1 for tree in bicep_trees.values() for r in tree.get("resources", {}).values() if not r["existing"]
    )
    assert summary["resource_count"] >= declared > 0, (summary["resource_count"], declared)
    scanned = {c["file_path"].lstrip("/") for c in report["results"]["passed_checks"]} | {
        f for _, f, _ in _failures(report)
    }
    for path in ("main.bicep", "modules/storage.bicep", "modules/keyvault.bicep", "modules/functionapp.bicep"):
        assert path in scanned, f"checkov ran no check on infra/{path}"


def test_every_failed_check_is_allow_listed_with_a_reason(checkov_report: tuple[int, dict[str, Any]]) -> None:
    _, report = checkov_report
    allowed = _allowed()
    unexpected = sorted(_failures(report) - set(allowed))
    details = {
        (c["check_id"], c["file_path"].lstrip("/"), c["resource"]): c["check_name"]
        for c in report["results"]["failed_checks"]
    }
    assert not unexpected, "checkov failures not in infra/checkov-allowlist.json:\n" + "\n".join(
        f"  {check} {resource} ({file}): {details[(check, file, resource)]}" for check, file, resource in unexpected
    )
    for finding, reason in allowed.items():
        assert len(reason.split()) >= 8, f"{finding} needs a real reason"


def test_allow_list_has_no_stale_entries(checkov_report: tuple[int, dict[str, Any]]) -> None:
    _, report = checkov_report
    stale = sorted(set(_allowed()) - _failures(report))
    assert not stale, f"allow-list entries that checkov no longer reports (remove them): {stale}"


def test_secure_parameters_have_no_hardcoded_default(checkov_report: tuple[int, dict[str, Any]]) -> None:
    _, report = checkov_report
    passed = {(c["check_id"], c["resource"]) for c in report["results"]["passed_checks"]}
    for name in ("twilioAuthToken", "twilioApiKeySecret"):
        assert ("CKV_AZURE_131", f"string.{name}") in passed


def test_the_gate_sees_what_checkov_exit_code_hides(tmp_path: Path) -> None:
    """A file checkov cannot parse (modern syntax its pycep 0.5.1 lacks) gives exit 0 and no resources."""
    (tmp_path / "modern.bicep").write_text(
        "@export()\ntype tagsT = {\n  owner: string\n}\n"
        "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n"
        "  name: 'stexample'\n  location: 'westeurope'\n  kind: 'StorageV2'\n"
        "  sku: {\n    name: 'Standard_LRS'\n  }\n}\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    code, report = run_checkov(tmp_path, home=str(home))
    assert code == 0
    assert report["summary"]["parsing_errors"] == 1
    assert report["summary"].get("resource_count", 0) == 0
