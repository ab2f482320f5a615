"""Whole migrations under faults: the ``realistic`` Twilio workspace migrated through ``POST /api/migrations`` and the
queue workers of a host stand-in running as a separate process, with 5 % of the requests to both stand-ins
answered by a fault (429, 500, 503, dropped connections, and on ACS lost answers after a stored write), and that
process SIGKILLed at seeded points at least 3 times and restarted. Nothing lost, nothing duplicated.

The harness (``harness/chaos/``) checks every Twilio message against the ACS stand-in's admin listing and the
blob container; ``python bench/chaos.py --seeds 10`` runs more seeds and prints the figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulators.azurite import AzuriteEndpoints
from harness.chaos import ChaosReport, chaos_run

pytestmark = pytest.mark.slow


def _assert_clean(report: ChaosReport) -> None:
    print(report.line())  # the figures, in the -rA / -s output
    assert report.problems == [], "\n".join(report.problems[:40])
    assert report.lost == 0
    assert report.duplicated == 0
    assert report.messages_checked == report.twilio_messages > 3000
    assert report.horizons_checked > 50
    assert report.media_checked > 100


@pytest.mark.timeout(420)
@pytest.mark.parametrize("seed", [1, 2])
def test_a_realistic_migration_survives_faults_and_sigkills(
    azurite: AzuriteEndpoints, tmp_path: Path, seed: int
) -> None:
    report = chaos_run(azurite.connection_string, seed=seed, workdir=tmp_path, fault_rate=0.05, kills=3,
                       profile="realistic", timeout=300)
    _assert_clean(report)
    assert report.run_status == "succeeded"
    assert report.kills >= 3
    assert report.acs_faults > 50  # 5 % of every ACS request class
    assert report.twilio_faults > 5
    assert report.counts["messages"] == report.twilio_messages


@pytest.mark.timeout(420)
def test_two_runs_started_at_the_same_moment_copy_each_message_once(azurite: AzuriteEndpoints, tmp_path: Path) -> None:
    """Two ``POST /api/migrations`` over the same conversations, released together, under the same faults and
    one SIGKILL: both runs succeed and every message is in ACS once. (50 concurrent first token requests for
    one identity ending with one ACS user:
    tests/tokens/test_race_revoke_delete.py::test_fifty_concurrent_first_requests_end_with_one_acs_user.)"""
    report = chaos_run(azurite.connection_string, seed=3, workdir=tmp_path, fault_rate=0.05, kills=1,
                       profile="realistic", timeout=300, runs=2)
    _assert_clean(report)
    assert report.run_status == "succeeded"
