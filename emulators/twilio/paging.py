"""Twilio list paging: ``PageSize`` (default 50, clamped to 100), ``Page``, opaque ``PageToken``, ``meta``.

Lists are sequences whose *keys* strictly increase in ascending order (a message's index,
or a record's position). ``PT<k>`` asks for the items after key ``k`` in the requested
direction, ``PP<k>`` for the page that ends just before ``k``. Keyed tokens keep paging
stable while messages are deleted in between.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from aiohttp import web

from .errors import TwilioError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
PAGING_PARAMS = ("PageSize", "Page", "PageToken")
T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    """The paging part of a list request."""

    page_size: int
    page: int
    token: str | None


def parse_paging(request: web.Request, *, oversize: str = "clamp") -> PageRequest:
    """Read PageSize/Page/PageToken; PageSize above 100 is clamped (or 400 with ``oversize='error'``)."""
    query = request.query
    try:
        size = int(query.get("PageSize", DEFAULT_PAGE_SIZE))
        page = int(query.get("Page", 0))
    except ValueError as exc:
        raise TwilioError(400, 20001, "Invalid PageSize or Page parameter") from exc
    if size < 1 or page < 0:
        raise TwilioError(400, 20001, "PageSize must be at least 1 and Page at least 0")
    if size > MAX_PAGE_SIZE:
        if oversize == "error":
            raise TwilioError(400, 20001, f"PageSize must be at most {MAX_PAGE_SIZE}")
        size = MAX_PAGE_SIZE
    token = query.get("PageToken") or None
    if token is not None and (len(token) < 3 or token[:2] not in ("PT", "PP") or not _is_int(token[2:])):
        raise TwilioError(400, 20001, f"Invalid PageToken {token!r}")
    return PageRequest(size, page, token)


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def select_page(keys: Sequence[int], req: PageRequest, *, descending: bool = False) -> tuple[int, int, bool, bool]:
    """Positions ``[start, end)`` into ascending ``keys`` for this page, plus has-previous/has-next."""
    n = req.page_size
    total = len(keys)
    if req.token is None:
        if descending:
            start, end = max(0, total - n), total
        else:
            start, end = 0, min(n, total)
    else:
        kind, key = req.token[:2], int(req.token[2:])
        forward = kind == "PT"
        if forward != descending:  # asc-after or desc-before: keys greater than key
            start = bisect.bisect_right(keys, key)
            end = min(total, start + n)
        else:  # asc-before or desc-after: keys smaller than key
            end = bisect.bisect_left(keys, key)
            start = max(0, end - n)
    if descending:
        return start, end, end < total, start > 0
    return start, end, start > 0, end < total


def paginate(
    request: web.Request,
    *,
    base: str,
    key: str,
    items: Sequence[T],
    keys: Sequence[int] | None,
    render: Callable[[T], dict[str, Any]],
    descending: bool = False,
    oversize: str = "clamp",
) -> dict[str, Any]:
    """The list body ``{key: [...], "meta": {...}}`` with every URL built on ``base``."""
    req = parse_paging(request, oversize=oversize)
    if keys is None:
        keys = range(len(items))
    start, end, has_prev, has_next = select_page(keys, req, descending=descending)
    chosen = items[start:end]
    if descending:
        chosen = list(reversed(chosen))
    filters = [(k, v) for k, v in request.query.items() if k not in PAGING_PARAMS]
    path = request.path

    def url(page: int, token: str | None) -> str:
        params = [*filters, ("PageSize", str(req.page_size)), ("Page", str(page))]
        if token is not None:
            params.append(("PageToken", token))
        return f"{base}{path}?{urlencode(params)}"

    next_url = prev_url = None
    if has_next and end > start:
        last = keys[start] if descending else keys[end - 1]
        next_url = url(req.page + 1, f"PT{last}")
    if has_prev and req.page > 0 and end > start:
        first = keys[end - 1] if descending else keys[start]
        prev_url = url(req.page - 1, f"PP{first}")
    return {
        key: [render(item) for item in chosen],
        "meta": {
            "page": req.page,
            "page_size": req.page_size,
            "first_page_url": url(0, None),
            "previous_page_url": prev_url,
            "url": url(req.page, req.token),
            "next_page_url": next_url,
            "key": key,
        },
    }
