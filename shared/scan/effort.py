"""A rough effort estimate per area, with its assumptions spelt out (shown in the Markdown summary)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .model import AREAS, Area, Finding

HOURS = {"S": 0.5, "M": 2.0, "L": 6.0}
REPEAT_SHARE = 0.25  # a rule's further uses in the same file, once the first is understood
REPLACED_SHARE = 0.25  # server work this app takes over: configure and point clients at it
SETUP_HOURS: dict[Area, float] = {"chat": 8.0, "video": 12.0, "tokens": 4.0, "webhooks": 4.0, "other": 0.0}
HOURS_PER_DAY = 6.0

ASSUMPTIONS = (
    f"Each rule has a size: S = {HOURS['S']:g} h, M = {HOURS['M']:g} h, L = {HOURS['L']:g} h for one developer who "
    "knows the code; rules with no ACS counterpart are sized for the redesign they need.",
    f"The first use of a rule in a file costs its full size; further uses of it in the same file cost "
    f"{REPEAT_SHARE:.0%} of it.",
    f"Server work this app replaces (token minting, webhook handlers, history export) costs {REPLACED_SHARE:.0%} "
    "of its size: deploying the app and pointing callers at it, not rewriting.",
    "Each area with findings adds one-off setup: " + ", ".join(
        f"{area} {hours:g} h" for area, hours in SETUP_HOURS.items() if hours) +
    " (ACS resource, SDK wiring, identity mapping, a first end-to-end test).",
    f"A day is {HOURS_PER_DAY:g} focused hours. Testing, review and rollout are not included; "
    "unverified mappings may take longer.",
)


@dataclass(frozen=True, slots=True)
class AreaEstimate:
    area: Area
    findings: int
    client: int
    server: int
    no_counterpart: int
    unverified: int
    replaced_by_app: int
    hours: float


def estimate(findings: list[Finding]) -> list[AreaEstimate]:
    """One row per area (all five, zero where nothing was found)."""
    seen: set[tuple[str, str]] = set()
    hours: dict[str, float] = defaultdict(float)
    rows: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        rule = finding.rule
        rows[rule.area].append(finding)
        size = HOURS[rule.effort]
        first = (rule.id, finding.path) not in seen
        seen.add((rule.id, finding.path))
        cost = size if first else size * REPEAT_SHARE
        hours[rule.area] += cost * (REPLACED_SHARE if rule.replaced_by else 1.0)
    result = []
    for area in AREAS:
        items = rows.get(area, [])
        total = hours[area] + (SETUP_HOURS[area] if items else 0.0)
        result.append(AreaEstimate(
            area=area, findings=len(items), client=sum(f.rule.side == "client" for f in items),
            server=sum(f.rule.side == "server" for f in items),
            no_counterpart=sum(not f.rule.has_counterpart for f in items),
            unverified=sum(not f.rule.verified for f in items),
            replaced_by_app=sum(bool(f.rule.replaced_by) for f in items), hours=round(total * 2) / 2))
    return result
