"""The stand-in's services wired together: state, ids, tokens, limits, faults, events, records."""

from __future__ import annotations

import base64
import hashlib
import random
import ssl
from datetime import UTC, datetime

from .config import Settings
from .delivery import EventDelivery
from .events import EventFactory
from .faults import FaultInjector, parse_spec
from .limits import RateLimiter
from .recorder import Recorder
from .room_state import RoomIds, RoomStore
from .state import Ids, Store
from .tokens import TokenMinter


class Emulator:
    """Everything one running stand-in holds; ``reset`` empties state but keeps keys and config."""

    def __init__(self, settings: Settings, sink_ssl: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.ids = Ids(settings.seed)
        key_rng = random.Random(f"acs-emulator-key-{settings.seed}")
        self.access_key = bytes(key_rng.getrandbits(8) for _ in range(64))
        self.access_key_b64 = base64.b64encode(self.access_key).decode("ascii")
        secret = hashlib.sha256(self.access_key + b"user-tokens").digest()
        self.minter = TokenMinter(secret, self.ids.resource_id, random.Random(settings.seed + 1))
        self.store = Store()
        self.rooms = RoomStore()
        self.room_ids = RoomIds(settings.seed)
        self.limiter = RateLimiter(settings.time_scale, enabled=settings.limits)
        self.faults = FaultInjector(settings.seed, parse_spec(settings.faults))
        self.recorder = Recorder(limit=settings.record_limit)
        self.delivery = EventDelivery(
            settings.event_sink,
            schema=settings.event_schema,
            time_scale=settings.time_scale,
            batch_size=settings.event_batch_size,
            max_attempts=settings.event_max_attempts,
            ssl_context=sink_ssl,
        )
        subscription = str(self.ids.uuid())
        self.topic = (
            f"/subscriptions/{subscription}/resourceGroups/acs-emulator/providers/"
            f"Microsoft.Communication/communicationServices/{settings.resource_name}"
        )
        self.events = EventFactory(self.ids, self.topic, self.delivery.emit, self.now)

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def reset(self) -> None:
        self.store.reset()
        self.rooms.reset()
        self.limiter.reset()
        self.recorder.reset()
        self.delivery.clear()
        for rule in self.faults.rules:
            rule.fired = 0
