"""The fan-out demo: a local subscriber gets Twilio-format webhooks for chat activity on the ACS stand-in.

``run_fanout_demo(storage_connection_string)`` (called by ``scripts/demo.py``, or run this file
alone) starts the host stand-in with the fan-out functions and an ACS stand-in whose Event Grid
sink is the host, registers a loopback subscriber, chats on ACS through the real SDKs, and
returns (and prints) the webhooks the subscriber received, each checked with twilio's own
``RequestValidator``. Everything it starts is stopped when it returns, also on failure.
"""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from azure.communication.chat import ChatParticipant
from azure.communication.identity import CommunicationUserIdentifier

from emulators.azurite import running_azurite
from harness.fanout_pipeline import demo_environment, running_pipeline
from harness.subscriber import running_subscriber
from shared.state import ConversationRecord, IdentityMapping

SECRET = "demo-subscriber-secret-0123456789"
CONVERSATION = "CH" + "de" * 16
SHOWN = ("EventType", "ConversationSid", "MessageSid", "Index", "Author", "Identity", "Body", "FriendlyName",
         "DateCreated", "RetryCount")



def run_fanout_demo(storage_connection_string: str, *, echo: bool = True) -> list[dict[str, Any]]:
    """Run the demo against Azurite at ``storage_connection_string``; returns one dict per webhook received."""
    env = demo_environment(storage_connection_string, name="fanout")
    with running_pipeline(env) as pipeline, running_subscriber(SECRET, path="/twilio-webhooks") as subscriber:
        alice, bob = pipeline.new_user(), pipeline.new_user()
        pipeline.container.identity_map.create_identity(IdentityMapping("alice", alice.user_id))
        pipeline.container.identity_map.create_identity(IdentityMapping("bob", bob.user_id))
        thread = pipeline.create_thread(alice, "Order #1042", [alice])
        pipeline.container.conversations.create_conversation(ConversationRecord(
            CONVERSATION, thread_id=thread.thread_id, status="done", attributes={"orderId": 1042}))
        pipeline.wait_until_pushed()  # the thread's creation went out before anyone subscribed
        subscription = pipeline.subscribe(subscriber.url, SECRET)
        if echo:
            print(f"subscriber {subscriber.url} registered as {subscription['id']} (format twilio)")

        thread.add_participants([ChatParticipant(identifier=CommunicationUserIdentifier(bob.user_id),
                                                 display_name="Bob")])
        thread.send_message("Hi Bob, your order shipped.")
        thread.send_message("Imported from Twilio", metadata={"migratedFrom": "twilio"})  # not delivered
        reply = pipeline.thread(bob, thread.thread_id).send_message("Thanks! Tracking number?")
        pipeline.thread(bob, thread.thread_id).update_message(reply.id, content="Thanks! What's the tracking number?")
        thread.update_topic("Order #1042 (shipped)")
        pipeline.wait_until_pushed()
        received = subscriber.wait_for(5, timeout=60)

    webhooks = [{"verified": r.signature_ok, "deliveryId": r.delivery_id,
                 **{k: r.fields[k] for k in SHOWN if k in r.fields}} for r in received]
    if echo:
        print(f"{len(webhooks)} Twilio-format webhooks received; X-Twilio-Signature checked with RequestValidator:")
        for hook in webhooks:
            print(json.dumps(hook, ensure_ascii=False))
    return webhooks


def main() -> int:
    with ExitStack() as stack:
        azurite = stack.enter_context(running_azurite())
        webhooks = run_fanout_demo(azurite.connection_string)
    return 0 if webhooks and all(w["verified"] for w in webhooks) else 1


if __name__ == "__main__":
    sys.exit(main())
