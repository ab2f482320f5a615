"""Migration state in Azure Table Storage, plus the work queues and the media container.

Every store takes its SDK client through its constructor, creates its table on first
use, escapes keys (``keys.py``) and passes filters as parameters, never as text.
"""

from __future__ import annotations

from .conversations import ConversationRecord, ConversationStore
from .dead_letters import DeadLetter, DeadLetterStore
from .identity_map import IdentityMapping, IdentityMapStore
from .messages import MessageMapping, MessageMapStore
from .runs import RunRecord, RunStore
from .subscriptions import Subscription, SubscriptionStore

__all__ = [
    "ConversationRecord",
    "ConversationStore",
    "DeadLetter",
    "DeadLetterStore",
    "IdentityMapStore",
    "IdentityMapping",
    "MessageMapStore",
    "MessageMapping",
    "RunRecord",
    "RunStore",
    "Subscription",
    "SubscriptionStore",
]
