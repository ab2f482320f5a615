"""Migrated attachments: ``GET /api/attachments/{conversation}/{media}`` for current participants only."""

from __future__ import annotations

from .common import CALLER, STRING, Json, header, nullable, obj, operation, path_param, query_param, ref

_NO_STORE = {"Cache-Control": header("no-store")}

SCHEMAS: Json = {
    "AttachmentLink": obj({
        "url": {**STRING, "description": "A short-lived read-only link, or this route with format=stream."},
        "expiresOn": {**nullable(STRING), "description": "When the link stops working; null for this route's "
                                                         "own stream link."},
        "contentType": STRING,
        "size": {"type": "integer", "minimum": 0},
    }, required=["url", "expiresOn"]),
}

def participant_file_operation(operation_id: str, *, summary: str, description: str, path_params: list[Json]) -> Json:
    """The GET of a file only current participants of the ACS thread may open (an attachment, an archived
    transcript): a redirect to a short-lived read-only link by default, format=json the link, format=stream the
    bytes; 400, 401 and the same 404 for everyone else."""
    return operation(
        operation_id, tag="attachments", summary=summary, description=description, security=CALLER,
        parameters=[
            *path_params,
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
    )


PATHS: Json = {
    "/attachments/{conversation}/{media}": {"get": participant_file_operation(
        "attachment_get", summary="Open a migrated attachment",
        description="Callers authenticate as for /api/token; only an identity that is now a participant of the "
                    "ACS thread holding the attachment gets it, everyone else the same 404. Default: a redirect "
                    "to a short-lived read-only link; format=json gives the link, format=stream the bytes. A "
                    "browser without a session behind App Service Authentication is sent to sign in and back.",
        path_params=[
            path_param("conversation", "The Twilio conversation SID the attachment was migrated from."),
            path_param("media", "The Twilio media SID."),
        ],
    )},
}
