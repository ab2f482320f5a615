"""Running the offline infra tools from their own venvs, and reading pycep-parser's JSON trees.

pycep-parser turns an identifier and a string literal alike into a plain string, so helpers
that look for references (``mentions``) are deliberately conservative: a literal equal to a
name counts as a mention.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA_DIR = REPO_ROOT / "infra"
INFRA_VENV = REPO_ROOT / ".venv-infra"
PYCEP_PYTHON = INFRA_VENV / "pycep" / "bin" / "python"
CHECKOV = INFRA_VENV / "checkov" / "bin" / "checkov"
DUMPER = Path(__file__).resolve().parent / "pycep_dump.py"
SETUP_HINT = "run `make setup` (or `make infra-venv`) to build .venv-infra/"


@dataclass(frozen=True)
class ParseError:
    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


def bicep_files(root: Path = INFRA_DIR) -> list[Path]:
    return sorted(root.rglob("*.bicep"))


def parse_bicep(paths: list[Path]) -> tuple[dict[str, dict[str, Any]], list[ParseError]]:
    """Parse ``paths`` in one pycep-parser process; trees by path relative to the repo, and errors."""
    if not PYCEP_PYTHON.exists():
        raise FileNotFoundError(f"{PYCEP_PYTHON} is missing: {SETUP_HINT}")
    done = subprocess.run(
        [str(PYCEP_PYTHON), str(DUMPER), *map(str, paths)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pycep_dump.py failed (exit {done.returncode}): {done.stderr[-2000:]}")
    trees: dict[str, dict[str, Any]] = {}
    errors: list[ParseError] = []
    for path, result in json.loads(done.stdout).items():
        name = _relative(Path(path))
        if "tree" in result:
            trees[name] = result["tree"]
        else:
            errors.append(ParseError(name, **result["error"]))
    return trees, errors


def run_checkov(directory: Path, home: str) -> tuple[int, dict[str, Any]]:
    """checkov on ``directory`` (Bicep only, offline, JSON, with ``home`` as HOME); exit code and the report."""
    if not CHECKOV.exists():
        raise FileNotFoundError(f"{CHECKOV} is missing: {SETUP_HINT}")
    done = subprocess.run(
        [str(CHECKOV), "--directory", str(directory), "--framework", "bicep", "--output", "json",
         "--compact", "--skip-download"],
        capture_output=True, text=True, timeout=300, check=False, cwd=directory,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LOG_LEVEL": "WARNING"},
    )
    report = json.loads(done.stdout) if done.stdout.strip() else {}
    if isinstance(report, list):  # one entry per framework; only bicep was asked for
        report = next(r for r in report if r.get("check_type") == "bicep")
    if "summary" not in report:  # checkov prints a bare summary when there is nothing to scan
        report = {"summary": report or {}, "results": {"failed_checks": [], "passed_checks": []}}
    return done.returncode, report


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return path.as_posix()


# Reading trees.

def config(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource's or module's body, through ``if (...)`` and ``[for ...]`` wrappers."""
    body: dict[str, Any] = resource["config"]
    while isinstance(body.get("config"), dict) and ("condition" in body or "loop_type" in body):
        body = body["config"]
    return body


def resources(tree: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Resources of ``resource_type`` that the file declares (not ``existing`` references), by symbol."""
    return {
        name: resource for name, resource in tree.get("resources", {}).items()
        if resource["type"].lower() == resource_type.lower() and not resource.get("existing")
    }


def strings(node: Any) -> Iterator[str]:
    """Every string in an expression tree (identifiers, literals, interpolations)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def mentions(node: Any, name: str) -> bool:
    """Whether ``name`` appears in the expression as an identifier or inside an interpolation."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")
    return any(s == name or ("${" in s and pattern.search(s)) for s in strings(node))


def without_emptiness_tests(node: Any) -> Any:
    """``node`` with every ``empty(x)`` call replaced: whether a secret is set is not a secret."""
    if isinstance(node, dict):
        if isinstance(node.get("function"), dict) and node["function"].get("type") == "empty":
            return "<empty(...)>"
        return {key: without_emptiness_tests(value) for key, value in node.items()}
    if isinstance(node, list):
        return [without_emptiness_tests(value) for value in node]
    return node


def is_secure(parameter: dict[str, Any]) -> bool:
    return any(d.get("type") == "secure" for d in parameter.get("decorators", []))


def has_default(parameter: dict[str, Any]) -> bool:
    return "default" in parameter and parameter["default"] is not None
