"""The whole app served by the host stand-in for hostile requests, the state the cases meet (a rostered room,
a closed room, migrated identities, a webhook already handled), and a snapshot of everything it could write."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableServiceClient
from azure.storage.queue import QueueServiceClient
from twilio.request_validator import RequestValidator

from emulators.azurite import free_port
from emulators.host import LocalHost, local_host_in_thread
from function_app import create_app
from harness.local_issuer import LocalIssuer, running_local_issuer
from harness.process import RunningService
from shared.container import AppContainer
from shared.video.requests import RosterEntry

from .cases import CLOSED_ROOM, MIGRATED_SMS, ROSTERED_ROOM, SEEDED_WEBHOOK

FUNCTION_KEY = "hostile-suite-function-key"
BACKEND_KEY = "hostile-suite-backend-key-0123456789abcdef"


@dataclass
class HostileTarget:
    host: LocalHost
    http: httpx.Client
    container: AppContainer
    issuer: LocalIssuer
    environ: dict[str, str]
    acs_admin: httpx.Client

    def storage_snapshot(self) -> dict[str, Any]:
        """Every row of every app table and every queue's length, plus ACS identities created so far."""
        conn = self.environ["AzureWebJobsStorage"]
        tables = TableServiceClient.from_connection_string(conn)
        names = self.container.settings.names
        snapshot: dict[str, Any] = {}
        for table in (names.identity_table, names.conversation_table, names.message_table, names.run_table,
                      names.subscription_table, names.dead_letter_table, names.webhook_table,
                      self.container.settings.video.room_table):
            try:
                rows = tables.get_table_client(table).list_entities()
                snapshot[table] = sorted((e["PartitionKey"], e["RowKey"], e.metadata["etag"]) for e in rows)
            except ResourceNotFoundError:
                snapshot[table] = []  # created on first use: an empty table and no table hold the same data
        queues = QueueServiceClient.from_connection_string(conn)
        for queue in (names.migration_queue, names.continuation_queue, names.delivery_queue):
            try:
                snapshot[queue] = queues.get_queue_client(queue).get_queue_properties().approximate_message_count
            except ResourceNotFoundError:
                snapshot[queue] = 0
        counters = self.acs_admin.get("/counters").json()["counters"]
        snapshot["acs identities"] = {k: v for k, v in counters.items() if "identities" in k}
        snapshot["acs rooms"] = {k: v for k, v in counters.items() if "/rooms" in k and not k.startswith("GET")}
        return snapshot


def _seed(container: AppContainer, http: httpx.Client, environ: dict[str, str]) -> None:
    """What the admission, identity-kind and replay cases meet; written before any case takes its snapshot."""
    video = container.video
    video.create_room(ROSTERED_ROOM, valid_from=None, valid_until=None)
    video.set_participants(ROSTERED_ROOM, [RosterEntry("chair", "Presenter")])
    video.create_room(CLOSED_ROOM, valid_from=None, valid_until=None)
    video.delete_room(CLOSED_ROOM)
    container.acs_users.ensure_user(MIGRATED_SMS, kind="sms")
    container.acs_users.ensure_user("twilio-migration", kind="app")
    url = f"{environ['PUBLIC_BASE_URL']}/api/twilio/events"
    signature = RequestValidator(environ["TWILIO_AUTH_TOKEN"]).compute_signature(url, SEEDED_WEBHOOK)
    handled = http.post("/api/twilio/events", content=urlencode(SEEDED_WEBHOOK), headers={
        "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature,
        "I-Twilio-Idempotency-Token": "seeded-idempotency-token"})
    assert handled.status_code == 200, handled.text
    assert handled.json()["queued"] is True


@pytest.fixture(scope="module")
def hostile(
    azurite: Any, acs_standin: RunningService, twilio_standin: RunningService
) -> Iterator[HostileTarget]:
    import secrets

    suffix = secrets.token_hex(4)
    port = free_port()
    with running_local_issuer() as issuer:
        environ = {
            "AzureWebJobsStorage": azurite.connection_string,
            "TWILIO_ACCOUNT_SID": str(twilio_standin.info["account_sid"]),
            "TWILIO_AUTH_TOKEN": str(twilio_standin.info["auth_token"]),
            "TWILIO_BASE_URL": str(twilio_standin.info["url"]),
            "ACS_CONNECTION_STRING": str(acs_standin.info["connection_string"]),
            "ACS_CA_BUNDLE": str(acs_standin.info["ca_bundle"]),
            "TOKEN_BACKEND_KEY": BACKEND_KEY,
            **issuer.app_settings(),
            "IDENTITY_TABLE": f"hostileidentities{suffix}", "CONVERSATION_TABLE": f"hostileconversations{suffix}",
            "MESSAGE_TABLE": f"hostilemessages{suffix}", "RUN_TABLE": f"hostileruns{suffix}",
            "SUBSCRIPTION_TABLE": f"hostilesubscriptions{suffix}", "DEAD_LETTER_TABLE": f"hostiledead{suffix}",
            "MIGRATION_QUEUE": f"hostile-migration-{suffix}", "DELIVERY_QUEUE": f"hostile-deliveries-{suffix}",
            "NIGHTLY_SCHEDULE": "0 0 2 * * *", "VIDEO_ROOM_TABLE": f"hostilevideorooms{suffix}",
            "TWILIO_WEBHOOK_TABLE": f"hostilewebhooks{suffix}", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "TOKEN_USER_SCOPES": "chat,voip",  # so users' room requests reach the admission policy
        }
        container = AppContainer.from_environ(environ)
        assert container.settings_error is None, container.settings_error
        with local_host_in_thread(create_app(container), settings=environ, function_key=FUNCTION_KEY,
                                  queues=False, port=port) as host:
            http = httpx.Client(base_url=host.url, timeout=30)
            admin = httpx.Client(base_url=str(acs_standin.info["admin"]), verify=str(acs_standin.info["ca_bundle"]),
                                 timeout=30)
            try:
                _seed(container, http, environ)
                yield HostileTarget(host, http, container, issuer, environ, admin)
            finally:
                http.close()
                admin.close()
