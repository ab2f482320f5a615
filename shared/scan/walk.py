"""Which files a scan reads: a walk that skips dependency and build folders, follows symlinks without
looping, and turns every file it cannot use (too large, binary, minified, unreadable) into a note."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .jsproject import CONFIG_NAMES, JS_SUFFIXES
from .manifests_native import is_native_manifest
from .model import Note

SKIPPED_DIRS = {
    "node_modules": "dependency folder", "bower_components": "dependency folder", "jspm_packages": "dependency folder",
    "vendor": "vendored code", "vendors": "vendored code", "third_party": "vendored code",
    "third-party": "vendored code", "Pods": "vendored code", "site-packages": "dependency folder",
    "dist": "build output", "build": "build output", "out": "build output", ".next": "build output",
    ".nuxt": "build output", ".svelte-kit": "build output", "coverage": "build output", "__pycache__": "build output",
    ".git": "version control", ".hg": "version control", ".svn": "version control", ".venv": "virtual environment",
    "venv": "virtual environment", ".tox": "tool cache", ".mypy_cache": "tool cache", ".pytest_cache": "tool cache",
    ".ruff_cache": "tool cache", ".cache": "tool cache", ".yarn": "dependency folder",
    ".pnpm-store": "dependency folder",
}
DEFAULT_MAX_BYTES = 2_000_000
Kind = Literal["js", "python", "manifest", "config", "html"]


@dataclass(frozen=True, slots=True)
class WalkOptions:
    include_vendored: bool = False
    excludes: tuple[str, ...] = ()
    max_file_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True, slots=True)
class SourceFile:
    rel: str
    kind: Kind
    data: bytes


def kind_of(name: str) -> Kind | None:
    if name.endswith(JS_SUFFIXES) and not name.endswith((".min.js", ".d.ts")):
        return "js"
    if name.endswith(".py"):
        return "python"
    if name.endswith((".html", ".htm")):
        return "html"
    if name in ("package.json", "pyproject.toml") or (name.startswith("requirements") and name.endswith(".txt")):
        return "manifest"
    if is_native_manifest(name):
        return "manifest"
    if name in CONFIG_NAMES:
        return "config"
    return None


def _looks_minified(data: bytes) -> bool:
    return len(data) > 20_000 and data.count(b"\n") * 1_000 < len(data)


def read_source(path: Path, rel: str, kind: Kind, options: WalkOptions) -> SourceFile | Note:
    try:
        size = path.stat().st_size
        if size > options.max_file_bytes:
            return Note(rel, f"{size} bytes, over the {options.max_file_bytes}-byte limit (--max-file-bytes); skipped")
        with path.open("rb") as handle:
            data = handle.read(options.max_file_bytes + 1)
    except OSError as exc:
        return Note(rel, f"could not be read ({exc.strerror or type(exc).__name__}); skipped")
    if len(data) > options.max_file_bytes:
        return Note(rel, f"grew past the {options.max_file_bytes}-byte limit while read; skipped")
    if b"\0" in data[:8192]:
        return Note(rel, "binary content; skipped")
    if kind == "js" and _looks_minified(data):
        return Note(rel, "minified (very long lines); skipped")
    return SourceFile(rel, kind, data)


def discover(root: Path, options: WalkOptions) -> tuple[list[SourceFile], list[Note]]:
    """Every file the scan should read under ``root`` (a folder or one file), and notes on the rest."""
    files: list[SourceFile] = []
    notes: list[Note] = []
    if root.is_file():
        kind = kind_of(root.name)
        if kind is None:
            notes.append(Note(root.name, "not a JavaScript, TypeScript, Python or manifest file; nothing to scan"))
        else:
            item = read_source(root, root.name, kind, options)
            (files if isinstance(item, SourceFile) else notes).append(item)  # type: ignore[arg-type]
        return files, notes
    for path, rel in _walk(root, options, notes):
        kind = kind_of(path.name)
        if kind is None:
            continue
        if path.is_symlink() and not path.exists():
            notes.append(Note(rel, "broken symbolic link; skipped"))
            continue
        item = read_source(path, rel, kind, options)
        if isinstance(item, SourceFile):
            files.append(item)
        else:
            notes.append(item)
    return files, notes


def _walk(root: Path, options: WalkOptions, notes: list[Note]) -> Iterator[tuple[Path, str]]:
    seen: set[str] = set()
    stack = [root]
    while stack:
        directory = stack.pop()
        rel_dir = directory.relative_to(root).as_posix() if directory != root else ""
        real = os.path.realpath(directory)
        if real in seen:
            notes.append(Note(rel_dir, "symbolic link loop or a folder reached twice; skipped"))
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            notes.append(Note(rel_dir or ".", f"folder could not be listed ({exc.strerror}); skipped"))
            continue
        subfolders = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(entry.name, p) for p in options.excludes):
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False
            if is_dir:
                reason = SKIPPED_DIRS.get(entry.name)
                if reason is None and (Path(entry.path) / "pyvenv.cfg").exists():
                    reason = "virtual environment"
                if reason and not options.include_vendored:
                    notes.append(Note(rel, f"{reason}; skipped by default (--include-vendored scans it)"))
                    continue
                subfolders.append(Path(entry.path))
            else:
                yield Path(entry.path), rel
        stack.extend(reversed(subfolders))
