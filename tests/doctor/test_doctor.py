"""The configuration check against the stand-ins (real SDKs, real sockets): each dependency broken the
way a real cutover breaks it gives that check a fail with what to fix, and no secret anywhere."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from emulators.host import LocalHost, local_host_in_thread
from harness.local_issuer import LocalIssuer, running_local_issuer
from shared.container import AppContainer
from shared.doctor import CHECK_NAMES, DoctorReport
from tests.conftest import REPO_ROOT

SECRET_MARKERS = ("standin-auth-token", "test-auth-token-value", "AccountKey=", "accesskey=")


@pytest.fixture(scope="module")
def issuer() -> Iterator[LocalIssuer]:
    with running_local_issuer() as running:
        yield running


@pytest.fixture
def doctor_environ(standin_environ: dict[str, str], issuer: LocalIssuer) -> dict[str, str]:
    """A complete configuration on Azurite, the Twilio and ACS stand-ins and a local JWKS."""
    return {**standin_environ, **issuer.app_settings()}


def _run(environ: dict[str, str]) -> DoctorReport:
    doctor = AppContainer.from_environ(environ).doctor
    try:
        return doctor.run()
    finally:
        doctor.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _assert_no_secret(rendered: str, environ: dict[str, str]) -> None:
    for marker in SECRET_MARKERS:
        assert marker not in rendered, marker
    for name in ("TWILIO_AUTH_TOKEN", "ACS_CONNECTION_STRING", "AzureWebJobsStorage", "TOKEN_BACKEND_KEY"):
        value = environ.get(name)
        if value:
            assert value not in rendered, name
    acs_key = environ["ACS_CONNECTION_STRING"].split("accesskey=")[1]
    assert acs_key not in rendered


def test_a_working_configuration_passes_every_check(doctor_environ: dict[str, str]) -> None:
    report = _run(doctor_environ)
    assert [c.name for c in report.checks] == list(CHECK_NAMES)
    statuses = {c.name: c.status for c in report.checks}
    assert statuses == {"settings": "pass", "storage": "pass", "twilio": "warn", "acs": "warn", "jwks": "pass",
                        "public-urls": "pass"}, report
    assert report.ok
    assert report.check("storage").message == (
        "8 tables, 3 queues and container '" + doctor_environ["MEDIA_CONTAINER"]
        + "' exist and take reads, writes and deletes"
    )
    # The stand-ins are reached through settings a real deployment must not have: said, not failed.
    assert "TWILIO_BASE_URL sends every Twilio call to http://127.0.0.1:" in report.check("twilio").message
    assert "ACS_CA_BUNDLE" in report.check("acs").message
    assert report.check("jwks").message == "TOKEN_JWKS_URL publishes 1 signing key(s) for RS256"
    _assert_no_secret(json.dumps(report.to_json()), doctor_environ)


def test_the_storage_probes_leave_nothing_behind(doctor_environ: dict[str, str]) -> None:
    from azure.data.tables import TableServiceClient
    from azure.storage.queue import QueueClient

    assert _run(doctor_environ).check("storage").status == "pass"
    conn = doctor_environ["AzureWebJobsStorage"]
    table = TableServiceClient.from_connection_string(conn).get_table_client(doctor_environ["RUN_TABLE"])
    assert list(table.query_entities("PartitionKey eq '~doctor'")) == []
    queue = QueueClient.from_connection_string(conn, doctor_environ["MIGRATION_QUEUE"])
    assert queue.get_queue_properties().approximate_message_count == 0


def test_a_wrong_twilio_token_fails_the_twilio_check(doctor_environ: dict[str, str]) -> None:
    environ = doctor_environ | {"TWILIO_AUTH_TOKEN": "wrong-token-0123456789abcdef0123"}
    report = _run(environ)
    twilio = report.check("twilio")
    assert twilio.status == "fail"
    assert twilio.message == ("Twilio refused the credentials (401, code 20003): check TWILIO_ACCOUNT_SID and "
                              "TWILIO_AUTH_TOKEN (the Twilio console, Account Info)")
    assert not report.ok
    assert {c.name for c in report.checks if c.status == "fail"} == {"twilio"}
    _assert_no_secret(json.dumps(report.to_json()), environ)
    assert "wrong-token" not in json.dumps(report.to_json())


def test_a_wrong_twilio_api_key_names_the_key_settings(doctor_environ: dict[str, str]) -> None:
    environ = doctor_environ | {"TWILIO_API_KEY_SID": "SK" + "1" * 32, "TWILIO_API_KEY_SECRET": "not-the-secret"}
    twilio = _run(environ).check("twilio")
    assert twilio.status == "fail"
    assert "TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET" in twilio.message


def test_unreachable_twilio_fails_naming_the_base_url(doctor_environ: dict[str, str]) -> None:
    environ = doctor_environ | {"TWILIO_BASE_URL": f"http://127.0.0.1:{_closed_port()}"}
    twilio = _run(environ).check("twilio")
    assert twilio.status == "fail"
    assert twilio.message == "could not reach Twilio (ConnectionError): check TWILIO_BASE_URL"


def test_a_wrong_acs_key_fails_the_acs_check(doctor_environ: dict[str, str]) -> None:
    endpoint = doctor_environ["ACS_CONNECTION_STRING"].split(";")[0]
    environ = doctor_environ | {"ACS_CONNECTION_STRING": f"{endpoint};accesskey=d3Jvbmcta2V5LWZvci10aGlzLXJlc291cmNl"}
    report = _run(environ)
    acs = report.check("acs")
    assert acs.status == "fail"
    host = endpoint.split("//", 1)[1].rstrip("/")
    assert acs.message == (f"ACS at {host} refused the access key (401): copy the connection string again "
                           "(az communication list-key) into ACS_CONNECTION_STRING; the key must belong to "
                           "this endpoint")
    assert {c.name for c in report.checks if c.status == "fail"} == {"acs"}
    _assert_no_secret(json.dumps(report.to_json()), environ)


def test_unreachable_acs_fails_naming_the_endpoint(doctor_environ: dict[str, str]) -> None:
    key = doctor_environ["ACS_CONNECTION_STRING"].split("accesskey=")[1]
    environ = doctor_environ | {"ACS_CONNECTION_STRING": f"endpoint=https://127.0.0.1:{_closed_port()}/;accesskey={key}"}
    acs = _run(environ).check("acs")
    assert acs.status == "fail"
    assert "did not answer (ServiceRequestError): check the endpoint in ACS_CONNECTION_STRING" in acs.message


def test_an_unreachable_jwks_fails_the_jwks_check(doctor_environ: dict[str, str]) -> None:
    port = _closed_port()
    environ = doctor_environ | {"TOKEN_JWKS_URL": f"http://127.0.0.1:{port}/.well-known/jwks.json"}
    jwks = _run(environ).check("jwks")
    assert jwks.status == "fail"
    assert jwks.message == (f"TOKEN_JWKS_URL (http://127.0.0.1:{port}) could not be fetched: check the URL and that "
                            "this app can reach it")


def test_a_jwks_without_keys_for_the_accepted_algorithms_fails(doctor_environ: dict[str, str]) -> None:
    jwks = _run(doctor_environ | {"TOKEN_JWT_ALGORITHMS": "RS256,ES256"}).check("jwks")
    assert jwks.status == "fail"
    assert jwks.message.startswith("TOKEN_JWKS_URL publishes no key for ES256")


def test_a_url_that_is_not_a_jwks_fails(doctor_environ: dict[str, str], issuer: LocalIssuer) -> None:
    jwks = _run(doctor_environ | {"TOKEN_JWKS_URL": f"{issuer.url}/.well-known/openid-configuration"}).check("jwks")
    assert jwks.status == "fail"
    assert "without usable signing keys" in jwks.message


def test_no_way_to_get_a_token_is_a_warning(standin_environ: dict[str, str]) -> None:
    report = _run(standin_environ)
    assert report.check("jwks").status == "warn"
    assert report.check("jwks").message.startswith("nobody can get an ACS token")
    backend = _run(standin_environ | {"TOKEN_BACKEND_KEY": "b" * 40}).check("jwks")
    assert backend.status == "skip"
    assert backend.message.endswith("callers use TOKEN_BACKEND_KEY")


def test_storage_down_fails_the_storage_check(doctor_environ: dict[str, str]) -> None:
    port = _closed_port()
    dead = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        f"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
        f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )
    report = _run(doctor_environ | {"AzureWebJobsStorage": dead})
    storage = report.check("storage")
    assert storage.status == "fail"
    assert storage.message == (
        f"table storage did not answer (ServiceRequestError) while trying to create table "
        f"'{doctor_environ['IDENTITY_TABLE']}': check AzureWebJobsStorage (or the identity-based "
        "AzureWebJobsStorage__* settings) and the account's network rules"
    )
    assert report.check("twilio").status == "warn", "the other checks still run"


def test_storage_without_write_rights_names_the_role_to_grant(doctor_environ: dict[str, str]) -> None:
    """A read-only account SAS on Azurite answers 403 AuthorizationPermissionMismatch, as RBAC does."""
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    conn = dict(part.split("=", 1) for part in doctor_environ["AzureWebJobsStorage"].split(";") if part)
    sas = generate_account_sas(conn["AccountName"], conn["AccountKey"], ResourceTypes(service=True, container=True,
                               object=True), AccountSasPermissions(read=True, list=True),
                               datetime.now(UTC) + timedelta(hours=1), services="bqt")
    read_only = (f"TableEndpoint={conn['TableEndpoint']};QueueEndpoint={conn['QueueEndpoint']};"
                 f"BlobEndpoint={conn['BlobEndpoint']};SharedAccessSignature={sas}")
    storage = _run(doctor_environ | {"AzureWebJobsStorage": read_only}).check("storage")
    assert storage.status == "fail"
    assert storage.message.startswith(f"the app's identity may not create table '{doctor_environ['IDENTITY_TABLE']}' "
                                      "(403 AuthorizationPermissionMismatch)") or storage.message.startswith(
        f"the app's identity may not write to table '{doctor_environ['IDENTITY_TABLE']}' (403"), storage.message
    assert storage.message.endswith("grant it Storage Table Data Contributor on the storage account "
                                    "(infra/modules/rbac.bicep does in Azure)")
    assert "sig=" not in storage.message


def test_invalid_settings_fail_the_settings_check_and_skip_the_rest(app_environ: dict[str, str]) -> None:
    environ = dict(app_environ, ACS_CONNECTION_STRING="endpoint=nope", TWILIO_ACCOUNT_SID="AC123")
    report = _run(environ)
    assert report.check("settings").status == "fail"
    assert "TWILIO_ACCOUNT_SID is malformed (expected AC followed by 32 lowercase hex characters)" in (
        report.check("settings").message)
    assert "ACS_CONNECTION_STRING is malformed" in report.check("settings").message
    assert [c.status for c in report.checks[1:]] == ["skip"] * 5
    assert "nope" not in json.dumps(report.to_json())


# Through HTTP and the command line.

@pytest.fixture
def host(doctor_environ: dict[str, str]) -> Iterator[LocalHost]:
    import function_app

    app = function_app.create_app(AppContainer.from_environ(doctor_environ))
    settings = {"NIGHTLY_SCHEDULE": "0 0 2 * * *", **doctor_environ}
    with local_host_in_thread(app, queues=False, function_key="doctor-function-key", settings=settings) as running:
        yield running


def test_deep_health_needs_a_function_key_and_returns_the_report(host: LocalHost) -> None:
    anonymous = requests.get(f"{host.url}/api/health/deep", timeout=60)
    assert anonymous.status_code == 401
    deep = requests.get(f"{host.url}/api/health/deep", headers={"x-functions-key": "doctor-function-key"}, timeout=60)
    assert deep.status_code == 200, deep.text
    body = deep.json()
    assert body["status"] == "pass"
    assert [c["name"] for c in body["checks"]] == list(CHECK_NAMES)
    cheap = requests.get(f"{host.url}/api/health", timeout=30)
    assert cheap.status_code == 200
    assert "checks" not in cheap.json(), "the anonymous probe stays cheap"


def test_health_deep_true_redirects_to_the_keyed_route_keeping_the_query(host: LocalHost) -> None:
    redirected = requests.get(f"{host.url}/api/health", params={"deep": "true", "code": "doctor-function-key"},
                              allow_redirects=False, timeout=30)
    assert redirected.status_code == 307
    assert redirected.headers["Location"] == "/api/health/deep?code=doctor-function-key"
    assert "doctor-function-key" not in redirected.text
    followed = requests.get(f"{host.url}/api/health", params={"deep": "true", "code": "doctor-function-key"},
                            timeout=60)
    assert followed.status_code == 200
    assert followed.json()["status"] == "pass"
    anonymous = requests.get(f"{host.url}/api/health", params={"deep": "true"}, timeout=30)
    assert anonymous.status_code == 401, "following the redirect without a key is refused by the host"


def test_deep_health_answers_503_when_a_check_fails(doctor_environ: dict[str, str]) -> None:
    import function_app
    from tests.functions import handler, http_request

    app = function_app.create_app(AppContainer.from_environ(doctor_environ | {"TWILIO_AUTH_TOKEN": "x" * 32}))
    response = handler(app, "health_deep")(http_request("GET", "/api/health/deep"))
    assert response.status_code == 503
    body = json.loads(response.get_body())
    assert body["status"] == "fail"
    assert [c["name"] for c in body["checks"] if c["status"] == "fail"] == ["twilio"]


def _cli(environ: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shared.cli", "doctor", *args], cwd=REPO_ROOT,
                          env={"PATH": "/usr/bin:/bin", **environ}, capture_output=True, text=True, timeout=180,
                          check=False)


def test_cli_doctor_prints_every_check_and_exits_by_the_result(doctor_environ: dict[str, str]) -> None:
    ok = _cli(doctor_environ)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for name in CHECK_NAMES:
        assert name in ok.stdout
    assert "Ready: no check failed." in ok.stdout
    broken = doctor_environ | {"TOKEN_JWKS_URL": f"http://127.0.0.1:{_closed_port()}/keys"}
    failed = _cli(broken, "--json")
    assert failed.returncode == 1
    report = json.loads(failed.stdout)
    assert report["status"] == "fail"
    assert [c["name"] for c in report["checks"] if c["status"] == "fail"] == ["jwks"]
    _assert_no_secret(failed.stdout + failed.stderr, broken)


def test_cli_doctor_reports_bad_settings_instead_of_stopping(app_environ: dict[str, str]) -> None:
    done = _cli({k: v for k, v in app_environ.items() if k != "TWILIO_AUTH_TOKEN"}, "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["checks"][0] == {
        "name": "settings", "status": "fail",
        "message": "fix these, then run the doctor again: TWILIO_AUTH_TOKEN is missing (expected the account's "
                   "auth token, or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET)",
    }


# The public URL settings.

def test_no_public_base_url_fails_because_attachments_cannot_be_linked(doctor_environ: dict[str, str]) -> None:
    environ = {k: v for k, v in doctor_environ.items() if k not in ("PUBLIC_BASE_URL", "WEBSITE_HOSTNAME")}
    urls = _run(environ).check("public-urls")
    assert urls.status == "fail"
    assert urls.message.startswith("PUBLIC_BASE_URL is not set (nor WEBSITE_HOSTNAME, which Azure sets)")
    on_azure = _run(environ | {"WEBSITE_HOSTNAME": "func-abc.azurewebsites.net"}).check("public-urls")
    assert on_azure.status == "pass"
    assert on_azure.message == ("PUBLIC_BASE_URL is https://func-abc.azurewebsites.net; point Twilio's webhook at "
                                "https://func-abc.azurewebsites.net/api/twilio/events")


@pytest.mark.parametrize(("base", "webhook", "status", "says"), [
    ("https://chat.example.com", None, "pass", "point Twilio's webhook at https://chat.example.com/api/twilio/events"),
    ("http://chat.example.com", None, "fail", "PUBLIC_BASE_URL must be an https URL"),
    ("https://chat.example.com", "https://chat.example.com/api/twilio/event", "fail",
     "TWILIO_WEBHOOK_URL must end with /api/twilio/events"),
    ("https://chat.example.com", "http://chat.example.com/api/twilio/events", "fail",
     "TWILIO_WEBHOOK_URL must be an https URL"),
    ("https://chat.example.com", "https://proxy.example.com/api/twilio/events", "warn",
     "TWILIO_WEBHOOK_URL's host proxy.example.com is not PUBLIC_BASE_URL's chat.example.com"),
    ("https://chat.example.com", "https://chat.example.com/api/twilio/events", "pass",
     "TWILIO_WEBHOOK_URL is https://chat.example.com/api/twilio/events"),
])
def test_public_url_settings(base: str, webhook: str | None, status: str, says: str) -> None:
    from shared.doctor.urls import PublicUrlCheck

    result = PublicUrlCheck(twilio_webhook_url=webhook, public_base_url=base).run()
    assert result.status == status, result
    assert says in result.message
