"""Deterministic seeding plans: what ``python -m emulators.twilio.seed`` creates for each profile.

Everything random comes from ``random.Random(seed)`` while the plan is built (before any
request), so the same seed always gives the same workspace, whatever the request timing.
"""

from __future__ import annotations

import json
import random
import struct
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

PROFILES = ("small", "realistic", "large")
FIRST_NAMES = ["Ada", "Björn", "Chloé", "Dmitri", "Elif", "Farah", "Gustavo", "Hana", "Ioana", "Jürgen", "Kwame",
               "Lucía", "Mei", "Nikolai", "Olu", "Priya", "Quentin", "Rosa", "Søren", "Tomás", "Uma", "Vikram",
               "Wen", "Ximena", "Yusuf", "Zoë", "Aiko", "Bongani", "Carmen", "Dara"]
LAST_NAMES = ["Lovelace", "Østergaard", "Dubois", "Ivanov", "Yılmaz", "Haddad", "Pereira", "Sato", "Popescu",
              "Müller", "Mensah", "García", "Zhang", "Petrov", "Adeyemi", "Sharma", "Moreau", "Rossi"]
PHRASES = ["Can you check order #{n}?", "Thanks, that worked 🙏", "I'll be there at {h}:30", "Ok 👍",
           "Sending the invoice now 📎", "Is the technician still coming today?", "¿Dónde está el paquete?",
           "Merci beaucoup !", "これはテストです", "Привет! Как дела?", "مرحبا، كيف يمكنني المساعدة؟",
           "The repair is scheduled for next week 🔧", "Could you resend the PDF?", "👀👀👀", "🎉🎉 Done!",
           "Line one\nLine two\n\tindented", "<b>not html</b> & \"quotes\" 'single'", "שלום", "Ναι, ευχαριστώ",
           "Please call +1 555 0100 😅", "A family emoji: 👨‍👩‍👧‍👦 and flags 🇳🇴🇯🇵"]


@dataclass
class MediaPlan:
    """One file uploaded to MCS before its message is created."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class MessagePlan:
    author: str
    body: str | None
    attributes: str | None
    date: datetime
    media: list[MediaPlan] = field(default_factory=list)
    edit_body: str | None = None
    edit_date: datetime | None = None
    delete: bool = False


@dataclass
class ParticipantPlan:
    identity: str | None
    address: str | None = None
    proxy: str | None = None
    attributes: str | None = None
    read_upto: int | None = None  # position in the conversation's message list
    read_at: datetime | None = None


@dataclass
class ConversationPlan:
    service: str
    friendly_name: str
    unique_name: str | None
    attributes: str | None
    created: datetime
    participants: list[ParticipantPlan]
    messages: list[MessagePlan]
    final_state: str | None = None  # inactive / closed
    final_at: datetime | None = None
    channel_type: str | None = None  # public / private when made through Chat v2


@dataclass
class UserPlan:
    service: str
    identity: str
    friendly_name: str
    attributes: str


@dataclass
class Plan:
    profile: str
    services: list[tuple[str, str]]  # key, friendly name ("default" = the account's default service)
    users: list[UserPlan]
    conversations: list[ConversationPlan]


def png_bytes(rng: random.Random, width: int, height: int) -> bytes:
    """A valid RGB PNG of random colour blocks."""
    rows = []
    colours = [bytes(rng.randrange(256) for _ in range(3)) for _ in range(4)]
    for y in range(height):
        row = b"".join(colours[((x // 8) + (y // 8)) % 4] for x in range(width))
        rows.append(b"\x00" + row)
    raw = zlib.compress(b"".join(rows), 6)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def pdf_bytes(title: str, lines: int) -> bytes:
    """A small valid one-page PDF with ``lines`` lines of text."""
    text = "\n".join(f"({title} line {i}) Tj 0 -14 Td" for i in range(lines))
    stream = f"BT /F1 11 Tf 50 780 Td\n{text}\nET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def _body(rng: random.Random) -> str:
    return rng.choice(PHRASES).format(n=rng.randrange(1000, 9999), h=rng.randrange(8, 18))


def _large_body(rng: random.Random, size: int) -> str:
    """A body of exactly ``size`` UTF-8 bytes (mixed ASCII and emoji), around the 28 KB ACS limit."""
    unit = "Long report paragraph — status ✅ details follow. "
    text = (unit * (size // len(unit.encode()) + 2)).encode()[: size - 4].decode("utf-8", "ignore")
    text += "🚀"
    while len(text.encode()) < size:
        text += "."
    while len(text.encode()) > size:
        text = text[:-1]
    return text


def build_plan(profile: str, seed: int) -> Plan:
    """The full plan for ``profile`` (small | realistic | large)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {PROFILES}")
    rng = random.Random(f"seed-plan:{profile}:{seed}")
    if profile == "small":
        return _plan(rng, profile, services=[("default", "Default"), ("support", "Support")], users_per_service=4,
                     conversations=4, messages=(6, 14), public_channels=1, private_channels=1, rich=True)
    if profile == "realistic":
        return _plan(rng, profile, services=[("default", "Default"), ("support", "Acme Support"),
                                             ("sales", "Acme Sales"), ("legacy", "Legacy Chat")],
                     users_per_service=10, conversations=30, messages=(20, 160), public_channels=4,
                     private_channels=3, rich=True)
    return _plan(rng, profile, services=[("default", "Default"), ("bulk", "Bulk Support")], users_per_service=50,
                 conversations=1000, messages=(100, 100), public_channels=0, private_channels=0, rich=False)


def _plan(rng: random.Random, profile: str, *, services: list[tuple[str, str]], users_per_service: int,
          conversations: int, messages: tuple[int, int], public_channels: int, private_channels: int,
          rich: bool) -> Plan:
    users, identities = _plan_users(rng, services, users_per_service)
    start = datetime(2022, 1, 3, 9, 0, tzinfo=UTC)
    plans: list[ConversationPlan] = []
    chat_services = [k for k, _ in services if k != "legacy"]
    big_sizes = [28 * 1024 - 64, 28 * 1024 + 512, 31 * 1024] if rich else []
    total = conversations + public_channels + private_channels
    for n in range(total):
        if n < conversations:
            service, channel_type = chat_services[n % len(chat_services)], None
        else:
            service = "legacy" if any(k == "legacy" for k, _ in services) else services[-1][0]
            channel_type = "public" if n - conversations < public_channels else "private"
        created = start + timedelta(days=n * (3 if rich else 0.3), minutes=rng.randrange(600))
        parts = _plan_participants(rng, n, identities[service], rich=rich, channel_type=channel_type)
        authors = [p.identity or p.address or "system" for p in parts]
        count = rng.randint(*messages)
        if not rich and n % 10 == 0:
            count += 1  # one deletion below keeps the net total at exactly messages x conversations
        msgs: list[MessagePlan] = []
        moment = created + timedelta(minutes=5)
        for i in range(count):
            moment += timedelta(seconds=rng.randrange(20, 4000 if rich else 600))
            author = rng.choice(authors)
            msgs.append(_plan_message(rng, n, i, count, author=author, moment=moment, rich=rich,
                                      channel_type=channel_type, big_sizes=big_sizes))
        for p in parts:
            if p.identity is not None and rng.random() < 0.7:
                p.read_upto = rng.randrange(count) if rng.random() < 0.5 else count - 1
                p.read_at = msgs[p.read_upto].date + timedelta(minutes=rng.randint(1, 240))
        final = None
        if channel_type is None:
            roll = rng.random()
            final = "closed" if roll < 0.2 or n == 0 else ("inactive" if roll < 0.3 or n == 1 else None)
        plans.append(ConversationPlan(
            service=service, friendly_name=f"{rng.choice(['Repair', 'Order', 'Billing', 'Visit', 'Chat'])} #{n} "
                                           f"{rng.choice(['🏠', '📦', '💳', '🛠️', ''])}".strip(),
            unique_name=f"{profile}-{n}" if n % 3 == 0 else None,
            attributes=json.dumps({"topic": rng.choice(["feedback", "support", "sales"]), "n": n}) if rich
            else None,
            created=created, participants=parts, messages=msgs, final_state=final, channel_type=channel_type,
            final_at=(msgs[-1].date if msgs else created) + timedelta(days=rng.randint(1, 30)) if final else None))
    return Plan(profile, services, users, plans)


def _plan_users(rng: random.Random, services: list[tuple[str, str]], users_per_service: int
                ) -> tuple[list[UserPlan], dict[str, list[str]]]:
    """Each service's users, and their identities by service."""
    users: list[UserPlan] = []
    identities: dict[str, list[str]] = {}
    for key, _name in services:
        identities[key] = []
        for i in range(users_per_service):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            identity = f"{first.lower()}.{i}@{key}.example.com"
            identities[key].append(identity)
            users.append(UserPlan(key, identity, f"{first} {last}",
                                  json.dumps({"department": rng.choice(["ops", "sales", "support"]),
                                              "locale": rng.choice(["en-US", "de-DE", "ja-JP", "pt-BR"])})))
    return users, identities


def _plan_participants(rng: random.Random, n: int, identities: list[str], *, rich: bool, channel_type: str | None
                       ) -> list[ParticipantPlan]:
    """Conversation ``n``'s chat participants, and in some an SMS or WhatsApp one."""
    people = rng.sample(identities, k=min(len(identities), rng.randint(2, 4 if rich else 2)))
    parts = [ParticipantPlan(identity=p, attributes=json.dumps({"seat": i}) if rich and i == 0 else None)
             for i, p in enumerate(people)]
    if channel_type is None and (rich or n % 4 == 0):
        phone = f"+1555{rng.randrange(10**6, 10**7)}"
        if rich and n % 5 == 3:
            parts.append(ParticipantPlan(identity=None, address=f"whatsapp:{phone}", proxy="whatsapp:+15017122661"))
        else:
            parts.append(ParticipantPlan(identity=None, address=phone, proxy="+15017122661"))
    return parts


def _plan_message(rng: random.Random, n: int, i: int, count: int, *, author: str, moment: datetime, rich: bool,
                  channel_type: str | None, big_sizes: list[int]) -> MessagePlan:
    """Message ``i`` of conversation ``n``: its body, media or attributes, and whether it is edited or deleted."""
    body: str | None = _body(rng)
    media: list[MediaPlan] = []
    attributes = None
    if rich:
        roll = rng.random()
        if roll < 0.02:
            media = [MediaPlan(f"photo-{n}-{i}.png", "image/png",
                               png_bytes(rng, rng.choice((16, 32, 64)), rng.choice((16, 32))))]
            body = rng.choice([None, "Here is the photo 📷"])
        elif roll < 0.035:
            media = [MediaPlan(f"invoice-{n}-{i}.pdf", "application/pdf",
                               pdf_bytes(f"Invoice {n}-{i}", rng.randint(3, 30)))]
            body = None if channel_type else "Invoice attached"
        elif roll < 0.09:
            attributes = json.dumps({"importance": rng.choice(["high", "low"]), "tags": ["seeded", "ü"]})
        if channel_type == "public" and media:
            media = media[:1]
    if rich and n < 3 and i in (1, 2):  # every rich workspace has images and PDFs
        media = [MediaPlan(f"photo-{n}-{i}.png", "image/png", png_bytes(rng, 48, 32))] if i == 1 else \
            [MediaPlan(f"contract-{n}.pdf", "application/pdf", pdf_bytes(f"Contract {n}", 12))]
    if big_sizes and i == 3 and n < len(big_sizes):
        body = _large_body(rng, big_sizes[n])
    msg = MessagePlan(author=author, body=body, attributes=attributes, date=moment, media=media)
    if rich and i > 0 and (rng.random() < 0.06 or i == 4):
        msg.edit_body = (body or "") + " (edited ✏️)"
        msg.edit_date = moment + timedelta(minutes=rng.randint(1, 90))
    if rich and i not in (0, count - 1) and (rng.random() < 0.05 or i == 5):
        msg.delete = True
    if not rich and n % 10 == 0 and i == 50:
        msg.delete = True
    return msg
