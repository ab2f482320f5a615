"""GroupCommit: additions from many threads to one key are written a batch at a time, each caller returning once
its own addition is written."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping

import pytest

from shared.state.group_commit import GroupCommit


class SlowRow:
    """A row written one batch at a time; the first write waits until every adder has queued behind it."""

    def __init__(self, release: threading.Event) -> None:
        self.total: Counter[str] = Counter()
        self.writes: list[dict[str, int]] = []
        self.release = release
        self.concurrent = 0
        self.most_concurrent = 0
        self.lock = threading.Lock()

    def write(self, key: str, deltas: Mapping[str, int]) -> int:
        with self.lock:
            self.concurrent += 1
            self.most_concurrent = max(self.most_concurrent, self.concurrent)
        self.release.wait(10)
        self.total.update(deltas)
        self.writes.append(dict(deltas))
        with self.lock:
            self.concurrent -= 1
        return sum(self.total.values())


def test_thirty_two_adders_are_written_in_two_batches() -> None:
    release = threading.Event()
    row = SlowRow(release)
    group: GroupCommit[int] = GroupCommit(row.write)
    results: list[int] = []

    def add(n: int) -> None:
        results.append(group.add("run", {"done": 1, "messages": n}))

    first = threading.Thread(target=add, args=(0,))
    first.start()  # leads, and waits inside its write
    others = [threading.Thread(target=add, args=(n,)) for n in range(1, 32)]
    for t in others:
        t.start()
    while sum(len(b.waiters) for b in group._batches.values()) < 31:  # every other adder queued
        threading.Event().wait(0.01)
    release.set()
    for t in [first, *others]:
        t.join()
    assert row.writes == [{"done": 1, "messages": 0}, {"done": 31, "messages": sum(range(1, 32))}]
    assert row.most_concurrent == 1
    assert sorted(results) == [1] + [1 + 31 + sum(range(1, 32))] * 31  # each returns its own batch's write


def test_a_failed_write_raises_in_every_caller_of_its_batch_and_the_next_caller_leads() -> None:
    calls: list[Mapping[str, int]] = []

    def write(key: str, deltas: Mapping[str, int]) -> int:
        calls.append(deltas)
        if len(calls) == 1:
            raise RuntimeError("the row is gone")
        return 1

    group: GroupCommit[int] = GroupCommit(write)
    with pytest.raises(RuntimeError, match="the row is gone"):
        group.add("run", {"done": 1})
    assert group.add("run", {"done": 2}) == 1
    assert calls == [{"done": 1}, {"done": 2}]
    assert group._writing == set()
