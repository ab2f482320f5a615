"""A delivery: one event for one subscription, as it travels on the delivery queue."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from ..errors import BadRequestError

DELIVERY_ID_HEADER = "X-Delivery-Id"


def delivery_id_for(subscription_id: str, event_id: str) -> str:
    """Stable per (subscription, event): Event Grid's redeliveries of an event get the same id."""
    digest = hashlib.sha256(f"{subscription_id}\n{event_id}".encode()).hexdigest()
    return "dlv_" + digest[:32]


def retry_delay(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before attempt ``attempt + 1``: ``base * 2**(attempt-1)``, capped, with jitter in [50%, 100%]."""
    plain = min(cap, base * 2.0 ** min(attempt - 1, 30))
    fraction: float = (rng or random.Random()).random()
    return plain * (0.5 + fraction / 2)


_PACKED = "zlib:"
_MAX_PLAIN_CHARS = 30_000  # a Table Storage string property holds 32K UTF-16 characters


def pack_payload(text: str) -> str:
    """A queued delivery's JSON made small enough for a dead-letter row (compressed when long)."""
    if len(text) <= _MAX_PLAIN_CHARS:
        return text
    return _PACKED + base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def unpack_payload(stored: str) -> str:
    if not stored.startswith(_PACKED):
        return stored
    try:
        return zlib.decompress(base64.b64decode(stored[len(_PACKED):], validate=True)).decode("utf-8")
    except (ValueError, zlib.error):
        raise BadRequestError("A dead letter's stored payload is corrupt; it cannot be replayed.") from None


@dataclass(frozen=True)
class DeliveryMessage:
    """What the deliverer needs besides the subscription itself (its URL and secret are read fresh)."""

    delivery_id: str
    subscription_id: str
    event_id: str
    event_type: str  # the ACS event type
    format: str  # twilio | cloudevents | twilio-video
    body: dict[str, Any]  # Twilio form fields, or the CloudEvent
    attempt: int = 1
    enqueued_at: float = 0.0  # epoch seconds the event was first enqueued (for latency figures)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=True, separators=(",", ":"), sort_keys=True)

    def next_attempt(self) -> DeliveryMessage:
        return replace(self, attempt=self.attempt + 1)

    def first_attempt(self) -> DeliveryMessage:
        return replace(self, attempt=1)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> DeliveryMessage:
        """Parse a queued delivery; ``BadRequestError`` naming the first bad field."""
        try:
            message = cls(
                delivery_id=str(raw["delivery_id"]),
                subscription_id=str(raw["subscription_id"]),
                event_id=str(raw["event_id"]),
                event_type=str(raw["event_type"]),
                format=str(raw["format"]),
                body=dict(raw["body"]),
                attempt=int(raw.get("attempt", 1)),
                enqueued_at=float(raw.get("enqueued_at", 0.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BadRequestError(f"The delivery message is malformed ({type(exc).__name__}: {exc}).") from None
        if message.format not in ("twilio", "cloudevents", "twilio-video") or message.attempt < 1:
            raise BadRequestError("The delivery message has an unknown format or attempt number.")
        return message

    @classmethod
    def parse(cls, text: str) -> DeliveryMessage:
        try:
            raw = json.loads(text)
        except ValueError:
            raise BadRequestError("The delivery message is not JSON.") from None
        if not isinstance(raw, dict):
            raise BadRequestError("The delivery message is not a JSON object.")
        return cls.from_json(raw)
