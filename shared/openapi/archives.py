"""Archived history: ``GET /api/archives/{conversation}/{file}`` for current participants only (docs/archive.md)."""

from __future__ import annotations

from .common import CALLER, Json, header, operation, path_param, query_param, ref

_NO_STORE = {"Cache-Control": header("no-store")}

SCHEMAS: Json = {}

PATHS: Json = {
    "/archives/{conversation}/{file}": {"get": operation(
        "archive_get", tag="attachments", summary="Open a conversation's archived history",
        description="Messages older than a run's archive cutoff are kept in a transcript instead of the ACS "
                    "thread; the thread's first message links here. The same gate as /attachments: callers "
                    "authenticate as for /api/token, only an identity that is now a participant of the "
                    "conversation's ACS thread gets the transcript, everyone else the same 404. Default: a "
                    "redirect to a short-lived read-only link (the HTML page is shown inline); format=json gives "
                    "the link, format=stream the bytes.",
        security=CALLER,
        parameters=[
            path_param("conversation", "The Twilio conversation SID."),
            path_param("file", "transcript.html (a page readable on a phone) or transcript.jsonl (one JSON "
                               "object per archived message)."),
            query_param("format", "redirect (default), json or stream.",
                        {"type": "string", "enum": ["redirect", "json", "stream"]}),
            query_param("identity", "The trusted backend names the user it acts for."),
        ],
        responses={
            "200": {"description": "The link (format=json) or the bytes (format=stream).", "headers": _NO_STORE,
                    "content": {"application/json": {"schema": ref("AttachmentLink")},
                                "*/*": {"schema": {"type": "string", "format": "binary"}}}},
            "302": {"description": "To the short-lived link, or to sign-in and back.", "headers": {
                "Location": header("Where to go."), **_NO_STORE}},
        },
        errors=(400, 401, 404),
    )},
}
