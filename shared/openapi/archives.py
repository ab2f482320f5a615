"""Archived history: ``GET /api/archives/{conversation}/{file}`` for current participants only (docs/archive.md)."""

from __future__ import annotations

from .attachments import participant_file_operation
from .common import Json, path_param

SCHEMAS: Json = {}

PATHS: Json = {
    "/archives/{conversation}/{file}": {"get": participant_file_operation(
        "archive_get", summary="Open a conversation's archived history",
        description="Messages older than a run's archive cutoff are kept in a transcript instead of the ACS "
                    "thread; the thread's first message links here. The same gate as /attachments: callers "
                    "authenticate as for /api/token, only an identity that is now a participant of the "
                    "conversation's ACS thread gets the transcript, everyone else the same 404. Default: a "
                    "redirect to a short-lived read-only link (the HTML page is shown inline); format=json gives "
                    "the link, format=stream the bytes.",
        path_params=[
            path_param("conversation", "The Twilio conversation SID."),
            path_param("file", "transcript.html (a page readable on a phone) or transcript.jsonl (one JSON "
                               "object per archived message)."),
        ],
    )},
}
