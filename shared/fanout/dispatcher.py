"""Event Grid event in: one delivery per matching subscription, first attempted at once, retries queued.

``deliver`` (what the Event Grid trigger calls) makes each first attempt straight away,
concurrently, with the subscription it matched (cached for ``cache_seconds``, dropped at
once when this instance changes one); only an attempt that fails puts a message on the
delivery queue (the retry, after its back-off). An event thus costs one POST per
subscriber and no storage round trip when subscribers answer. Nothing is lost when the
process dies mid-way: the trigger has not answered, so Event Grid delivers the event again
and every delivery is attempted again, with the same delivery id (at least once).
``dispatch`` queues every delivery instead (the first attempt then comes from the queue).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..state import DeadLetter, DeadLetterStore, Subscription, SubscriptionStore
from ..state.queues import WorkQueue
from .cloudevents_format import to_cloud_event
from .deliverer import Outcome
from .deliveries import DeliveryMessage, delivery_id_for
from .events import AcsEvent
from .matching import matches
from .twilio_format import TwilioTranslator
from .twilio_video_format import TwilioVideoTranslator

logger = logging.getLogger(__name__)


class FanoutDispatcher:
    """Translates each event once per format and enqueues a delivery for every matching subscription."""

    def __init__(
        self,
        *,
        subscriptions: SubscriptionStore,
        queue: WorkQueue,
        dead_letters: DeadLetterStore,
        translator: TwilioTranslator,
        video: TwilioVideoTranslator | None = None,
        cache_seconds: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._subscriptions = subscriptions
        self._queue = queue
        self._dead_letters = dead_letters
        self._translator = translator
        self._video = video
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cached: tuple[float, list[Subscription]] | None = None
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="fanout-enqueue")

    def _enabled_subscriptions(self) -> list[Subscription]:
        now = time.monotonic()
        with self._lock:
            if self._cached is not None and self._cached[0] > now:
                return self._cached[1]
        subs = list(self._subscriptions.list_subscriptions(enabled_only=True))
        if self._cache_seconds > 0:
            with self._lock:
                self._cached = (now + self._cache_seconds, subs)
        return subs

    def forget_subscriptions(self) -> None:
        """Drop the cached subscription list (this instance saw one created or deleted)."""
        with self._lock:
            self._cached = None

    def dispatch(self, event: AcsEvent) -> list[str]:
        """Enqueue one delivery per matching subscription; returns their delivery ids.

        Raises if the queue cannot be written, so that Event Grid redelivers the event
        (redeliveries get the same delivery ids, so subscribers can drop duplicates).
        """
        messages = [message for _, message in self._deliveries(event)]
        if len(messages) <= 1:
            return [d for d in map(self._enqueue, messages) if d is not None]
        # Independent queue writes go out together; any failure propagates so Event Grid redelivers.
        return [d for d in self._pool.map(self._enqueue, messages) if d is not None]

    def deliver(self, event: AcsEvent, attempt: Callable[[Subscription, DeliveryMessage], Outcome]
                ) -> dict[str, Outcome]:
        """First attempt of every delivery now, concurrently (``attempt`` settles each: a failure queues its
        retry); returns each delivery id's outcome. Raises when a retry could not be queued, so that Event
        Grid redelivers the event."""
        pairs = self._deliveries(event)
        if len(pairs) <= 1:
            return {message.delivery_id: attempt(sub, message) for sub, message in pairs}
        outcomes = self._pool.map(lambda pair: attempt(*pair), pairs)
        return {message.delivery_id: outcome for (_, message), outcome in zip(pairs, outcomes, strict=True)}

    def _deliveries(self, event: AcsEvent) -> list[tuple[Subscription, DeliveryMessage]]:
        """The matching subscriptions, each with its delivery (the event translated once per format)."""
        if not (event.is_chat or (event.is_calling and self._video is not None)):
            logger.info("event %s of type %s is not a chat or calling event; ignored", event.id, event.event_type)
            return []
        bodies: dict[str, dict[str, Any] | None] = {}
        messages: list[tuple[Subscription, DeliveryMessage]] = []
        enqueued_at = self._clock()
        for sub in self._enabled_subscriptions():
            if not matches(sub, event):
                continue
            if sub.format not in bodies:
                bodies[sub.format] = self._body(sub.format, event)
            body = bodies[sub.format]
            if body is None:
                continue
            messages.append((sub, DeliveryMessage(
                delivery_id=delivery_id_for(sub.subscription_id, event.id), subscription_id=sub.subscription_id,
                event_id=event.id, event_type=event.event_type, format=sub.format, body=body,
                enqueued_at=enqueued_at,
            )))
        return messages

    def _body(self, format: str, event: AcsEvent) -> dict[str, Any] | None:
        """The event in one subscription format (translated once per event, whatever the subscriber count)."""
        if format == "twilio-video":
            return self._video.translate(event) if self._video is not None else None
        return self._translator.translate(event) if format == "twilio" else to_cloud_event(event)

    def _enqueue(self, message: DeliveryMessage) -> str | None:
        try:
            self._queue.send(message.to_json())
        except ValueError as exc:  # too large for a queue message: keep it where an operator sees it
            self._dead_letters.upsert_dead_letter(DeadLetter(
                delivery_id=message.delivery_id, subscription_id=message.subscription_id, event_id=message.event_id,
                event_type=message.event_type, attempts=0, last_status=None,
                last_error=f"not enqueued: {exc}", body_excerpt=message.text()[:1024], payload="",
            ))
            logger.warning("delivery %s is too large for the queue; dead-lettered", message.delivery_id)
            return None
        return message.delivery_id
