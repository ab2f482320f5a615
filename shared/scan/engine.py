"""One scan: discover files, run the right front end on each, collect findings and notes."""

from __future__ import annotations

import posixpath
from pathlib import Path

from .flow import Tracker
from .html import scan_html
from .jsproject import JsProject
from .manifests import scan_manifest
from .model import Finding, Note, ScanReport
from .pymodules import PyProject
from .rules import load_rulebook, load_symbols
from .walk import WalkOptions, discover


def scan_path(root: Path, options: WalkOptions | None = None) -> ScanReport:
    """Scan a folder (or one file). Never imports or runs what it reads; a file it cannot handle is a note."""
    options = options or WalkOptions()
    book, model = load_rulebook(), load_symbols()
    report = ScanReport(root=str(root), rules=book.rules)
    files, notes = discover(root, options)
    report.notes.extend(notes)
    js_sources = {f.rel: f.data for f in files if f.kind == "js"}
    pages: dict[str, list[Finding]] = {}
    for page in (f for f in files if f.kind == "html"):
        tracker = Tracker(model, book, page.rel)
        inline = scan_html(tracker, page.data.decode("utf-8", "replace"))
        pages[page.rel] = list(tracker.findings.values())
        if inline is not None:
            js_sources[page.rel] = inline.encode("utf-8")  # analysed like a script, at the page's positions
    configs = {f.rel: f.data.decode("utf-8", "replace") for f in files if f.kind == "config"}
    project = JsProject(js_sources, configs, model=model, book=book) if js_sources else None
    python = PyProject({f.rel: f.data for f in files if f.kind == "python"}, model=model, book=book)
    for source in files:
        if source.kind == "config":
            continue
        try:
            findings, file_notes = _scan_one(source.rel, source.kind, source.data, project, python)
            findings = pages.get(source.rel, []) + findings
        except RecursionError:
            findings, file_notes = [], [Note(source.rel, "nested too deeply to analyse; skipped")]
        except Exception as exc:  # a scanner bug must cost one file, not the scan  # noqa: BLE001
            findings, file_notes = [], [Note(source.rel, f"internal scanner error ({type(exc).__name__}: {exc}); "
                                                         "skipped")]
        report.findings.extend(findings)
        report.notes.extend(file_notes)
        report.files_scanned += 1
    report.sort()
    return report


def _scan_one(rel: str, kind: str, data: bytes, project: JsProject | None,
              python: PyProject) -> tuple[list[Finding], list[Note]]:
    book, model = load_rulebook(), load_symbols()
    if kind in ("js", "html"):
        if project is None or rel not in project.sources:
            return [], []
        result = project.analyze(rel)
        return result.findings, result.notes
    if kind == "python":
        module = python.analyze(rel)
        return module.findings, module.notes
    tracker = Tracker(model, book, rel)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Note(rel, "not UTF-8 text; dependencies not read")]
    problem = scan_manifest(tracker, posixpath.basename(rel), text)
    return list(tracker.findings.values()), [Note(rel, problem)] if problem else []
