"""Errors the stand-in answers with, in the bodies the service (or its spec) uses."""

from __future__ import annotations

import math
from typing import Any

UNAUTHORIZED = "Request is not authorized."
FORBIDDEN = "User is not allowed to perform specified action."
TOO_MANY = "Rate limit exceeded."
UNAVAILABLE = "The server is currently unable to handle the request."


class ApiError(Exception):
    """An HTTP error answer: status, JSON body and extra headers."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def error_body(code: str, message: str, target: str | None = None) -> dict[str, Any]:
    """The spec's ``CommunicationErrorResponse``: ``{"error": {"code", "message", "target"?}}``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if target is not None:
        error["target"] = target
    return {"error": error}


def chat_legacy_body(code: str, message: str | None) -> dict[str, Any]:
    """The real chat 400/404 shape (``CommunicationError``) plus the spec's ``error`` object.

    The real service answers ``{"CommunicationError": {"Code", "Message"?, "Details": []}}``
    (recorded); the spec declares ``{"error": {...}}``. Both keys are sent so recordings
    replay with the same fields and ``HttpResponseError.error`` still parses.
    """
    legacy: dict[str, Any] = {"Code": code}
    if message is not None:
        legacy["Message"] = message
    legacy["Details"] = []
    body = error_body(code, message or code)
    body["CommunicationError"] = legacy
    return body


def unauthorized(message: str = UNAUTHORIZED) -> ApiError:
    return ApiError(401, error_body("Unauthorized", message))


def forbidden(message: str = FORBIDDEN) -> ApiError:
    return ApiError(403, error_body("Forbidden", message))


def chat_not_found(message: str | None = None) -> ApiError:
    return ApiError(404, chat_legacy_body("NotFound", message))


def chat_bad_request(message: str) -> ApiError:
    return ApiError(400, chat_legacy_body("BadRequest", message))


def retry_after_value(seconds: float) -> str:
    """``Retry-After``: whole seconds (rounded up) from 1 s on; below that (small time-scales) a
    decimal such as ``0.1``, which azure-core parses as a float and sleeps for exactly."""
    if seconds >= 1:
        return str(math.ceil(seconds))
    return f"{max(seconds, 0.001):.3f}".rstrip("0").rstrip(".")


def too_many_requests(retry_after_s: float | None) -> ApiError:
    """429 ``TooManyRequests``; with ``Retry-After`` and the exact ``retry-after-ms`` unless ``None``."""
    error = ApiError(429, error_body("TooManyRequests", TOO_MANY))
    if retry_after_s is not None:
        ms = max(1, math.ceil(retry_after_s * 1000))
        error.headers = {"Retry-After": retry_after_value(retry_after_s), "retry-after-ms": str(ms)}
    return error
