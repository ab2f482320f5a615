"""The event fan-out: ACS Event Grid chat events to webhook subscribers, in Twilio's or CloudEvents' form.

``events`` parses both Event Grid schemas, ``matching`` picks subscriptions, ``twilio_format``
and ``cloudevents_format`` build bodies, ``signing`` signs them, ``ssrf`` guards subscriber
URLs, ``dispatcher`` enqueues one delivery per subscription, ``deliverer`` POSTs it,
``subscriptions`` and ``dead_letters`` back the admin routes. See docs/fanout.md.
"""

from __future__ import annotations
