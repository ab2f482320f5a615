"""Python files of one scan as importable modules: dotted names, relative imports, exports between files.

A module is analysed once, on first import (an import cycle sees the names bound so far); its exports are
its module-level bindings. ``src/`` layouts resolve both with and without the ``src`` prefix.
"""

from __future__ import annotations

import ast
import posixpath
from dataclasses import dataclass, field

from .model import Finding, Note
from .rules import RuleBook, SymbolModel


def module_names(rel: str) -> list[str]:
    parts = rel.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    names = [".".join(parts)] if parts else []
    if len(parts) > 1 and parts[0] == "src":
        names.append(".".join(parts[1:]))
    return names


@dataclass
class PyResult:
    exports: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


class PyProject:
    """All Python sources of a scan (relative path -> bytes), analysed on demand."""

    def __init__(self, sources: dict[str, bytes], *, model: SymbolModel, book: RuleBook) -> None:
        self.sources = sources
        self.model = model
        self.book = book
        self.modules: dict[str, str] = {}
        for rel in sorted(sources):
            for name in module_names(rel):
                self.modules.setdefault(name, rel)
        self.results: dict[str, PyResult] = {}

    def analyze(self, rel: str) -> PyResult:
        result = self.results.get(rel)
        if result is not None:
            return result
        from .python import PyFile

        result = self.results[rel] = PyResult()  # an import cycle sees this partial result
        try:
            tree = ast.parse(self.sources[rel], filename=rel)
        except SyntaxError as exc:
            result.notes.append(Note(rel, f"not valid Python 3 (line {exc.lineno}: {exc.msg}); skipped"))
            return result
        except (ValueError, RecursionError) as exc:
            result.notes.append(Note(rel, f"could not be parsed as Python ({type(exc).__name__}); skipped"))
            return result
        analyser = PyFile(rel, self.sources[rel], tree, model=self.model, book=self.book, project=self)
        analyser.run()
        result.exports.update(analyser.scopes.get(id(tree), {}))
        result.findings = list(analyser.tracker.findings.values())
        return result

    def resolve(self, module: str, level: int, from_rel: str) -> str | None:
        """The dotted name an import refers to, if that module is one of the scanned files."""
        if level == 0:
            name = module
        else:
            package = [p for p in posixpath.dirname(from_rel).split("/") if p]
            if level - 1 > len(package):
                return None
            package = package[:len(package) - (level - 1)]
            if package and package[0] == "src" and ".".join(package) not in self.modules:
                package = package[1:]
            name = ".".join([*package, *([module] if module else [])])
        return name if name in self.modules else None

    def exports_of(self, name: str) -> dict[str, str]:
        rel = self.modules.get(name)
        return self.analyze(rel).exports if rel is not None else {}

    def member(self, name: str, attr: str) -> str:
        """``module.attr`` for a scanned module: an exported name, or a submodule (``pyns:<name>``)."""
        found = self.exports_of(name).get(attr, "")
        if found:
            return found
        return f"pyns:{name}.{attr}" if f"{name}.{attr}" in self.modules else ""
