"""``scripts/demo_fanout.py`` runs end to end and every webhook it shows passed RequestValidator."""

from __future__ import annotations

import pytest

from scripts.demo_fanout import run_fanout_demo

pytestmark = pytest.mark.slow


def test_the_demo_shows_verified_twilio_webhooks_for_live_activity_only(storage_connection_string: str) -> None:
    webhooks = run_fanout_demo(storage_connection_string, echo=False)
    assert all(hook["verified"] for hook in webhooks)
    assert sorted(str(hook["EventType"]) for hook in webhooks) == [
        "onConversationUpdated", "onMessageAdded", "onMessageAdded", "onMessageUpdated", "onParticipantAdded",
    ]
    assert {hook.get("Author") for hook in webhooks} == {None, "alice", "bob"}
    assert "Imported from Twilio" not in {hook.get("Body") for hook in webhooks}
    assert len({hook["deliveryId"] for hook in webhooks}) == len(webhooks)
