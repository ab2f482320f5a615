"""Names of the tables, queues and blob container the app creates on first use."""

from __future__ import annotations

from dataclasses import dataclass

from .core import setting
from .parsers import match

TABLE_NAME = r"[A-Za-z][A-Za-z0-9]{2,62}\Z"
QUEUE_NAME = r"(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]\Z"  # blob container names follow the same rule
EXPECT_TABLE = "3-63 letters and digits, starting with a letter"
EXPECT_QUEUE = "3-63 lowercase letters, digits and single hyphens"
# The app adds "-next" (slices under way) and the host "-poison" to the migration queue's name: 63 - 12 = 51.
MIGRATION_QUEUE_NAME = r"(?!.*--)[a-z0-9][a-z0-9-]{1,49}[a-z0-9]\Z"
EXPECT_MIGRATION_QUEUE = "3-51 lowercase letters, digits and single hyphens (the app adds -next, the host -poison)"
CONTINUATION_SUFFIX = "-next"


def _table(name: str, default: str) -> str:
    return setting(name, match(TABLE_NAME), EXPECT_TABLE, default=default)


def _queue(name: str, default: str) -> str:
    return setting(name, match(QUEUE_NAME), EXPECT_QUEUE, default=default)


@dataclass(frozen=True)
class ResourceNames:
    """Names of the tables, queues and blob container the app creates on first use."""

    identity_table: str = _table("IDENTITY_TABLE", "identities")
    conversation_table: str = _table("CONVERSATION_TABLE", "conversations")
    message_table: str = _table("MESSAGE_TABLE", "messages")
    run_table: str = _table("RUN_TABLE", "runs")
    subscription_table: str = _table("SUBSCRIPTION_TABLE", "subscriptions")
    dead_letter_table: str = _table("DEAD_LETTER_TABLE", "deadletters")
    webhook_table: str = _table("TWILIO_WEBHOOK_TABLE", "twiliowebhooks")
    migration_queue: str = setting("MIGRATION_QUEUE", match(MIGRATION_QUEUE_NAME), EXPECT_MIGRATION_QUEUE,
                                   default="migration-work")
    delivery_queue: str = _queue("DELIVERY_QUEUE", "event-deliveries")
    media_container: str = _queue("MEDIA_CONTAINER", "twilio-media")

    @property
    def continuation_queue(self) -> str:
        """The queue of next slices of conversations under way, served apart from new work (docs/export.md)."""
        return self.migration_queue + CONTINUATION_SUFFIX
