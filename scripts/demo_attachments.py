"""`make demo` step: a participant opens a migrated attachment through /api/attachments; an outsider cannot.

Finds a migrated message with ``fileSharingMetadata``, signs in (JWT from the local issuer) as a
participant of its thread, asks the route for the link (``format=json``), downloads the bytes
from the short-lived link and compares them with the migrated copy; then a signed-in user who is
not in the thread, and an anonymous caller, ask for the same URL.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx


def find_attachment(container: Any, admin: httpx.Client) -> tuple[dict[str, Any], str, str] | None:
    """A migrated attachment's metadata entry, the identity of a participant of its thread, and the thread id."""
    for record in container.conversations.list_conversations(status="done"):
        if not record.thread_id:
            continue
        thread = admin.get(f"/threads/{record.thread_id}").json()
        for message in thread["messages"]:
            shared = (message.get("metadata") or {}).get("fileSharingMetadata")
            if not shared:
                continue
            sender = message["senderCommunicationIdentifier"]["communicationUser"]["id"]
            identity = container.identity_map.get_identity_for_acs_user(sender).identity
            return json.loads(shared)[0], identity, str(record.thread_id)
    return None


def run_attachment_demo(*, container: Any, admin: httpx.Client, issuer: Any) -> dict[str, Any]:
    """What a participant, an outsider and an anonymous caller get for one migrated attachment."""
    found = find_attachment(container, admin)
    if found is None:
        return {"skipped": "no migrated message carries an attachment"}
    item, identity, thread_id = found
    url = str(item["url"])
    with httpx.Client(timeout=30) as http:
        answer = http.get(url, params={"format": "json"},
                          headers={"Authorization": f"Bearer {issuer.token(identity)}"})
        answer.raise_for_status()
        link = answer.json()
        data = http.get(link["url"]).content
        copy = container.media.read_media(str(item["id"]))
        outsider = http.get(url, headers={"Authorization": f"Bearer {issuer.token('not-in-this-thread')}"})
        anonymous = http.get(url)
    return {
        "attachment in the migrated message": item,
        "thread": thread_id,
        "participant": identity,
        "participant: GET ?format=json": {"status": answer.status_code, "expiresOn": link["expiresOn"],
                                          "link host": httpx.URL(link["url"]).host},
        "bytes downloaded": len(data),
        "identical to the migrated copy": hashlib.sha256(data).digest() == hashlib.sha256(copy).digest(),
        "a signed-in user not in the thread": outsider.status_code,
        "no credentials": anonymous.status_code,
    }
