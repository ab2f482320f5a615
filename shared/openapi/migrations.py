"""Migration runs: ``/api/migrations`` and Twilio's post-event webhook ``/api/twilio/events``."""

from __future__ import annotations

from ..state.runs import RunStatus
from .common import (
    ANONYMOUS,
    BOOLEAN,
    DATE_TIME,
    FUNCTION_KEY,
    INTEGER,
    STRING,
    Json,
    answer,
    array,
    header,
    nullable,
    obj,
    operation,
    path_param,
    query_param,
    ref,
)

_SERVICE_SID: Json = {"type": "string", "pattern": "^IS[0-9a-f]{32}$"}
_CONVERSATION_SID: Json = {"type": "string", "pattern": "^CH[0-9a-f]{32}$"}

SCHEMAS: Json = {
    "MigrationRequest": obj({
        "services": {**array(_SERVICE_SID), "maxItems": 1000,
                     "description": "Conversations services to copy (default: the account's default service)."},
        "conversations": {**array(_CONVERSATION_SID), "maxItems": 1000, "description": "Only these conversations."},
        "since": {**STRING, "description": "Only conversations active since this ISO 8601 date or date-time."},
        "dryRun": {**BOOLEAN, "description": "Plan and count only; nothing is written to ACS."},
        "includeLegacyPublicChannels": {**BOOLEAN, "description": "Also copy Programmable Chat public channels."},
        "archiveBefore": {**STRING, "description": "Archive cutoff: each conversation's leading messages older than "
                                                   "this ISO 8601 date or date-time go to a transcript in Blob "
                                                   "Storage instead of the thread (docs/archive.md). Not with "
                                                   "archiveKeepNewest."},
        "archiveKeepNewest": {"type": "integer", "minimum": 0, "maximum": 10_000_000,
                              "description": "Archive cutoff: all but the newest N messages of each conversation "
                                             "go to the archive. Not with archiveBefore."},
    }),
    "RunCounts": obj({
        "planned": {**INTEGER, "description": "Conversations in the run's ledger."},
        "done": INTEGER, "failed": INTEGER,
        "notMigratable": {**INTEGER, "description": "Conversations that cannot be copied into one ACS thread "
                                                    "(e.g. over 250 participants), counted on their own."},
        "messages": {**INTEGER, "description": "Messages copied so far (the ledger's figure once the run ended)."},
        "plannedMessages": {**INTEGER, "description": "Messages the plan counted."},
        "mediaBytes": INTEGER,
    }, required=["planned", "done", "failed", "notMigratable", "messages", "plannedMessages", "mediaBytes"]),
    "RunFailure": obj({
        "conversationSid": STRING,
        "reason": {**STRING, "description": "Why, in words an operator can act on."},
        "friendlyName": {**nullable(STRING), "description": "Twilio's name for the conversation, as planned."},
    }, required=["conversationSid", "reason"]),
    "RunPlanning": obj({
        "phase": {**nullable(STRING), "description": "listed, migrated, twilio, dispatch or done; null before the "
                                                      "planner started."},
        "continuations": {**INTEGER, "description": "Planning invocations after the first (each resumes from the "
                                                    "cursor stored with the run)."},
        "seconds": {"type": "number", "minimum": 0, "description": "Planning time over every invocation."},
        "checked": {**INTEGER, "description": "Nightly: migrated conversations checked for work."},
        "new": {**INTEGER, "description": "Nightly: migrated conversations with new messages."},
        "renamed": {**INTEGER, "description": "Nightly: migrated conversations with a participant renamed."},
        "changed": {**INTEGER, "description": "Sweep nights: conversations with edits or deletions."},
        "sweepContinuations": {**INTEGER, "description": "Sweep nights: sweeps resumed mid-conversation."},
    }, required=["phase", "continuations", "seconds"]),
    "RunStatus": obj({
        "id": STRING,
        "kind": {"type": "string", "enum": ["on_demand", "nightly", "live", "cli", "bench"]},
        "status": {"type": "string", "enum": [str(status) for status in RunStatus]},
        "parameters": {"type": "object", "description": "The request as the caller wrote it."},
        "counts": ref("RunCounts"),
        "estimatedSecondsLeft": {**nullable({"type": "number", "minimum": 0}),
                                 "description": "From the message rate so far; null until known."},
        "error": nullable(STRING),
        "failures": {**array(ref("RunFailure")), "description": "GET /migrations/{runId} only (empty in lists): "
                                                               "conversations that failed, with the reason."},
        "notMigratable": {**array(ref("RunFailure")), "description": "GET /migrations/{runId} only (empty in "
                                                                    "lists): conversations that cannot be "
                                                                    "migrated, with the reason."},
        "planning": ref("RunPlanning"),
        "createdAt": DATE_TIME, "updatedAt": DATE_TIME, "finishedAt": nullable(DATE_TIME),
        "progress": ref("RunProgress"),
        "minimumSeconds": {"type": "number", "minimum": 0,
                           "description": "GET /migrations/{runId} only: the least time ACS's per-thread send "
                                          "limits allow for what the run planned (a dry run's answer to how long "
                                          "the real run takes at best)."},
    }, required=["id", "kind", "status", "parameters", "counts", "estimatedSecondsLeft", "error", "failures",
                 "notMigratable", "planning", "createdAt", "updatedAt", "finishedAt", "progress"]),
    "RunProgress": obj({
        "bucketMinutes": {"type": "integer", "minimum": 1, "description": "Minutes per bucket (doubles as a run "
                                                                             "grows, keeping at most 240)."},
        "messages": {**array(INTEGER), "maxItems": 240,
                     "description": "Messages copied in each bucket since the run began (the console's chart)."},
    }, required=["bucketMinutes", "messages"]),
    "RunList": obj({"runs": array(ref("RunStatus"))}, required=["runs"]),
    "LiveSyncAnswer": obj({"conversationSid": STRING, "queued": BOOLEAN,
                           "duplicate": {"const": True, "description": "A replay of a webhook already handled "
                                         "(its idempotency token or signature, within 24 h): dropped."}},
                          required=["conversationSid", "queued"]),
}

PATHS: Json = {
    "/migrations": {
        "post": operation(
            "start_migration", tag="migrations", summary="Start a migration run (or a dry run)",
            description="Records the run and queues its planning; answers 202 at once. Poll the Location.",
            security=FUNCTION_KEY, body=ref("MigrationRequest"), body_required=False,
            responses={"202": answer("The run, planning.", ref("RunStatus"), headers={
                "Location": header("/api/migrations/{id}"),
                "Retry-After": header("Seconds until the status is worth polling.", {"type": "string"}),
            })},
            errors=(400, 413, 415),
        ),
        "get": operation(
            "list_migrations", tag="migrations", summary="Recent runs, newest first",
            description="On demand, nightly and live runs with their counts and ETA.",
            security=FUNCTION_KEY,
            parameters=[query_param("limit", "How many runs, 1 to 100 (default 20).",
                                    {"type": "string", "pattern": "^[0-9]+$"})],
            responses={"200": answer("The runs.", ref("RunList"))}, errors=(400,),
        ),
    },
    "/migrations/{runId}": {"get": operation(
        "get_migration", tag="migrations", summary="One run with its failed and not-migratable conversations",
        description="Counts, ETA from the message rate so far, planning progress, and each failed and each "
                    "not-migratable conversation with its reason.",
        security=FUNCTION_KEY, parameters=[path_param("runId", "The run's id.")],
        responses={"200": answer("The run.", ref("RunStatus"))}, errors=(404,),
    )},
    "/twilio/events": {"post": {
        **operation(
            "twilio_events", tag="migrations", summary="Twilio post-event webhook (live sync)",
            description="Point Twilio Conversations' post-event webhook here. Checked with X-Twilio-Signature "
                        "against TWILIO_WEBHOOK_URL or PUBLIC_BASE_URL + /api/twilio/events, never the request's "
                        "Host (403 otherwise; 503 while neither is known); queues one sync per conversation, "
                        "folding repeats; a replay (same I-Twilio-Idempotency-Token or signature) is dropped.",
            security=ANONYMOUS,
            parameters=[{"name": "X-Twilio-Signature", "in": "header", "required": True,
                         "description": "Twilio's HMAC-SHA1 signature of the URL and form.", "schema": STRING},
                        {"name": "I-Twilio-Idempotency-Token", "in": "header", "required": False,
                         "description": "Twilio's id of the event, the same on its retries.", "schema": STRING}],
            responses={"200": answer("Accepted.", ref("LiveSyncAnswer"))}, errors=(400, 403, 415, 503),
        ),
        "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "description": "Twilio's event form (EventType, ConversationSid, ...).",
            "properties": {"EventType": STRING, "ConversationSid": STRING}, "required": ["EventType"],
        }}}},
    }},
}
