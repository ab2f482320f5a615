"""Event fan-out admin routes: subscriptions and dead letters (function key)."""

from __future__ import annotations

from .common import (
    BOOLEAN,
    DATE_TIME,
    FUNCTION_KEY,
    INTEGER,
    STRING,
    Json,
    answer,
    array,
    nullable,
    obj,
    operation,
    path_param,
    query_param,
    ref,
)

_SUB_ID: Json = {"type": "string", "pattern": "^sub_[0-9a-f]{24}$"}
_FORMAT: Json = {"type": "string", "enum": ["twilio", "cloudevents", "twilio-video"]}
_LIMIT = query_param("limit", "How many, 1 to 1000 (default 100).", {"type": "string", "pattern": "^[0-9]+$"})

SCHEMAS: Json = {
    "SubscriptionRequest": obj({
        "url": {**STRING, "description": "The subscriber's https URL; private and loopback addresses are refused."},
        "format": _FORMAT,
        "secret": {**STRING, "minLength": 16, "maxLength": 256, "writeOnly": True,
                   "description": "What the subscriber verifies signatures with; never shown again."},
        "eventTypes": {**array(STRING), "description": "Event names in the format's vocabulary; empty: all."},
        "includeMigrated": {**BOOLEAN, "description": "Also deliver messages the migration wrote."},
    }, required=["url", "format", "secret"]),
    "Subscription": obj({
        "id": _SUB_ID, "url": STRING, "format": _FORMAT, "eventTypes": array(STRING),
        "includeMigrated": BOOLEAN, "enabled": BOOLEAN, "disabledReason": nullable(STRING), "createdAt": DATE_TIME,
    }, required=["id", "url", "format", "eventTypes", "includeMigrated", "enabled", "createdAt"],
        description="A subscription as the admin routes show it: never its secret."),
    "SubscriptionUpdate": obj({"enabled": BOOLEAN}, required=["enabled"]),
    "SubscriptionList": obj({"value": array(ref("Subscription"))}, required=["value"]),
    "DeadLetter": obj({
        "deliveryId": STRING, "subscriptionId": STRING, "eventId": STRING, "eventType": STRING,
        "attempts": INTEGER,
        "lastStatus": {**nullable({"type": "integer"}), "description": "The subscriber's last HTTP status."},
        "lastError": nullable(STRING),
        "bodyExcerpt": {**nullable(STRING), "description": "The start of the subscriber's last answer."},
        "failedAt": DATE_TIME,
    }, required=["deliveryId", "subscriptionId", "eventId", "eventType", "attempts", "failedAt"]),
    "DeadLetterList": obj({"value": array(ref("DeadLetter"))}, required=["value"]),
    "ReplayRequest": {
        "description": "Exactly one of deliveryIds, subscriptionId or all.",
        "oneOf": [
            obj({"deliveryIds": {**array(STRING), "minItems": 1, "maxItems": 1000}}, required=["deliveryIds"]),
            obj({"subscriptionId": _SUB_ID}, required=["subscriptionId"]),
            obj({"all": {"const": True}}, required=["all"]),
        ],
    },
    "ReplayAnswer": obj({"replayed": INTEGER, "deliveryIds": array(STRING)}, required=["replayed", "deliveryIds"]),
}

_ID = path_param("id", "The subscription id (sub_ and 24 hex digits).")

PATHS: Json = {
    "/subscriptions": {
        "post": operation(
            "subscriptions_create", tag="fanout", summary="Add a webhook subscription",
            description="Checks the URL (https, public address) before storing. The answer never holds the secret.",
            security=FUNCTION_KEY, body=ref("SubscriptionRequest"),
            responses={"201": answer("Created.", ref("Subscription"))}, errors=(400, 413, 415),
        ),
        "get": operation(
            "subscriptions_list", tag="fanout", summary="List subscriptions",
            description="Every subscription with its format, event types and whether it is enabled; no secrets.",
            security=FUNCTION_KEY, responses={"200": answer("The subscriptions.", ref("SubscriptionList"))},
        ),
    },
    "/subscriptions/{id}": {
        "get": operation(
            "subscriptions_get", tag="fanout", summary="One subscription",
            description="The subscription without its secret.", security=FUNCTION_KEY, parameters=[_ID],
            responses={"200": answer("The subscription.", ref("Subscription"))}, errors=(404,),
        ),
        "patch": operation(
            "subscriptions_update", tag="fanout", summary="Pause or resume a subscription",
            description="Body {enabled: false} stops deliveries without forgetting the subscription (its reason "
                        "says an operator paused it); {enabled: true} resumes them.",
            security=FUNCTION_KEY, parameters=[_ID], body=ref("SubscriptionUpdate"),
            responses={"200": answer("The subscription.", ref("Subscription"))}, errors=(400, 404, 413, 415),
        ),
        "delete": operation(
            "subscriptions_delete", tag="fanout", summary="Delete a subscription",
            description="Stops deliveries to it (other instances within FANOUT_CACHE_SECONDS).",
            security=FUNCTION_KEY, parameters=[_ID], responses={"204": answer("Deleted.")}, errors=(404,),
        ),
    },
    "/deliveries/dead": {"get": operation(
        "deliveries_dead", tag="fanout", summary="Dead letters",
        description="Deliveries that failed every attempt, newest first, with the subscriber's last status and "
                    "an excerpt of its answer.",
        security=FUNCTION_KEY,
        parameters=[query_param("subscriptionId", "Only this subscription's.", _SUB_ID), _LIMIT],
        responses={"200": answer("The dead letters.", ref("DeadLetterList"))}, errors=(400,),
    )},
    "/deliveries/replay": {"post": operation(
        "deliveries_replay", tag="fanout", summary="Replay dead letters",
        description="Queues the chosen dead letters again (attempt 1) and removes them; all are checked first.",
        security=FUNCTION_KEY, body=ref("ReplayRequest"),
        responses={"202": answer("Queued.", ref("ReplayAnswer"))}, errors=(400, 404, 413, 415),
    )},
}
