"""One API request as handlers see it, and the reply they give."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .errors import ApiError, chat_bad_request


@dataclass
class Caller:
    """The user a chat bearer token identifies, with its scopes."""

    user_id: str
    scopes: tuple[str, ...]

    def can_manage_threads(self) -> bool:
        return "chat" in self.scopes

    def can_manage_participants(self) -> bool:
        return "chat" in self.scopes or "chat.join" in self.scopes


@dataclass
class Call:
    request: web.Request
    operation: str
    params: dict[str, str]
    body: bytes
    caller: Caller | None = None

    @property
    def user(self) -> str:
        assert self.caller is not None
        return self.caller.user_id

    @property
    def base_url(self) -> str:
        return f"https://{self.request.host}"

    def query(self, name: str) -> str | None:
        return self.request.query.get(name)

    def json(self, *, required: bool = True) -> Any:
        """The JSON body; a missing or malformed one is a chat-style 400."""
        if not self.body.strip():
            if required:
                raise chat_bad_request("The request body is required.")
            return {}
        try:
            return json.loads(self.body)
        except ValueError:
            raise chat_bad_request("The request body is not valid JSON.") from None

    def json_object(self, *, required: bool = True) -> dict[str, Any]:
        value = self.json(required=required)
        if not isinstance(value, dict):
            raise chat_bad_request("The request body must be a JSON object.")
        return value

    def int_query(self, name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
        raw = self.query(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, {"error": {"code": "BadRequest", "message": f"{name} must be an integer."}}) from None
        if value < minimum:
            raise chat_bad_request(f"{name} must be at least {minimum}.")
        return min(value, maximum) if maximum is not None else value


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
