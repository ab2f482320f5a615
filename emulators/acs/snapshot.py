"""Full-fidelity dump and restore of the store (for ``GET``/``PUT /__admin/snapshot``).

A dump restored into a stand-in started with the same ``--seed`` keeps every token valid,
because the token signing key derives from the seed.
"""

from __future__ import annotations

from typing import Any

from .formats import parse_time
from .state import Message, Participant, ReadReceipt, Store, Thread, User


def _time(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def _parse(value: str | None) -> Any:
    return parse_time(value) if value else None


def dump(store: Store) -> dict[str, Any]:
    """Everything in ``store`` as JSON-ready data (deleted content included)."""
    return {
        "users": [
            {"id": u.id, "createdAt": _time(u.created_at), "revokedBefore": u.revoked_before}
            for u in store.users.values()
        ],
        "threads": [
            {
                "id": t.id,
                "topic": t.topic,
                "createdAt": _time(t.created_at),
                "createdBy": t.created_by,
                "deletedAt": _time(t.deleted_at),
                "lastMessageAt": _time(t.last_message_at),
                "nextSequence": t.next_sequence,
                "lastMessageMs": t.last_message_ms,
                "version": t.version,
                "participants": [
                    {
                        "userId": p.user_id,
                        "displayName": p.display_name,
                        "shareHistoryTime": _time(p.share_history_time),
                        "joinedAt": _time(p.joined_at),
                    }
                    for p in t.participants.values()
                ],
                "messages": [
                    {
                        "id": m.id,
                        "type": m.type,
                        "sequenceId": m.sequence_id,
                        "version": m.version,
                        "createdAt": _time(m.created_at),
                        "senderId": m.sender_id,
                        "senderDisplayName": m.sender_display_name,
                        "content": m.content,
                        "metadata": m.metadata,
                        "editedAt": _time(m.edited_at),
                        "deletedAt": _time(m.deleted_at),
                    }
                    for m in t.messages
                ],
                "receipts": [
                    {"userId": r.user_id, "messageId": r.message_id, "readAt": _time(r.read_at)}
                    for r in t.receipts.values()
                ],
            }
            for t in store.threads.values()
        ],
        "createReplays": [
            {"userId": user, "requestId": rid, "threadId": tid, "invalid": invalid}
            for (user, rid), (tid, invalid) in store.create_replays.items()
        ],
        "tokenIssueTimes": dict(store.token_issue_times),
    }


def restore(store: Store, data: dict[str, Any]) -> None:
    """Replace ``store``'s contents with a ``dump``. Raises ``KeyError``/``ValueError`` on bad data."""
    users = {u["id"]: User(u["id"], _parse(u["createdAt"]), float(u["revokedBefore"])) for u in data["users"]}
    threads: dict[str, Thread] = {}
    for t in data["threads"]:
        thread = Thread(
            id=t["id"],
            topic=t["topic"],
            created_at=_parse(t["createdAt"]),
            created_by=t["createdBy"],
            deleted_at=_parse(t["deletedAt"]),
            last_message_at=_parse(t["lastMessageAt"]),
            next_sequence=int(t["nextSequence"]),
            last_message_ms=int(t["lastMessageMs"]),
            version=int(t["version"]),
        )
        for p in t["participants"]:
            thread.participants[p["userId"]] = Participant(
                p["userId"], p["displayName"], _parse(p["shareHistoryTime"]), _parse(p["joinedAt"])
            )
        for m in t["messages"]:
            message = Message(
                id=m["id"],
                type=m["type"],
                sequence_id=int(m["sequenceId"]),
                version=int(m["version"]),
                created_at=_parse(m["createdAt"]),
                sender_id=m["senderId"],
                sender_display_name=m["senderDisplayName"],
                content=dict(m["content"]),
                metadata=m["metadata"],
                edited_at=_parse(m["editedAt"]),
                deleted_at=_parse(m["deletedAt"]),
            )
            thread.messages.append(message)
            thread.by_id[message.id] = message
        for r in t["receipts"]:
            thread.receipts[r["userId"]] = ReadReceipt(r["userId"], r["messageId"], _parse(r["readAt"]))
        threads[thread.id] = thread
    replays = {(r["userId"], r["requestId"]): (r["threadId"], list(r["invalid"])) for r in data["createReplays"]}
    store.reset()
    store.users.update(users)
    store.threads.update(threads)
    store.create_replays.update(replays)
    store.token_issue_times.update({k: float(v) for k, v in data["tokenIssueTimes"].items()})
