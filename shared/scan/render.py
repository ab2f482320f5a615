"""Report formats: JSON, SARIF 2.1.0 and the Markdown planning summary (the rich table is in table.py)."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .effort import ASSUMPTIONS, HOURS_PER_DAY, estimate
from .model import Rule, ScanReport

TOOL_NAME = "acs-migrate scan"
TOOL_VERSION = "0.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def acs_text(rule: Rule) -> str:
    text = f"no ACS counterpart; instead: {rule.instead}" if not rule.has_counterpart else rule.acs
    return text + ("" if rule.verified else " (unverified)")


def to_json(report: ScanReport) -> dict[str, Any]:
    areas = {row.area: row.findings for row in estimate(report.findings)}
    return {"tool": TOOL_NAME, "version": TOOL_VERSION, "root": report.root, "filesScanned": report.files_scanned,
            "findingsByArea": areas, "findings": [f.to_dict() for f in report.findings],
            "notes": [n.to_dict() for n in report.notes]}


def _rule_help(rule: Rule) -> tuple[str, str]:
    lines = [f"Twilio: {rule.twilio}", f"ACS: {acs_text(rule)}", f"What differs: {rule.differs}",
             f"Work: {rule.side} side, area {rule.area}, size {rule.effort}."]
    if rule.replaced_by:
        lines.append(f"Server side this app replaces: {rule.replaced_by}.")
    if rule.app_support:
        lines.append(f"This app helps: {rule.app_support}.")
    markdown = "\n".join(f"- **{line.split(': ', 1)[0]}**: {line.split(': ', 1)[1]}" if ": " in line else f"- {line}"
                         for line in lines)
    return "\n".join(lines), markdown


def to_sarif(report: ScanReport) -> dict[str, Any]:
    """SARIF 2.1.0: one reporting descriptor per rule, one result per finding, notes as notifications."""
    index = {rule.id: i for i, rule in enumerate(report.rules)}
    rules = []
    for rule in report.rules:
        text, markdown = _rule_help(rule)
        rules.append({
            "id": rule.id, "name": rule.id.replace("-", ""),
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": f"{rule.twilio} -> {acs_text(rule)}"},
            "help": {"text": text, "markdown": markdown},
            "defaultConfiguration": {"level": "note" if rule.has_counterpart else "warning"},
            "properties": {"area": rule.area, "side": rule.side, "verified": rule.verified, "effort": rule.effort,
                           "tags": [rule.area, rule.side, "twilio-migration"]},
        })
    results = []
    for finding in report.findings:
        rule = finding.rule
        results.append({
            "ruleId": rule.id, "ruleIndex": index[rule.id],
            "level": "note" if rule.has_counterpart else "warning",
            "message": {"text": f"{finding.symbol} -> {acs_text(rule)}. {rule.differs}"},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": quote(finding.path), "uriBaseId": "SRCROOT"},
                "region": {"startLine": finding.line, "startColumn": finding.column}}}],
            "properties": {"side": rule.side, "area": rule.area, "symbol": finding.symbol},
        })
    notifications = [{"level": "note", "message": {"text": note.reason}, "locations": [{"physicalLocation": {
        "artifactLocation": {"uri": quote(note.path or "."), "uriBaseId": "SRCROOT"}}}]} for note in report.notes]
    root = Path(report.root).resolve()
    base = (root if root.is_dir() else root.parent).as_uri().rstrip("/") + "/"
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": TOOL_NAME, "version": TOOL_VERSION, "rules": rules}},
        "originalUriBaseIds": {"SRCROOT": {"uri": base}},
        "columnKind": "unicodeCodePoints",
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        "results": results}]}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: ScanReport) -> str:
    """A summary a team lead can paste into a planning ticket."""
    findings = report.findings
    rows = estimate(findings)
    files = len({f.path for f in findings})
    out = ["# Twilio to Azure Communication Services: work list", "",
           f"Scanned `{report.root}`: {report.files_scanned} files read, {len(findings)} Twilio uses in {files} files, "
           f"{len(report.notes)} notes.", "",
           "| Area | Uses | Client | Server | No ACS counterpart | Unverified mapping | Done by this app | Estimate |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        out.append(f"| {row.area} | {row.findings} | {row.client} | {row.server} | {row.no_counterpart} | "
                   f"{row.unverified} | {row.replaced_by_app} | {row.hours:g} h ({row.hours / HOURS_PER_DAY:.1f} d) |")
    total = sum(r.hours for r in rows)
    out.append(f"| **total** | **{len(findings)}** | {sum(r.client for r in rows)} | {sum(r.server for r in rows)} | "
               f"{sum(r.no_counterpart for r in rows)} | {sum(r.unverified for r in rows)} | "
               f"{sum(r.replaced_by_app for r in rows)} | **{total:g} h ({total / HOURS_PER_DAY:.1f} d)** |")
    replaced: dict[str, Counter[str]] = defaultdict(Counter)
    for finding in findings:
        if finding.rule.replaced_by:
            replaced[finding.rule.replaced_by][finding.rule.title] += 1
    if replaced:
        out += ["", "## Server side this app replaces", "",
                "| Replaced by | Twilio code found | Uses |", "|---|---|---:|"]
        for target, titles in sorted(replaced.items()):
            out.append(f"| {_cell(target)} | {_cell('; '.join(sorted(titles)))} | {sum(titles.values())} |")
    counts = Counter(f.rule.id for f in findings)
    by_id = {f.rule.id: f.rule for f in findings}
    missing = [by_id[i] for i in sorted(counts) if not by_id[i].has_counterpart]
    if missing:
        out += ["", "## No ACS counterpart", "",
                "| Rule | Twilio | Uses | What teams do instead |", "|---|---|---:|---|"]
        out += [f"| {r.id} | {_cell(r.title)} | {counts[r.id]} | {_cell(r.instead or '-')} |" for r in missing]
    if counts:
        out += ["", "## Rules found", "", "| Rule | Area | Side | Twilio | ACS | Uses |", "|---|---|---|---|---|---:|"]
        for rule_id, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            rule = by_id[rule_id]
            out.append(f"| {rule.id} | {rule.area} | {rule.side} | {_cell(rule.title)} | "
                       f"{_cell(acs_text(rule))} | {count} |")
    out += ["", "## How the estimate is made", ""] + [f"- {line}" for line in ASSUMPTIONS]
    if report.notes:
        out += ["", f"## Notes ({len(report.notes)})", ""] + [f"- `{n.path}`: {n.reason}" for n in report.notes[:50]]
        if len(report.notes) > 50:
            out.append(f"- … and {len(report.notes) - 50} more (see the JSON output)")
    return "\n".join(out) + "\n"
