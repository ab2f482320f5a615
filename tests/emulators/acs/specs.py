"""Validators built from the official Swagger 2.0 specs and Event Grid examples in ../shared.

Swagger 2.0 schemas are JSON Schema draft 4 plus ``x-*`` keys, so jsonschema's Draft4
validator reads them once every file is registered under its own URI (relative ``$ref``s
between the Chat, Identity and Common files then resolve). Two readings are made explicit:

- strict objects: a model with ``properties`` gets ``additionalProperties: false`` so a
  misspelt or invented field fails (error bodies excepted: the real service adds fields);
- autorest's ``{"type": "object"}`` as a map value means "any value" (the Event Grid
  ``properties`` map holds strings in Microsoft's own examples).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4

SPEC_ROOT = Path("specs/acs/azure-rest-api-specs/specification")
CHAT = "communication/data-plane/Chat/stable/2024-03-07/communicationserviceschat.json"
IDENTITY = "communication/data-plane/Identity/stable/2023-10-01/CommunicationIdentity.json"
ROOMS = "communication/data-plane/Rooms/stable/2025-03-13/communicationservicesrooms.json"
CALLING_EXAMPLES = Path("specs/acs/eventgrid-calling")
CALLING_TYPES = ("CallStarted", "CallEnded", "CallParticipantAdded", "CallParticipantRemoved",
                 "RecordingFileStatusUpdated")
CALL_ROLES = ("Presenter", "Attendee", "Consumer", "Collaborator", "Organizer")
COMMON = (
    "communication/data-plane/Common/stable/2023-11-15/common.json",
    "communication/data-plane/Common/stable/2022-07-13/common.json",
)
EVENTS = "eventgrid/data-plane/Microsoft.Communication/stable/2018-01-01/AzureCommunicationServices.json"
EVENT_EXAMPLES = "eventgrid/data-plane/Microsoft.Communication/stable/2018-01-01/examples"
LENIENT = {"CommunicationErrorResponse", "CommunicationError"}
SPECIAL_EVENT_DATA = {
    "ChatThreadParticipantAdded": "AcsChatParticipantAddedToThreadEventData",
    "ChatThreadParticipantRemoved": "AcsChatParticipantRemovedFromThreadEventData",
}


def _tighten(node: Any, lenient: bool = False) -> Any:
    """Close objects that declare properties; read ``additionalProperties: {type: object}`` as any."""
    if isinstance(node, dict):
        out = {k: _tighten(v, lenient) for k, v in node.items()}
        extra = out.get("additionalProperties")
        if isinstance(extra, dict) and extra == {"type": "object"}:
            out["additionalProperties"] = {}
        if "properties" in node and "additionalProperties" not in node and "allOf" not in node and not lenient:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_tighten(v, lenient) for v in node]
    return node


def _load(path: Path, strict: bool) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    if not strict:
        return _tighten(document, lenient=True)
    definitions = document.get("definitions", {})
    document = copy.deepcopy(document)
    document["definitions"] = {name: _tighten(schema, lenient=name in LENIENT) for name, schema in definitions.items()}
    return document


@dataclass
class SpecSet:
    """Every operation's declared responses, by operation id, with a validator factory."""

    root: Path
    registry: Registry = field(default_factory=Registry)
    operations: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def load(cls, shared_dir: Path) -> SpecSet:
        root = shared_dir / SPEC_ROOT
        specs = cls(root=root)
        resources = []
        for relative in (CHAT, IDENTITY, ROOMS, *COMMON, EVENTS):
            path = root / relative
            # Event data schemas are open (the examples carry deprecated flat fields).
            document = _load(path, strict=relative != EVENTS)
            resources.append((path.as_uri(), DRAFT4.create_resource(document)))
            if relative in (CHAT, IDENTITY, ROOMS):
                for ops in document["paths"].values():
                    for method, op in ops.items():
                        if method != "parameters":
                            specs.operations[op["operationId"]] = (path.as_uri(), op["responses"])
        specs.registry = Registry().with_resources(resources)
        return specs

    def validator(self, uri: str, pointer: str) -> Draft4Validator:
        return Draft4Validator(
            {"$ref": f"{uri}#{pointer}"}, registry=self.registry, format_checker=Draft4Validator.FORMAT_CHECKER
        )

    def _resolve_ref(self, uri: str, ref: str) -> tuple[str, str]:
        target, _, pointer = ref.partition("#")
        if target:
            base = uri.rsplit("/", 1)[0]
            parts = (base + "/" + target).split("/")
            stack: list[str] = []
            for part in parts:
                if part == "..":
                    stack.pop()
                elif part != ".":
                    stack.append(part)
            uri = "/".join(stack)
        return uri, pointer

    def check_exchange(self, exchange: dict[str, Any]) -> list[str]:
        """Problems with one recorded exchange (empty when it matches the spec)."""
        operation = exchange["operation"]
        status = str(exchange["status"])
        body = exchange["body"]
        where = f"{exchange['method']} {exchange['path']} -> {status}"
        if operation == "Unknown":  # no such route: it must still answer a CommunicationErrorResponse
            uri = self.operations["Chat_CreateChatThread"][0]
            pointer = "/definitions/CommunicationErrorResponse"
            if int(status) < 400 or body is None:
                return [f"{where}: an unknown route must answer an error body"]
            return [f"{where}: {e.json_path}: {e.message}" for e in self.validator(uri, pointer).iter_errors(body)]
        if operation not in self.operations:
            return [f"{where}: operation {operation!r} is not in the specs"]
        uri, responses = self.operations[operation]
        declared = responses.get(status)
        if declared is None:
            if int(status) < 400:
                return [f"{where}: success status {status} is not declared for {operation}"]
            declared = responses.get("default") or {
                "schema": {
                    "$ref": "../../../Common/stable/2023-11-15/common.json#/definitions/CommunicationErrorResponse"
                }
            }
        schema = declared.get("schema")
        if schema is None:
            return [] if body is None else [f"{where}: the spec declares no body but one was sent: {body!r}"]
        if body is None:
            return [f"{where}: the spec declares a body but none was sent"]
        ref_uri, pointer = self._resolve_ref(uri, schema["$ref"])
        validator = self.validator(ref_uri, pointer)
        problems = [f"{where}: {e.json_path}: {e.message}" for e in validator.iter_errors(body)]
        content_type = exchange["headers"].get("Content-Type", "")
        if not content_type.startswith("application/json"):
            problems.append(f"{where}: Content-Type {content_type!r} is not JSON")
        return problems


def _type_problems(example: Any, value: Any, path: str) -> list[str]:
    """Where ``value`` has another JSON type than ``example`` at the same key (objects recursively)."""
    def kind(v: Any) -> str:
        if isinstance(v, bool):
            return "boolean"
        if isinstance(v, (int, float)):
            return "number"
        return type(v).__name__
    if kind(example) != kind(value):
        return [f"{path}: {kind(value)} where the example has {kind(example)}"]
    problems: list[str] = []
    if isinstance(example, dict):
        for key in set(example) & set(value):
            problems += _type_problems(example[key], value[key], f"{path}.{key}")
    elif isinstance(example, list) and example and value:
        for item in value:
            problems += _type_problems(example[0], item, f"{path}[]")
    return problems


@dataclass
class CallingEventSpec:
    """The calling events' documentation examples (room calls, Event Grid schema) and the spec examples.

    The docs examples fix the envelope, the subject shape and the keys every event must carry;
    the spec examples add the newer keys (``callDurationInSeconds``, ``endedBy``, ``userAgent`` ...)
    that research rooms-and-calling.md §3.2 says to emit as well. Nothing outside both is allowed,
    and every value has the example's JSON type; RecordingFileStatusUpdated also validates against
    the Event Grid swagger's ``AcsRecordingFileStatusUpdatedEventData``.
    """

    docs: dict[str, dict[str, Any]]
    spec: dict[tuple[str, str], dict[str, Any]]

    @classmethod
    def load(cls, shared_dir: Path) -> CallingEventSpec:
        folder = shared_dir / CALLING_EXAMPLES
        docs: dict[str, dict[str, Any]] = {}
        for name in CALLING_TYPES:
            value = json.loads((folder / "microsoft-docs" / f"{name}.json").read_text(encoding="utf-8"))
            docs["Microsoft.Communication." + name] = value[0] if isinstance(value, list) else value
        spec: dict[tuple[str, str], dict[str, Any]] = {}
        for schema_dir, schema in (("event-grid-schema", "eventgrid"), ("cloud-events-schema", "cloudevents")):
            for path in sorted((folder / "examples" / schema_dir).glob("*.json")):
                example = json.loads(path.read_text(encoding="utf-8"))
                spec[(schema, example.get("eventType") or example.get("type"))] = example
        return cls(docs, spec)

    def allowed_keys(self, event_type: str) -> set[str]:
        keys = set(self.docs[event_type]["data"])
        for schema in ("eventgrid", "cloudevents"):
            example = self.spec.get((schema, event_type))
            if example is not None:
                keys |= set(example["data"])
        return keys

    def check(self, event: dict[str, Any], schema: str, specs: SpecSet, events_uri: str) -> list[str]:
        event_type = event.get("eventType") or event.get("type") or "?"
        where = f"{schema} {event_type} {event.get('subject')}"
        docs = self.docs.get(event_type)
        if docs is None:
            return [f"{where}: not a calling event with a documentation example"]
        problems = []
        envelope = set(docs) if schema == "eventgrid" else {"source", "subject", "type", "time", "id", "data",
                                                             "specversion"}
        if set(event) != envelope:
            problems.append(f"{where}: envelope keys {sorted(event)} != {sorted(envelope)}")
        data = event["data"]
        missing = set(docs["data"]) - set(data)
        extra = set(data) - self.allowed_keys(event_type)
        if missing or extra:
            problems.append(f"{where}: data keys missing {sorted(missing)}, not in any example {sorted(extra)}")
        if EventSpec.subject_shape(event["subject"]) != EventSpec.subject_shape(docs["subject"]):
            problems.append(f"{where}: subject shape differs from the docs example {docs['subject']!r}")
        merged = dict(docs["data"])
        for schema_name in ("eventgrid", "cloudevents"):
            example = self.spec.get((schema_name, event_type))
            if example is not None:
                merged = {**example["data"], **merged}
        problems += [f"{where}: {p}" for p in _type_problems(merged, data, "data")]
        if event_type.endswith("RecordingFileStatusUpdated"):
            validator = specs.validator(events_uri, "/definitions/AcsRecordingFileStatusUpdatedEventData")
            problems += [f"{where}: data{e.json_path[1:]}: {e.message}" for e in validator.iter_errors(data)]
        else:
            if data.get("isRoomsCall") is not True or not str(data.get("room", {}).get("id", "")).isdigit():
                problems.append(f"{where}: a room call needs isRoomsCall true and the numeric room id")
            for key in ("startedBy", "user"):
                if key in data and data[key].get("role") not in CALL_ROLES:
                    problems.append(f"{where}: data.{key}.role {data[key].get('role')!r} is not a known role")
        return problems


@dataclass
class EventSpec:
    """Event Grid data schemas plus the official example of each event type, in both schemas."""

    specs: SpecSet
    examples: dict[tuple[str, str], dict[str, Any]]
    events_uri: str
    calling: CallingEventSpec | None = None

    @classmethod
    def load(cls, shared_dir: Path, specs: SpecSet) -> EventSpec:
        examples: dict[tuple[str, str], dict[str, Any]] = {}
        folder = specs.root / EVENT_EXAMPLES
        for schema_dir, schema in (("event-grid-schema", "eventgrid"), ("cloud-events-schema", "cloudevents")):
            for path in sorted((folder / schema_dir).glob("chat_*.json")):
                example = json.loads(path.read_text(encoding="utf-8"))
                event_type = example.get("eventType") or example.get("type")
                examples[(schema, event_type)] = example
        return cls(specs, examples, (specs.root / EVENTS).as_uri(), CallingEventSpec.load(shared_dir))

    @staticmethod
    def definition(event_type: str) -> str:
        short = event_type.removeprefix("Microsoft.Communication.")
        return SPECIAL_EVENT_DATA.get(short, f"Acs{short}EventData")

    @staticmethod
    def subject_shape(subject: str) -> list[str]:
        """The fixed words of a subject (``thread``, ``sender``, ``recipient`` ...)."""
        parts = subject.split("/")
        return parts[0::2]

    def check(self, event: dict[str, Any], schema: str) -> list[str]:
        event_type = event.get("eventType") or event.get("type") or "?"
        where = f"{schema} {event_type} {event.get('subject')}"
        if self.calling is not None and event_type.removeprefix("Microsoft.Communication.") in CALLING_TYPES:
            return self.calling.check(event, schema, self.specs, self.events_uri)
        example = self.examples.get((schema, event_type))
        if example is None:
            return [f"{where}: no official example for this event type"]
        problems = []
        if set(event) != set(example):
            problems.append(f"{where}: envelope keys {sorted(event)} != example {sorted(example)}")
        if set(event["data"]) != set(example["data"]):
            problems.append(f"{where}: data keys {sorted(event['data'])} != example {sorted(example['data'])}")
        if self.subject_shape(event["subject"]) != self.subject_shape(example["subject"]):
            problems.append(f"{where}: subject shape differs from example {example['subject']!r}")
        validator = self.specs.validator(self.events_uri, f"/definitions/{self.definition(event_type)}")
        problems += [f"{where}: data{e.json_path[1:]}: {e.message}" for e in validator.iter_errors(event["data"])]
        for key in ("dataVersion", "metadataVersion", "specversion"):
            if key in example and event.get(key) != example[key]:
                problems.append(f"{where}: {key} {event.get(key)!r} != {example[key]!r}")
        if schema == "eventgrid" and not re.match(r"^/subscriptions/[^/]+/resource[gG]roups/", event["topic"]):
            problems.append(f"{where}: topic {event['topic']!r} is not a resource path")
        return problems
