"""A Storage queue of JSON work items, created on first use, base64-encoded as the Functions host expects."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from azure.storage.queue import QueueClient, QueueServiceClient, TextBase64DecodePolicy, TextBase64EncodePolicy

from .first_use import CreatedOnFirstUse

MAX_MESSAGE_BYTES = 48 * 1024  # 64 KiB less base64's growth
MAX_VISIBILITY_SECONDS = 7 * 24 * 3600


class WorkQueue:
    """Sends JSON messages to one queue; the host's default ``messageEncoding`` (base64) decodes them."""

    def __init__(self, service: QueueServiceClient, queue_name: str) -> None:
        self._service = service
        self._queue_name = queue_name
        self._client = CreatedOnFirstUse(
            lambda: service.get_queue_client(
                queue_name,
                message_encode_policy=TextBase64EncodePolicy(),
                message_decode_policy=TextBase64DecodePolicy(),
            ),
            QueueClient.create_queue,
        )

    @property
    def queue_name(self) -> str:
        return self._queue_name

    @property
    def client(self) -> QueueClient:
        """The queue's client; the queue is created, idempotently, the first time."""
        return self._client.get()

    def send(self, payload: Mapping[str, Any], *, delay_seconds: float = 0) -> str:
        """Enqueue ``payload`` as JSON, invisible for ``delay_seconds``; returns the message id."""
        text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
        if len(text) > MAX_MESSAGE_BYTES:
            raise ValueError(
                f"a work item for {self._queue_name} is {len(text)} bytes; the limit is {MAX_MESSAGE_BYTES}"
            )
        delay = max(0, min(round(delay_seconds), MAX_VISIBILITY_SECONDS))
        message = self.client.send_message(text, visibility_timeout=delay or None)
        return str(message.id)

    def approximate_length(self) -> int:
        return int(self.client.get_queue_properties().approximate_message_count or 0)
