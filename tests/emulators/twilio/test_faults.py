"""Limits and faults: seeded 429/500/503/drop, latency, concurrency ceiling, write APS, time-scale."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient

from emulators.twilio.faults import FaultConfig, parse_fault_spec
from harness.process import ServiceStartError, python_module_argv, start_service

from .spec_check import SpecChecker
from .standin import StandIn, stand_in


@pytest.fixture
def faulty(twilio: StandIn) -> Iterator[StandIn]:
    """The shared stand-in; faults are restored to the defaults afterwards."""
    try:
        yield twilio
    finally:
        twilio.clear_faults()


def test_429_surfaces_as_twilio_rest_exception_and_list_twilio_exception(faulty: StandIn) -> None:
    client = faulty.client()
    conv = client.conversations.v1.conversations.create(friendly_name="throttled")
    faulty.set_faults("read:429=1,retry_after=2")
    with pytest.raises(TwilioRestException) as err:
        client.conversations.v1.conversations(conv.sid).fetch()
    assert err.value.status == 429
    assert err.value.code == 20429
    with pytest.raises(TwilioException) as listed:
        client.conversations.v1.conversations(conv.sid).messages.list()
    assert not isinstance(listed.value, TwilioRestException)
    response = listed.value.args[1]
    assert response.status_code == 429
    assert '"code": 20429' in response.text
    assert response.headers.get("Retry-After") == "2"
    # writes are a different class and still go through
    assert client.conversations.v1.conversations(conv.sid).messages.create(body="ok").index == 0


@pytest.mark.asyncio
async def test_429_async(faulty: StandIn) -> None:
    faulty.set_faults("list:429=1,fetch:429=1")
    async with AsyncTwilioHttpClient() as http:
        client = faulty.async_client(http)
        with pytest.raises(TwilioRestException) as err:
            await client.conversations.v1.configuration().fetch_async()
        assert err.value.status == 429
        assert err.value.code == 20429
        with pytest.raises(TwilioException) as listed:
            await client.conversations.v1.conversations.list_async()
        assert listed.value.args[1].status_code == 429


def test_500_and_503_on_writes(faulty: StandIn) -> None:
    client = faulty.client()
    faulty.set_faults("create:500=1")
    with pytest.raises(TwilioRestException) as err:
        client.conversations.v1.conversations.create(friendly_name="x")
    assert err.value.status == 500
    faulty.set_faults("create:503=1")
    with pytest.raises(TwilioRestException) as err503:
        client.conversations.v1.conversations.create(friendly_name="x")
    assert err503.value.status == 503
    counters = faulty.admin("GET", "counters")["by_route"]["POST /v1/Conversations"]
    assert counters["500"] >= 1
    assert counters["503"] >= 1


def test_dropped_connection(spec_checker: SpecChecker) -> None:
    with stand_in(spec_checker, "--faults", "fetch:drop=1") as server:
        client = server.client()
        with pytest.raises(requests.exceptions.ConnectionError):
            client.conversations.v1.configuration().fetch()
        assert client.conversations.v1.services.list()  # lists are unaffected
        assert server.admin("GET", "counters")["by_route"]["GET /v1/Configuration"] == {"dropped": 1}


def test_concurrency_ceiling_with_latency(spec_checker: SpecChecker) -> None:
    with stand_in(spec_checker, "--faults", "latency=800ms+20ms,concurrency=2") as server:

        async def burst() -> list[int]:
            async with httpx.AsyncClient(auth=(server.account_sid, server.auth_token)) as http:
                responses = await asyncio.gather(*(http.get(f"{server.url}/v1/Services") for _ in range(6)))
            return sorted(r.status_code for r in responses)

        statuses = asyncio.run(burst())
        assert statuses.count(200) >= 2
        assert statuses.count(429) >= 1
        assert server.admin("GET", "counters")["max_in_flight"] <= 2


def test_write_limit_per_conversation_and_time_scale(spec_checker: SpecChecker) -> None:
    # time-scale 0.1 stretches the 1 s window to 10 s, so 4 quick writes always land in one window.
    with stand_in(spec_checker, "--faults", "conversation_aps=3", "--time-scale", "0.1") as server:
        client = server.client()
        conv = client.conversations.v1.conversations.create(friendly_name="busy")
        msgs = client.conversations.v1.conversations(conv.sid).messages
        for i in range(3):
            msgs.create(body=str(i))
        with pytest.raises(TwilioRestException) as err:
            msgs.create(body="one too many")
        assert err.value.status == 429
        assert err.value.code == 20429
        other = client.conversations.v1.conversations.create(friendly_name="quiet")
        assert client.conversations.v1.conversations(other.sid).messages.create(body="fine").index == 0
        assert len(msgs.list()) == 3  # reads are not limited
    # time-scale 10000 shrinks the window to 0.1 ms: paced writes never meet the limit.
    with stand_in(spec_checker, "--faults", "conversation_aps=1", "--time-scale", "10000") as server:
        client = server.client()
        conv = client.conversations.v1.conversations.create(friendly_name="paced")
        for i in range(5):
            client.conversations.v1.conversations(conv.sid).messages.create(body=str(i))
            import time

            time.sleep(0.002)


def _statuses(server: StandIn, count: int) -> list[int]:
    with httpx.Client(auth=(server.account_sid, server.auth_token)) as http:
        return [http.get(f"{server.url}/v1/Services").status_code for _ in range(count)]


def test_faults_are_deterministic_for_a_seed(spec_checker: SpecChecker) -> None:
    spec = "429=0.2,500=0.1,503=0.1"
    with stand_in(spec_checker, "--seed", "11", "--faults", spec) as a:
        first = _statuses(a, 40)
    with stand_in(spec_checker, "--seed", "11", "--faults", spec) as b:
        second = _statuses(b, 40)
    with stand_in(spec_checker, "--seed", "12", "--faults", spec) as c:
        other = _statuses(c, 40)
    assert first == second
    assert set(first) >= {200, 429}
    assert first != other


def test_fault_spec_parsing() -> None:
    cfg = parse_fault_spec("429=0.05,500=0.02,list:503=0.01,drop=0.01,latency=5ms+10ms,concurrency=50")
    assert cfg.rates["fetch"] == {"429": 0.05, "500": 0.02, "drop": 0.01}
    assert cfg.rates["list"]["503"] == 0.01
    assert (cfg.latency, cfg.jitter, cfg.concurrency) == (0.005, 0.01, 50)
    as_json = parse_fault_spec('{"write:429": 0.5, "latency": "0.2s", "service_aps": 0}')
    assert as_json.rates["create"]["429"] == 0.5
    assert "fetch" not in as_json.rates
    assert as_json.latency == 0.2
    assert as_json.service_aps == 0
    assert parse_fault_spec("") == FaultConfig()
    for bad in ("429=2", "nope=1", "teapot:429=0.1", "latency=fast", "429"):
        with pytest.raises(ValueError, match=r".+"):
            parse_fault_spec(bad)


def test_bad_fault_flag_stops_the_server() -> None:
    with pytest.raises(ServiceStartError):
        start_service("bad-faults", python_module_argv("emulators.twilio", "--faults", "429=7"), timeout=20)


def test_admin_rejects_bad_spec(faulty: StandIn) -> None:
    response = faulty.http.post("/_admin/faults", content="429=lots")
    assert response.status_code == 400
    assert response.json()["code"] == 20001
    shown = faulty.set_faults('{"spec": "update:500=0.5"}')
    assert shown["rates"]["update"] == {"500": 0.5}
