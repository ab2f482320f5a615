"""User names read through the twilio SDK: one fetch per identity for a few, one paged read for many."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from shared.export.users import UserNames
from tests.export.seeding import TwilioSeeder


class CountedReads:
    """The ``call`` and ``pages`` UserNames is given, counting the requests made through them."""

    def __init__(self) -> None:
        self.fetches: list[str] = []
        self.pages = 0

    def call(self, fn: Callable[[], Any], what: str) -> Any:
        self.fetches.append(what)
        return fn()

    def paged(self, first: Callable[[], Any], what: str) -> Iterator[list[Any]]:
        page = first()
        while page is not None:
            self.pages += 1
            yield list(page)
            page = page.next_page()


def _names(seeder: TwilioSeeder, reads: CountedReads) -> UserNames:
    return UserNames(seeder.client, call=reads.call, pages=reads.paged, directory_after=5)


def test_names_expected_in_number_come_from_one_paged_read(seeder: TwilioSeeder) -> None:
    identities = [f"crowd-{n}" for n in range(7)]
    for identity in identities:
        seeder.user(identity, friendly_name=f"Crowd {identity[-1]}")
    reads = CountedReads()
    names = _names(seeder, reads)

    names.expect("conversations", seeder.service_sid, [*identities, "crowd-0", "nobody"])
    got = [names.friendly_name("conversations", seeder.service_sid, i) for i in [*identities, "nobody"]]

    assert got == [f"Crowd {n}" for n in range(7)] + [None]
    assert (reads.fetches, reads.pages) == ([], 1)


def test_a_few_names_expected_are_fetched_one_by_one(seeder: TwilioSeeder) -> None:
    for identity in ("few-a", "few-b"):
        seeder.user(identity, friendly_name=identity.upper())
    reads = CountedReads()
    names = _names(seeder, reads)

    names.expect("conversations", seeder.service_sid, ["few-a", "few-b", "few-a"])
    got = [names.friendly_name("conversations", seeder.service_sid, i) for i in ("few-a", "few-b", "few-a")]

    assert got == ["FEW-A", "FEW-B", "FEW-A"]
    assert (reads.fetches, reads.pages) == (["fetching user 'few-a'", "fetching user 'few-b'"], 0)
