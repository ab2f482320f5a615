"""Migration slices run on the app's own threads: with the worker's shared pool at a single thread, a slice that
paces hundreds of sends does not hold up the HTTP functions (status, health, tokens) that share that pool."""

from __future__ import annotations

import pytest

from tests.export.conftest import AcsAdmin
from tests.export.seeding import TwilioSeeder

from .conftest import MigrationHost, eventually

MESSAGES = 400  # at ACS's 30 per minute per thread, time-scaled by 0.01: at least 8 s of sends in one slice


@pytest.fixture
def migration_environ(migration_environ: dict[str, str]) -> dict[str, str]:
    return dict(
        migration_environ,
        PYTHON_THREADPOOL_THREAD_COUNT="1",  # the worker's pool for synchronous functions: one thread
        EXPORT_SLICE_SECONDS="120",  # one slice copies the whole conversation
        EXPORT_FLUSH_EVERY="20",
    )


def test_http_functions_answer_while_a_slice_paces_its_sends(
    served: MigrationHost, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seeder.conversation("Long room")
    seeder.chat_participant(conv, "alice")
    seeder.chat_participant(conv, "bob")
    for i in range(MESSAGES):
        seeder.message(conv, "alice" if i % 2 else "bob", f"message {i}")
    location = served.http.post("/api/migrations", json={"services": [seeder.service_sid]}).headers["Location"]

    def thread_started() -> str | None:
        record = served.container.conversations.find_conversation(conv.sid)
        thread = record.thread_id if record is not None else None
        return thread if thread and acs_admin.user_messages(thread) else None

    thread_id = eventually(thread_started, what="the first sends")  # read from storage and ACS, not over HTTP
    during = served.http.get(location).json()  # a synchronous function on the one-thread pool
    assert served.http.get("/api/health").status_code == 200
    assert during["status"] == "running"
    assert len(acs_admin.user_messages(thread_id)) < MESSAGES  # both answered mid-slice, not after it
    final = eventually(lambda: (b := served.http.get(location).json())["status"] == "succeeded" and b,
                       timeout=120, what="the run to finish")
    assert final["counts"]["messages"] == MESSAGES
    assert served.invocations("migration_worker") == 2  # the plan and one slice
