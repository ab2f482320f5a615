"""A Flask token and webhook server written for Twilio (a sample for the scanner's tests; never imported)."""

import os

import twilio.rest  # expect: PKG-TWILIO-PY
from flask import Flask, request
from twilio.jwt.access_token import AccessToken  # expect: PKG-TWILIO-PY
from twilio.jwt.access_token.grants import ChatGrant, VideoGrant  # expect: PKG-TWILIO-PY
from twilio.request_validator import RequestValidator  # expect: PKG-TWILIO-PY
from twilio.rest import Client as TwilioClient  # expect: PKG-TWILIO-PY

app = Flask(__name__)
# AccessToken(...).to_jwt() in a comment is not a finding; nor is the string below.
USAGE = "client.conversations.v1.conversations.list()"


def rest_client() -> TwilioClient:
    return TwilioClient(os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])  # expect: REST-CLIENT


@app.post("/token")
def token() -> dict[str, str]:
    grant = ChatGrant(service_sid=os.environ["TWILIO_CHAT_SERVICE_SID"])  # expect: TOKEN-CHATGRANT
    access = AccessToken(os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_API_KEY"],  # expect: TOKEN-ACCESSTOKEN
                         os.environ["TWILIO_API_SECRET"], identity=request.json["identity"])
    access.add_grant(grant)  # expect: TOKEN-ADDGRANT
    access.add_grant(VideoGrant(room=request.json.get("room")))  # expect: TOKEN-ADDGRANT, TOKEN-VIDEOGRANT
    return {"token": access.to_jwt()}  # expect: TOKEN-TOJWT


@app.post("/twilio/webhook")
def webhook() -> tuple[str, int]:
    validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])  # expect: HOOK-VALIDATE
    signature = request.headers.get("X-Twilio-Signature", "")
    if not validator.validate(request.url, request.form, signature):  # expect: HOOK-VALIDATE
        return "forbidden", 403
    return "", 204


class HistoryExporter:
    def __init__(self, client: TwilioClient | None = None) -> None:
        self.client = client or rest_client()

    def export(self, conversation_sid: str) -> list[str]:
        conversation = self.client.conversations.v1.conversations(conversation_sid)
        bodies = [m.body for m in conversation.messages.list(limit=100)]  # expect: REST-CONV-READ
        hook = "https://example.test/hook"
        conversation.webhooks.create(configuration_url=hook, target="webhook")  # expect: REST-CONV-WEBHOOKS
        return bodies


def rooms() -> None:
    client = twilio.rest.Client(os.environ["SID"], os.environ["TOKEN"])  # expect: REST-CLIENT
    client.video.v1.rooms.create(unique_name="standup", type="group")  # expect: REST-VIDEO-ROOMS
    for room in client.video.v1.rooms.list(status="in-progress"):  # expect: REST-VIDEO-ROOMS
        client.video.v1.rooms(room.sid).update(status="completed")  # expect: REST-VIDEO-ROOMS


def close_all(client, sids: list[str]) -> None:
    for sid in sids:
        client.conversations.v1.conversations(sid).update(state="closed")  # expect: REST-CONV-THREAD-WRITE


def nightly() -> None:
    close_all(rest_client(), ["CH1"])
