from __future__ import annotations

import threading

import pytest

from shared.container import AppContainer
from shared.settings import Secret
from shared.state import DeadLetter, RunRecord, Subscription
from shared.state.dead_letters import DeadLetterNotFoundError
from shared.state.runs import RunNotFoundError, new_run_id
from shared.state.subscriptions import SubscriptionNotFoundError, new_subscription_id


def test_runs_list_newest_first(container: AppContainer) -> None:
    from datetime import UTC, datetime, timedelta

    base = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [new_run_id(base + timedelta(minutes=n)) for n in range(5)]
    for run_id in ids:
        container.runs.create_run(RunRecord(run_id, kind="on_demand", parameters={"since": "2026-01-01"}))
    listed = [r.run_id for r in container.runs.list_runs(limit=3)]
    assert listed == list(reversed(ids))[:3]


def test_concurrent_counter_increments_are_not_lost(container: AppContainer) -> None:
    run = container.runs.create_run(RunRecord(new_run_id(), kind="nightly"))

    def bump() -> None:
        for _ in range(5):
            container.runs.increment_counts(run.run_id, {"done": 1, "messages": 10, "media_bytes": 2**33})

    threads = [threading.Thread(target=bump) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = container.runs.get_run(run.run_id).counts
    assert counts["done"] == 30
    assert counts["messages"] == 300
    assert counts["media_bytes"] == 30 * 2**33


def test_forty_eight_workers_settling_at_once_all_count(container: AppContainer) -> None:
    """A host's worth of slices ending together (48 work items in flight) write one run row: none gives up."""
    run = container.runs.create_run(RunRecord(new_run_id(), kind="on_demand"))
    start = threading.Barrier(48)
    failures: list[BaseException] = []

    def settle() -> None:
        start.wait()
        try:
            for _ in range(2):
                container.runs.increment_counts(run.run_id, {"done": 1, "messages": 3})
        except BaseException as exc:  # noqa: BLE001 - recorded and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=settle) for _ in range(48)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    counts = container.runs.get_run(run.run_id).counts
    assert (counts["done"], counts["messages"]) == (96, 288)


def test_copied_messages_land_in_the_minute_they_were_copied(container: AppContainer) -> None:
    from datetime import timedelta

    from shared.state.tables import utcnow

    run = container.runs.create_run(RunRecord(new_run_id(), kind="on_demand",
                                              created_at=utcnow() - timedelta(minutes=3, seconds=10)))
    container.runs.increment_counts(run.run_id, {"messages": 7, "media_bytes": 5})
    container.runs.increment_counts(run.run_id, {"media_bytes": 5})  # no messages: no bucket change
    container.runs.increment_counts(run.run_id, {"messages": 2})
    assert container.runs.get_run(run.run_id).progress == {"bucketMinutes": 1, "messages": [0, 0, 0, 9]}


def test_the_series_stays_short_by_widening_its_buckets() -> None:
    from shared.state.runs import MAX_BUCKETS, add_to_series

    series = {"bucketMinutes": 1, "messages": []}
    for minute in range(MAX_BUCKETS):
        series = add_to_series(series, minutes=minute + 0.5, count=1)
    assert series == {"bucketMinutes": 1, "messages": [1] * MAX_BUCKETS}
    series = add_to_series(series, minutes=MAX_BUCKETS + 0.5, count=4)  # minute 240: one bucket too many
    assert series["bucketMinutes"] == 2
    assert series["messages"] == [2] * (MAX_BUCKETS // 2) + [4]
    assert sum(series["messages"]) == MAX_BUCKETS + 4
    far = add_to_series(series, minutes=10_000, count=1)  # a week-long run still fits
    assert len(far["messages"]) <= MAX_BUCKETS
    assert far["bucketMinutes"] == 64
    assert sum(far["messages"]) == MAX_BUCKETS + 5


def test_run_lookups_reject_unknown_and_malformed_ids(container: AppContainer) -> None:
    with pytest.raises(RunNotFoundError):
        container.runs.get_run(new_run_id())
    for bad in ("../etc", "' or RowKey ne '", "", "x" * 5000):
        with pytest.raises(RunNotFoundError):
            container.runs.get_run(bad)
    with pytest.raises(ValueError, match="unknown run counters"):
        container.runs.increment_counts(new_run_id(), {"bogus": 1})


def test_run_status_updates(container: AppContainer) -> None:
    run = container.runs.create_run(RunRecord(new_run_id(), kind="cli"))
    updated = container.runs.update_run(run.run_id, status="failed", error="Twilio answered 401")
    assert updated.status == "failed"
    assert container.runs.get_run(run.run_id).error == "Twilio answered 401"


def test_subscriptions_keep_secrets_out_of_views(container: AppContainer) -> None:
    store = container.subscriptions
    sub = Subscription(new_subscription_id(), "https://hooks.example.com/twilio", "twilio", Secret("s3cr3t-value"),
                       event_types=("Microsoft.Communication.ChatMessageReceivedInThread",))
    store.create_subscription(sub)
    back = store.get_subscription(sub.subscription_id)
    assert back.secret.reveal() == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(back)
    assert "s3cr3t-value" not in str(back.public_view())
    store.disable_subscription(sub.subscription_id, reason="subscriber answered 410 Gone")
    assert [s.subscription_id for s in store.list_subscriptions(enabled_only=True)] == []
    store.delete_subscription(sub.subscription_id)
    store.delete_subscription(sub.subscription_id)
    with pytest.raises(SubscriptionNotFoundError):
        store.get_subscription(sub.subscription_id)


def test_dead_letters_round_trip(container: AppContainer) -> None:
    store = container.dead_letters
    letter = DeadLetter("dlv/1#x", "sub_1", "evt-1", "Microsoft.Communication.ChatMessageReceivedInThread",
                        attempts=5, last_status=503, last_error=None, body_excerpt="x" * 5000, payload="{}")
    store.upsert_dead_letter(letter)
    back = store.get_dead_letter("dlv/1#x")
    assert back.attempts == 5
    assert back.last_status == 503
    assert len(back.body_excerpt) == 1024
    assert [d.delivery_id for d in store.list_dead_letters(subscription_id="sub_1")] == ["dlv/1#x"]
    store.delete_dead_letter("dlv/1#x")
    with pytest.raises(DeadLetterNotFoundError):
        store.get_dead_letter("dlv/1#x")


def test_queue_and_media_container_are_created_on_first_use(container: AppContainer) -> None:
    queue = container.migration_queue
    queue.send({"conversation": "CH1"})
    queue.send({"conversation": "CH2"}, delay_seconds=30)
    assert queue.approximate_length() == 2
    url = container.media.upload_media("ME1", iter([b"abc", b"def"]), content_type="image/png")
    assert url.endswith("/ME1")
    assert container.media.read_media("ME1") == b"abcdef"
    assert container.media.media_exists("ME1")
