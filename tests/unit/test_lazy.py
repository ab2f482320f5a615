from __future__ import annotations

import threading
import time

import pytest

from shared.lazy import lazy


class _Holder:
    def __init__(self) -> None:
        self.builds = 0
        self.fail_next = False

    @lazy
    def client(self) -> object:
        """A client that takes a while to build."""
        self.builds += 1
        time.sleep(0.02)  # holds the window open so that racing readers overlap
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("build failed")
        return object()


def test_racing_threads_build_the_value_once_and_share_it() -> None:
    holder = _Holder()
    start = threading.Barrier(8)
    seen: list[object] = []

    def read() -> None:
        start.wait()
        seen.append(holder.client)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert holder.builds == 1
    assert len(seen) == 8
    assert all(value is seen[0] for value in seen)
    assert "client" in holder.__dict__


def test_a_failed_build_stores_nothing_and_the_next_read_builds_again() -> None:
    holder = _Holder()
    holder.fail_next = True
    with pytest.raises(RuntimeError, match=r"^build failed$"):
        _ = holder.client
    assert "client" not in holder.__dict__
    value = holder.client
    assert holder.builds == 2
    assert holder.client is value


def test_the_class_attribute_is_the_descriptor_with_the_builders_doc() -> None:
    assert isinstance(_Holder.client, lazy)
    assert _Holder.client.__doc__ == "A client that takes a while to build."
