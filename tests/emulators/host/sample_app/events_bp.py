"""A timer and an Event Grid function that record what they were given."""

from __future__ import annotations

import azure.functions as func

from .recorder import record, rendezvous

bp = func.Blueprint()


@bp.function_name("nightly")
@bp.timer_trigger(schedule="%SAMPLE_SCHEDULE%", arg_name="timer", run_on_startup=False)
def nightly(timer: func.TimerRequest) -> None:
    record("timer", past_due=timer.past_due, timer_class=type(timer).__name__)


@bp.function_name("on_event")
@bp.event_grid_trigger(arg_name="event")
def on_event(event: func.EventGridEvent) -> None:
    """Takes either schema (the converter gives a CloudEvent when ``specversion`` is present)."""
    data = event.get_json() or {}
    if isinstance(event, func.CloudEvent):
        record("event", schema="cloudevents", id=event.id, type=event.type, data=data)
    else:
        record("event", schema="eventgrid", id=event.id, type=event.event_type, data=data)
    if data.get("fail"):
        raise RuntimeError("this event asks to fail")
    meet = data.get("meet")
    if isinstance(meet, dict):  # all events of the batch must be running at once, or this one fails
        rendezvous(str(meet["key"]), int(meet["parties"]), float(meet["seconds"]))
