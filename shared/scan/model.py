"""What a scan produces: rules, findings, notes and the report that holds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Area = Literal["chat", "video", "tokens", "webhooks", "other"]
AREAS: tuple[Area, ...] = ("chat", "video", "tokens", "webhooks", "other")


@dataclass(frozen=True, slots=True)
class Rule:
    """One Twilio -> ACS mapping (a row of ``data/rules.toml``)."""

    id: str
    title: str
    area: Area
    side: Literal["client", "server"]
    effort: Literal["S", "M", "L"]
    verified: bool
    twilio: str
    acs: str
    differs: str
    match: tuple[str, ...]
    instead: str | None = None
    replaced_by: str | None = None  # server-side work this app takes over
    app_support: str | None = None  # what this app provides for client-side work

    @property
    def has_counterpart(self) -> bool:
        return self.acs != "none"


@dataclass(frozen=True, slots=True)
class Finding:
    """One use of a Twilio SDK: where it is, what it is, and the rule that says what replaces it."""

    path: str  # relative to the scanned root, '/' separated
    line: int  # 1-based
    column: int  # 1-based, in Unicode code points
    symbol: str  # the Twilio symbol as used here, e.g. "Conversation.sendMessage()"
    rule: Rule

    def to_dict(self) -> dict[str, Any]:
        rule = self.rule
        return {
            "path": self.path, "line": self.line, "column": self.column, "symbol": self.symbol,
            "ruleId": rule.id, "area": rule.area, "side": rule.side, "acs": rule.acs,
            "differs": rule.differs, "verified": rule.verified, "instead": rule.instead,
            "replacedBy": rule.replaced_by, "appSupport": rule.app_support, "effort": rule.effort,
        }


@dataclass(frozen=True, slots=True)
class Note:
    """Something the scan could not do for a file or folder (skipped, unreadable, parse errors)."""

    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(slots=True)
class ScanReport:
    """Everything one scan found, sorted by file, line and column."""

    root: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    files_scanned: int = 0
    rules: tuple[Rule, ...] = ()

    def sort(self) -> None:
        self.findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule.id))
        self.notes.sort(key=lambda n: (n.path, n.reason))
