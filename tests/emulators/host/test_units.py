"""The pieces without a server: route templates, host.json parsing, app loading, setting expressions."""

from __future__ import annotations

import json
import urllib.request

import pytest

from emulators.host import AppLoadError, HostConfig, QueueOptions, index_functions, load_app, local_host_in_thread
from emulators.host.expressions import UnresolvedSettingError, resolve
from emulators.host.hostjson import HostJsonError, parse_timespan
from emulators.host.routing import RouteTemplate, RouteTemplateError
from tests.emulators.host.sample_app.function_app import app as sample_app

GUID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("items/{id}", "/items/7", {"id": "7"}),
        ("items/{id}", "/items", None),
        ("items/{id:int}", "/items/-12", {"id": "-12"}),
        ("items/{id:int}", "/items/x1", None),
        ("items/{id:guid}", f"/items/{GUID}", {"id": GUID}),
        ("flags/{on:bool}", "/flags/TRUE", {"on": "TRUE"}),
        ("Users/Me", "/users/me/", {}),
        ("files/{*rest}", "/files/a/b", {"rest": "a/b"}),
        ("files/{*rest}", "/files", {}),
        ("greet/{name?}", "/greet", {}),
        ("page/{n=1}", "/page", {"n": "1"}),
        ("page/{n=1}", "/page/4", {"n": "4"}),
        ("{name}.{ext}", "/report.pdf", {"name": "report", "ext": "pdf"}),
        ("", "/", {}),
    ],
)
def test_route_templates_match_like_aspnet(template: str, path: str, expected: dict[str, str] | None) -> None:
    assert RouteTemplate.compile(template).match(path) == expected


@pytest.mark.parametrize("template", ["a/{*rest}/b", "a/{x?}/b", "{a}/{a}", "{bad name}"])
def test_route_templates_the_host_refuses(template: str) -> None:
    with pytest.raises(RouteTemplateError):
        RouteTemplate.compile(template)


def test_literal_segments_take_precedence_over_parameters() -> None:
    literal, parameter, catch_all = (RouteTemplate.compile(t) for t in ("a/b", "a/{x}", "a/{*x}"))
    assert literal.precedence < parameter.precedence < catch_all.precedence


@pytest.mark.parametrize(
    ("value", "unit", "seconds"),
    [("00:00:02", 1.0, 2.0), ("00:01:00", 1.0, 60.0), ("1.00:00:00", 1.0, 86400.0), ("00:00:00.250", 1.0, 0.25),
     (2000, 0.001, 2.0), (30, 1.0, 30.0)],
)
def test_timespans(value: object, unit: float, seconds: float) -> None:
    assert parse_timespan(value, name="x", integer_unit_seconds=unit) == pytest.approx(seconds)


def test_host_json_defaults_and_overrides() -> None:
    assert HostConfig.from_json({"version": "2.0"}) == HostConfig("api", QueueOptions(16, 8, 60.0, 0.0, 5, "base64"))
    config = HostConfig.from_json(
        {
            "extensions": {
                "http": {"routePrefix": "/v1/"},
                "queues": {"batchSize": 8, "maxPollingInterval": 500, "visibilityTimeout": "00:00:30",
                           "maxDequeueCount": 2, "messageEncoding": "None"},
            }
        }
    )
    assert config.route_prefix == "v1"
    assert config.queues == QueueOptions(8, 4, 0.5, 30.0, 2, "none")


@pytest.mark.parametrize(
    "queues",
    [{"batchSize": 0}, {"batchSize": 33}, {"maxDequeueCount": 0}, {"messageEncoding": "utf8"},
     {"maxPollingInterval": "soon"}, {"maxPollingInterval": 10}],
)
def test_host_json_values_the_host_refuses(queues: dict[str, object]) -> None:
    with pytest.raises(HostJsonError):
        HostConfig.from_json({"extensions": {"queues": queues}})


def test_setting_expressions() -> None:
    assert resolve("%A%-x-%B%", {"A": "1", "B": "2"}) == "1-x-2"
    assert resolve("plain", {}) == "plain"
    with pytest.raises(UnresolvedSettingError, match="MISSING"):
        resolve("%MISSING%", {})


def test_load_app_mirrors_the_worker_indexer() -> None:
    assert load_app("tests.emulators.host.sample_app.function_app:app") is sample_app
    assert load_app("tests.emulators.host.sample_app.function_app") is sample_app
    with pytest.raises(AppLoadError, match="exactly one"):
        load_app("tests.emulators.host.bad_apps.two_apps")
    with pytest.raises(AppLoadError, match="exactly one"):
        load_app("tests.emulators.host.bad_apps.no_app")
    with pytest.raises(AppLoadError, match="not the module's FunctionApp"):
        load_app("tests.emulators.host.sample_app.function_app:other")


def test_indexing_twice_works_and_reads_function_json() -> None:
    first = {s.name: s for s in index_functions(sample_app)}
    second = {s.name: s for s in index_functions(sample_app)}  # get_functions() alone would raise here
    assert first.keys() == second.keys()
    assert first["flaky"].trigger == {
        "direction": "IN", "type": "queueTrigger", "name": "msg", "queueName": "%SAMPLE_FLAKY_QUEUE%",
        "connection": "AzureWebJobsStorage",
    }
    assert first["echo"].is_async
    assert not first["hello"].is_async
    assert first["configured_route"].wants_context


def test_local_host_in_thread_serves_synchronous_callers(sample_settings: dict[str, str]) -> None:
    with local_host_in_thread(sample_app, queues=False, settings=sample_settings, function_key="k") as host:
        with urllib.request.urlopen(f"{host.url}/api/items/9?code=k", timeout=10) as response:
            assert json.loads(response.read()) == {"id": "9"}
        assert host.status()["functions"]["get_item"]["successes"] == 1
    assert host.status()["state"] == "Stopped"

