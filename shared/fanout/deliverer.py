"""POST one queued delivery: sign it, send it to the checked address, and settle the outcome.

2xx: delivered. 410 Gone: the subscription is disabled. Anything else (or no complete
answer within one total deadline of 5 s for connect, TLS, headers and body; at most 1 KiB
of the body is read): a new queue message with the next attempt number, invisible for an
exponential back-off; after ``max_attempts`` a dead letter with the last status and a
response excerpt. Any unexpected failure inside an attempt counts as a failed attempt, so
it ends as a dead letter too; the function returns normally, and the host's own retries and
poison queue are only a last resort (when storage itself fails).
"""

from __future__ import annotations

import enum
import ipaddress
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from ..errors import BadRequestError, NotFoundError
from ..state import DeadLetter, DeadLetterStore, Subscription, SubscriptionStore
from ..state.queues import WorkQueue
from .cloudevents_format import CONTENT_TYPE as CLOUDEVENTS_CONTENT_TYPE
from .deadline import attempt_deadline
from .deliveries import DELIVERY_ID_HEADER, DeliveryMessage, pack_payload, retry_delay
from .http_clients import HttpClientPool
from .signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, TWILIO_SIGNATURE_HEADER, body_signature, twilio_signature
from .ssrf import Target, TargetResolutionError, UrlGuard

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5.0
EXCERPT_BYTES = 1024
USER_AGENT = "acs-fanout/1.0"


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    GONE = "gone"  # 410: subscription disabled
    RETRYING = "retrying"
    DEAD = "dead-lettered"
    DROPPED = "dropped"  # the subscription is gone or disabled


@dataclass(frozen=True)
class Attempt:
    """What one POST came to: a status (None when there was no answer), an error, a response excerpt."""

    status: int | None
    error: str | None = None
    excerpt: str = ""


def build_request(sub: Subscription, message: DeliveryMessage, *, now: float) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the POST, signed with the subscription's secret."""
    secret = sub.secret.reveal()
    headers = {DELIVERY_ID_HEADER: message.delivery_id, "User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if message.format in ("twilio", "twilio-video"):
        params = {str(k): str(v) for k, v in message.body.items()}
        params["RetryCount"] = str(message.attempt - 1)
        headers.update({
            "Content-Type": "application/x-www-form-urlencoded",
            TWILIO_SIGNATURE_HEADER: twilio_signature(sub.url, params, secret),
            "I-Twilio-Idempotency-Token": message.delivery_id,
        })
        return urlencode(params).encode("ascii"), headers
    body = json.dumps(message.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    timestamp = int(now)
    headers.update({
        "Content-Type": CLOUDEVENTS_CONTENT_TYPE,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: body_signature(timestamp, body, secret),
    })
    return body, headers


def pinned_url(target: Target, address: str) -> tuple[str, str]:
    """The URL with its host replaced by the checked ``address``, and the Host header to send."""
    parts = urlsplit(target.url)
    literal = f"[{address}]" if isinstance(ipaddress.ip_address(address.split("%")[0]), ipaddress.IPv6Address) \
        else address
    default_port = 443 if parts.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    if ":" in target.host:
        host_header = f"[{target.host}]" if target.port == default_port else f"[{target.host}]:{target.port}"
    return urlunsplit((parts.scheme, f"{literal}:{target.port}", parts.path or "/", parts.query, "")), host_header


class Deliverer:
    """Delivers queued messages; every dependency comes in through the constructor."""

    def __init__(
        self,
        *,
        subscriptions: SubscriptionStore,
        queue: WorkQueue,
        dead_letters: DeadLetterStore,
        guard: UrlGuard,
        http: HttpClientPool,
        max_attempts: int = 8,
        retry_base_seconds: float = 10.0,
        retry_max_seconds: float = 3600.0,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        timeout_seconds: float = TIMEOUT_SECONDS,
    ) -> None:
        self._subscriptions = subscriptions
        self._queue = queue
        self._dead_letters = dead_letters
        self._guard = guard
        self._http = http
        self._max_attempts = max_attempts
        self._retry_base = retry_base_seconds
        self._retry_max = retry_max_seconds
        self._clock = clock
        self._rng = rng or random.Random()
        self._timeout = timeout_seconds

    def deliver(self, message: DeliveryMessage) -> Outcome:
        """Attempt a queued delivery once (its subscription read again) and settle it (see the module docstring)."""
        try:
            return self._attempt(message)
        except Exception as exc:  # a bug or a stored row no check foresaw: a failed attempt, never the poison queue
            logger.exception("delivery %s attempt %d failed unexpectedly", message.delivery_id, message.attempt)
            return self._unexpected(message, exc)

    def _unexpected(self, message: DeliveryMessage, exc: Exception) -> Outcome:
        return self._failed(message, Attempt(None, f"the delivery failed inside the app ({type(exc).__name__})"))

    def _attempt(self, message: DeliveryMessage) -> Outcome:
        try:
            sub = self._subscriptions.get_subscription(message.subscription_id)
        except NotFoundError:
            logger.info("delivery %s dropped: subscription %s is gone", message.delivery_id, message.subscription_id)
            return Outcome.DROPPED
        return self._deliver_to(sub, message)

    def deliver_to(self, sub: Subscription, message: DeliveryMessage) -> Outcome:
        """Attempt ``message`` once to ``sub`` as given (the dispatcher's first attempt) and settle it."""
        try:
            return self._deliver_to(sub, message)
        except Exception as exc:  # as in ``deliver``: retried, then a dead letter; never a failed trigger
            logger.exception("delivery %s attempt %d failed unexpectedly", message.delivery_id, message.attempt)
            return self._unexpected(message, exc)

    def _deliver_to(self, sub: Subscription, message: DeliveryMessage) -> Outcome:
        if not sub.enabled:
            logger.info("delivery %s dropped: subscription %s is disabled", message.delivery_id, sub.subscription_id)
            return Outcome.DROPPED
        try:
            target = self._guard.check(sub.url)
        except TargetResolutionError as exc:
            return self._failed(message, Attempt(None, exc.message))
        except BadRequestError as exc:  # unsafe, or a stored URL that is no longer acceptable
            return self._dead_letter(message, Attempt(None, f"refused: {exc.message}"))
        attempt = self._post(sub, target, message)
        if attempt.status is not None and 200 <= attempt.status < 300:
            logger.info("delivery %s delivered (attempt %d, %d)", message.delivery_id, message.attempt, attempt.status)
            return Outcome.DELIVERED
        if attempt.status == 410:
            self._subscriptions.disable_subscription(
                sub.subscription_id, reason=f"The subscriber answered 410 Gone to delivery {message.delivery_id}."
            )
            logger.warning("subscription %s disabled: its URL answered 410 Gone", sub.subscription_id)
            return Outcome.GONE
        return self._failed(message, attempt)

    def _post(self, sub: Subscription, target: Target, message: DeliveryMessage) -> Attempt:
        body, headers = build_request(sub, message, now=self._clock())
        url, host_header = pinned_url(target, target.addresses[0])
        headers["Host"] = host_header
        extensions: dict[str, Any] = {"sni_hostname": target.host} if target.scheme == "https" else {}
        client = self._http.get(target.scheme, target.host, target.port)
        try:
            with attempt_deadline(self._timeout), \
                    client.stream("POST", url, content=body, headers=headers, extensions=extensions) as response:
                excerpt = b""
                for chunk in response.iter_raw(EXCERPT_BYTES):  # raw: a compressed answer is not inflated
                    excerpt += chunk
                    if len(excerpt) >= EXCERPT_BYTES:
                        break
                text = excerpt[:EXCERPT_BYTES].decode("utf-8", "replace")
                return Attempt(response.status_code, None if response.is_success else f"HTTP {response.status_code}",
                               text)
        except httpx.TimeoutException:
            return Attempt(None, f"no complete answer within {self._timeout:g} s")
        except httpx.HTTPError as exc:
            return Attempt(None, f"{type(exc).__name__}: the request failed")

    def _failed(self, message: DeliveryMessage, attempt: Attempt) -> Outcome:
        if message.attempt >= self._max_attempts:
            return self._dead_letter(message, attempt)
        delay = retry_delay(message.attempt, base=self._retry_base, cap=self._retry_max, rng=self._rng)
        self._queue.send(message.next_attempt().to_json(), delay_seconds=delay)
        logger.info("delivery %s attempt %d failed (%s); retry in %.0f s",
                    message.delivery_id, message.attempt, attempt.error, delay)
        return Outcome.RETRYING

    def _dead_letter(self, message: DeliveryMessage, attempt: Attempt) -> Outcome:
        self._dead_letters.upsert_dead_letter(DeadLetter(
            delivery_id=message.delivery_id, subscription_id=message.subscription_id, event_id=message.event_id,
            event_type=message.event_type, attempts=message.attempt, last_status=attempt.status,
            last_error=attempt.error, body_excerpt=attempt.excerpt,
            payload=pack_payload(message.first_attempt().text()),
        ))
        logger.warning("delivery %s dead-lettered after %d attempt(s): %s",
                       message.delivery_id, message.attempt, attempt.error)
        return Outcome.DEAD
