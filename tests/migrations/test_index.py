"""The migration functions as the host would index them."""

from __future__ import annotations

import function_app
from tests.functions import function_json, indexed_functions


def _trigger(name: str) -> dict[str, object]:
    return function_json(indexed_functions(function_app.app)[name])["bindings"][0]  # type: ignore[no-any-return]


def test_http_routes_and_auth_levels() -> None:
    assert _trigger("start_migration") | {} == {
        "direction": "IN", "type": "httpTrigger", "name": "req", "methods": ["POST"],
        "authLevel": "FUNCTION", "route": "migrations",
    }
    assert _trigger("list_migrations")["methods"] == ["GET"]
    assert _trigger("get_migration")["route"] == "migrations/{runId}"
    assert _trigger("get_migration")["authLevel"] == "FUNCTION"
    twilio = _trigger("twilio_events")
    assert twilio["route"] == "twilio/events"
    assert twilio["authLevel"] == "ANONYMOUS"  # Twilio cannot send a function key; the signature is checked


def test_queue_and_timer_bindings() -> None:
    worker = _trigger("migration_worker")
    assert worker["type"] == "queueTrigger"
    assert worker["queueName"] == "%MIGRATION_QUEUE%"
    assert worker["connection"] == "AzureWebJobsStorage"
    assert _trigger("migration_poison")["queueName"] == "%MIGRATION_QUEUE%-poison"
    timer = _trigger("nightly_sync")
    assert timer["type"] == "timerTrigger"
    assert timer["schedule"] == "%NIGHTLY_SCHEDULE%"
    assert timer["runOnStartup"] is False
