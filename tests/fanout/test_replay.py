"""Replaying Event Grid's dead letters (blobs of event arrays, as Event Grid writes them) through the
dispatcher: the same delivery ids as a live delivery, blobs deleted once dispatched; real Azurite."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys

from shared.container import AppContainer
from shared.fanout.deliveries import DeliveryMessage, delivery_id_for
from shared.fanout.replay import DeadLetteredEventReplayer, ReplayReport
from tests.conftest import REPO_ROOT

from .test_delivery import THREAD, USER, queued, subscribe


def _dead_lettered(event_id: str, body: str) -> dict[str, object]:
    """An Event Grid schema event with the fields Event Grid adds when it dead-letters."""
    return {
        "id": event_id, "eventType": "Microsoft.Communication.ChatMessageReceivedInThread",
        "topic": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/acs",
        "subject": f"thread/{THREAD}/sender/{USER}", "eventTime": "2026-01-01T00:00:00Z", "dataVersion": "1.0",
        "metadataVersion": "1",
        "data": {"messageBody": body, "messageId": "1767225600000", "threadId": THREAD, "type": "Text",
                 "senderCommunicationIdentifier": {"rawId": USER, "communicationUser": {"id": USER}},
                 "composeTime": "2026-01-01T00:00:00Z", "metadata": {}},
        "deadLetterReason": "MaxDeliveryAttemptsExceeded", "deliveryAttempts": 30,
        "lastDeliveryOutcome": "Probation", "publishTime": "2026-01-01T00:00:01Z",
        "lastDeliveryAttemptTime": "2026-01-02T00:00:00Z",
    }


def _container_with_dead_letters(container: AppContainer) -> str:
    name = f"deadletter-{secrets.token_hex(4)}"
    blobs = container.storage.blobs.get_container_client(name)
    blobs.create_container()
    batch = [_dead_lettered("ev-dl-1", "one"), _dead_lettered("ev-dl-2", "two"), {"id": "broken"}]
    blobs.upload_blob("evgt-acs/ACS-CHAT-TO-APP/2026/1/2/0/batch.json", json.dumps(batch).encode())
    return name


def test_dead_lettered_events_reach_the_subscribers_with_their_delivery_ids(container: AppContainer) -> None:
    sub = subscribe(container, "http://127.0.0.1:9/replayed")
    name = _container_with_dead_letters(container)
    blobs = container.storage.blobs.get_container_client(name)
    replayer = DeadLetteredEventReplayer(container=blobs, dispatcher=container.fanout.dispatcher)

    kept = replayer.replay(keep=True)
    assert kept == ReplayReport(blobs=1, events=2, deliveries=2, dropped=1, kept=True)
    assert len(list(blobs.list_blobs())) == 1
    report = replayer.replay()
    assert report == ReplayReport(blobs=1, events=2, deliveries=2, dropped=1, kept=False)
    assert list(blobs.list_blobs()) == []
    messages: list[DeliveryMessage] = queued(container)
    assert sorted(m.delivery_id for m in messages) == sorted(
        [delivery_id_for(sub.subscription_id, "ev-dl-1")] * 2 + [delivery_id_for(sub.subscription_id, "ev-dl-2")] * 2
    ), "the same ids each time: subscribers drop the duplicate"
    assert {m.body["Body"] for m in messages} == {"one", "two"}
    assert replayer.replay() == ReplayReport(blobs=0, events=0, deliveries=0, dropped=0, kept=False)


def test_cli_replays_the_dead_letter_container(container: AppContainer, fanout_environ: dict[str, str]) -> None:
    subscribe(container, "http://127.0.0.1:9/replayed")
    name = _container_with_dead_letters(container)
    done = subprocess.run([sys.executable, "-m", "shared.cli", "replay-dead-events", "--container", name],
                          cwd=REPO_ROOT, env={"PATH": "/usr/bin:/bin", **fanout_environ}, capture_output=True,
                          text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("1 dead-letter blob(s), 2 event(s) dispatched as 2 deliver(ies), 1 malformed event(s) dropped; "
            "blobs deleted.") in done.stdout
    assert list(container.storage.blobs.get_container_client(name).list_blobs()) == []
