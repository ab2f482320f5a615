"""Finding a send whose answer was lost: every thread message since the attempt began, bounded by time.

After cutover, people chat in the migrated threads, so the lost message may lie under any number of newer
ones; searching only the newest page would miss it and send it twice. ACS lists a thread's messages newest
first from a start time (``list_messages(start_time=...)``), so the search reads everything since the attempt
(minus a margin for the clocks of this host and ACS) and nothing older.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from azure.communication.chat import ChatThreadClient

from .retry import Retrier

CLOCK_MARGIN = timedelta(minutes=5)  # ACS's clock may lag ours; a wider window only costs a longer read
SEARCH_PAGE = 200  # ACS's largest page


def newest_pages(client: ChatThreadClient, retrier: Retrier, *, page_size: int, what: str,
                 start_time: datetime | None = None) -> Iterator[list[Any]]:
    """The thread's messages, newest first (only those changed at or after ``start_time``, if given), page by
    page; each page retried from its continuation token."""
    token: str | None = None
    while True:
        def fetch(token: str | None = token) -> tuple[list[Any] | None, str | None]:
            pager: Any = client.list_messages(results_per_page=page_size, start_time=start_time).by_page(
                continuation_token=token)
            page = next(pager, None)
            return (list(page) if page is not None else None), pager.continuation_token

        items, token = retrier.call(fetch, what=what)
        if items is None:
            return
        yield items
        if not token:
            return


def find_sent(client: ChatThreadClient, retrier: Retrier, *, message_sid: str, part: int,
              attempted_at: datetime) -> str | None:
    """The ACS id of part ``part`` of Twilio message ``message_sid`` if the thread got it since ``attempted_at``
    (a send whose answer was lost), else None."""
    for page in newest_pages(client, retrier, page_size=SEARCH_PAGE, what=f"looking for message {message_sid}",
                             start_time=attempted_at - CLOCK_MARGIN):
        for message in page:
            metadata = getattr(message, "metadata", None) or {}
            if metadata.get("twilioMessageSid") == message_sid and int(metadata.get("twilioPart", "1")) == part:
                return str(message.id)
    return None
