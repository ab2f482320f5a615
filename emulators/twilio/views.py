"""Render records as Twilio JSON: Conversations v1 (account or service scope), Chat v2 and MCS.

``base`` is ``scheme://host`` of the request being answered, so every URL points back at
the server that is actually serving.
"""

from __future__ import annotations

import bisect
from typing import Any

from .formats import fmt_date, fmt_date_mcs
from .models import Conversation, ConversationWebhook, Media, Message, Participant, Receipt, Role, Service, User
from .store import Store


class V1Scope:
    """Where a Conversations v1 resource lives: the default service (``/v1``) or ``/v1/Services/IS``."""

    def __init__(self, base: str, store: Store, service_sid: str, scoped: bool) -> None:
        self.base = base
        self.store = store
        self.account_sid = store.account_sid
        self.service_sid = service_sid
        self.scoped = scoped
        self.root = f"{base}/v1/Services/{service_sid}" if scoped else f"{base}/v1"

    # ------------------------------------------------------------------ conversations
    def conversation_url(self, conv: Conversation) -> str:
        return f"{self.root}/Conversations/{conv.sid}"

    def conversation(self, conv: Conversation) -> dict[str, Any]:
        url = self.conversation_url(conv)
        return {
            "account_sid": self.account_sid,
            "chat_service_sid": conv.service_sid,
            "messaging_service_sid": conv.messaging_service_sid,
            "sid": conv.sid,
            "friendly_name": conv.friendly_name,
            "unique_name": conv.unique_name,
            "attributes": conv.attributes,
            "state": conv.state,
            "date_created": fmt_date(conv.date_created),
            "date_updated": fmt_date(conv.date_updated),
            "timers": timers(conv),
            "url": url,
            "links": {
                "participants": f"{url}/Participants",
                "messages": f"{url}/Messages",
                "webhooks": f"{url}/Webhooks",
            },
            "bindings": {},
        }

    def message(self, conv: Conversation, msg: Message) -> dict[str, Any]:
        url = f"{self.conversation_url(conv)}/Messages/{msg.sid}"
        data: dict[str, Any] = {
            "account_sid": self.account_sid,
            "conversation_sid": conv.sid,
            "sid": msg.sid,
            "index": msg.index,
            "author": msg.author,
            "body": msg.body,
            "media": [media_summary(self.store.media[s]) for s in msg.media_sids if s in self.store.media] or None,
            "attributes": msg.attributes,
            "participant_sid": msg.participant_sid,
            "date_created": fmt_date(msg.date_created),
            "date_updated": fmt_date(msg.date_updated),
            "url": url,
            "delivery": delivery(msg.receipts),
            "links": {
                "delivery_receipts": f"{url}/Receipts",
                "channel_metadata": f"{url}/ChannelMetadata",
            },
            "content_sid": msg.content_sid,
        }
        if self.scoped:
            data["chat_service_sid"] = conv.service_sid
        return data

    def participant(self, conv: Conversation, part: Participant) -> dict[str, Any]:
        data: dict[str, Any] = {
            "account_sid": self.account_sid,
            "conversation_sid": conv.sid,
            "sid": part.sid,
            "identity": part.identity,
            "attributes": part.attributes,
            "messaging_binding": part.messaging_binding,
            "role_sid": part.role_sid,
            "date_created": fmt_date(part.date_created),
            "date_updated": fmt_date(part.date_updated),
            "url": f"{self.conversation_url(conv)}/Participants/{part.sid}",
            "last_read_message_index": part.last_read_message_index,
            "last_read_timestamp": fmt_date(part.last_read_timestamp),
        }
        if self.scoped:
            data["chat_service_sid"] = conv.service_sid
        return data

    def receipt(self, conv: Conversation, msg: Message, rec: Receipt) -> dict[str, Any]:
        data: dict[str, Any] = {
            "account_sid": self.account_sid,
            "conversation_sid": conv.sid,
            "sid": rec.sid,
            "message_sid": msg.sid,
            "channel_message_sid": rec.channel_message_sid,
            "participant_sid": rec.participant_sid,
            "status": rec.status,
            "error_code": rec.error_code,
            "date_created": fmt_date(rec.date_created),
            "date_updated": fmt_date(rec.date_updated),
            "url": f"{self.conversation_url(conv)}/Messages/{msg.sid}/Receipts/{rec.sid}",
        }
        if self.scoped:
            data["chat_service_sid"] = conv.service_sid
        return data

    def webhook(self, conv: Conversation, hook: ConversationWebhook) -> dict[str, Any]:
        configuration: dict[str, Any]
        if hook.target == "studio":
            configuration = {"flow_sid": hook.flow_sid}
        else:
            configuration = {"url": hook.url, "method": hook.method, "filters": hook.filters}
            if hook.target == "trigger":
                configuration["triggers"] = hook.triggers
        if hook.replay_after is not None:
            configuration["replay_after"] = hook.replay_after
        data: dict[str, Any] = {
            "sid": hook.sid,
            "account_sid": self.account_sid,
            "conversation_sid": conv.sid,
            "target": hook.target,
            "url": f"{self.conversation_url(conv)}/Webhooks/{hook.sid}",
            "configuration": configuration,
            "date_created": fmt_date(hook.date_created),
            "date_updated": fmt_date(hook.date_updated),
        }
        if self.scoped:
            data["chat_service_sid"] = conv.service_sid
        return data

    # ------------------------------------------------------------------ users and roles
    def user(self, user: User, *, single: bool) -> dict[str, Any]:
        url = f"{self.root}/Users/{user.sid}"
        service = self.store.services.get(user.service_sid)
        reach = bool(service and service.reachability_enabled)
        return {
            "sid": user.sid,
            "account_sid": self.account_sid,
            "chat_service_sid": user.service_sid,
            "role_sid": user.role_sid,
            "identity": user.identity,
            "friendly_name": user.friendly_name,
            "attributes": user.attributes,
            "is_online": False if reach else None,
            "is_notifiable": (False if reach else None) if single else None,
            "date_created": fmt_date(user.date_created),
            "date_updated": fmt_date(user.date_updated),
            "url": url,
            "links": {"user_conversations": f"{url}/Conversations"},
        }

    def user_conversation(self, user: User, conv: Conversation, part: Participant) -> dict[str, Any]:
        url = f"{self.root}/Users/{user.sid}/Conversations/{conv.sid}"
        last = part.last_read_message_index
        unread = None if last is None else len(conv.indices) - bisect.bisect_right(conv.indices, last)
        return {
            "account_sid": self.account_sid,
            "chat_service_sid": conv.service_sid,
            "conversation_sid": conv.sid,
            "unread_messages_count": unread,
            "last_read_message_index": last,
            "participant_sid": part.sid,
            "user_sid": user.sid,
            "friendly_name": conv.friendly_name,
            "conversation_state": conv.state if conv.state != "initializing" else "active",
            "timers": timers(conv),
            "attributes": conv.attributes,
            "date_created": fmt_date(conv.date_created),
            "date_updated": fmt_date(conv.date_updated),
            "created_by": conv.created_by,
            "notification_level": "default",
            "unique_name": conv.unique_name,
            "url": url,
            "links": {
                "participant": f"{self.conversation_url(conv)}/Participants/{part.sid}",
                "conversation": self.conversation_url(conv),
            },
        }

    def participant_conversation(self, conv: Conversation, part: Participant) -> dict[str, Any]:
        user_sid = self.store.user_sid(conv.service_sid, part.identity) if part.identity is not None else None
        return {
            "account_sid": self.account_sid,
            "chat_service_sid": conv.service_sid,
            "participant_sid": part.sid,
            "participant_user_sid": user_sid,
            "participant_identity": part.identity,
            "participant_messaging_binding": part.messaging_binding,
            "conversation_sid": conv.sid,
            "conversation_unique_name": conv.unique_name,
            "conversation_friendly_name": conv.friendly_name,
            "conversation_attributes": conv.attributes,
            "conversation_date_created": fmt_date(conv.date_created),
            "conversation_date_updated": fmt_date(conv.date_updated),
            "conversation_created_by": conv.created_by,
            "conversation_state": conv.state if conv.state != "initializing" else "active",
            "conversation_timers": timers(conv),
            "links": {
                "participant": f"{self.conversation_url(conv)}/Participants/{part.sid}",
                "conversation": self.conversation_url(conv),
            },
        }

    def role(self, role: Role) -> dict[str, Any]:
        return {
            "sid": role.sid,
            "account_sid": self.account_sid,
            "chat_service_sid": role.service_sid,
            "friendly_name": role.friendly_name,
            "type": role.type,
            "permissions": role.permissions,
            "date_created": fmt_date(role.date_created),
            "date_updated": fmt_date(role.date_updated),
            "url": f"{self.root}/Roles/{role.sid}",
        }


def service_v1(base: str, account_sid: str, service: Service) -> dict[str, Any]:
    url = f"{base}/v1/Services/{service.sid}"
    return {
        "account_sid": account_sid,
        "sid": service.sid,
        "friendly_name": service.friendly_name,
        "date_created": fmt_date(service.date_created),
        "date_updated": fmt_date(service.date_updated),
        "url": url,
        "links": {
            "conversations": f"{url}/Conversations",
            "users": f"{url}/Users",
            "roles": f"{url}/Roles",
            "bindings": f"{url}/Bindings",
            "configuration": f"{url}/Configuration",
            "participant_conversations": f"{url}/ParticipantConversations",
            "conversation_with_participants": f"{url}/ConversationWithParticipants",
        },
    }


def timers(conv: Conversation) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if conv.date_inactive is not None:
        data["date_inactive"] = fmt_date(conv.date_inactive)
    if conv.date_closed is not None:
        data["date_closed"] = fmt_date(conv.date_closed)
    return data


def media_summary(media: Media) -> dict[str, Any]:
    """The ``media`` item of a message: ``{sid, size, content_type, filename}``."""
    return {"sid": media.sid, "size": media.size, "content_type": media.content_type, "filename": media.filename}


def delivery(receipts: list[Receipt]) -> dict[str, Any] | None:
    """The message ``delivery`` summary (``all|some|none`` per status), or null for chat-only."""
    if not receipts:
        return None
    total = len(receipts)
    order = ["sent", "delivered", "read"]

    def level(count: int) -> str:
        return "all" if count == total else ("some" if count else "none")

    reached = {s: sum(1 for r in receipts if r.status in order and order.index(r.status) >= order.index(s))
               for s in order}
    return {
        "total": total,
        "sent": level(reached["sent"]),
        "delivered": level(reached["delivered"]),
        "read": level(reached["read"]),
        "failed": level(sum(1 for r in receipts if r.status == "failed")),
        "undelivered": level(sum(1 for r in receipts if r.status == "undelivered")),
    }


# ---------------------------------------------------------------------- Chat v2
def chat_service(base: str, account_sid: str, service: Service) -> dict[str, Any]:
    url = f"{base}/v2/Services/{service.sid}"
    return {
        "sid": service.sid,
        "account_sid": account_sid,
        "friendly_name": service.friendly_name,
        "date_created": fmt_date(service.date_created),
        "date_updated": fmt_date(service.date_updated),
        "default_service_role_sid": service.default_chat_service_role_sid,
        "default_channel_role_sid": service.default_conversation_role_sid,
        "default_channel_creator_role_sid": service.default_conversation_creator_role_sid,
        "read_status_enabled": service.read_status_enabled,
        "reachability_enabled": service.reachability_enabled,
        "typing_indicator_timeout": service.typing_indicator_timeout,
        "consumption_report_interval": service.consumption_report_interval,
        "limits": {"channel_members": 1000, "user_channels": 1000},
        "pre_webhook_url": service.pre_webhook_url,
        "post_webhook_url": service.post_webhook_url,
        "webhook_method": service.webhook_method,
        "webhook_filters": service.webhook_filters,
        "pre_webhook_retry_count": 0,
        "post_webhook_retry_count": 0,
        "notifications": service.notifications,
        "media": {"size_limit_mb": 150, "compatibility_message": "Media messages are not supported by this client"},
        "url": url,
        "links": {
            "channels": f"{url}/Channels",
            "users": f"{url}/Users",
            "roles": f"{url}/Roles",
            "bindings": f"{url}/Bindings",
        },
    }


def chat_channel(base: str, account_sid: str, conv: Conversation) -> dict[str, Any]:
    url = f"{base}/v2/Services/{conv.service_sid}/Channels/{conv.sid}"
    last = conv.messages[-1] if conv.messages else None
    return {
        "sid": conv.sid,
        "account_sid": account_sid,
        "service_sid": conv.service_sid,
        "friendly_name": conv.friendly_name,
        "unique_name": conv.unique_name,
        "attributes": conv.attributes,
        "type": conv.type,
        "date_created": fmt_date(conv.date_created),
        "date_updated": fmt_date(conv.date_updated),
        "created_by": conv.created_by,
        "members_count": len(conv.participants),
        "messages_count": len(conv.messages),
        "url": url,
        "links": {
            "members": f"{url}/Members",
            "messages": f"{url}/Messages",
            "invites": f"{url}/Invites",
            "webhooks": f"{url}/Webhooks",
            "last_message": f"{url}/Messages/{last.sid}" if last else None,
        },
    }


def chat_member(base: str, account_sid: str, conv: Conversation, part: Participant) -> dict[str, Any]:
    return {
        "sid": part.sid,
        "account_sid": account_sid,
        "channel_sid": conv.sid,
        "service_sid": conv.service_sid,
        "identity": part.identity,
        "date_created": fmt_date(part.date_created),
        "date_updated": fmt_date(part.date_updated),
        "role_sid": part.role_sid,
        "last_consumed_message_index": part.last_read_message_index,
        "last_consumption_timestamp": fmt_date(part.last_read_timestamp),
        "url": f"{base}/v2/Services/{conv.service_sid}/Channels/{conv.sid}/Members/{part.sid}",
        "attributes": part.attributes,
    }


def chat_message(base: str, store: Store, conv: Conversation, msg: Message) -> dict[str, Any]:
    media = store.media.get(msg.media_sids[0]) if msg.media_sids else None
    return {
        "sid": msg.sid,
        "account_sid": store.account_sid,
        "attributes": msg.attributes,
        "service_sid": conv.service_sid,
        "to": conv.sid,
        "channel_sid": conv.sid,
        "date_created": fmt_date(msg.date_created),
        "date_updated": fmt_date(msg.date_updated),
        "last_updated_by": msg.last_updated_by,
        "was_edited": msg.was_edited,
        "from": msg.author,
        "body": msg.body,
        "index": msg.index,
        "type": "media" if msg.media_sids else "text",
        "media": media_summary(media) if media else None,
        "url": f"{base}/v2/Services/{conv.service_sid}/Channels/{conv.sid}/Messages/{msg.sid}",
    }


def chat_user(base: str, store: Store, user: User, joined: int) -> dict[str, Any]:
    url = f"{base}/v2/Services/{user.service_sid}/Users/{user.sid}"
    return {
        "sid": user.sid,
        "account_sid": store.account_sid,
        "service_sid": user.service_sid,
        "attributes": user.attributes,
        "friendly_name": user.friendly_name,
        "role_sid": user.role_sid,
        "identity": user.identity,
        "is_online": None,
        "is_notifiable": None,
        "date_created": fmt_date(user.date_created),
        "date_updated": fmt_date(user.date_updated),
        "joined_channels_count": joined,
        "links": {"user_channels": f"{url}/Channels", "user_bindings": f"{url}/Bindings"},
        "url": url,
    }


def chat_user_channel(base: str, store: Store, user: User, conv: Conversation, part: Participant) -> dict[str, Any]:
    url = f"{base}/v2/Services/{user.service_sid}/Users/{user.sid}/Channels/{conv.sid}"
    last = part.last_read_message_index
    unread = None if last is None else len(conv.indices) - bisect.bisect_right(conv.indices, last)
    channel_url = f"{base}/v2/Services/{conv.service_sid}/Channels/{conv.sid}"
    return {
        "account_sid": store.account_sid,
        "service_sid": user.service_sid,
        "channel_sid": conv.sid,
        "user_sid": user.sid,
        "member_sid": part.sid,
        "status": "joined",
        "last_consumed_message_index": last,
        "unread_messages_count": unread,
        "links": {"channel": channel_url, "member": f"{channel_url}/Members/{part.sid}"},
        "url": url,
        "notification_level": "default",
    }


def chat_channel_webhook(base: str, account_sid: str, conv: Conversation, hook: ConversationWebhook) -> dict[str, Any]:
    configuration: dict[str, Any]
    if hook.target == "studio":
        configuration = {"flow_sid": hook.flow_sid, "retry_count": hook.retry_count}
    else:
        configuration = {"url": hook.url, "method": hook.method.upper(), "filters": hook.filters,
                         "retry_count": hook.retry_count}
        if hook.target == "trigger":
            configuration["triggers"] = hook.triggers
    return {
        "sid": hook.sid,
        "account_sid": account_sid,
        "service_sid": conv.service_sid,
        "channel_sid": conv.sid,
        "type": hook.target,
        "url": f"{base}/v2/Services/{conv.service_sid}/Channels/{conv.sid}/Webhooks/{hook.sid}",
        "configuration": configuration,
        "date_created": fmt_date(hook.date_created),
        "date_updated": fmt_date(hook.date_updated),
    }


def chat_role(base: str, account_sid: str, role: Role) -> dict[str, Any]:
    return {
        "sid": role.sid,
        "account_sid": account_sid,
        "service_sid": role.service_sid,
        "friendly_name": role.friendly_name,
        "type": "deployment" if role.type == "service" else "channel",
        "permissions": role.permissions,
        "date_created": fmt_date(role.date_created),
        "date_updated": fmt_date(role.date_updated),
        "url": f"{base}/v2/Services/{role.service_sid}/Roles/{role.sid}",
    }


# ---------------------------------------------------------------------- MCS
def mcs_media(account_sid: str, media: Media, direct_url: str) -> dict[str, Any]:
    """The media JSON of the Media Content Service (relative ``url``/``links.content``, as Twilio)."""
    path = f"/v1/Services/{media.service_sid}/Media/{media.sid}"
    stamp = fmt_date_mcs(media.date_created)
    return {
        "sid": media.sid,
        "account_sid": account_sid,
        "service_sid": media.service_sid,
        "date_created": stamp,
        "date_upload_updated": stamp,
        "date_updated": stamp,
        "links": {"content": f"{path}/Content", "content_direct_temporary": direct_url},
        "size": media.size,
        "content_type": media.content_type,
        "filename": media.filename,
        "author": media.author,
        "category": media.category,
        "message_sid": media.message_sid,
        "channel_sid": media.channel_sid,
        "url": path,
        "is_multipart_upstream": False,
    }
