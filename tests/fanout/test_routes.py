"""Admin routes of the fan-out, called as the worker calls them: bad input is a clear 4xx and nothing is written."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest

from shared.container import AppContainer
from shared.fanout.deliveries import DeliveryMessage
from shared.state import DeadLetter
from shared.triggers import fanout
from tests.functions import function_json, handler, http_request, indexed_functions

from .conftest import SECRET


@pytest.fixture
def app(container: AppContainer) -> func.FunctionApp:
    built = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    built.register_functions(fanout.build_blueprint(container))
    return built


@pytest.fixture
def strict_app(app_environ: dict[str, str]) -> func.FunctionApp:
    """The production defaults: https only, no private targets."""
    built = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    built.register_functions(fanout.build_blueprint(AppContainer.from_environ(app_environ)))
    return built


def call(app: func.FunctionApp, name: str, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    response = handler(app, name)(http_request(method, path, **kwargs))
    body = response.get_body()
    return response.status_code, json.loads(body) if body else None


def create(app: func.FunctionApp, body: Any, **kwargs: Any) -> tuple[int, Any]:
    return call(app, "subscriptions_create", "POST", "/api/subscriptions", body=body, **kwargs)


VALID = {"url": "http://127.0.0.1:9/hook", "format": "twilio", "secret": SECRET}


def test_the_functions_are_indexed_with_their_triggers_and_function_keys(app: func.FunctionApp) -> None:
    functions = {name: function_json(f)["bindings"][0] for name, f in indexed_functions(app).items()}
    assert functions["fanout_acs_event"]["type"] == "eventGridTrigger"
    assert functions["fanout_deliver"] == {
        "direction": "IN", "type": "queueTrigger", "name": "msg", "queueName": "%DELIVERY_QUEUE%",
        "connection": "AzureWebJobsStorage",
    }
    routes = {name: (b["route"], b["methods"], b["authLevel"]) for name, b in functions.items() if "route" in b}
    assert routes == {
        "subscriptions_create": ("subscriptions", ["POST"], "FUNCTION"),
        "subscriptions_list": ("subscriptions", ["GET"], "FUNCTION"),
        "subscriptions_get": ("subscriptions/{id}", ["GET"], "FUNCTION"),
        "subscriptions_update": ("subscriptions/{id}", ["PATCH"], "FUNCTION"),
        "subscriptions_delete": ("subscriptions/{id}", ["DELETE"], "FUNCTION"),
        "deliveries_dead": ("deliveries/dead", ["GET"], "FUNCTION"),
        "deliveries_replay": ("deliveries/replay", ["POST"], "FUNCTION"),
    }


def test_an_operator_pauses_and_resumes_a_subscription(app: func.FunctionApp, container: AppContainer) -> None:
    _, created = create(app, VALID)
    path, params = f"/api/subscriptions/{created['id']}", {"id": created["id"]}
    status, paused = call(app, "subscriptions_update", "PATCH", path, route_params=params, body={"enabled": False})
    assert status == 200
    assert (paused["enabled"], paused["disabledReason"]) == (False, "disabled by an operator")
    assert container.subscriptions.get_subscription(created["id"]).enabled is False
    assert list(container.subscriptions.list_subscriptions(enabled_only=True)) == []
    status, resumed = call(app, "subscriptions_update", "PATCH", path, route_params=params, body={"enabled": True})
    assert status == 200
    assert (resumed["enabled"], resumed["disabledReason"]) == (True, None)
    assert SECRET not in json.dumps(resumed)


@pytest.mark.parametrize(("body", "status", "target"), [
    ({"enabled": "no"}, 400, "enabled"), ({}, 400, "enabled"), ({"enabled": True, "url": "https://x"}, 400, "url"),
])
def test_a_bad_update_is_a_400_naming_the_field_and_changes_nothing(
    app: func.FunctionApp, container: AppContainer, body: dict[str, Any], status: int, target: str,
) -> None:
    _, created = create(app, VALID)
    answer, error = call(app, "subscriptions_update", "PATCH", "/x", route_params={"id": created["id"]}, body=body)
    assert (answer, error["error"]["target"]) == (status, target)
    assert container.subscriptions.get_subscription(created["id"]).enabled is True


def test_updating_a_missing_subscription_is_a_404(app: func.FunctionApp) -> None:
    for sub_id in ("sub_" + "0" * 24, "nonsense"):
        status, error = call(app, "subscriptions_update", "PATCH", "/x", route_params={"id": sub_id},
                             body={"enabled": False})
        assert (status, error["error"]["code"]) == (404, "SubscriptionNotFound")


def test_create_list_get_delete_never_return_the_secret(app: func.FunctionApp) -> None:
    status, created = create(app, {**VALID, "eventTypes": ["onMessageAdded"], "includeMigrated": True})
    assert status == 201
    assert created["eventTypes"] == ["onMessageAdded"]
    assert created["includeMigrated"] is True
    status, listed = call(app, "subscriptions_list", "GET", "/api/subscriptions")
    status_one, one = call(app, "subscriptions_get", "GET", f"/api/subscriptions/{created['id']}",
                           route_params={"id": created["id"]})
    assert status == status_one == 200
    assert listed["value"] == [created]
    assert one == created
    for body in (created, listed, one):
        assert SECRET not in json.dumps(body)
        assert "secret" not in json.dumps(body).lower()
    status, _ = call(app, "subscriptions_delete", "DELETE", "/x", route_params={"id": created["id"]})
    assert status == 204
    assert call(app, "subscriptions_delete", "DELETE", "/x", route_params={"id": created["id"]})[0] == 204
    assert call(app, "subscriptions_get", "GET", "/x", route_params={"id": created["id"]})[0] == 404


@pytest.mark.parametrize(("body", "status", "target"), [
    ({**VALID, "url": None}, 400, "url"),
    ({k: v for k, v in VALID.items() if k != "url"}, 400, "url"),
    ({**VALID, "format": "xml"}, 400, "format"),
    ({**VALID, "secret": "short"}, 400, "secret"),
    ({**VALID, "secret": 12345678901234567}, 400, "secret"),
    ({**VALID, "eventTypes": "onMessageAdded"}, 400, "eventTypes"),
    ({**VALID, "eventTypes": ["onMessageAdd"]}, 400, "eventTypes"),
    ({**VALID, "eventTypes": ["Microsoft.Communication.ChatThreadCreated"]}, 400, "eventTypes"),
    ({**VALID, "includeMigrated": "yes"}, 400, "includeMigrated"),
    ({**VALID, "callback": "x"}, 400, "callback"),
    ({**VALID, "url": "ftp://127.0.0.1/x"}, 400, "url"),
    ({**VALID, "url": "http://169.254.169.254/latest/meta-data"}, 400, "url"),
    ({**VALID, "url": "http://user:pw@127.0.0.1/x"}, 400, "url"),
])
def test_bad_subscription_requests_name_the_field_and_write_nothing(
    app: func.FunctionApp, body: dict[str, Any], status: int, target: str
) -> None:
    got, error = create(app, body)
    assert got == status
    assert error["error"]["target"] == target
    assert SECRET not in json.dumps(error)
    assert call(app, "subscriptions_list", "GET", "/api/subscriptions")[1] == {"value": []}


def test_bodies_that_are_not_json_objects_are_refused(app: func.FunctionApp) -> None:
    assert create(app, "url=x", headers={"content-type": "application/x-www-form-urlencoded"})[0] == 415
    assert create(app, "{not json", headers={"content-type": "application/json"})[0] == 400
    assert create(app, "[1]", headers={"content-type": "application/json"})[0] == 400
    assert create(app, b"", headers={"content-type": "application/json"})[0] == 400
    assert create(app, "x" * (1024 * 1024 + 1), headers={"content-type": "application/json"})[0] == 413


def test_production_defaults_refuse_http_and_loopback_targets(strict_app: func.FunctionApp) -> None:
    status, error = create(strict_app, VALID)
    assert status == 400
    assert "https" in error["error"]["message"]
    status, error = create(strict_app, {**VALID, "url": "https://127.0.0.1/hook"})
    assert status == 400
    assert "loopback" in error["error"]["message"]
    status, error = create(strict_app, {**VALID, "url": "https://[::ffff:10.0.0.1]/hook"})
    assert status == 400
    assert "private" in error["error"]["message"]


def test_unknown_subscriptions_are_404(app: func.FunctionApp) -> None:
    for sub_id in ("sub_" + "0" * 24, "nope", "sub_/../x", "' or PartitionKey ne '"):
        status, error = call(app, "subscriptions_get", "GET", "/x", route_params={"id": sub_id})
        assert status == 404
        assert error["error"]["code"] == "SubscriptionNotFound"
    for sub_id in ("nope", "sub_/../x", "' or PartitionKey ne '"):  # never an id: not "already gone" either
        status, error = call(app, "subscriptions_delete", "DELETE", "/x", route_params={"id": sub_id})
        assert status == 404
        assert error["error"]["target"] == "id"


def _dead(container: AppContainer, delivery_id: str, sub_id: str = "sub_" + "1" * 24) -> DeadLetter:
    message = DeliveryMessage(delivery_id=delivery_id, subscription_id=sub_id, event_id="e-" + delivery_id,
                              event_type="Microsoft.Communication.ChatThreadCreated", format="twilio",
                              body={"EventType": "onConversationAdded"}, attempt=3)
    letter = DeadLetter(delivery_id=delivery_id, subscription_id=sub_id, event_id=message.event_id,
                        event_type=message.event_type, attempts=3, last_status=503, last_error="HTTP 503",
                        body_excerpt="busy", payload=message.text())
    return container.dead_letters.upsert_dead_letter(letter)


@pytest.mark.parametrize(("params", "target"), [({"limit": "0"}, "limit"), ({"limit": "x"}, "limit"),
                                                ({"limit": "1001"}, "limit"),
                                                ({"subscriptionId": "') or (RowKey ne '"}, "subscriptionId")])
def test_dead_letter_listing_checks_its_parameters(app: func.FunctionApp, params: dict[str, str], target: str) -> None:
    status, error = call(app, "deliveries_dead", "GET", "/api/deliveries/dead", params=params)
    assert status == 400
    assert error["error"]["target"] == target


@pytest.mark.parametrize("body", [
    {}, {"all": False}, {"all": "yes"}, {"deliveryIds": []}, {"deliveryIds": "dlv_1"}, {"deliveryIds": [1]},
    {"deliveryIds": ["dlv_1"], "all": True}, {"subscriptionId": 5}, {"everything": True},
    {"subscriptionId": "x' or 1 eq 1 or 'a' eq 'a"}, {"subscriptionId": "sub_" + "0" * 23},
])
def test_bad_replay_requests_are_400_and_replay_nothing(
    app: func.FunctionApp, container: AppContainer, body: dict[str, Any]
) -> None:
    _dead(container, "dlv_a")
    status, _ = call(app, "deliveries_replay", "POST", "/api/deliveries/replay", body=body)
    assert status == 400
    assert [d.delivery_id for d in container.dead_letters.list_dead_letters()] == ["dlv_a"]


def test_replay_of_an_unknown_id_is_404_and_replays_none_of_the_others(
    app: func.FunctionApp, container: AppContainer
) -> None:
    _dead(container, "dlv_a")
    status, error = call(app, "deliveries_replay", "POST", "/api/deliveries/replay",
                         body={"deliveryIds": ["dlv_a", "dlv_missing"]})
    assert status == 404
    assert "dlv_missing" in error["error"]["message"]
    assert [d.delivery_id for d in container.dead_letters.list_dead_letters()] == ["dlv_a"]
    assert container.delivery_queue.approximate_length() == 0


def test_dead_letters_are_listed_and_replayed_at_attempt_one(app: func.FunctionApp, container: AppContainer) -> None:
    _dead(container, "dlv_a")
    _dead(container, "dlv_b", sub_id="sub_" + "2" * 24)
    status, listed = call(app, "deliveries_dead", "GET", "/api/deliveries/dead",
                          params={"subscriptionId": "sub_" + "2" * 24})
    assert status == 200
    assert [(d["deliveryId"], d["lastStatus"], d["bodyExcerpt"], d["attempts"]) for d in listed["value"]] == [
        ("dlv_b", 503, "busy", 3)
    ]
    status, replayed = call(app, "deliveries_replay", "POST", "/api/deliveries/replay", body={"all": True})
    assert status == 202
    assert sorted(replayed["deliveryIds"]) == ["dlv_a", "dlv_b"]
    assert list(container.dead_letters.list_dead_letters()) == []
    messages = container.delivery_queue.client.receive_messages(messages_per_page=32)
    queued = [DeliveryMessage.parse(m.content) for m in messages]
    assert sorted((m.delivery_id, m.attempt) for m in queued) == [("dlv_a", 1), ("dlv_b", 1)]


def test_settings_errors_make_every_route_503(fanout_environ: dict[str, str]) -> None:
    broken = AppContainer.from_environ({**fanout_environ, "FANOUT_MAX_ATTEMPTS": "zero"})
    assert broken.settings_error is not None
    assert broken.settings_error.names == ["FANOUT_MAX_ATTEMPTS"]
    built = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    built.register_functions(fanout.build_blueprint(broken))
    status, error = create(built, VALID)
    assert status == 503
    assert "FANOUT_MAX_ATTEMPTS" in error["error"]["message"]


def test_the_event_grid_function_enqueues_chat_events_and_drops_others(
    app: func.FunctionApp, container: AppContainer
) -> None:
    create(app, VALID)
    on_event = handler(app, "fanout_acs_event")
    data = {"threadId": "19:x@thread.v2", "messageId": "1", "messageBody": "hi", "metadata": {}}
    on_event(func.EventGridEvent(id="e1", data=data, topic="/acs", subject="s", event_time=None, data_version="1.0",
                                 event_type="Microsoft.Communication.ChatMessageReceivedInThread"))
    on_event(func.EventGridEvent(id="e2", data={}, topic="/acs", subject="s", event_time=None, data_version="1.0",
                                 event_type="Microsoft.Communication.CallStarted"))  # not chat: ignored
    on_event(func.EventGridEvent(id="", data={}, topic="/acs", subject="s", event_time=None, data_version="1.0",
                                 event_type="Microsoft.Communication.ChatThreadCreated"))  # malformed: dropped
    on_event(func.CloudEvent(id="e3", source="/acs", type="Microsoft.Communication.ChatMessageReceivedInThread",
                             specversion="1.0", data={**data, "messageBody": "from a CloudEvent"}))
    messages = container.delivery_queue.client.receive_messages(messages_per_page=32)
    bodies = sorted(DeliveryMessage.parse(m.content).body["Body"] for m in messages)
    assert bodies == ["from a CloudEvent", "hi"]


def test_the_deliverer_drops_malformed_queue_messages_without_failing(app: func.FunctionApp) -> None:
    from azure.functions.queue import QueueMessage

    deliver = handler(app, "fanout_deliver")
    assert deliver(QueueMessage(id="m1", body=b"not json")) is None
    assert deliver(QueueMessage(id="m2", body=b'{"delivery_id": "x"}')) is None
