"""The one place that builds the Twilio client (sample for the scanner's tests; never imported)."""

import os

from twilio.rest import Client  # expect: PKG-TWILIO-PY


def make_client() -> Client:
    return Client(os.environ["TWILIO_ACCOUNT_SID"], os.environ["TWILIO_AUTH_TOKEN"])  # expect: REST-CLIENT


SHARED = make_client()
