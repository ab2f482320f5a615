"""``python -m emulators.twilio.seed``: build a workspace on a running stand-in through the real SDK.

Uses ``twilio.rest.Client`` with ``AsyncTwilioHttpClient`` (the SDK's documented async HTTP
client) and bounded concurrency: conversations are seeded in parallel, each conversation's
own writes in order, so indices and contents are deterministic for a seed. Media is uploaded
to MCS with plain HTTP (the SDK has no MCS support, as with real Twilio). 429/5xx and dropped
connections are retried with capped exponential backoff. Prints one JSON summary line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from . import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
from .seed_data import PROFILES, ConversationPlan, MediaPlan, Plan, build_plan

T = TypeVar("T")
RETRY_STATUSES = {429, 500, 502, 503, 504}


class Pace:
    """Spaces one conversation's writes so they stay under Twilio's 30 actions/s per conversation."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.next_at = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        moment = time.monotonic()
        if self.next_at > moment:
            await asyncio.sleep(self.next_at - moment)
        self.next_at = max(moment, self.next_at) + self.interval


class Seeder:
    """Executes a ``Plan`` against the stand-in at ``url``."""

    def __init__(self, client: Client, session: aiohttp.ClientSession, url: str, auth: str,
                 concurrency: int, seed: int, writes_per_second: float = 28.0) -> None:
        self.client = client
        self.session = session
        self.url = url.rstrip("/")
        self.auth = auth
        self.limit = asyncio.Semaphore(concurrency)
        self.counts: Counter[str] = Counter()
        self.rng = random.Random(f"seed-retry:{seed}")
        self.services: dict[str, str] = {}
        self.writes_per_second = writes_per_second

    async def write(self, pace: Pace, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """A conversation-scoped write: paced, then ``call``."""
        await pace.wait()
        return await self.call(fn, *args, **kwargs)

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run one SDK call with retries on 429/5xx/connection errors."""
        delay = 0.05
        for attempt in range(12):
            self.counts["requests"] += 1
            try:
                return await fn(*args, **kwargs)
            except TwilioRestException as exc:
                if exc.status not in RETRY_STATUSES or attempt == 11:
                    raise
            except TwilioException as exc:
                response = exc.args[1] if len(exc.args) > 1 else None
                if getattr(response, "status_code", None) not in RETRY_STATUSES or attempt == 11:
                    raise
            except (aiohttp.ClientError, ConnectionError, TimeoutError):
                if attempt == 11:
                    raise
            self.counts["retries"] += 1
            await asyncio.sleep(delay * (0.5 + self.rng.random()))
            delay = min(delay * 2, 2.0)
        raise RuntimeError("unreachable")

    async def upload(self, service_sid: str, media: MediaPlan, author: str) -> str:
        async def once() -> str:
            async with self.session.post(f"{self.url}/v1/Services/{service_sid}/Media", data=media.data,
                                         params={"Filename": media.filename, "Author": author},
                                         headers={"Content-Type": media.content_type,
                                                  "Authorization": self.auth}) as response:
                if response.status in RETRY_STATUSES:
                    raise TwilioRestException(response.status, str(response.url), "retry")
                response.raise_for_status()
                return str((await response.json())["sid"])

        sid = await self.call(once)
        self.counts["media"] += 1
        return sid

    # ------------------------------------------------------------------ plan execution
    async def run(self, plan: Plan) -> None:
        v1 = self.client.conversations.v1
        config = await self.call(v1.configuration().fetch_async)
        for key, name in plan.services:
            if key == "default":
                self.services[key] = config.default_chat_service_sid
            else:
                svc = await self.call(v1.services.create_async, friendly_name=name)
                self.services[key] = svc.sid
            self.counts["services"] += 1

        async def make_user(user: Any) -> None:
            async with self.limit:
                await self.call(v1.services(self.services[user.service]).users.create_async, identity=user.identity,
                                friendly_name=user.friendly_name, attributes=user.attributes)
                self.counts["users"] += 1

        await asyncio.gather(*(make_user(u) for u in plan.users))
        # Conversations and channels are created in plan order (SIDs are then reproducible), filled in parallel.
        sids = [await self.create(c) for c in plan.conversations]
        await asyncio.gather(*(self.fill(c, sid) for c, sid in zip(plan.conversations, sids, strict=True)))

    async def create(self, plan: ConversationPlan) -> str:
        service_sid = self.services[plan.service]
        if plan.channel_type is None:
            svc = self.client.conversations.v1.services(service_sid)
            conv = await self.call(svc.conversations.create_async, friendly_name=plan.friendly_name,
                                   unique_name=plan.unique_name or None, attributes=plan.attributes or None,
                                   date_created=plan.created)
            self.counts["conversations"] += 1
            return str(conv.sid)
        chat = self.client.chat.v2.services(service_sid)
        channel = await self.call(chat.channels.create_async, friendly_name=plan.friendly_name,
                                  unique_name=plan.unique_name or None, attributes=plan.attributes or None,
                                  type=plan.channel_type, date_created=plan.created,
                                  created_by=plan.participants[0].identity or "system")
        self.counts[f"{plan.channel_type}_channels"] += 1
        return str(channel.sid)

    async def fill(self, plan: ConversationPlan, sid: str) -> None:
        async with self.limit:
            if plan.channel_type is None:
                await self._conversation_v1(plan, sid)
            else:
                await self._channel_v2(plan, sid)

    async def _conversation_v1(self, plan: ConversationPlan, sid: str) -> None:
        service_sid = self.services[plan.service]
        svc = self.client.conversations.v1.services(service_sid)
        ctx = svc.conversations(sid)
        pace = Pace(self.writes_per_second)
        parts = []
        for p in plan.participants:
            if p.identity is not None:
                made = await self.write(pace, ctx.participants.create_async, identity=p.identity,
                                       attributes=p.attributes or None, date_created=plan.created)
                self.counts["chat_participants"] += 1
            else:
                made = await self.write(pace, ctx.participants.create_async, messaging_binding_address=p.address,
                                       messaging_binding_proxy_address=p.proxy, date_created=plan.created)
                kind = "whatsapp" if (p.address or "").startswith("whatsapp:") else "sms"
                self.counts[f"{kind}_participants"] += 1
            parts.append(made)
        indices = []
        for m in plan.messages:
            media_sids = [await self.upload(service_sid, media, m.author) for media in m.media]
            msg = await self.write(pace, ctx.messages.create_async, author=m.author, body=m.body,
                                   attributes=m.attributes, media_sid=media_sids or None, date_created=m.date)
            indices.append(msg.index)
            self.counts["messages"] += 1
            self._count_body(m.body)
            if m.edit_body is not None:
                await self.write(pace, ctx.messages(msg.sid).update_async, body=m.edit_body, date_updated=m.edit_date)
                self.counts["edited_messages"] += 1
            if m.delete:
                await self.write(pace, ctx.messages(msg.sid).delete_async)
                self.counts["deleted_messages"] += 1
        for p, made in zip(plan.participants, parts, strict=True):
            if p.read_upto is not None and indices:
                await self.write(pace, ctx.participants(made.sid).update_async,
                                last_read_message_index=indices[p.read_upto],
                                last_read_timestamp=_stamp(p.read_at))
                self.counts["read_horizons"] += 1
        if plan.final_state:
            await self.write(pace, ctx.update_async, state=plan.final_state, date_updated=plan.final_at)
            self.counts[f"{plan.final_state}_conversations"] += 1

    async def _channel_v2(self, plan: ConversationPlan, sid: str) -> None:
        service_sid = self.services[plan.service]
        chat = self.client.chat.v2.services(service_sid)
        ctx = chat.channels(sid)
        pace = Pace(self.writes_per_second)
        members = []
        for p in plan.participants:
            members.append(await self.write(pace, ctx.members.create_async, identity=p.identity,
                                            date_created=plan.created, attributes=p.attributes or None))
            self.counts["chat_participants"] += 1
        indices = []
        for m in plan.messages:
            media_sid = await self.upload(service_sid, m.media[0], m.author) if m.media else None
            msg = await self.write(pace, ctx.messages.create_async, from_=m.author, body=m.body,
                                  attributes=m.attributes, media_sid=media_sid, date_created=m.date)
            indices.append(msg.index)
            self.counts["messages"] += 1
            self._count_body(m.body)
            if m.edit_body is not None and m.body is not None:
                await self.write(pace, ctx.messages(msg.sid).update_async, body=m.edit_body, last_updated_by=m.author,
                                 date_updated=m.edit_date)
                self.counts["edited_messages"] += 1
            if m.delete:
                await self.write(pace, ctx.messages(msg.sid).delete_async)
                self.counts["deleted_messages"] += 1
        for p, member in zip(plan.participants, members, strict=True):
            if p.read_upto is not None and indices:
                await self.write(pace, ctx.members(member.sid).update_async,
                                 last_consumed_message_index=indices[p.read_upto],
                                 last_consumption_timestamp=p.read_at)
                self.counts["read_horizons"] += 1

    def _count_body(self, body: str | None) -> None:
        if body is not None and len(body.encode()) >= 27 * 1024:
            self.counts["large_bodies"] += 1
            if len(body.encode()) > 28 * 1024:
                self.counts["bodies_over_28k"] += 1
        if body is not None and any(ord(ch) > 0xFFFF for ch in body):
            self.counts["emoji_bodies"] += 1


def _stamp(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else None


async def seed(url: str, username: str, password: str, account_sid: str, profile: str, seed_value: int,
               concurrency: int, writes_per_second: float = 28.0) -> dict[str, Any]:
    """Seed ``profile`` and return the JSON summary."""
    started = time.monotonic()
    plan = build_plan(profile, seed_value)
    async with AsyncTwilioHttpClient() as http, aiohttp.ClientSession() as session:
        client = Client(username, password, account_sid=account_sid, http_client=http)
        client.conversations.base_url = url
        client.chat.base_url = url
        auth = aiohttp.encode_basic_auth(username, password)
        seeder = Seeder(client, session, url, auth, concurrency, seed_value, writes_per_second)
        await seeder.run(plan)
    counts = dict(sorted(seeder.counts.items()))
    return {
        "profile": profile,
        "seed": seed_value,
        "url": url,
        "service_sids": seeder.services,
        "net_messages": counts.get("messages", 0) - counts.get("deleted_messages", 0),
        **counts,
        "elapsed_seconds": round(time.monotonic() - started, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulators.twilio.seed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="base URL of the stand-in, e.g. http://127.0.0.1:8123")
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    parser.add_argument("--api-key-sid", default=None, help="authenticate with an API key instead of the token")
    parser.add_argument("--api-key-secret", default=None)
    parser.add_argument("--profile", choices=PROFILES, default="small")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=64, help="conversations seeded in parallel")
    parser.add_argument("--writes-per-second", type=float, default=28.0,
                        help="pace of writes within one conversation (Twilio allows 30/s); 0 = unpaced")
    args = parser.parse_args(argv)
    username, password = args.account_sid, args.auth_token
    if args.api_key_sid:
        username, password = args.api_key_sid, args.api_key_secret or ""
    summary = asyncio.run(seed(args.url, username, password, args.account_sid, args.profile, args.seed,
                               max(1, args.concurrency), args.writes_per_second))
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
