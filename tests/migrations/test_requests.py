from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.errors import BadRequestError
from shared.migrations.requests import MigrationRequest, parse_migration_request

SERVICE = "IS" + "a" * 32
CONVERSATION = "CH" + "b" * 32


def test_a_full_request_parses_and_round_trips_through_run_parameters() -> None:
    request = parse_migration_request({
        "services": [SERVICE, SERVICE], "conversations": [CONVERSATION], "since": "2024-01-31",
        "dryRun": True, "includeLegacyPublicChannels": True,
    })
    assert request.services == (SERVICE,)
    assert request.since == datetime(2024, 1, 31, tzinfo=UTC)
    assert MigrationRequest.from_parameters(request.to_parameters()) == request


def test_an_empty_body_means_everything() -> None:
    assert parse_migration_request({}) == MigrationRequest()


@pytest.mark.parametrize(("body", "target"), [
    ({"services": "IS123"}, "services"),
    ({"services": ["ISnot-a-sid"]}, "services"),
    ({"conversations": ["CH" + "z" * 32]}, "conversations"),
    ({"conversations": [CONVERSATION] * 1001}, "conversations"),
    ({"since": "yesterday"}, "since"),
    ({"since": 20240131}, "since"),
    ({"dryRun": "yes"}, "dryRun"),
    ({"includeLegacyPublicChannels": 1}, "includeLegacyPublicChannels"),
    ({"dryrun": True}, "dryrun"),
    ({"services": ["IS\u0000' or 1 eq 1"]}, "services"),
])
def test_bad_requests_name_the_field(body: dict[str, object], target: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        parse_migration_request(body)
    assert caught.value.target == target
    assert caught.value.status == 400
