"""ASP.NET-style route templates as the Functions host matches them.

Supported: literal segments (case-insensitive), ``{name}``, ``{name:constraint}``,
``{name?}``, ``{name=default}``, ``{*rest}`` / ``{**rest}`` and several parameters in
one segment (``{a}.{b}``). Constraints int, long, bool, guid, alpha, double, float,
decimal and datetime are enforced; other constraints match any segment text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PARAMETER = re.compile(r"\{([^{}]+)\}")
_CONSTRAINT_PATTERNS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "bool": r"(?:true|false)",
    "guid": r"\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?",
    "alpha": r"[a-z]+",
    "double": r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?",
    "float": r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?",
    "decimal": r"-?\d+(?:\.\d+)?",
    "datetime": r"[^/]+",
}


class RouteTemplateError(ValueError):
    """A route template the host would refuse."""


@dataclass(frozen=True)
class _Parameter:
    name: str
    pattern: str
    optional: bool
    default: str | None
    catch_all: bool
    constrained: bool


def _parse_parameter(text: str) -> _Parameter:
    catch_all = text.startswith("*")
    text = text.lstrip("*")
    default = None
    if "=" in text:
        text, default = text.split("=", 1)
    optional = text.endswith("?")
    text = text.rstrip("?")
    name, *constraints = text.split(":")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise RouteTemplateError(f"bad route parameter name {name!r}")
    pattern = r".*" if catch_all else r"[^/]+?"
    constrained = False
    for constraint in constraints:
        base = constraint.split("(", 1)[0].lower()
        if base in _CONSTRAINT_PATTERNS:
            pattern = _CONSTRAINT_PATTERNS[base]
            constrained = True
    return _Parameter(name, pattern, optional or default is not None, default, catch_all, constrained)


@dataclass(frozen=True)
class RouteTemplate:
    """A compiled route template; ``match`` gives the route parameters or ``None``."""

    template: str
    regex: re.Pattern[str]
    defaults: tuple[tuple[str, str], ...]
    precedence: tuple[int, ...]

    @classmethod
    def compile(cls, template: str) -> RouteTemplate:
        segments = [s for s in template.strip("/").split("/") if s != ""]
        regex = ""
        defaults: list[tuple[str, str]] = []
        precedence: list[int] = []
        names: set[str] = set()
        for index, segment in enumerate(segments):
            parts = _PARAMETER.split(segment)  # literal, param, literal, param, ...
            params = [_parse_parameter(p) for p in parts[1::2]]
            for param in params:
                if param.name.lower() in names:
                    raise RouteTemplateError(f"route {template!r} repeats parameter {param.name!r}")
                names.add(param.name.lower())
                if param.default is not None:
                    defaults.append((param.name, param.default))
            last = index == len(segments) - 1
            if any(p.catch_all for p in params) and not last:
                raise RouteTemplateError(f"a catch-all parameter must be last in {template!r}")
            whole = len(params) == 1 and parts[0] == "" and parts[2] == ""
            if whole and params[0].catch_all:
                regex += rf"(?:/(?P<{params[0].name}>.*))?"
                precedence.append(4)
                continue
            if whole and params[0].optional:
                if not last:
                    raise RouteTemplateError(f"an optional parameter must be last in {template!r}")
                regex += rf"(?:/(?P<{params[0].name}>{params[0].pattern}))?"
                precedence.append(3)
                continue
            body = ""
            for i, part in enumerate(parts):
                if i % 2 == 0:
                    body += re.escape(part)
                else:
                    param = params[i // 2]
                    group = rf"(?P<{param.name}>{param.pattern})"
                    body += f"(?:{group})?" if param.optional else group
            regex += "/" + body
            if not params:
                precedence.append(0)
            elif whole:
                precedence.append(1 if params[0].constrained else 2)
            else:
                precedence.append(1)
        compiled = re.compile(rf"^{regex}/?$", re.IGNORECASE)
        return cls(template, compiled, tuple(defaults), tuple(precedence))

    def match(self, path: str) -> dict[str, str] | None:
        """Route parameters for ``path`` (relative to the route prefix, with a leading slash)."""
        found = self.regex.match(path)
        if found is None:
            return None
        values = {k: v for k, v in found.groupdict().items() if v is not None and v != ""}
        for name, default in self.defaults:
            values.setdefault(name, default)
        return values
