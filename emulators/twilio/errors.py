"""Twilio's error body ``{code, message, more_info, status}`` and the exception carrying it."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


class TwilioError(Exception):
    """An error answered as Twilio does: HTTP ``status`` with the JSON body below."""

    def __init__(self, status: int, code: int, message: str, *, headers: dict[str, str] | None = None,
                 detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.detail = detail

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "more_info": MORE_INFO.format(code=self.code),
            "status": self.status,
        }
        if self.detail is not None:
            data["detail"] = self.detail
        return data

    def response(self) -> web.Response:
        return web.Response(
            status=self.status,
            text=json.dumps(self.body()),
            content_type="application/json",
            headers=self.headers,
        )


def not_found(path: str) -> TwilioError:
    """Twilio's 20404 for a missing record or route."""
    return TwilioError(404, 20404, f"The requested resource {path} was not found")


def missing(param: str) -> TwilioError:
    """Twilio's 20001 for a required parameter that is absent."""
    return TwilioError(400, 20001, f"Missing required parameter {param} in the post body")


def too_many_requests(reason: str = "Too Many Requests", retry_after: float | None = None) -> TwilioError:
    """HTTP 429 with code 20429, optionally with ``Retry-After``."""
    headers = {"Retry-After": f"{max(1, round(retry_after))}"} if retry_after is not None else {}
    return TwilioError(429, 20429, reason, headers=headers)
