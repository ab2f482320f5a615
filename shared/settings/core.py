"""How a setting is declared and read: ``setting(...)`` on a dataclass field, one ``Reader`` per load.

A setting names its environment variable, its parser (a value, or None when malformed), what it
expects (shown in errors, never the value), its default, and whether it is secret or required.
The ``Reader`` collects every problem so that one ``SettingsError`` names them all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")
D = TypeVar("D", bound="DataclassInstance")

_METADATA_KEY = "setting"


class Secret:
    """A secret string that hides itself from ``repr``, ``str`` and f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself: pass it to a client, never to a log."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class SettingProblem:
    """One bad setting: its name and what it should hold."""

    name: str
    problem: str  # "is missing" or "is malformed"
    expected: str

    def __str__(self) -> str:
        return f"{self.name} {self.problem} (expected {self.expected})"


class SettingsError(Exception):
    """Raised at start when settings are missing or malformed; lists every one of them."""

    def __init__(self, problems: list[SettingProblem]) -> None:
        self.problems = problems
        super().__init__("Invalid settings: " + "; ".join(str(p) for p in problems))

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.problems]


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One environment variable: its parser (None when malformed), what it expects, its default."""

    name: str
    parse: Callable[[str], T | None]
    expected: str
    default: T
    required: bool = False
    secret: bool = False


def setting(name: str, parse: Callable[[str], T | None], expected: str, *, default: T,
            required: bool = False, secret: bool = False) -> T:
    """Declare a dataclass field read from the environment variable ``name`` (see ``Reader.load``)."""
    declared = Setting(name, parse, expected, default, required=required, secret=secret)
    field: T = dataclasses.field(default=default, metadata={_METADATA_KEY: declared})
    return field


def secret_setting(name: str, expected: str, *, parse: Callable[[str], str | None] = lambda value: value,
                   required: bool = False) -> Secret | None:
    """Declare a secret field: its value is wrapped in ``Secret``; its default is None."""
    def parse_secret(value: str) -> Secret | None:
        parsed = parse(value)
        return None if parsed is None else Secret(parsed)

    return setting(name, parse_secret, expected, default=None, required=required, secret=True)


def declared_settings(kind: type[DataclassInstance]) -> Iterator[tuple[str, Setting[Any]]]:
    """The ``(field name, Setting)`` pairs ``kind`` declares with ``setting``/``secret_setting``."""
    for field in dataclasses.fields(kind):
        if _METADATA_KEY in field.metadata:
            yield field.name, field.metadata[_METADATA_KEY]


class Reader:
    """Reads declared settings from one environment, collecting problems so that one error names them all."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.problems: list[SettingProblem] = []

    def raw(self, name: str) -> str | None:
        """The stripped value of ``name``; None when unset or blank."""
        value = self.environ.get(name)
        if value is None or not value.strip():
            return None
        return value.strip()

    def missing(self, name: str, expected: str) -> None:
        self.problems.append(SettingProblem(name, "is missing", expected))

    def malformed(self, name: str, expected: str) -> None:
        self.problems.append(SettingProblem(name, "is malformed", expected))

    def read(self, declared: Setting[T]) -> T:
        """The parsed value, or the default when unset or malformed (a problem is recorded for the latter)."""
        value = self.raw(declared.name)
        if value is None:
            if declared.required:
                self.missing(declared.name, declared.expected)
            return declared.default
        parsed = declared.parse(value)
        if parsed is None:
            self.malformed(declared.name, declared.expected)
            return declared.default
        return parsed

    def load(self, kind: type[D]) -> D:
        """An instance of ``kind`` with every declared field read; undeclared fields keep their defaults."""
        values = {name: self.read(declared) for name, declared in declared_settings(kind)}
        return kind(**values)

    def raise_problems(self) -> None:
        """Raise ``SettingsError`` naming every problem so far; return when there is none."""
        if self.problems:
            raise SettingsError(self.problems)
