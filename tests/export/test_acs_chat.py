"""The export's chat clients: a shorter pipeline than the SDK's default that sends the same request."""

from __future__ import annotations

from typing import Any

import pytest
from azure.communication.chat import ChatClient, ChatThreadClient, CommunicationTokenCredential
from azure.communication.identity import CommunicationIdentityClient, CommunicationTokenScope
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.transport import RequestsTransport

from harness.process import RunningService
from shared.export.acs_chat import chat_policies

# made up per request, or different per call by nature
_VARYING = {"x-ms-client-request-id", "authorization", "content-length"}


class RecordingTransport(RequestsTransport):
    """A real transport that keeps the headers of every request it sends."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent: list[dict[str, str]] = []

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        self.sent.append({k.lower(): v for k, v in request.headers.items()})
        return super().send(request, **kwargs)


def _token(acs: RunningService) -> str:
    identity = CommunicationIdentityClient.from_connection_string(str(acs.info["connection_string"]),
                                                                  connection_verify=str(acs.info["ca_bundle"]))
    _, token = identity.create_user_and_token(scopes=[CommunicationTokenScope.CHAT])
    return str(token.token)


def test_the_short_pipeline_sends_what_the_default_one_sends(acs_standin: RunningService) -> None:
    token, endpoint, ca = _token(acs_standin), str(acs_standin.info["endpoint"]), str(acs_standin.info["ca_bundle"])
    thread_id = ChatClient(endpoint, CommunicationTokenCredential(token), connection_verify=ca).create_chat_thread(
        "pipelines").chat_thread.id
    sent: dict[str, list[dict[str, str]]] = {}
    for label in ("default", "export"):
        transport = RecordingTransport(connection_verify=ca)
        credential = CommunicationTokenCredential(token)
        options: dict[str, Any] = {"transport": transport, "retry_total": 0}
        if label == "export":
            options["policies"] = chat_policies(credential)
        client = ChatThreadClient(endpoint, credential, thread_id, **options)
        client.send_message(f"from the {label} pipeline", sender_display_name="Ada", metadata={"k": "v"},
                            chat_message_type="text")
        sent[label] = transport.sent
    default, export = sent["default"], sent["export"]
    assert len(default) == len(export) == 1
    assert {k: v for k, v in export[0].items() if k not in _VARYING} == {
        k: v for k, v in default[0].items() if k not in _VARYING}
    assert export[0]["authorization"] == f"Bearer {token}"
    assert export[0]["x-ms-client-request-id"] != default[0]["x-ms-client-request-id"]
    bodies = [m.content.message for m in ChatThreadClient(endpoint, CommunicationTokenCredential(token), thread_id,
                                                          connection_verify=ca).list_messages()
              if m.type == "text"]
    assert sorted(bodies) == ["from the default pipeline", "from the export pipeline"]


def test_an_error_answer_is_raised_as_the_sdk_raises_it(acs_standin: RunningService) -> None:
    token, endpoint, ca = _token(acs_standin), str(acs_standin.info["endpoint"]), str(acs_standin.info["ca_bundle"])
    credential = CommunicationTokenCredential(token)
    client = ChatThreadClient(endpoint, credential, "19:missing@thread.v2", connection_verify=ca, retry_total=0,
                              policies=chat_policies(credential))
    with pytest.raises(HttpResponseError) as raised:
        client.send_message("to no thread")
    assert raised.value.status_code == 404
