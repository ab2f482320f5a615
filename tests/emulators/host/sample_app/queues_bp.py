"""Queue functions: one that fails a chosen number of times, one that always fails."""

from __future__ import annotations

import azure.functions as func

from .recorder import record

bp = func.Blueprint()


@bp.queue_trigger(arg_name="msg", queue_name="%SAMPLE_FLAKY_QUEUE%", connection="AzureWebJobsStorage")
def flaky(msg: func.QueueMessage) -> None:
    """Body ``{"key": ..., "fail_times": N}``: raises on the first N deliveries, then succeeds."""
    body = msg.get_json()
    record(
        "flaky",
        key=body["key"],
        dequeue_count=msg.dequeue_count,
        id=msg.id,
        pop_receipt=msg.pop_receipt,
        has_times=None not in (msg.insertion_time, msg.expiration_time, msg.time_next_visible),
        raw=msg.get_body().decode(),
    )
    if msg.dequeue_count <= body["fail_times"]:
        raise RuntimeError(f"failing delivery {msg.dequeue_count} on purpose")


@bp.queue_trigger(arg_name="msg", queue_name="%SAMPLE_POISON_QUEUE%", connection="")
async def always_fails(msg: func.QueueMessage) -> None:
    record("always_fails", body=msg.get_body().decode(), dequeue_count=msg.dequeue_count)
    raise RuntimeError("always fails")


@bp.queue_trigger(arg_name="text", queue_name="%SAMPLE_TEXT_QUEUE%", connection="AzureWebJobsStorage")
def plain_text(text: str) -> None:
    """Annotated ``str``: the worker hands over the message body, not a QueueMessage."""
    record("plain_text", text=text, type=type(text).__name__)
