"""local.settings.sample.json describes a real deployment; the rehearsal's settings are generated
for the running stand-ins (scripts/rehearsal_settings.py) and pass the configuration check."""

from __future__ import annotations

import json
from pathlib import Path

from harness.app_settings import standin_settings
from harness.process import RunningService
from scripts.rehearsal_settings import REHEARSAL_SWITCHES, SAMPLE, rehearsal_settings, write_rehearsal_settings
from shared.container import AppContainer
from shared.settings import load_settings

SAMPLE_VALUES: dict[str, str] = json.loads(SAMPLE.read_text())["Values"]


def test_the_sample_points_at_nothing_local() -> None:
    rendered = json.dumps(SAMPLE_VALUES)
    for local in ("127.0.0.1", "localhost", "::1", ".run/", "UseDevelopmentStorage", "devstoreaccount1"):
        assert local not in rendered, local
    assert "TWILIO_BASE_URL" not in SAMPLE_VALUES
    assert "ACS_CA_BUNDLE" not in SAMPLE_VALUES
    assert "AzureWebJobsStorage" not in SAMPLE_VALUES, "the deployed account takes no shared key"
    assert SAMPLE_VALUES["AzureWebJobsStorage__accountName"].startswith("<")
    assert SAMPLE_VALUES["FANOUT_ALLOW_HTTP"] == "false"
    assert SAMPLE_VALUES["FANOUT_ALLOW_PRIVATE_TARGETS"] == "false"
    assert SAMPLE_VALUES["TOKEN_TRUST_APP_SERVICE_AUTH"] == "false"
    assert SAMPLE_VALUES["TOKEN_JWKS_URL"].startswith("https://login.microsoftonline.com/")
    assert SAMPLE_VALUES["ACS_CONNECTION_STRING"].startswith("endpoint=https://<resource>.communication.azure.com/")
    secrets = ("TWILIO_AUTH_TOKEN", "TWILIO_API_KEY_SECRET", "TOKEN_BACKEND_KEY")
    assert all(SAMPLE_VALUES[name] == "" or SAMPLE_VALUES[name].startswith("<") for name in secrets), (
        "no secret-looking value a user might leave in place")


def test_the_filled_in_sample_loads() -> None:
    """Replacing the placeholders with real-looking values is all a user has to do."""
    filled = dict(SAMPLE_VALUES) | {
        "AzureWebJobsStorage__accountName": "stabc123",
        "TWILIO_ACCOUNT_SID": "AC" + "a" * 32,
        "TWILIO_AUTH_TOKEN": "a" * 32,
        "ACS_CONNECTION_STRING": "endpoint=https://acs-x.communication.azure.com/;accesskey=a2V5",
        "TOKEN_JWT_ISSUER": "https://login.microsoftonline.com/t/v2.0",
        "TOKEN_JWT_AUDIENCE": "api://client",
        "TOKEN_JWKS_URL": "https://login.microsoftonline.com/t/discovery/v2.0/keys",
        "PUBLIC_BASE_URL": "https://func-abc.azurewebsites.net",
    }
    settings = load_settings(filled)
    assert settings.twilio.base_url is None
    assert settings.acs.ca_bundle is None
    assert settings.storage.table_service_uri == "https://stabc123.table.core.windows.net"
    assert settings.fanout.allow_http is False


def test_rehearsal_settings_point_the_sample_at_the_stand_ins(
    storage_connection_string: str, acs_standin: RunningService, twilio_standin: RunningService, tmp_path: Path,
) -> None:
    standins = standin_settings(storage_connection_string=storage_connection_string, twilio=twilio_standin,
                                acs=acs_standin)
    path = write_rehearsal_settings(tmp_path / ".run" / "demo" / "local.settings.json", standins)
    document = json.loads(path.read_text())
    values: dict[str, str] = document["Values"]
    assert document["IsEncrypted"] is False
    assert values["TWILIO_BASE_URL"] == twilio_standin.info["url"]
    assert values["ACS_CA_BUNDLE"] == acs_standin.info["ca_bundle"]
    assert values["AzureWebJobsStorage"] == storage_connection_string
    assert "AzureWebJobsStorage__accountName" not in values
    assert {k: values[k] for k in REHEARSAL_SWITCHES} == REHEARSAL_SWITCHES
    assert values["TOKEN_JWKS_URL"] == "", "no local issuer given: bearer tokens stay off"
    assert not [k for k, v in values.items() if v.startswith("<")], "every placeholder is replaced"
    assert set(SAMPLE_VALUES) - set(values) == {"AzureWebJobsStorage__accountName"}

    report = AppContainer.from_environ(values).doctor.run()
    assert report.ok, report
    assert report.check("twilio").status == "warn"  # the doctor says these are stand-ins
    assert report.check("storage").status == "pass"


def test_rehearsal_settings_keep_a_local_issuer() -> None:
    issuer = {"TOKEN_JWT_ISSUER": "http://127.0.0.1:1", "TOKEN_JWT_AUDIENCE": "api://x",
              "TOKEN_JWKS_URL": "http://127.0.0.1:1/.well-known/jwks.json"}
    values = rehearsal_settings(issuer)["Values"]
    assert {k: values[k] for k in issuer} == issuer
