"""JavaScript/TypeScript files of one scan as a project: parsers, module resolution and exports between files.

Relative imports and ``tsconfig.json``/``jsconfig.json`` ``paths`` aliases resolve only to files inside the
scan; a module is analysed once, on first import (an import cycle sees the exports known so far).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from tree_sitter import Language, Parser

from .model import Finding, Note
from .rules import RuleBook, SymbolModel

JS_SUFFIXES = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts")
_RESOLVE_SUFFIXES = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
CONFIG_NAMES = ("tsconfig.json", "jsconfig.json")


def _languages() -> dict[str, Language]:
    import tree_sitter_javascript
    import tree_sitter_typescript

    return {"js": Language(tree_sitter_javascript.language()),
            "ts": Language(tree_sitter_typescript.language_typescript()),
            "tsx": Language(tree_sitter_typescript.language_tsx())}


def grammar_for(path: str) -> str:
    if path.endswith((".ts", ".mts", ".cts")):
        return "ts"
    return "tsx" if path.endswith(".tsx") else "js"


def strip_jsonc(text: str) -> str:
    """JSON with comments and trailing commas (as tsconfig allows) -> JSON."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else n
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(ch)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


@dataclass
class PathAliases:
    """``compilerOptions.baseUrl`` and ``paths`` of one config, relative to the scan root."""

    directory: str
    base_url: str
    paths: list[tuple[str, list[str]]]

    def candidates(self, spec: str) -> list[str]:
        found: list[str] = []
        for pattern, targets in self.paths:
            prefix, star, suffix = pattern.partition("*")
            if star and spec.startswith(prefix) and spec.endswith(suffix) and len(spec) >= len(prefix) + len(suffix):
                middle = spec[len(prefix):len(spec) - len(suffix)]
                found += [posixpath.normpath(posixpath.join(self.base_url, t.replace("*", middle))) for t in targets]
            elif not star and spec == pattern:
                found += [posixpath.normpath(posixpath.join(self.base_url, t)) for t in targets]
        if not spec.startswith("."):
            found.append(posixpath.normpath(posixpath.join(self.base_url, spec)))
        return found


def parse_config(rel_path: str, text: str) -> PathAliases | None:
    try:
        data: Any = json.loads(strip_jsonc(text))
    except ValueError:
        return None
    options = data.get("compilerOptions") if isinstance(data, dict) else None
    if not isinstance(options, dict):
        return None
    directory = posixpath.dirname(rel_path)
    base = options.get("baseUrl")
    base_url = posixpath.normpath(posixpath.join(directory, base)) if isinstance(base, str) else directory
    raw_paths = options.get("paths")
    paths: dict[str, Any] = raw_paths if isinstance(raw_paths, dict) else {}
    pairs = [(k, [t for t in v if isinstance(t, str)]) for k, v in paths.items() if isinstance(v, list)]
    if not pairs and not isinstance(base, str):
        return None
    return PathAliases(directory=directory, base_url=base_url.removeprefix("./") if base_url != "." else "",
                       paths=pairs)


@dataclass
class ModuleResult:
    """What analysing one file produced."""

    exports: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    done: bool = False


class JsProject:
    """All JS/TS sources of a scan (relative path -> bytes), analysed on demand."""

    def __init__(self, sources: dict[str, bytes], configs: dict[str, str], *, model: SymbolModel,
                 book: RuleBook) -> None:
        self.sources = sources
        self.model = model
        self.book = book
        self.results: dict[str, ModuleResult] = {}
        self.aliases = sorted(((c.directory, c) for c in (parse_config(p, t) for p, t in configs.items()) if c),
                              key=lambda pair: -len(pair[0]))
        languages = _languages()
        self._parsers = {name: Parser(language) for name, language in languages.items()}
        self.classes: dict[str, tuple[Any, Any]] = {}  # "cls:<file>:<id>" -> (analyser, class node)

    def parser(self, path: str) -> Parser:
        return self._parsers[grammar_for(path)]

    def analyze(self, path: str,
                analyser: Callable[[JsProject, str, bytes], ModuleResult] | None = None) -> ModuleResult:
        """The result for ``path``, analysing it now if needed (cycle-safe)."""
        result = self.results.get(path)
        if result is not None:
            return result
        from .js import analyse_file

        result = ModuleResult()
        self.results[path] = result  # an import cycle sees this partial result
        final = (analyser or analyse_file)(self, path, self.sources[path])
        result.exports.update(final.exports)
        result.findings = final.findings
        result.notes = final.notes
        result.done = True
        return result

    def resolve(self, spec: str, from_path: str) -> str | None:
        """The scanned file a module specifier names, or None (a package, or a file outside the scan)."""
        bases: list[str]
        if spec.startswith("."):
            bases = [posixpath.normpath(posixpath.join(posixpath.dirname(from_path), spec))]
        else:
            bases = []
            for directory, config in self.aliases:
                if directory == "" or from_path.startswith(directory + "/"):
                    bases = config.candidates(spec)
                    break
        for base in bases:
            base = base.removeprefix("./")
            stem = str(PurePosixPath(base).with_suffix("")) if base.endswith((".js", ".mjs", ".cjs")) else None
            candidates: list[str] = [base, *(base + s for s in _RESOLVE_SUFFIXES),
                                     *(f"{base}/index{s}" for s in _RESOLVE_SUFFIXES)]
            if stem:  # `./x.js` written in TypeScript sources names `./x.ts`
                candidates += [stem + ".ts", stem + ".tsx"]
            for candidate in candidates:
                if candidate in self.sources:
                    return candidate
        return None
