"""Which subscriptions get an event: enabled, the right event type, and migrated messages only on request.

``twilio-video`` subscriptions get the calling events of room calls as Twilio room status callbacks.
"""

from __future__ import annotations

from ..state import Subscription
from .events import CHAT_EVENT_TYPES, AcsEvent
from .twilio_format import TWILIO_EVENT_FOR, TWILIO_EVENT_TYPES
from .twilio_video_format import TWILIO_VIDEO_EVENT_FOR, TWILIO_VIDEO_EVENT_TYPES

FORMATS = ("twilio", "cloudevents", "twilio-video")


def known_event_types(format: str) -> tuple[str, ...]:
    """The names ``eventTypes`` may hold for a subscription in ``format``."""
    if format == "twilio-video":
        return TWILIO_VIDEO_EVENT_TYPES
    return TWILIO_EVENT_TYPES if format == "twilio" else CHAT_EVENT_TYPES


def matches(subscription: Subscription, event: AcsEvent) -> bool:
    """True when ``subscription`` should get one delivery of ``event``.

    ``twilio`` subscriptions get the thread-level events that have a Twilio webhook,
    ``cloudevents`` ones any ACS chat event; an empty ``eventTypes`` means all of those.
    Messages the migration wrote (``migratedFrom=twilio``) need ``includeMigrated``.
    """
    if subscription.format == "twilio-video":
        name = TWILIO_VIDEO_EVENT_FOR.get(event.short_type) if event.is_calling else None
        return subscription.enabled and name is not None and (
            not subscription.event_types or name in subscription.event_types)
    if not subscription.enabled or not event.is_chat:
        return False
    if event.is_migrated and not subscription.include_migrated:
        return False
    if subscription.format == "twilio":
        name = TWILIO_EVENT_FOR.get(event.short_type)
        return name is not None and (not subscription.event_types or name in subscription.event_types)
    return not subscription.event_types or event.event_type in subscription.event_types
