"""The whole in-memory state and the operations both APIs share (create, update, delete, lookups)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import TwilioError, not_found
from .formats import SidFactory, now
from .models import (
    AccountConfig,
    Conversation,
    ConversationWebhook,
    Media,
    Message,
    Participant,
    Receipt,
    Role,
    Service,
    User,
    conversation_from_plain,
    from_plain,
    media_from_plain,
    to_plain,
)

SNAPSHOT_VERSION = 1
SERVICE_ROLE_PERMISSIONS = {
    "Service Admin": ["addParticipant", "createConversation", "deleteAnyMessage", "editAnyMessage",
                      "editAnyUserInfo", "joinConversation", "removeParticipant"],
    "Service User": ["createConversation", "editOwnUserInfo", "joinConversation"],
}
CONVERSATION_ROLE_PERMISSIONS = {
    "Conversation Admin": ["addParticipant", "deleteAnyMessage", "deleteOwnMessage", "editAnyMessage",
                           "editOwnMessage", "leaveConversation", "removeParticipant", "sendMediaMessage",
                           "sendMessage"],
    "Conversation User": ["deleteOwnMessage", "editOwnMessage", "leaveConversation", "sendMediaMessage",
                          "sendMessage"],
}


@dataclass
class Store:
    """All records of one account. Not thread-safe: only the event loop touches it."""

    account_sid: str
    seed: int | str
    sids: SidFactory = field(init=False)
    config: AccountConfig = field(init=False)
    services: dict[str, Service] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    media: dict[str, Media] = field(default_factory=dict)
    _seq: int = 0
    _unique: dict[tuple[str, str], str] = field(default_factory=dict)
    _identities: dict[tuple[str, str], str] = field(default_factory=dict)
    _taken: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.sids = SidFactory(self.seed)
        default = self.create_service("Default Conversations Service")
        self.config = AccountConfig(default_chat_service_sid=default.sid)

    def new_sid(self, prefix: str, scope: str | None = None) -> str:
        """A fresh SID from the (scoped) seeded generator, never one already used in this state."""
        while True:
            sid = self.sids.new(prefix, scope)
            if sid not in self._taken:
                self._taken.add(sid)
                return sid

    # ----------------------------------------------------------------- services and roles
    def create_service(self, friendly_name: str) -> Service:
        ts = now()
        service = Service(sid=self.new_sid("IS"), friendly_name=friendly_name, date_created=ts, date_updated=ts)
        self.services[service.sid] = service
        roles = {}
        for name, perms in SERVICE_ROLE_PERMISSIONS.items():
            roles[name] = self.create_role(service.sid, name, "service", perms)
        for name, perms in CONVERSATION_ROLE_PERMISSIONS.items():
            roles[name] = self.create_role(service.sid, name, "conversation", perms)
        service.default_chat_service_role_sid = roles["Service User"].sid
        service.default_conversation_role_sid = roles["Conversation User"].sid
        service.default_conversation_creator_role_sid = roles["Conversation Admin"].sid
        return service

    def service(self, sid: str, path: str) -> Service:
        found = self.services.get(sid)
        if found is None:
            raise not_found(path)
        return found

    def delete_service(self, service: Service) -> None:
        for conv in [c for c in self.conversations.values() if c.service_sid == service.sid]:
            self.delete_conversation(conv)
        for user in [u for u in self.users.values() if u.service_sid == service.sid]:
            self.delete_user(user)
        for role in [r for r in self.roles.values() if r.service_sid == service.sid]:
            del self.roles[role.sid]
        for media in [m for m in self.media.values() if m.service_sid == service.sid]:
            del self.media[media.sid]
        del self.services[service.sid]

    def create_role(self, service_sid: str, friendly_name: str, type_: str, permissions: list[str]) -> Role:
        ts = now()
        role = Role(self.new_sid("RL", service_sid), service_sid, friendly_name, type_, list(permissions), ts, ts)
        self.roles[role.sid] = role
        return role

    def role(self, service_sid: str, sid: str, path: str) -> Role:
        role = self.roles.get(sid)
        if role is None or role.service_sid != service_sid:
            raise not_found(path)
        return role

    def roles_of(self, service_sid: str) -> list[Role]:
        return [r for r in self.roles.values() if r.service_sid == service_sid]

    # ----------------------------------------------------------------- conversations
    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def create_conversation(self, service_sid: str, *, friendly_name: str | None, unique_name: str | None,
                            attributes: str | None, state: str | None, type_: str = "private",
                            created_by: str = "system", messaging_service_sid: str | None = None,
                            date_created: int | None = None, date_updated: int | None = None) -> Conversation:
        if unique_name and (service_sid, unique_name) in self._unique:
            raise TwilioError(409, 50353, f"Conversation with provided unique name already exists: {unique_name}")
        created = date_created if date_created is not None else now()
        conv = Conversation(
            sid=self.new_sid("CH", service_sid), service_sid=service_sid, friendly_name=friendly_name,
            unique_name=unique_name,
            attributes=attributes or "{}", state=state or "active", date_created=created,
            date_updated=date_updated if date_updated is not None else created, type=type_, created_by=created_by,
            messaging_service_sid=messaging_service_sid, seq=self.next_seq(),
        )
        self.conversations[conv.sid] = conv
        if unique_name:
            self._unique[(service_sid, unique_name)] = conv.sid
        return conv

    def find_conversation(self, service_sid: str, sid_or_name: str, path: str, *, include_public: bool) -> Conversation:
        """By SID or ``unique_name`` within a service; public channels only when ``include_public``."""
        conv = self.conversations.get(sid_or_name)
        if conv is None:
            found = self._unique.get((service_sid, sid_or_name))
            conv = self.conversations.get(found) if found else None
        if conv is None or conv.service_sid != service_sid or (conv.type == "public" and not include_public):
            raise not_found(path)
        return conv

    def set_unique_name(self, conv: Conversation, unique_name: str | None) -> None:
        if unique_name == conv.unique_name:
            return
        if unique_name and (conv.service_sid, unique_name) in self._unique:
            raise TwilioError(409, 50353, f"Conversation with provided unique name already exists: {unique_name}")
        if conv.unique_name:
            self._unique.pop((conv.service_sid, conv.unique_name), None)
        conv.unique_name = unique_name or None
        if unique_name:
            self._unique[(conv.service_sid, unique_name)] = conv.sid

    def delete_conversation(self, conv: Conversation) -> None:
        if conv.unique_name:
            self._unique.pop((conv.service_sid, conv.unique_name), None)
        for message in conv.messages:
            for media_sid in message.media_sids:
                self.media.pop(media_sid, None)
        del self.conversations[conv.sid]

    def conversations_of(self, service_sid: str, *, types: tuple[str, ...] = ("private",)) -> list[Conversation]:
        convs = [c for c in self.conversations.values() if c.service_sid == service_sid and c.type in types]
        convs.sort(key=lambda c: (c.date_created, c.seq))
        return convs

    # ----------------------------------------------------------------- participants
    def add_participant(self, conv: Conversation, *, identity: str | None, binding: dict[str, str] | None,
                        attributes: str | None, role_sid: str | None, date_created: int | None = None,
                        date_updated: int | None = None, last_read_message_index: int | None = None,
                        last_read_timestamp: int | None = None) -> Participant:
        if identity is None and not binding:
            raise TwilioError(400, 50105, "Identity or MessagingBinding.Address is required")
        for other in conv.participants.values():
            if identity is not None and other.identity == identity:
                raise TwilioError(409, 50433, f"Participant already exists: {identity}")
            if binding and other.messaging_binding and binding.get("address") and \
                    other.messaging_binding.get("address") == binding.get("address"):
                raise TwilioError(409, 50416, "A participant with this messaging binding already exists")
        if identity is not None:
            self.ensure_user(conv.service_sid, identity)
        created = date_created if date_created is not None else now()
        participant = Participant(
            sid=self.new_sid("MB", conv.sid), conversation_sid=conv.sid, identity=identity,
            attributes=attributes or "{}",
            messaging_binding=binding,
            role_sid=role_sid or self.services[conv.service_sid].default_conversation_role_sid,
            date_created=created, date_updated=date_updated if date_updated is not None else created,
            last_read_message_index=last_read_message_index, last_read_timestamp=last_read_timestamp,
        )
        conv.participants[participant.sid] = participant
        return participant

    def find_participant(self, conv: Conversation, sid_or_identity: str, path: str) -> Participant:
        participant = conv.participants.get(sid_or_identity) or conv.participant_by_identity(sid_or_identity)
        if participant is None:
            raise not_found(path)
        return participant

    # ----------------------------------------------------------------- messages
    def add_message(self, conv: Conversation, *, author: str | None, body: str | None, attributes: str | None,
                    media_sids: list[str], date_created: int | None = None, date_updated: int | None = None,
                    content_sid: str | None = None, index: int | None = None) -> Message:
        author = author or "system"
        for media_sid in media_sids:
            media = self.media.get(media_sid)
            if media is None or media.service_sid != conv.service_sid:
                raise TwilioError(400, 50068, f"Media {media_sid} not found in this service")
        sender = self._author_participant(conv, author)
        created = date_created if date_created is not None else now()
        message = Message(
            sid=self.new_sid("IM", conv.sid), conversation_sid=conv.sid,
            index=conv.next_index if index is None else max(index, conv.next_index),
            author=author, body=body, attributes=attributes or "{}", media_sids=list(media_sids),
            participant_sid=sender.sid if sender else None, date_created=created,
            date_updated=date_updated if date_updated is not None else created, content_sid=content_sid,
        )
        for media_sid in media_sids:
            self.media[media_sid].message_sid = message.sid
            self.media[media_sid].channel_sid = conv.sid
        for participant in conv.participants.values():
            if participant.messaging_binding and participant is not sender:
                status = self.sids.rng(conv.sid).choice(("sent", "delivered", "delivered", "read"))
                message.receipts.append(Receipt(
                    sid=self.new_sid("DY", conv.sid), message_sid=message.sid, participant_sid=participant.sid,
                    channel_message_sid=self.new_sid("SM", conv.sid), status=status, error_code=0,
                    date_created=created, date_updated=created,
                ))
        conv.add_message(message)
        return message

    @staticmethod
    def _author_participant(conv: Conversation, author: str) -> Participant | None:
        for participant in conv.participants.values():
            if participant.identity == author:
                return participant
            if participant.messaging_binding and participant.messaging_binding.get("address") == author:
                return participant
        return None

    def find_message(self, conv: Conversation, sid: str, path: str) -> Message:
        message = conv.message(sid)
        if message is None:
            raise not_found(path)
        return message

    def delete_message(self, conv: Conversation, message: Message) -> None:
        conv.remove_message(message)
        for media_sid in message.media_sids:
            self.media.pop(media_sid, None)

    # ----------------------------------------------------------------- users
    def create_user(self, service_sid: str, identity: str, *, friendly_name: str | None, attributes: str | None,
                    role_sid: str | None, date_created: int | None = None) -> User:
        if (service_sid, identity) in self._identities:
            raise TwilioError(409, 50201, f"User already exists: {identity}")
        created = date_created if date_created is not None else now()
        user = User(
            sid=self.new_sid("US", f"{service_sid}:{identity}"), service_sid=service_sid, identity=identity,
            friendly_name=friendly_name,
            attributes=attributes or "{}",
            role_sid=role_sid or self.services[service_sid].default_chat_service_role_sid,
            date_created=created, date_updated=created,
        )
        self.users[user.sid] = user
        self._identities[(service_sid, identity)] = user.sid
        return user

    def ensure_user(self, service_sid: str, identity: str) -> User:
        """Twilio creates a user implicitly when a chat participant joins with a new identity."""
        sid = self._identities.get((service_sid, identity))
        if sid:
            return self.users[sid]
        return self.create_user(service_sid, identity, friendly_name=None, attributes=None, role_sid=None)

    def find_user(self, service_sid: str, sid_or_identity: str, path: str) -> User:
        user = self.users.get(sid_or_identity)
        if user is None:
            sid = self._identities.get((service_sid, sid_or_identity))
            user = self.users.get(sid) if sid else None
        if user is None or user.service_sid != service_sid:
            raise not_found(path)
        return user

    def user_sid(self, service_sid: str, identity: str) -> str | None:
        """The SID of the user with ``identity`` in the service, if any."""
        return self._identities.get((service_sid, identity))

    def delete_user(self, user: User) -> None:
        self._identities.pop((user.service_sid, user.identity), None)
        del self.users[user.sid]

    def users_of(self, service_sid: str) -> list[User]:
        return [u for u in self.users.values() if u.service_sid == service_sid]

    def user_memberships(self, user: User) -> list[tuple[Conversation, Participant]]:
        pairs = []
        for conv in self.conversations_of(user.service_sid, types=("private", "public")):
            participant = conv.participant_by_identity(user.identity)
            if participant is not None:
                pairs.append((conv, participant))
        return pairs

    # ----------------------------------------------------------------- webhooks
    def add_conversation_webhook(self, conv: Conversation, *, target: str, url: str | None, method: str,
                                 filters: list[str], triggers: list[str], flow_sid: str | None,
                                 replay_after: int | None) -> ConversationWebhook:
        if len(conv.webhooks) >= 5:
            raise TwilioError(400, 50010, "A conversation can have at most 5 webhooks")
        ts = now()
        hook = ConversationWebhook(self.new_sid("WH", conv.sid), conv.sid, target, url, method, filters, triggers,
                                   flow_sid, replay_after, ts, ts)
        conv.webhooks[hook.sid] = hook
        return hook

    # ----------------------------------------------------------------- media
    def add_media(self, service_sid: str, *, content_type: str, filename: str | None, data: bytes,
                  author: str | None, created: float) -> Media:
        media = Media(self.new_sid("ME", f"{service_sid}:{filename}"), service_sid, content_type, filename, data,
                      author, "media", created)
        self.media[media.sid] = media
        return media

    # ----------------------------------------------------------------- snapshot / load
    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-able data (media bytes base64)."""
        return {
            "version": SNAPSHOT_VERSION,
            "account_sid": self.account_sid,
            "config": to_plain(self.config),
            "services": [to_plain(s) for s in self.services.values()],
            "roles": [to_plain(r) for r in self.roles.values()],
            "users": [to_plain(u) for u in self.users.values()],
            "conversations": [to_plain(c) for c in sorted(self.conversations.values(), key=lambda c: c.seq)],
            "media": [to_plain(m) for m in self.media.values()],
        }

    def load(self, data: dict[str, Any], *, replace: bool = True) -> dict[str, int]:
        """Replace (or, with ``replace=False``, merge into) the state from a ``snapshot()``."""
        if data.get("version", SNAPSHOT_VERSION) != SNAPSHOT_VERSION:
            raise TwilioError(400, 20001, f"Unsupported snapshot version {data.get('version')!r}")
        try:
            services = [from_plain(Service, s) for s in data.get("services", [])]
            roles = [from_plain(Role, r) for r in data.get("roles", [])]
            users = [from_plain(User, u) for u in data.get("users", [])]
            convs = [conversation_from_plain(c) for c in data.get("conversations", [])]
            media = [media_from_plain(m) for m in data.get("media", [])]
            config = from_plain(AccountConfig, data["config"]) if "config" in data else None
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise TwilioError(400, 20001, f"Invalid snapshot: {exc}") from exc
        if replace:
            self.services.clear()
            self.conversations.clear()
            self.users.clear()
            self.roles.clear()
            self.media.clear()
            self._unique.clear()
            self._identities.clear()
        if config is not None:
            self.config = config
        self.services.update({s.sid: s for s in services})
        self.roles.update({r.sid: r for r in roles})
        for user in users:
            self.users[user.sid] = user
            self._identities[(user.service_sid, user.identity)] = user.sid
        for conv in convs:
            conv.seq = self.next_seq()
            self.conversations[conv.sid] = conv
            if conv.unique_name:
                self._unique[(conv.service_sid, conv.unique_name)] = conv.sid
        self.media.update({m.sid: m for m in media})
        for record in [*services, *roles, *users, *media]:
            self._taken.add(record.sid)
        for conv in convs:
            self._taken.add(conv.sid)
            self._taken.update(conv.participants)
            self._taken.update(conv.webhooks)
            for message in conv.messages:
                self._taken.add(message.sid)
                self._taken.update(r.sid for r in message.receipts)
                self._taken.update(r.channel_message_sid for r in message.receipts)
        if self.config.default_chat_service_sid not in self.services:
            self.config.default_chat_service_sid = next(iter(self.services), self.create_service("Default").sid)
        return self.counts()

    def counts(self) -> dict[str, int]:
        return {
            "services": len(self.services),
            "conversations": sum(1 for c in self.conversations.values() if c.type == "private"),
            "public_channels": sum(1 for c in self.conversations.values() if c.type == "public"),
            "participants": sum(len(c.participants) for c in self.conversations.values()),
            "messages": sum(len(c.messages) for c in self.conversations.values()),
            "users": len(self.users),
            "roles": len(self.roles),
            "media": len(self.media),
        }
