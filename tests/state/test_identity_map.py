from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings

from shared.container import AppContainer
from shared.state import IdentityMapping
from shared.state.identity_map import IdentityExistsError, IdentityNotFoundError
from tests.strategies import awkward_identities


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(identity=awkward_identities)
def test_any_unicode_identity_round_trips_in_both_directions(container: AppContainer, identity: str) -> None:
    store = container.identity_map
    store.delete_identity(identity)
    acs_id = "8:acs:" + identity.encode("utf-8", "surrogatepass").hex()[:40]
    store.create_identity(IdentityMapping(identity=identity, acs_user_id=acs_id, display_name=identity))
    assert store.get_identity(identity).acs_user_id == acs_id
    back = store.get_identity_for_acs_user(acs_id)
    assert back.identity == identity
    assert back.display_name is not None
    store.delete_identity(identity)
    with pytest.raises(IdentityNotFoundError):
        store.get_identity(identity)


def test_create_fails_when_mapped_and_reports_the_winner(container: AppContainer) -> None:
    store = container.identity_map
    store.create_identity(IdentityMapping("alice", "8:acs:first"))
    with pytest.raises(IdentityExistsError) as caught:
        store.create_identity(IdentityMapping("alice", "8:acs:second"))
    assert caught.value.existing.acs_user_id == "8:acs:first"
    assert caught.value.status == 409


def test_concurrent_creates_for_one_identity_leave_exactly_one_mapping(container: AppContainer) -> None:
    store = container.identity_map
    store.list_identities()  # create the table before the race
    winners: list[str] = []
    losers: list[str] = []
    barrier = threading.Barrier(12)

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            store.create_identity(IdentityMapping("bob", f"8:acs:candidate-{n}"))
            winners.append(f"8:acs:candidate-{n}")
        except IdentityExistsError as exc:
            losers.append(exc.existing.acs_user_id)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert set(losers) == set(winners)
    assert store.get_identity("bob").acs_user_id == winners[0]


def test_delete_is_idempotent(container: AppContainer) -> None:
    store = container.identity_map
    assert store.delete_identity("nobody") is None
    store.create_identity(IdentityMapping("carol", "8:acs:c"))
    assert store.delete_identity("carol") is not None
    assert store.delete_identity("carol") is None
    with pytest.raises(IdentityNotFoundError):
        store.get_identity_for_acs_user("8:acs:c")


def test_odata_injection_in_identities_finds_nothing_extra(container: AppContainer) -> None:
    store = container.identity_map
    store.create_identity(IdentityMapping("dave", "8:acs:d"))
    for attack in ("' or PartitionKey ne '", "dave' or '1' eq '1", "x') or (PartitionKey ne 'x"):
        with pytest.raises(IdentityNotFoundError):
            store.get_identity(attack)
    assert [m.identity for m in store.list_identities()] == ["dave"]
