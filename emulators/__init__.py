"""Local stand-ins for the services this app talks to, for tests, the demo and rehearsals.

- ``emulators.azurite``: starts the real Azurite (npm) for Table, Queue and Blob storage.
- ``emulators.twilio``: a stateful Twilio Conversations / Programmable Chat / media stand-in.
- ``emulators.acs``: an HTTPS ACS Identity / Chat stand-in that emits Event Grid events.
- ``emulators.host``: a small Functions host stand-in (routing, auth levels, queue pumping).

Each server prints exactly one JSON line on stdout once it accepts connections;
``harness.process.start_service`` starts one, reads that line and stops it by PID.
The app itself never imports this package.
"""
