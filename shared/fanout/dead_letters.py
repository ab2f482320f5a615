"""Dead-lettered deliveries: list them, and replay them onto the delivery queue."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice
from typing import Any

from ..errors import BadRequestError, ConflictError
from ..state import DeadLetter, DeadLetterStore
from ..state.queues import WorkQueue
from .deliveries import DeliveryMessage, unpack_payload
from .subscriptions import is_subscription_id

MAX_REPLAY = 1000


def dead_letter_view(letter: DeadLetter) -> dict[str, Any]:
    """What ``GET /api/deliveries/dead`` shows of a dead letter (never a secret; none is stored)."""
    return {
        "deliveryId": letter.delivery_id,
        "subscriptionId": letter.subscription_id,
        "eventId": letter.event_id,
        "eventType": letter.event_type,
        "attempts": letter.attempts,
        "lastStatus": letter.last_status,
        "lastError": letter.last_error,
        "bodyExcerpt": letter.body_excerpt,
        "failedAt": letter.failed_at.isoformat(),
    }


def parse_replay_request(body: Mapping[str, Any]) -> dict[str, Any]:
    """``{deliveryIds: [...]}``, ``{subscriptionId}`` or ``{all: true}``; exactly one of them."""
    unknown = sorted(set(body) - {"deliveryIds", "subscriptionId", "all"})
    if unknown:
        raise BadRequestError(f"Unknown field(s) {', '.join(unknown)}; expected deliveryIds, subscriptionId or all.",
                              target=unknown[0])
    chosen = [k for k in ("deliveryIds", "subscriptionId", "all") if body.get(k) not in (None, False)]
    if len(chosen) != 1:
        raise BadRequestError("Name exactly one of deliveryIds (a list), subscriptionId, or all: true.")
    if "deliveryIds" in chosen:
        ids = body["deliveryIds"]
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
            raise BadRequestError("deliveryIds must be a non-empty list of delivery ids.", target="deliveryIds")
        if len(ids) > MAX_REPLAY:
            raise BadRequestError(f"Replay at most {MAX_REPLAY} deliveries per request.", target="deliveryIds")
        return {"delivery_ids": list(dict.fromkeys(ids))}
    if "subscriptionId" in chosen:
        if not is_subscription_id(body["subscriptionId"]):
            raise BadRequestError("subscriptionId must be a subscription id (sub_ and 24 hex digits).",
                                  target="subscriptionId")
        return {"subscription_id": body["subscriptionId"]}
    if body["all"] is not True:
        raise BadRequestError("all must be true.", target="all")
    return {}


class DeadLetterService:
    """Lists dead letters and puts them back on the delivery queue (attempt 1), removing them after."""

    def __init__(self, *, store: DeadLetterStore, queue: WorkQueue) -> None:
        self._store = store
        self._queue = queue

    def list_dead_letters(self, *, subscription_id: str | None = None, limit: int = 100) -> list[DeadLetter]:
        return list(islice(self._store.list_dead_letters(subscription_id=subscription_id), limit))

    def replay(self, body: Mapping[str, Any]) -> list[str]:
        """Re-enqueue the chosen dead letters; all are checked before any is sent. Returns their ids."""
        request = parse_replay_request(body)
        if "delivery_ids" in request:
            letters = [self._store.get_dead_letter(i) for i in request["delivery_ids"]]  # 404 before any send
        else:
            letters = list(islice(self._store.list_dead_letters(subscription_id=request.get("subscription_id")),
                                  MAX_REPLAY))
        messages = []
        for letter in letters:
            if not letter.payload:
                raise ConflictError(f"The dead letter {letter.delivery_id} has no payload to replay "
                                    "(it never fitted on the queue).", target="deliveryIds")
            messages.append(DeliveryMessage.parse(unpack_payload(letter.payload)).first_attempt())
        for message in messages:
            self._queue.send(message.to_json())
            self._store.delete_dead_letter(message.delivery_id)
        return [m.delivery_id for m in messages]
