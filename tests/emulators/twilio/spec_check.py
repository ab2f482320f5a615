"""Validate recorded stand-in exchanges against Twilio's official OpenAPI specs (and stricter rules).

- 2xx JSON on ``/v1`` (Conversations), ``/v2`` and ``/v3`` (Chat) goes through openapi-core against
  ``../shared/specs/twilio/twilio_{conversations_v1,chat_v2,chat_v3}.json`` (types, enums, SID patterns,
  ``date-time``/``uri`` formats); on top of that every object must only carry keys the spec
  names, every Twilio date must be exactly ``YYYY-MM-DDTHH:MM:SSZ`` and every absolute URL must
  point at the host that served the request.
- 204 must have an empty body; errors must be Twilio's ``{code, message, more_info, status}``.
- MCS media JSON (no official spec) is checked against the shape in research/twilio.md §2.6.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

REPO_ROOT = Path(__file__).resolve().parents[3]
SPECS_DIR = REPO_ROOT.parent / "shared" / "specs" / "twilio"
TWILIO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DATE_KEYS = re.compile(r"^(date_.*|.*_date_(created|updated)|last_read_timestamp|last_consumption_timestamp)$")
MCS_DATE_KEYS = ("date_created", "date_updated", "date_upload_updated")

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message", "more_info", "status"],
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string", "minLength": 1},
        "more_info": {"type": "string", "pattern": r"^https://www\.twilio\.com/docs/errors/\d+$"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "additionalProperties": False,
}
MCS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["sid", "account_sid", "service_sid", "date_created", "links", "size", "content_type", "filename",
                 "category", "url"],
    "properties": {
        "sid": {"type": "string", "pattern": "^ME[0-9a-f]{32}$"},
        "account_sid": {"type": "string", "pattern": "^AC[0-9a-fA-F]{32}$"},
        "service_sid": {"type": "string", "pattern": "^IS[0-9a-f]{32}$"},
        "date_created": {"type": "string"},
        "date_updated": {"type": "string"},
        "date_upload_updated": {"type": "string"},
        "links": {
            "type": "object",
            "required": ["content", "content_direct_temporary"],
            "properties": {"content": {"type": "string", "pattern": "^/v1/Services/IS[0-9a-f]{32}/Media/ME"},
                           "content_direct_temporary": {"type": "string", "pattern": "^https?://"}},
            "additionalProperties": False,
        },
        "size": {"type": "integer", "minimum": 0},
        "content_type": {"type": "string"},
        "filename": {"type": ["string", "null"]},
        "author": {"type": ["string", "null"]},
        "category": {"enum": ["media", "body", "history"]},
        "message_sid": {"type": ["string", "null"]},
        "channel_sid": {"type": ["string", "null"]},
        "url": {"type": "string", "pattern": "^/v1/Services/"},
        "is_multipart_upstream": {"type": "boolean"},
    },
    "additionalProperties": False,
}


@dataclass
class Problem:
    """One invalid exchange."""

    method: str
    path: str
    status: int
    reason: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}: {self.reason[:600]}"


class SpecChecker:
    """Loads the two specs once and validates exchanges recorded by ``/_admin/exchanges``."""

    def __init__(self, specs_dir: Path = SPECS_DIR) -> None:
        self.specs_dir = specs_dir
        self.checked = 0
        self.routes_seen: set[str] = set()

    @cached_property
    def conversations(self) -> OpenAPI:
        return OpenAPI.from_file_path(str(self.specs_dir / "twilio_conversations_v1.json"))

    @cached_property
    def chat(self) -> OpenAPI:
        return OpenAPI.from_file_path(str(self.specs_dir / "twilio_chat_v2.json"))

    @cached_property
    def chat_v3(self) -> OpenAPI:
        return OpenAPI.from_file_path(str(self.specs_dir / "twilio_chat_v3.json"))

    @cached_property
    def raw(self) -> dict[str, dict[str, Any]]:
        return {
            "v1": json.loads((self.specs_dir / "twilio_conversations_v1.json").read_text()),
            "v2": json.loads((self.specs_dir / "twilio_chat_v2.json").read_text()),
            "v3": json.loads((self.specs_dir / "twilio_chat_v3.json").read_text()),
        }

    # ------------------------------------------------------------------ entry points
    def check_all(self, exchanges: list[dict[str, Any]]) -> list[Problem]:
        problems: list[Problem] = []
        for exchange in exchanges:
            problems.extend(self.check(exchange))
        return problems

    def check(self, ex: dict[str, Any]) -> list[Problem]:
        self.checked += 1
        self.routes_seen.add(f"{ex['method']} {ex['route_pattern']} {ex['status']}")
        path: str = ex["path"]
        status: int = ex["status"]

        def bad(reason: str) -> list[Problem]:
            return [Problem(ex["method"], path + ("?" + ex["query"] if ex["query"] else ""), status, reason)]

        bodiless = self._bodiless(ex, bad)
        if bodiless is not None:
            return bodiless
        if not ex["content_type"].startswith("application/json"):
            return bad(f"content type {ex['content_type']!r} is not JSON")
        if ex["body"] is None:
            return bad("JSON body was not recorded (too large?)")
        try:
            body = json.loads(ex["body"])
        except ValueError as exc:
            return bad(f"body is not JSON: {exc}")
        if status >= 400:
            return self._error_body(body, status, bad)
        if "/Media" in path and path.startswith("/v1/Services/"):
            try:
                jsonschema.validate(body, MCS_SCHEMA)
            except jsonschema.ValidationError as exc:
                return bad(f"MCS media JSON: {exc.message}")
            return self._host_rule(body, ex, bad)
        return self._against_spec(ex, body, bad)

    @staticmethod
    def _bodiless(ex: dict[str, Any], bad: Any) -> list[Problem] | None:
        """The verdict on answers that carry no JSON (204, the media direct link, 302); None for the others."""
        status: int = ex["status"]
        if status == 204:
            return bad(f"204 with a body: {ex['body']!r}") if ex["size"] else []
        if ex["path"].startswith("/mcs-direct/"):
            if status == 200:
                return [] if ex["size"] > 0 else bad("empty media bytes")
            return [] if status == 403 and ex["content_type"].startswith("application/xml") else bad("bad direct link")
        if status == 302:
            return []
        return None

    @staticmethod
    def _error_body(body: Any, status: int, bad: Any) -> list[Problem]:
        try:
            jsonschema.validate(body, ERROR_SCHEMA)
        except jsonschema.ValidationError as exc:
            return bad(f"error body: {exc.message}")
        if body["status"] != status:
            return bad(f"error body status {body['status']} != HTTP {status}")
        return []

    def _against_spec(self, ex: dict[str, Any], body: Any, bad: Any) -> list[Problem]:
        """openapi-core's validation against the spec of the path's API version, then the stricter rules."""
        path: str = ex["path"]
        if path.startswith("/v1/"):
            api, host, version = self.conversations, "https://conversations.twilio.com", "v1"
        elif path.startswith("/v2/"):
            api, host, version = self.chat, "https://chat.twilio.com", "v2"
        elif path.startswith("/v3/"):
            api, host, version = self.chat_v3, "https://chat.twilio.com", "v3"
        else:
            return bad("response on a path no spec covers")
        query: dict[str, Any] = {}
        for key, value in _parse_query(ex["query"]):
            query.setdefault(key, value)
        request = MockRequest(host, ex["method"].lower(), path, args=query)
        response = MockResponse(ex["body"].encode(), ex["status"], content_type="application/json")
        try:
            api.validate_response(request, response)
        except Exception as exc:  # noqa: BLE001 - any validation failure is a finding
            return bad(f"openapi-core: {type(exc).__name__}: {_cause(exc)}")
        problems = self._strict_keys(version, ex, body, bad)
        problems += self._date_rule(body, bad)
        problems += self._host_rule(body, ex, bad)
        return problems

    # ------------------------------------------------------------------ stricter rules
    def _response_schema(self, version: str, ex: dict[str, Any]) -> dict[str, Any] | None:
        spec = self.raw[version]
        template = ex["route_pattern"]
        op = spec["paths"].get(template, {}).get(ex["method"].lower())
        if op is None:
            # The stand-in's placeholder names may differ from the spec's; match by shape.
            shape = re.sub(r"\{[^}]+\}", "{}", template)
            for spec_path, item in spec["paths"].items():
                if re.sub(r"\{[^}]+\}", "{}", spec_path) == shape and ex["method"].lower() in item:
                    op = item[ex["method"].lower()]
                    break
        if op is None:
            return None
        content = op["responses"].get(str(ex["status"]), {}).get("content", {}).get("application/json")
        return content["schema"] if content else None

    def _resolve(self, version: str, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            schema = self.raw[version]["components"]["schemas"][name]
        return schema

    def _strict_keys(self, version: str, ex: dict[str, Any], body: Any, bad: Any) -> list[Problem]:
        schema = self._response_schema(version, ex)
        if schema is None:
            return bad("no response schema in the spec for this route/status")
        problems: list[Problem] = []

        def walk(value: Any, node: dict[str, Any], where: str) -> None:
            node = self._resolve(version, node)
            if isinstance(value, dict) and "properties" in node:
                extra = set(value) - set(node["properties"])
                if extra:
                    problems.extend(bad(f"{where}: keys not in the spec: {sorted(extra)}"))
                for key, item in value.items():
                    if key in node["properties"]:
                        walk(item, node["properties"][key], f"{where}.{key}")
            elif isinstance(value, list) and "items" in node:
                for i, item in enumerate(value):
                    walk(item, node["items"], f"{where}[{i}]")

        walk(body, schema, "$")
        return problems

    @staticmethod
    def _date_rule(body: Any, bad: Any) -> list[Problem]:
        problems: list[Problem] = []

        def walk(value: Any, where: str) -> None:
            if isinstance(value, dict):
                for key, item in value.items():
                    if DATE_KEYS.match(key) and isinstance(item, str) and not TWILIO_DATE.match(item):
                        problems.extend(bad(f"{where}.{key} = {item!r} is not YYYY-MM-DDTHH:MM:SSZ"))
                    walk(item, f"{where}.{key}")
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    walk(item, f"{where}[{i}]")

        walk(body, "$")
        return problems

    @staticmethod
    def _host_rule(body: Any, ex: dict[str, Any], bad: Any) -> list[Problem]:
        problems: list[Problem] = []
        prefix = f"http://{ex['host']}/"

        def walk(value: Any, where: str) -> None:
            if isinstance(value, str):
                if value.startswith(("http://", "https://")) and "twilio.com/docs/" not in value \
                        and not value.startswith(prefix) and not where.endswith(("_webhook_url", ".url_hook")):
                    problems.extend(bad(f"{where} = {value!r} does not point at the serving host {prefix}"))
            elif isinstance(value, dict):
                for key, item in value.items():
                    if key in ("pre_webhook_url", "post_webhook_url", "configuration"):
                        continue  # user-supplied webhook targets
                    walk(item, f"{where}.{key}")
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    walk(item, f"{where}[{i}]")

        walk(body, "$")
        return problems


def _parse_query(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query, keep_blank_values=True)


def _cause(exc: BaseException) -> str:
    parts = [str(exc)[-300:]]
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(parts) < 4:
        parts.append(str(cause)[-300:])
        cause = cause.__cause__ or cause.__context__
    for attr in ("schema_errors",):
        errors = getattr(exc, attr, None)
        if errors:
            parts.append("; ".join(getattr(e, "message", str(e)) for e in errors))
    return " | ".join(parts)
