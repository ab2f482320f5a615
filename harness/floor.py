"""The least wall time ACS's limits allow for an export, read from the limits the ACS stand-in enforces.

Not the exporter's pacing settings: if the exporter were slowed down (or its settings wrong), a floor
computed from them would follow it. The stand-in reports its configured windows and time scale at
``GET /__admin/limits`` (stand-in only; real ACS has no such endpoint), and every term below is a
limit the stand-in enforces. Request latency is not counted, so no exporter can beat the floor.

The terms, each a lower bound on its own (the floor is the largest):

- **identities**: every distinct person needs an ACS user; ``identity_create`` is counted per
  resource, so creating them all takes at least the span of that many calls.
- **threads**: ``create_thread`` is counted per creating user. With ``U`` people who could create
  threads, the k-th thread (0-based) cannot be created before the span of ``k // U + 1`` calls;
  giving the earliest slots to the longest conversations is optimal, so conversation k (longest
  first) ends no earlier than that moment plus its own per-thread work.
- **per thread**: its sends at ``message_write`` and its participant adds beyond the first
  ``MAX_PER_CREATE`` people at ``participants_write`` (separate limits, so they may overlap).

Read receipts (one per person, after the last message) add no window span. Used by
``bench/export.py`` and ``bench/migrations.py``::

    limits = fetch_limits(acs.info["admin"], verify=acs.info["ca_bundle"])
    floor = export_floor([ConversationLoad(people=3, sends=120), ...], limits, people=60)
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

Windows = tuple[tuple[int, float], ...]

MAX_PER_CREATE = 200  # participants one create-thread or add-participants call carries


@dataclass(frozen=True)
class AcsLimits:
    """The stand-in's configured limits: per operation, each limit's windows (unscaled), and the time scale."""

    time_scale: float
    enabled: bool
    operations: dict[str, tuple[Windows, ...]] = field(default_factory=dict)

    def windows(self, operation: str) -> Windows:
        """Every window of every limit on ``operation`` that one key (thread, user, resource) meets, scaled.

        An operation under several limits (per user and per thread) is bounded here by all of them, as
        when one user does all of a thread's calls (what an exporter does).
        """
        limits = self.operations.get(operation, ())
        return tuple((count, seconds * self.time_scale) for windows in limits for count, seconds in windows)


def fetch_limits(admin_url: str, *, verify: str | bool = True) -> AcsLimits:
    """Ask the stand-in (``GET {admin}/limits``) which limits it enforces."""
    context = ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify
    body: dict[str, Any] = httpx.get(f"{admin_url.rstrip('/')}/limits", verify=context, timeout=30).json()
    operations = {
        operation: tuple(tuple((int(c), float(s)) for c, s in limit["windows"]) for limit in limits)
        for operation, limits in body["operations"].items()
    }
    return AcsLimits(time_scale=float(body["timeScale"]), enabled=bool(body["enabled"]), operations=operations)


def span(calls: int, windows: Windows) -> float:
    """The least time from the first to the last of ``calls`` calls under ``windows`` (already scaled)."""
    times = _earliest(calls, windows)
    return times[-1] if times else 0.0


def _earliest(calls: int, windows: Windows) -> list[float]:
    """The earliest moment of each of ``calls`` calls: call k goes no earlier than call k - c + s per window (c, s)."""
    times: list[float] = []
    for k in range(calls):
        t = 0.0
        for count, seconds in windows:
            if k >= count:
                t = max(t, times[k - count] + seconds)
        times.append(t)
    return times


@dataclass(frozen=True)
class ConversationLoad:
    """What one conversation costs in ACS calls: the people its thread holds and the messages sent."""

    people: int
    sends: int


@dataclass(frozen=True)
class Floor:
    """The floor and its terms (seconds); ``requests`` counts the calls the floor assumes, by operation."""

    seconds: float
    identities_s: float
    threads_s: float
    longest_thread_s: float
    requests: dict[str, int]

    def describe(self) -> str:
        return (f"floor {self.seconds:.1f} s (identities {self.identities_s:.1f} s, thread creation + per-thread "
                f"work {self.threads_s:.1f} s, longest thread alone {self.longest_thread_s:.1f} s)")


def export_floor(conversations: Sequence[ConversationLoad], limits: AcsLimits, *, people: int) -> Floor:
    """The least wall time to copy ``conversations`` involving ``people`` distinct identities (see module doc)."""
    if not limits.enabled:
        raise ValueError("the ACS stand-in's limits are off, so there is no floor: start it without --no-limits")
    send_windows = limits.windows("message_write")
    add_windows = limits.windows("participants_write")
    per_thread = sorted(
        (max(span(c.sends, send_windows), span(_adds(c.people), add_windows)) for c in conversations), reverse=True
    )
    identities_s = span(people, limits.windows("identity_create"))
    creators = max(1, people)
    rounds = -(-len(per_thread) // creators)
    create_at = _earliest(rounds, limits.windows("create_thread"))
    threads_s = max((create_at[k // creators] + work for k, work in enumerate(per_thread)), default=0.0)
    requests = {
        "identity_create": people,
        "create_thread": len(conversations),
        "participants_write": sum(_adds(c.people) for c in conversations),
        "message_write": sum(c.sends for c in conversations),
    }
    return Floor(max(identities_s, threads_s), identities_s, threads_s, per_thread[0] if per_thread else 0.0,
                 requests)


def _adds(people: int) -> int:
    return max(0, -(-(people - MAX_PER_CREATE) // MAX_PER_CREATE))
