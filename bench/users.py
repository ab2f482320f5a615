"""Twilio requests to name people: one fetch per identity, one paged read of the service's users, or the hybrid.

Run by hand: ``python -m bench.users [--users 2000]``. Starts the Twilio stand-in, creates a
service with ``--users`` users (identities with ``/``, ``?``, spaces), then asks ``UserNames``
for names as a live sync does (3 people) and as a full export does (every user), under each
policy, counting the requests the stand-in served. Prints the counts and their ratios from
this one run; docs/attachments.md quotes what it prints.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from twilio.rest import Client

from harness.process import python_module_argv, running
from shared.export.retry import Retrier, RetryStats
from shared.export.source import TwilioSource
from shared.export.users import DIRECTORY_AFTER, UserNames
from tests.export.seeding import _retrying

ACCOUNT = "AC" + "7" * 32
TOKEN = "bench-users-token"
POLICIES: dict[str, int] = {"per identity": 10**9, "paged read": 0, f"hybrid ({DIRECTORY_AFTER})": DIRECTORY_AFTER}


def _requests(url: str) -> int:
    return int(httpx.get(f"{url}/_admin/counters", auth=(ACCOUNT, TOKEN)).json()["total"])


def _measure(url: str, client: Client, service: str, identities: list[str], directory_after: int
             ) -> tuple[int, float]:
    source = TwilioSource(client, retrier=Retrier(attempts=5, stats=RetryStats(), stop=threading.Event()))
    names = UserNames(client, call=lambda fn, what: source._call(fn, what=what),
                      pages=lambda first, what: source._pages(first, what), directory_after=directory_after)
    httpx.delete(f"{url}/_admin/counters", auth=(ACCOUNT, TOKEN))
    started = time.perf_counter()
    for identity in identities:
        names.friendly_name("conversations", service, identity)
    elapsed = time.perf_counter() - started
    return _requests(url) - 1, elapsed  # less the counters read itself


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    args = parser.parse_args(argv)
    argv_ = python_module_argv("emulators.twilio", "--host", "127.0.0.1", "--port", "0", "--account-sid", ACCOUNT,
                               "--auth-token", TOKEN, "--seed", "3")
    with running("twilio", argv_, timeout=60) as twilio:
        url = str(twilio.info["url"])
        client = Client(ACCOUNT, TOKEN)
        client.conversations.base_url = url
        client.chat.base_url = url
        service = client.conversations.v1.services.create(friendly_name="bench-users").sid
        identities = [f"team/{n % 7}?member {n}" for n in range(args.users)]
        create: Callable[..., Any] = client.conversations.v1.services(service).users.create
        for n, identity in enumerate(identities):
            _retrying(create, identity=identity, friendly_name=f"Person {n}")
        print(f"{args.users} users in one service; Twilio requests to name them (stand-in counters)")
        results: dict[str, dict[str, tuple[int, float]]] = {}
        for scenario, wanted in (("live sync (3 people)", identities[:3]), ("full export (every user)", identities)):
            results[scenario] = {p: _measure(url, client, service, wanted, after) for p, after in POLICIES.items()}
            for policy, (count, seconds) in results[scenario].items():
                print(f"  {scenario:26} {policy:14} {count:6d} requests  {seconds:6.2f} s")
        full = results["full export (every user)"]
        live = results["live sync (3 people)"]
        hybrid = f"hybrid ({DIRECTORY_AFTER})"
        print(f"full export: per identity / hybrid = {full['per identity'][0] / full[hybrid][0]:.1f}x requests")
        print(f"live sync:   paged read / hybrid  = {live['paged read'][0] / live[hybrid][0]:.1f}x requests")


if __name__ == "__main__":
    main()
