"""A timer and an Event Grid function that record what they were given."""

from __future__ import annotations

import azure.functions as func

from .recorder import record

bp = func.Blueprint()


@bp.function_name("nightly")
@bp.timer_trigger(schedule="%SAMPLE_SCHEDULE%", arg_name="timer", run_on_startup=False)
def nightly(timer: func.TimerRequest) -> None:
    record("timer", past_due=timer.past_due, kind=type(timer).__name__)


@bp.function_name("on_event")
@bp.event_grid_trigger(arg_name="event")
def on_event(event: func.EventGridEvent) -> None:
    if isinstance(event, func.EventGridEvent):
        record("event", schema="eventgrid", id=event.id, type=event.event_type, data=event.get_json())
    else:
        record("event", schema="cloudevents", id=event.id, type=event.type, data=event.data)
    if (event.get_json() if isinstance(event, func.EventGridEvent) else event.data or {}).get("fail"):
        raise RuntimeError("this event asks to fail")
