"""Dependency manifests: package.json, requirements*.txt and pyproject.toml (and, through manifests_native,
Gradle, Maven, CocoaPods and NuGet), read as data."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from .flow import Tracker
from .manifests_native import is_native_manifest, scan_native_manifest

NPM_SECTIONS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def scan_manifest(tracker: Tracker, name: str, text: str) -> str | None:
    """Records a finding per Twilio dependency; returns a note when the manifest cannot be read."""
    if name == "package.json":
        return _package_json(tracker, text)
    if name == "pyproject.toml":
        return _pyproject(tracker, text)
    if is_native_manifest(name):
        scan_native_manifest(tracker, name, text)
        return None
    _requirements(tracker, text)
    return None


def _package_json(tracker: Tracker, text: str) -> str | None:
    try:
        data: Any = json.loads(text)
    except ValueError as exc:
        return f"package.json is not valid JSON ({exc}); dependencies not read"
    if not isinstance(data, dict):
        return "package.json does not hold an object; dependencies not read"
    for section in NPM_SECTIONS:
        deps = data.get(section)
        if not isinstance(deps, dict):
            continue
        start = max(text.find(json.dumps(section)), 0)
        for package, version in deps.items():
            match = re.compile(re.escape(json.dumps(package)) + r"\s*:").search(text, start)
            offset = match.start() if match else start
            tracker.record_key(f"npm:{package}", _position(text, offset), f"{section}: {package} {version}")
    return None


def _requirements(tracker: Tracker, text: str) -> None:
    offset = 0
    for raw in text.splitlines(keepends=True):
        line = raw.split(" #", 1)[0].split("\t#", 1)[0]
        match = None if line.lstrip().startswith(("#", "-")) else _REQUIREMENT.match(line)
        if match:
            tracker.record_key(f"pypi:{normalise(match.group(1))}", _position(text, offset + match.start(1)),
                               line.strip())
        offset += len(raw)


def _pyproject(tracker: Tracker, text: str) -> str | None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return f"pyproject.toml is not valid TOML ({exc}); dependencies not read"
    requirements: list[str] = []
    project = data.get("project", {})
    requirements += [r for r in project.get("dependencies", []) if isinstance(r, str)]
    for group in (project.get("optional-dependencies") or {}).values():
        requirements += [r for r in group if isinstance(r, str)]
    for group in (data.get("dependency-groups") or {}).values():
        requirements += [r for r in group if isinstance(r, str)]
    poetry = data.get("tool", {}).get("poetry", {})
    names = list((poetry.get("dependencies") or {}).keys())
    for group in (poetry.get("group") or {}).values():
        names += list((group.get("dependencies") or {}).keys())
    for requirement in requirements:
        match = _REQUIREMENT.match(requirement)
        if match:
            offset = text.find(requirement)
            tracker.record_key(f"pypi:{normalise(match.group(1))}", _position(text, max(offset, 0)), requirement)
    for name in names:
        found = re.search(rf"(?m)^[ \t]*([\"']?{re.escape(name)}[\"']?)[ \t]*=", text)
        offset = found.start(1) if found else 0
        tracker.record_key(f"pypi:{normalise(name)}", _position(text, offset), f"poetry: {name}")
    return None
