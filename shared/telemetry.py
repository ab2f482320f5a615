"""OpenTelemetry for the app: named instruments and spans with stable names, exported to Azure Monitor.

Names and attributes are a contract (alert rules and the workbook in ``infra/`` query them):

- ``migration.messages.copied`` {message}: migration.run.id ("live" for live sync)
- ``migration.throttled`` {response} and ``migration.throttle.wait`` (s): peer.service = acs | twilio
- ``migration.conversations`` {conversation}: migration.run.id, outcome = done | failed | not_migratable
- ``migration.runs`` {run} and ``migration.run.duration`` (s): migration.run.kind, migration.run.status
- ``fanout.deliveries`` {delivery} and ``fanout.delivery.duration`` (s): fanout.format,
  outcome = delivered | retrying | gone | dead-lettered | dropped | failed
- ``fanout.dead_letters`` {delivery}: fanout.format
- ``tokens.issued`` {token}: token.route = token | video, caller.kind = user | trusted_backend

Spans: ``migration.work_item`` (one per queue item, so one per export slice) and ``fanout.delivery``
(one per delivery attempt). Hooks use the OpenTelemetry API's global providers, so they cost nothing
when no provider is configured (no connection string) and tests read them with an in-memory reader.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import metrics, trace

from .settings import TelemetrySettings

SCOPE = "acs_migration"
logger = logging.getLogger(__name__)
_meter = metrics.get_meter(SCOPE)
_tracer = trace.get_tracer(SCOPE)

# Every instrument's name (the contract above), unit and description.
INSTRUMENTS: dict[str, tuple[str, str]] = {
    "migration.messages.copied": ("{message}", "Messages copied into ACS by export slices"),
    "migration.throttled": ("{response}", "429 answers from ACS or Twilio"),
    "migration.throttle.wait": ("s", "Time waited after a 429 before trying again"),
    "migration.conversations": ("{conversation}", "Conversations a run settled, by outcome"),
    "migration.runs": ("{run}", "Runs that finished, by status"),
    "migration.run.duration": ("s", "From a run's start to its end"),
    "fanout.deliveries": ("{delivery}", "Delivery attempts to subscribers, by outcome"),
    "fanout.delivery.duration": ("s", "One delivery attempt, from dequeue to settled"),
    "fanout.dead_letters": ("{delivery}", "Deliveries dead-lettered after their last attempt"),
    "tokens.issued": ("{token}", "ACS user tokens issued"),
}


def _counter(name: str) -> metrics.Counter:
    unit, description = INSTRUMENTS[name]
    return _meter.create_counter(name, unit=unit, description=description)


def _histogram(name: str) -> metrics.Histogram:
    unit, description = INSTRUMENTS[name]
    return _meter.create_histogram(name, unit=unit, description=description)


MESSAGES_COPIED = _counter("migration.messages.copied")
THROTTLED = _counter("migration.throttled")
THROTTLE_WAIT = _histogram("migration.throttle.wait")
CONVERSATIONS = _counter("migration.conversations")
RUNS = _counter("migration.runs")
RUN_DURATION = _histogram("migration.run.duration")
DELIVERIES = _counter("fanout.deliveries")
DELIVERY_DURATION = _histogram("fanout.delivery.duration")
DEAD_LETTERS = _counter("fanout.dead_letters")
TOKENS_ISSUED = _counter("tokens.issued")

OUTCOMES = {"done": "done", "failed": "failed", "skipped": "not_migratable"}


def messages_copied(count: int, *, run_id: str | None) -> None:
    if count > 0:
        MESSAGES_COPIED.add(count, {"migration.run.id": run_id or "live"})


def throttled(service: str, waited_seconds: float) -> None:
    THROTTLED.add(1, {"peer.service": service})
    THROTTLE_WAIT.record(max(0.0, waited_seconds), {"peer.service": service})


def conversation_settled(run_id: str, ledger_status: str) -> None:
    """``ledger_status`` as the run's ledger says it (done, failed, skipped = not migratable)."""
    CONVERSATIONS.add(1, {"migration.run.id": run_id, "outcome": OUTCOMES.get(ledger_status, ledger_status)})


def run_finished(*, kind: str, status: str, seconds: float) -> None:
    attributes = {"migration.run.kind": kind, "migration.run.status": status}
    RUNS.add(1, attributes)
    RUN_DURATION.record(max(0.0, seconds), attributes)


def token_issued(*, route: str, caller_kind: str) -> None:
    TOKENS_ISSUED.add(1, {"token.route": route, "caller.kind": caller_kind})


@contextmanager
def work_item_span(item: Mapping[str, Any]) -> Iterator[trace.Span]:
    """The span of one migration queue item (an export slice, a plan step, a live sync)."""
    conversation = item.get("conversation")
    sid = item.get("conversationSid") or (conversation.get("sid") if isinstance(conversation, dict) else None)
    attributes = {"migration.item.kind": str(item.get("kind")), "migration.run.id": str(item.get("runId") or ""),
                  "migration.conversation.sid": str(sid or "")}
    with _tracer.start_as_current_span("migration.work_item", kind=trace.SpanKind.CONSUMER,
                                       attributes=attributes) as span:
        yield span


class DeliveryRecorder:
    """What ``delivery_span`` hands its block: call ``settled(outcome)`` once the attempt is settled."""

    def __init__(self, span: trace.Span, fmt: str) -> None:
        self.span = span
        self.format = fmt
        self.outcome = "failed"

    def settled(self, outcome: str) -> None:
        self.outcome = outcome


@contextmanager
def delivery_span(*, delivery_id: str, subscription_id: str, fmt: str, attempt: int) -> Iterator[DeliveryRecorder]:
    """The span, counter and duration of one delivery attempt; an exception counts as ``failed``."""
    started = time.monotonic()
    attributes: dict[str, str | int] = {"fanout.delivery.id": delivery_id, "fanout.subscription.id": subscription_id,
                  "fanout.format": fmt, "fanout.attempt": attempt}
    with _tracer.start_as_current_span("fanout.delivery", kind=trace.SpanKind.PRODUCER,
                                       attributes=attributes) as span:
        recorder = DeliveryRecorder(span, fmt)
        try:
            yield recorder
        finally:
            span.set_attribute("outcome", recorder.outcome)
            labels = {"fanout.format": fmt, "outcome": recorder.outcome}
            DELIVERIES.add(1, labels)
            DELIVERY_DURATION.record(time.monotonic() - started, labels)
            if recorder.outcome == "dead-lettered":
                DEAD_LETTERS.add(1, {"fanout.format": fmt})


def configure_telemetry(settings: TelemetrySettings) -> bool:
    """Send traces, metrics and logs to Azure Monitor when a connection string is set; True if it did."""
    if not settings.enabled or settings.connection_string is None:
        return False
    from azure.monitor.opentelemetry import configure_azure_monitor

    options: dict[str, Any] = {"connection_string": settings.connection_string.reveal(), "logger_name": "shared"}
    if settings.managed_identity_client_id:
        from azure.identity import ManagedIdentityCredential

        options["credential"] = ManagedIdentityCredential(client_id=settings.managed_identity_client_id)
    configure_azure_monitor(**options)
    logger.info("telemetry goes to Azure Monitor (scope %s)", SCOPE)
    return True
