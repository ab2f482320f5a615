"""The terminal table: one rich table per file, then totals and notes."""

from __future__ import annotations

from itertools import groupby

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .effort import estimate
from .model import ScanReport


def print_table(report: ScanReport, console: Console) -> None:
    for path, items in groupby(report.findings, key=lambda f: f.path):
        table = Table(title=escape(path), title_justify="left", show_lines=False, expand=False)
        for column, style in (("line", "cyan"), ("Twilio", "bold"), ("ACS counterpart", ""), ("side", ""),
                              ("rule", "dim")):
            table.add_column(column, style=style, overflow="fold")
        for finding in items:
            rule = finding.rule
            acs = escape(rule.acs) if rule.has_counterpart else f"[red]none[/red]: {escape(rule.instead or '')}"
            if not rule.verified:
                acs += " [yellow](unverified)[/yellow]"
            if rule.replaced_by:
                acs += f"\n[green]replaced by {escape(rule.replaced_by)}[/green]"
            elif rule.app_support:
                acs += f"\n[green]this app helps: {escape(rule.app_support)}[/green]"
            table.add_row(f"{finding.line}:{finding.column}", escape(finding.symbol), acs, rule.side, rule.id)
        console.print(table)
    rows = [row for row in estimate(report.findings) if row.findings]
    summary = ", ".join(f"{row.area} {row.findings}" for row in rows) or "none"
    files = len({f.path for f in report.findings})
    console.print(f"{len(report.findings)} Twilio uses in {files} of {report.files_scanned} files read "
                  f"({summary}); {len(report.notes)} notes.")
    if report.notes:
        notes = Table(title="Notes", title_justify="left")
        notes.add_column("path", overflow="fold")
        notes.add_column("note", overflow="fold")
        for note in report.notes:
            notes.add_row(escape(note.path or "."), escape(note.reason))
        console.print(notes)
