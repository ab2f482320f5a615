"""Garbage in, Twilio errors out: random parameters on every route never produce a 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulators.twilio.app import build_app
from emulators.twilio.context import Settings

from .spec_check import SpecChecker
from .standin import StandIn, stand_in

PARAMS = ["FriendlyName", "UniqueName", "Attributes", "State", "Timers.Inactive", "Timers.Closed", "DateCreated",
          "DateUpdated", "Identity", "MessagingBinding.Address", "MessagingBinding.ProxyAddress", "Author", "Body",
          "MediaSid", "LastReadMessageIndex", "LastReadTimestamp", "RoleSid", "Type", "Permission", "Target",
          "Configuration.Url", "Configuration.Method", "Configuration.Filters", "Configuration.ReplayAfter",
          "Order", "PageSize", "Page", "PageToken", "StartDate", "EndDate", "From", "LastConsumedMessageIndex",
          "Method", "Filters", "PostWebhookUrl", "DefaultChatServiceSid", "NotificationLevel", "Participant",
          "NewMessage.Enabled", "LogEnabled", "ReachabilityEnabled", "TypingIndicatorTimeout", "Address"]
VALUES = st.one_of(st.text(max_size=40), st.sampled_from(
    ["", "0", "-1", "999999999999999999999", "true", "FALSE", "{}", "{bad json", "[]", "PT1S", "P", "PTX", "closed",
     "active", "asc", "DESC", "PT5", "PP-3", "2024-13-45T99:99:99Z", "2024-01-01T00:00:00Z", "public", "private",
     "webhook", "studio", "GET", "delete", "whatsapp:+1", "ME" + "0" * 32, "RL" + "f" * 32, "x" * 300,
     '{"identity": 5}', '{"messaging_binding": "nope"}']))


@pytest.fixture(scope="module")
def fuzz_server(spec_checker: SpecChecker) -> Iterator[StandIn]:
    """A stand-in of its own: the fuzzing changes account-wide settings now and then."""
    with stand_in(spec_checker, "--faults", "conversation_aps=0,service_aps=0") as server:
        yield server


@pytest.fixture(scope="module")
def targets(fuzz_server: StandIn) -> list[tuple[str, str]]:
    client = fuzz_server.client()
    svc = client.conversations.v1.services.create(friendly_name="fuzz")
    conv = client.conversations.v1.services(svc.sid).conversations.create(friendly_name="fuzz", unique_name="fz")
    ctx = client.conversations.v1.services(svc.sid).conversations(conv.sid)
    part = ctx.participants.create(identity="fz")
    ctx.participants.create(messaging_binding_address="+15550999", messaging_binding_proxy_address="+15550998")
    msg = ctx.messages.create(author="fz", body="fz")
    hook = ctx.webhooks.create(target="webhook", configuration_url="http://127.0.0.1:9/x")
    user = client.conversations.v1.services(svc.sid).users("fz").fetch()
    role = client.conversations.v1.services(svc.sid).roles.list()[0]
    receipt = ctx.messages(msg.sid).delivery_receipts.list()[0]
    values = {"ChatServiceSid": svc.sid, "ServiceSid": svc.sid, "ConversationSid": conv.sid, "ChannelSid": conv.sid,
              "MessageSid": msg.sid, "UserSid": user.sid}
    out = []
    for route in build_app(Settings()).router.routes():
        path = route.resource.canonical
        if route.method == "HEAD" or path.startswith(("/_admin", "/mcs-direct")) or route.method == "DELETE":
            continue
        for key, value in values.items():
            path = path.replace("{" + key + "}", value)
        if "{Sid}" in path:
            last = path.rsplit("/", 2)[-2]
            sid = {"Messages": msg.sid, "Participants": part.sid, "Members": part.sid, "Webhooks": hook.sid,
                   "Users": user.sid, "Roles": role.sid, "Receipts": receipt.sid, "Conversations": conv.sid,
                   "Channels": conv.sid, "Services": svc.sid, "Media": "ME" + "1" * 32}.get(last, "X")
            path = path.replace("{Sid}", sid)
        out.append((route.method, path))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_parameters_never_cause_5xx(fuzz_server: StandIn, targets: list[tuple[str, str]],
                                           data: st.DataObject) -> None:
    method, path = data.draw(st.sampled_from(targets))
    params = data.draw(st.lists(st.tuples(st.sampled_from(PARAMS), VALUES), max_size=6))
    http = fuzz_server.http
    if method == "GET":
        response = http.get(path, params=params)
    else:
        response = http.request(method, path, data=dict(params), headers={"X-Twilio-Webhook-Enabled": "false"})
    assert response.status_code < 500, (method, path, params, response.text[:300])
