"""Twilio REST helper chains (``client.conversations.v1.conversations(sid).messages.list()``) as typed paths.

A REST value's type is ``rest:`` followed by the segments walked so far, ``/``-separated; a call that is
not a verb selects an instance (``conversations(sid)`` -> ``conversations()``). A verb call ends the chain
and is one finding, matched by product, resource and whether it reads or writes.
"""

from __future__ import annotations

import re

from .model import Rule
from .rules import RuleBook

PREFIX = "rest:"
READ_VERBS = frozenset({"list", "stream", "page", "each", "fetch", "getPage", "listPaging"})
WRITE_VERBS = frozenset({"create", "update", "delete", "remove"})
_VERSION = re.compile(r"^v\d+$")
_DOMAINS = {"conversations": "conversations", "chat": "conversations", "ipmessaging": "conversations",
            "video": "video"}
_RESOURCES = {"channels": "conversations", "members": "participants", "userconversations": "conversations",
              "deliveryreceipts": "receipts", "roomrecordings": "recordings"}


def is_rest(type_name: str) -> bool:
    return type_name.startswith(PREFIX)


def member(type_name: str, name: str) -> str:
    """The REST path after reading attribute ``name``."""
    if name == "get":  # Node's `conversations.get(sid)` selects like `conversations(sid)`
        return type_name
    path = type_name[len(PREFIX):]
    return f"{PREFIX}{path}/{name}" if path else f"{PREFIX}{name}"


def select(type_name: str) -> str:
    """The REST path after calling it with an id (``conversations(sid)``)."""
    return type_name if type_name.endswith("()") or type_name == PREFIX else type_name + "()"


def verb_of(type_name: str) -> str | None:
    """The verb the path ends with, if calling it now ends the chain."""
    last = type_name[len(PREFIX):].rsplit("/", 1)[-1]
    return last if last in READ_VERBS or last in WRITE_VERBS else None


def display(receiver: str, type_name: str) -> str:
    """``client.conversations.v1.conversations(…).messages.list()`` from a receiver name and a path."""
    segments = [s.replace("()", "(…)") for s in type_name[len(PREFIX):].split("/") if s]
    return ".".join([receiver, *segments]) + "()"


def match_rest(book: RuleBook, type_name: str) -> Rule | None:
    """The rule for a verb call at the end of a REST path."""
    segments = [s.removesuffix("()") for s in type_name[len(PREFIX):].split("/") if s]
    if not segments:
        return None
    verb = segments[-1]
    mode = "read" if verb in READ_VERBS else "write"
    words = [s.replace("_", "").lower() for s in segments[:-1] if not _VERSION.match(s)]
    if words and words[0] in ("api",) and len(words) > 1:
        words = words[1:]  # client.api.v2010.accounts(...)... stays "other"
    domain = _DOMAINS.get(words[0], words[0]) if words else ""
    resources = [_RESOURCES.get(w, w) for w in words[1:]] or [domain]
    resource = resources[-1]
    if domain == "conversations" and resource in ("configuration", "webhooks", "webhook"):
        resource = "webhooks"
    if domain == "conversations" and "webhooks" in resources:
        resource = "webhooks"
    if domain == "video" and resource == "participants" and "rooms" in resources:
        resource = "participants"
    for key in (f"{PREFIX}{domain}/{resource}:{mode}", f"{PREFIX}{domain}/{resource}", f"{PREFIX}{domain}/*",
                f"{PREFIX}*"):
        rule = book.get_rule(key)
        if rule is not None:
            return rule
    return None
