"""The rule book and the symbol model, both read from data files shipped in this package."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, cast

from .model import AREAS, Rule


class RuleBook:
    """Rules by id and by the symbol keys they match (``conv.Client#getConversationBySid`` ...)."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = tuple(rules)
        self._by_key: dict[str, Rule] = {}
        self.by_id = {rule.id: rule for rule in rules}
        for rule in rules:
            for key in rule.match:
                if key in self._by_key:
                    raise ValueError(f"symbol key {key!r} is claimed by {self._by_key[key].id} and {rule.id}")
                self._by_key[key] = rule

    def get_rule(self, key: str) -> Rule | None:
        return self._by_key.get(key)


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """How values of one Twilio type behave: members, events, construction."""

    name: str
    label: str
    methods: dict[str, str] = field(default_factory=dict)
    props: dict[str, str] = field(default_factory=dict)
    events: dict[str, tuple[str, ...]] = field(default_factory=dict)
    new: str | None = None
    call: str | None = None
    instance: str | None = None


@dataclass(frozen=True, slots=True)
class SymbolModel:
    """Modules, globals and types of ``data/symbols.toml``."""

    js_modules: dict[str, str]
    js_globals: dict[str, str]
    py_modules: dict[str, str]
    options: dict[str, int]
    types: dict[str, TypeInfo]

    def get_type(self, name: str) -> TypeInfo | None:
        return self.types.get(name)

    def label(self, name: str) -> str:
        info = self.types.get(name)
        return info.label if info else name

    def instance_of(self, name: str) -> str:
        """The instance type a class name stands for in a type annotation."""
        info = self.types.get(name)
        if info is None:
            return name
        return info.instance or info.new or name

    def js_package(self, spec: str) -> str | None:
        """The Twilio npm package a module specifier names (``twilio-video/es5`` -> ``twilio-video``)."""
        parts = spec.split("/")
        root = "/".join(parts[:2]) if spec.startswith("@") else parts[0]
        return root if root in self.js_modules else None


def _load(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


@cache
def load_rulebook() -> RuleBook:
    rules = []
    for raw in _load("rules.toml")["rule"]:
        if raw["area"] not in AREAS:
            raise ValueError(f"rule {raw['id']}: unknown area {raw['area']!r}")
        if raw.get("replaced_by") and raw["side"] != "server":
            raise ValueError(f"rule {raw['id']}: replaced_by is for server-side rules (use app_support)")
        rules.append(Rule(id=raw["id"], title=raw["title"], area=raw["area"], side=raw["side"], effort=raw["effort"],
                          verified=bool(raw["verified"]), twilio=raw["twilio"], acs=raw["acs"],
                          differs=raw["differs"], match=tuple(raw["match"]), instead=raw.get("instead"),
                          replaced_by=raw.get("replaced_by"), app_support=raw.get("app_support")))
    return RuleBook(rules)


@cache
def load_symbols() -> SymbolModel:
    raw = _load("symbols.toml")
    types = {}
    for name, body in cast(dict[str, dict[str, Any]], raw["types"]).items():
        types[name] = TypeInfo(
            name=name, label=body.get("label", name), methods=dict(body.get("methods", {})),
            props=dict(body.get("props", {})),
            events={event: tuple(payload) for event, payload in body.get("events", {}).items()},
            new=body.get("new"), call=body.get("call"), instance=body.get("instance"))
    return SymbolModel(js_modules=dict(raw["js"]["modules"]), js_globals=dict(raw["js"]["globals"]),
                       py_modules=dict(raw["py"]["modules"]), options=dict(raw["options"]), types=types)
