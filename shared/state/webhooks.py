"""Twilio webhooks already handled: one row per idempotency token or signature, kept for a window.

Twilio retries a webhook with the same ``I-Twilio-Idempotency-Token``; an attacker who captured
one replays it byte for byte. ``claim`` records a key the first time and says whether it was new
within the window; the state lives in Table Storage, so every instance sees every claim.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from azure.core.exceptions import ResourceExistsError

from ..errors import ConcurrentUpdateError
from .keys import escape_key
from .tables import TableStore, etag_of, read_datetime

_SEEN = "seen"


class WebhookReplayStore(TableStore):
    """Insert-if-absent claims on webhook keys; a claim older than the window may be taken again."""

    def claim(self, key: str, *, now: datetime, window: timedelta) -> bool:
        """True when ``key`` was not claimed within ``window`` (it is now); False for a replay."""
        row_key = escape_key(key, what="webhook key")
        for _ in range(5):
            try:
                self._create({"PartitionKey": _SEEN, "RowKey": row_key, "SeenAt": now})
                return True
            except ResourceExistsError:
                row = self._get(_SEEN, row_key)
            if row is None:
                continue  # released in between: try the insert again
            seen = read_datetime(row, "SeenAt")
            if seen is not None and now - seen < window:
                return False
            etag = etag_of(row)
            assert etag is not None
            try:
                self._replace_if_unchanged({"PartitionKey": _SEEN, "RowKey": row_key, "SeenAt": now}, etag,
                                           what="A webhook claim")
                return True
            except ConcurrentUpdateError:
                return False  # another instance took the expired claim this moment: this one is the replay
        return False

    def release(self, key: str) -> None:
        """Forget a claim (its handling failed, so Twilio's retry must get through)."""
        with contextlib.suppress(Exception):
            self._delete(_SEEN, escape_key(key, what="webhook key"))
