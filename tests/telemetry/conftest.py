"""One in-memory OpenTelemetry pipeline for the session (the API's global providers can be set once), and the
migration fixtures with an ACS stand-in of their own that answers some calls with 429."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from harness.process import RunningService, python_module_argv, start_service
from tests.migrations.conftest import host_json, host_port, seeder, served  # noqa: F401
from tests.standins import ACS_TIME_SCALE


@dataclass
class Telemetry:
    reader: InMemoryMetricReader
    spans: InMemorySpanExporter

    def value(self, name: str, **attributes: Any) -> float:
        """The sum of ``name``'s points (counter sums, histogram counts) whose attributes include ``attributes``."""
        total = 0.0
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name != name:
                        continue
                    for point in metric.data.data_points:
                        if all(point.attributes.get(k) == v for k, v in attributes.items()):
                            total += getattr(point, "value", None) if hasattr(point, "value") else point.count
        return total

    def finished_spans(self, name: str, **attributes: Any) -> list[ReadableSpan]:
        return [s for s in self.spans.get_finished_spans() if s.name == name
                and all((s.attributes or {}).get(k) == v for k, v in attributes.items())]


_PIPELINE: Telemetry | None = None


@pytest.fixture(scope="session")
def telemetry() -> Telemetry:
    global _PIPELINE
    if _PIPELINE is None:
        reader, spans = InMemoryMetricReader(), InMemorySpanExporter()
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(spans))
        trace.set_tracer_provider(provider)
        _PIPELINE = Telemetry(reader, spans)
    return _PIPELINE


@pytest.fixture(scope="module")
def throttling_acs() -> Iterator[RunningService]:
    """An ACS stand-in that answers one call in five with 429 (Retry-After), limits time-scaled as usual."""
    service = start_service("acs-429", python_module_argv(
        "emulators.acs", "--host", "127.0.0.1", "--port", "0", "--time-scale", ACS_TIME_SCALE, "--seed", "5",
        "--faults", "status:code=429,p=0.2"), timeout=60)
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def migration_environ(standin_environ: dict[str, str], throttling_acs: RunningService) -> dict[str, str]:
    return dict(
        standin_environ,
        ACS_CONNECTION_STRING=str(throttling_acs.info["connection_string"]),
        ACS_CA_BUNDLE=str(throttling_acs.info["ca_bundle"]),
        EXPORT_RATE_TIME_SCALE=ACS_TIME_SCALE, EXPORT_SLICE_SECONDS="0.4", EXPORT_LEASE_SECONDS="5",
        EXPORT_FLUSH_EVERY="5", MIGRATION_PLAN_SECONDS="10", LIVE_SYNC_DELAY_SECONDS="0.3",
        NIGHTLY_SCHEDULE="0 0 2 * * *",
        FANOUT_ALLOW_HTTP="true", FANOUT_ALLOW_PRIVATE_TARGETS="true", FANOUT_MAX_ATTEMPTS="2",
        FANOUT_RETRY_BASE_SECONDS="0", FANOUT_CACHE_SECONDS="0",
    )
