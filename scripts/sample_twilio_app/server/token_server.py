"""The Twilio token and webhook server this app replaces (a sample for `acs-migrate scan`; never run)."""

import os

from flask import Flask, request
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import ChatGrant
from twilio.request_validator import RequestValidator

app = Flask(__name__)


@app.post("/token")
def token() -> dict[str, str]:
    access = AccessToken(os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_API_KEY"],
                         os.environ["TWILIO_API_SECRET"], identity=request.json["identity"])
    access.add_grant(ChatGrant(service_sid=os.environ["TWILIO_CHAT_SERVICE_SID"]))
    return {"token": access.to_jwt()}


@app.post("/twilio/events")
def events() -> tuple[str, int]:
    validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
    if not validator.validate(request.url, request.form, request.headers.get("X-Twilio-Signature", "")):
        return "forbidden", 403
    return "", 204
