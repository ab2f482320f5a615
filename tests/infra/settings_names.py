"""Which settings the app reads, derived three ways so that a new setting cannot slip past.

1. Every string literal in the ``shared/settings/`` package shaped like a setting name (``UPPER_SNAKE``
   with an underscore, or ``AzureWebJobs*``), and every setting the package declares.
2. Every name ``load_settings`` looks up in a recording environment, over several environments
   that take different branches (this finds names built at run time, such as
   ``f"AzureWebJobsStorage__{kind}ServiceUri"``).
3. Every setting in the README's settings table.
"""

from __future__ import annotations

import ast
import contextlib
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

SETTING_NAME = re.compile(r"AzureWebJobs\w*|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")


def names_in_source(source: str) -> set[str]:
    """String literals in ``source`` shaped like setting names (f-string fragments are left to the dynamic pass)."""
    tree = ast.parse(source)
    fragments = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    return {
        node.value for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in fragments
        and SETTING_NAME.fullmatch(node.value)
    }


class RecordingEnviron(Mapping[str, str]):
    """An environment that remembers every name looked up in it, present or not."""

    def __init__(self, values: Mapping[str, str], seen: set[str]) -> None:
        self._values = dict(values)
        self.seen = seen

    def __getitem__(self, name: str) -> str:
        self.seen.add(name)
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def names_looked_up(load: Callable[[Mapping[str, str]], Any], environs: list[Mapping[str, str]]) -> set[str]:
    """Every name ``load`` looks up, over ``environs``; its exceptions (bad settings) are expected."""
    seen: set[str] = set()
    for environ in environs:
        # An empty or partial environment is meant to fail validation.
        with contextlib.suppress(Exception):
            load(RecordingEnviron(environ, seen))
    return seen


def names_in_readme_table(readme: str) -> set[str]:
    """Back-quoted setting names in the first column of the README's ``## Settings`` table."""
    section = readme.split("\n## Settings", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        cells = line.split("|")
        if line.startswith("|") and len(cells) > 2:
            names |= {n for n in re.findall(r"`([^`]+)`", cells[1]) if SETTING_NAME.fullmatch(n)}
    return names


def environs_for_branches(sample: Mapping[str, str]) -> list[Mapping[str, str]]:
    """Environments that drive the loader down its branches: local, empty, identity storage, API key."""
    identity = {k: v for k, v in sample.items() if k != "AzureWebJobsStorage"}
    identity |= {"AzureWebJobsStorage__accountName": "stexample", "AzureWebJobsStorage__clientId": "client"}
    api_key = dict(sample) | {"TWILIO_API_KEY_SID": "SK" + "0" * 32, "TWILIO_API_KEY_SECRET": "secret"}
    return [dict(sample), {}, identity, api_key]


def settings_read_by_code(repo_root: Path, sample: Mapping[str, str]) -> set[str]:
    """The union of the static, declared and dynamic derivations over the repo's ``shared/settings/`` package."""
    from shared.settings import all_settings, load_settings, load_telemetry_settings

    modules = [path for path in sorted((repo_root / "shared" / "settings").glob("*.py"))
               if path.name != "__init__.py"]  # __init__ only re-exports: its __all__ names no setting
    in_source = set().union(*(names_in_source(path.read_text()) for path in modules))
    declared = {setting.name for setting in all_settings()}
    environs = environs_for_branches(sample)
    return in_source | declared | names_looked_up(load_settings, environs) | names_looked_up(
        load_telemetry_settings, environs)
