"""List and fetch handlers built from one description of a resource, shared by Conversations v1 and Chat v2.

A ``Resource`` says where its records live in a request (``parent``, e.g. the scope and the conversation in the
path), which records a list answers (``items``, which may read filters from the query and answer 400), how one
record is found by the ``Sid`` in the path (``find``, 404 when absent) and how a record is rendered. Its
``list`` and ``fetch`` methods are the aiohttp handlers. ``keys`` marks an index-keyed list (messages): its
pages use the index as paging key and ``Order=asc|desc`` picks the direction. ``Site`` is the parent of
top-level resources.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiohttp import web

from .context import base_url, emu, json_response
from .errors import TwilioError, not_found
from .paging import paginate
from .store import Store

P = TypeVar("P")
T = TypeVar("T")


def list_page(request: web.Request, key: str, items: Any, render: Any, *, keys: Any = None,
              descending: bool = False) -> web.Response:
    """A paged list answer (see ``paging.paginate``) honouring ``--page-size-over-max``."""
    body = paginate(request, base=base_url(request), key=key, items=items, keys=keys, render=render,
                    descending=descending, oversize=emu(request).settings.page_size_over_max)
    return json_response(body)


def descending_order(request: web.Request) -> bool:
    """``Order=asc`` (the default) or ``desc``, in any case; 400 otherwise."""
    order = request.query.get("Order", "asc").lower()
    if order not in ("asc", "desc"):
        raise TwilioError(400, 20001, f"Invalid Order {request.query['Order']!r}")
    return order == "desc"


def find_by_sid(request: web.Request, records: Any) -> Any:
    """The record among ``records`` (a mapping by SID, or a sequence) whose SID is the path's ``Sid``; 404 if none."""
    sid = request.match_info["Sid"]
    found = records.get(sid) if hasattr(records, "get") else next((r for r in records if r.sid == sid), None)
    if found is None:
        raise not_found(request.path)
    return found


@dataclass(frozen=True)
class Site:
    """Where a request is answered: ``base`` (``scheme://host``, for the URLs in the answer) and the store."""

    base: str
    store: Store


def site_of(request: web.Request) -> Site:
    return Site(base_url(request), emu(request).store)


@dataclass(frozen=True)
class Resource(Generic[P, T]):
    """How to list and fetch one kind of record; ``list`` and ``fetch`` are its route handlers."""

    key: str
    parent: Callable[[web.Request], P]
    items: Callable[[web.Request, P], Sequence[T]]
    find: Callable[[web.Request, P], T]
    render: Callable[[P, T], dict[str, Any]]
    keys: Callable[[P], Sequence[int]] | None = None
    render_one: Callable[[P, T], dict[str, Any]] | None = None  # a fetch's rendering, where it is not a list item's

    async def list(self, request: web.Request) -> web.Response:
        parent = self.parent(request)
        descending = descending_order(request) if self.keys is not None else False
        keys = self.keys(parent) if self.keys is not None else None
        return list_page(request, self.key, self.items(request, parent), lambda item: self.render(parent, item),
                         keys=keys, descending=descending)

    async def fetch(self, request: web.Request) -> web.Response:
        parent = self.parent(request)
        render = self.render_one or self.render
        return json_response(render(parent, self.find(request, parent)))
