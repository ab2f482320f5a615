"""How a value of a Twilio type flows through member reads, calls, construction and events.

Both language front ends (``js.py``, ``python.py``) reduce their syntax to these operations on type
strings and positions; this module looks the member up in the symbol model, records a finding when a
rule matches and returns the type of the result.
Type strings: a model type (``conv.Client``), ``T[]`` (array), ``T{}`` (Map), ``rest:…`` (a REST chain),
``method:T#m`` (a member about to be called), ``fn:T`` (a local function returning T), "" (untracked).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import rest
from .model import Finding, Rule
from .rules import RuleBook, SymbolModel

Pos = tuple[int, int]  # 1-based line and column
NOT_SDK_CALLS = frozenset({"on", "once", "off", "addListener", "removeListener", "removeAllListeners", "emit",
                           "listenerCount", "prependListener", "then", "catch", "finally", "toString", "toJSON",
                           "valueOf", "bind", "apply", "call", "hasOwnProperty"})
EVENT_METHODS = frozenset({"on", "once", "addListener", "prependListener", "prependOnceListener"})
ARRAY_ELEMENT_CALLS = frozenset({"find", "at", "get", "pop", "shift"})
ARRAY_SAME_CALLS = frozenset({"filter", "slice", "sort", "reverse", "concat"})
CALLBACK_METHODS = frozenset({"forEach", "map", "filter", "find", "some", "every", "flatMap", "findLast",
                              "findIndex", "reduce"})


def element_of(type_name: str) -> str:
    if type_name.endswith("[]") or type_name.endswith("{}"):
        return type_name[:-2]
    return ""


@dataclass
class Tracker:
    """Records the findings of one file."""

    model: SymbolModel
    book: RuleBook
    path: str
    new_word: str = "new "  # "" for Python, where a class is simply called
    findings: dict[tuple[int, int, str], Finding] = field(default_factory=dict)

    # ------------------------------------------------------------------ recording
    def record(self, rule: Rule, pos: Pos, symbol: str) -> None:
        key = (pos[0], pos[1], rule.id)
        if key not in self.findings:
            self.findings[key] = Finding(self.path, pos[0], pos[1], symbol, rule)

    def record_key(self, key: str, pos: Pos, symbol: str) -> bool:
        rule = self.book.get_rule(key)
        if rule is None:
            return False
        self.record(rule, pos, symbol)
        return True

    def _unmapped(self, kind: str, pos: Pos, symbol: str) -> None:
        self.record_key(f"unmapped:{kind}", pos, symbol)

    # ------------------------------------------------------------------ operations
    def member(self, type_name: str, name: str, pos: Pos, *, called: bool) -> str:
        """Reading ``value.name``; a property read with a rule is a finding here, a method is one at its call."""
        if not type_name:
            return ""
        if rest.is_rest(type_name):
            return rest.member(type_name, name)
        if element_of(type_name):
            return f"method:{type_name}#{name}" if called else ""
        info = self.model.get_type(type_name)
        if info is None:
            return ""
        if name in info.methods or (called and name not in info.props):
            return f"method:{type_name}#{name}"
        if name in info.props:
            self.record_key(f"{type_name}.{name}", pos, f"{info.label}.{name}")
            return info.props[name]
        return ""

    def call(self, callee: str, pos: Pos, receiver: str = "client") -> str:
        """Calling a value of type ``callee``; returns the result's type."""
        if not callee:
            return ""
        if callee.startswith("fn:"):
            return callee[3:]
        if rest.is_rest(callee):
            if rest.verb_of(callee) is None:
                return rest.select(callee)
            rule = rest.match_rest(self.book, callee)
            if rule is not None:
                self.record(rule, pos, rest.display(receiver, callee))
            return ""
        if callee.startswith("method:"):
            owner, _, name = callee[len("method:"):].rpartition("#")
            return self._method(owner, name, pos)
        info = self.model.get_type(callee)
        if info is None:
            return ""
        if info.call is not None:
            self.record_key(f"{callee}#call", pos, f"{info.label}()")
            return info.call
        return ""

    def construct(self, class_type: str, pos: Pos) -> str:
        """``new X(…)`` (or calling a class in Python)."""
        info = self.model.get_type(class_type) if class_type else None
        if info is None or info.new is None:
            return ""
        self.record_key(f"{class_type}#new", pos, f"{self.new_word}{info.label}()")
        return info.new

    def _method(self, owner: str, name: str, pos: Pos) -> str:
        element = element_of(owner)
        if element:
            if name in ARRAY_ELEMENT_CALLS:
                return element
            if name in ARRAY_SAME_CALLS:
                return owner
            if name == "values":
                return element + "[]"
            return ""
        info = self.model.get_type(owner)
        if info is None:
            return ""
        found = self.record_key(f"{owner}#{name}", pos, f"{info.label}.{name}()")
        if not found and name not in info.methods and name not in NOT_SDK_CALLS:
            self._unmapped("call", pos, f"{info.label}.{name}()")
        return info.methods.get(name, "")

    def event(self, type_name: str, name: str, pos: Pos, method: str) -> tuple[str, ...]:
        """``value.on("name", handler)``; returns the types of the handler's parameters."""
        info = self.model.get_type(type_name) if type_name else None
        if info is None:
            return ()
        if not self.record_key(f"{type_name}@{name}", pos, f"{info.label}.{method}('{name}')"):
            self._unmapped("event", pos, f"{info.label}.{method}('{name}')")
        return info.events.get(name, ())

    def option(self, method_key: str, name: str, pos: Pos, label: str) -> None:
        """A key of the options object passed to a method listed in ``[options]``."""
        self.record_key(f"{method_key}{{{name}}}", pos, f"{label} option {name}")
