"""HTTP plumbing for the triggers: JSON bodies in, JSON answers and errors out.

``handle_errors`` wraps a handler so that an ``AppError`` becomes its status with a JSON
body ``{"error": {"code", "message", "target"?}}`` and anything unexpected becomes a
500 that says nothing about internals (the exception is logged, without secrets).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import azure.functions as func

from .errors import AppError, BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError
from .state.keys import KeyTooLongError

MAX_BODY_BYTES = 1024 * 1024
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # answers that carry tokens
logger = logging.getLogger(__name__)

Handler = TypeVar("Handler", bound=Callable[..., func.HttpResponse])
Route = Callable[[func.HttpRequest], func.HttpResponse]


def challenge(route: Route) -> Route:
    """Add ``WWW-Authenticate: Bearer`` to 401 answers (RFC 6750), so clients know how to sign in."""

    @functools.wraps(route)
    def wrapper(req: func.HttpRequest) -> func.HttpResponse:
        response = route(req)
        if response.status_code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"' \
                if req.headers.get("authorization") else "Bearer"
        return response

    return wrapper


def json_response(body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        mimetype="application/json",
        charset="utf-8",
        headers=dict(headers or {}),
    )


def error_response(error: AppError) -> func.HttpResponse:
    detail: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.target:
        detail["target"] = error.target
    return json_response({"error": detail}, status=error.status)


def handle_errors(handler: Handler) -> Handler:
    """Map ``AppError`` to its JSON error, and any other exception to a bare 500."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> func.HttpResponse:
        try:
            return handler(*args, **kwargs)
        except AppError as error:
            return error_response(error)
        except KeyTooLongError as error:  # the storage layer's own error: the value can never be stored
            return error_response(BadRequestError(error.message))
        except Exception:
            logger.exception("unhandled error in %s", handler.__name__)
            return json_response(
                {"error": {"code": "InternalError", "message": "The request failed unexpectedly; it was logged."}},
                status=500,
            )

    return wrapper  # type: ignore[return-value]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValueError(f"the key {duplicate[:40]!r} appears twice")
    return value


MAX_JSON_DEPTH = 64  # no request body of this API nests deeper than a few levels
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def json_depth(text: str, *, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep ``text`` nests arrays and objects (strings skipped), counted without recursion; stops past ``limit``.

    Checked before ``json.loads``: the parser recurses once per level, and at tens of thousands of levels it
    fails deep in the C stack, where any finalizer the garbage collector runs then fails too.
    """
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
    return deepest


def read_json_object(req: func.HttpRequest, *, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The request body as a JSON object; 415, 413 or 400 naming the problem otherwise."""
    content_type = (req.headers.get("content-type") or "").split(";")[0].strip().lower()
    body = req.get_body() or b""
    if len(body) > max_bytes:
        raise PayloadTooLargeError(f"The request body is {len(body)} bytes; the limit is {max_bytes}.")
    if not body:
        return {}
    if content_type != "application/json":
        raise UnsupportedMediaTypeError(
            f"Send the body as application/json (got {content_type or 'no content type'!r})."
        )
    try:
        text = body.decode("utf-8")
        if json_depth(text) > MAX_JSON_DEPTH:
            raise BadRequestError(f"The request body nests JSON more than {MAX_JSON_DEPTH} levels deep.")
        value = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except UnicodeDecodeError:
        raise BadRequestError("The request body is not valid UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise BadRequestError(f"The request body is not valid JSON: {exc.msg} at position {exc.pos}.") from None
    except RecursionError:
        raise BadRequestError("The request body nests JSON too deeply.") from None
    except ValueError as exc:  # over-long integers, NaN/Infinity, duplicate keys
        raise BadRequestError(f"The request body is not acceptable JSON: {exc}.") from None
    if not isinstance(value, dict):
        raise BadRequestError("The request body must be a JSON object.")
    return value
