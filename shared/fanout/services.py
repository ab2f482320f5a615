"""The fan-out's services, wired once from settings and stores (the container calls ``build_fanout``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import Settings
from ..state import ConversationStore, DeadLetterStore, IdentityMapStore, MessageMapStore, SubscriptionStore
from ..state.queues import WorkQueue
from ..state.rooms import RoomMapStore
from .dead_letters import DeadLetterService
from .deliverer import TIMEOUT_SECONDS, Deliverer
from .dispatcher import FanoutDispatcher
from .http_clients import HttpClientPool, delivery_client
from .lookups import IdLookups
from .ssrf import UrlGuard
from .subscriptions import SubscriptionService
from .twilio_format import TwilioTranslator
from .twilio_video_format import TwilioVideoTranslator


@dataclass(frozen=True)
class FanoutServices:
    subscriptions: SubscriptionService
    dispatcher: FanoutDispatcher
    deliverer: Deliverer
    dead_letters: DeadLetterService


def build_fanout(
    settings: Settings,
    *,
    subscriptions: SubscriptionStore,
    dead_letters: DeadLetterStore,
    conversations: ConversationStore,
    identity_map: IdentityMapStore,
    messages: MessageMapStore,
    queue: WorkQueue,
    rooms: RoomMapStore | None = None,
) -> FanoutServices:
    """Everything the fan-out's triggers call, sharing one guard and one pooled HTTP client."""
    options = settings.fanout
    guard = UrlGuard(allow_http=options.allow_http, allow_private=options.allow_private_targets)
    lookups = IdLookups(conversations=conversations, identity_map=identity_map, messages=messages,
                        cache_seconds=options.cache_seconds)
    translator = TwilioTranslator(account_sid=settings.twilio.account_sid, lookups=lookups)
    video = TwilioVideoTranslator(account_sid=settings.twilio.account_sid, rooms=rooms, lookups=lookups) \
        if rooms is not None else None
    dispatcher = FanoutDispatcher(subscriptions=subscriptions, queue=queue, dead_letters=dead_letters,
                                  translator=translator, video=video, cache_seconds=options.cache_seconds)
    http = HttpClientPool(lambda: delivery_client(timeout=TIMEOUT_SECONDS))
    return FanoutServices(
        subscriptions=SubscriptionService(store=subscriptions, guard=guard,
                                          on_change=dispatcher.forget_subscriptions),
        dispatcher=dispatcher,
        deliverer=Deliverer(subscriptions=subscriptions, queue=queue, dead_letters=dead_letters, guard=guard,
                            http=http, max_attempts=options.max_attempts,
                            retry_base_seconds=options.retry_base_seconds,
                            retry_max_seconds=options.retry_max_seconds),
        dead_letters=DeadLetterService(store=dead_letters, queue=queue),
    )
