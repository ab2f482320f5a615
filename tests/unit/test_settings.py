from __future__ import annotations

import pytest

from shared.settings import Secret, SettingsError, load_settings
from tests.conftest import VALID_ACCOUNT_SID, VALID_ACS_CONNECTION

BASE = {
    "AzureWebJobsStorage": "UseDevelopmentStorage=true",
    "TWILIO_ACCOUNT_SID": VALID_ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": "super-secret-token",
    "ACS_CONNECTION_STRING": VALID_ACS_CONNECTION,
}


def test_a_complete_environment_loads_with_defaults() -> None:
    settings = load_settings(BASE)
    assert settings.acs.endpoint == "https://acs.example.test"
    assert settings.acs.access_key.reveal() == "a2V5LWZvci10ZXN0cy1vbmx5"
    assert settings.twilio.username == VALID_ACCOUNT_SID
    assert settings.twilio.password.reveal() == "super-secret-token"
    assert settings.twilio.base_url is None
    assert settings.names.identity_table == "identities"
    assert settings.names.migration_queue == "migration-work"
    assert settings.names.media_container == "twilio-media"


def test_an_empty_environment_names_every_missing_setting_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({})
    assert set(caught.value.names) == {
        "AzureWebJobsStorage", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "ACS_CONNECTION_STRING"
    }
    assert "expected" in str(caught.value)


def test_malformed_values_are_named_without_echoing_them() -> None:
    env = dict(
        BASE,
        TWILIO_ACCOUNT_SID="ACnot-a-sid",
        ACS_CONNECTION_STRING="endpoint=http://plain.example/;accesskey=SECRETVALUE%%%",
        AzureWebJobsStorage="garbage-SECRET-connection",
        TWILIO_BASE_URL="ftp://nope",
        RUN_TABLE="bad-name!",
        MIGRATION_QUEUE="UPPER",
    )
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    names = set(caught.value.names)
    assert names == {
        "TWILIO_ACCOUNT_SID", "ACS_CONNECTION_STRING", "AzureWebJobsStorage", "TWILIO_BASE_URL",
        "RUN_TABLE", "MIGRATION_QUEUE",
    }
    message = str(caught.value)
    for secret in ("SECRETVALUE", "garbage-SECRET-connection", "super-secret-token", "ACnot-a-sid"):
        assert secret not in message


def test_api_key_pair_replaces_the_auth_token() -> None:
    env = {k: v for k, v in BASE.items() if k != "TWILIO_AUTH_TOKEN"}
    env.update(TWILIO_API_KEY_SID="SK" + "1" * 32, TWILIO_API_KEY_SECRET="key-secret")
    settings = load_settings(env)
    assert settings.twilio.username == "SK" + "1" * 32
    assert settings.twilio.password.reveal() == "key-secret"


def test_half_an_api_key_pair_is_refused() -> None:
    env = dict(BASE, TWILIO_API_KEY_SID="SK" + "1" * 32)
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert caught.value.names == ["TWILIO_API_KEY_SECRET"]


def test_identity_based_storage_builds_service_uris() -> None:
    env = {k: v for k, v in BASE.items() if k != "AzureWebJobsStorage"}
    env.update({"AzureWebJobsStorage__accountName": "migratorstate", "AzureWebJobsStorage__clientId": "abc"})
    storage = load_settings(env).storage
    assert storage.uses_identity
    assert storage.table_service_uri == "https://migratorstate.table.core.windows.net"
    assert storage.blob_service_uri == "https://migratorstate.blob.core.windows.net"
    assert storage.managed_identity_client_id == "abc"


def test_secrets_hide_from_repr_str_and_formatting() -> None:
    settings = load_settings(BASE)
    rendered = f"{settings!r} {settings} {settings.acs.connection_string}"
    assert "super-secret-token" not in rendered
    assert "a2V5LWZvci10ZXN0cy1vbmx5" not in rendered
    assert Secret("x") == Secret("x")
    assert Secret("x") != Secret("y")


def test_the_twilio_webhook_url_comes_from_the_sites_own_name(app_environ: dict[str, str]) -> None:
    base = {k: v for k, v in app_environ.items() if k not in ("TWILIO_WEBHOOK_URL", "PUBLIC_BASE_URL")}
    assert load_settings(base).live_sync_url is None  # live sync then refuses to start
    on_azure = load_settings({**base, "WEBSITE_HOSTNAME": "func-abc.azurewebsites.net"})
    assert on_azure.live_sync_url == "https://func-abc.azurewebsites.net/api/twilio/events"
    custom = load_settings({**base, "WEBSITE_HOSTNAME": "func-abc.azurewebsites.net",
                            "PUBLIC_BASE_URL": "https://chat.example.com/"})
    assert custom.live_sync_url == "https://chat.example.com/api/twilio/events"
    explicit = load_settings({**base, "PUBLIC_BASE_URL": "https://chat.example.com",
                              "TWILIO_WEBHOOK_URL": "https://hooks.example.com/twilio"})
    assert explicit.live_sync_url == "https://hooks.example.com/twilio"


def test_telemetry_is_off_without_a_connection_string_and_uses_the_identity_entra_id_names() -> None:
    from shared.settings import load_telemetry_settings

    assert load_telemetry_settings({}).enabled is False
    assert load_telemetry_settings({"APPLICATIONINSIGHTS_CONNECTION_STRING": "  "}).enabled is False
    on = load_telemetry_settings({
        "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=k;IngestionEndpoint=https://x/",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "ClientId=1234-abcd;Authorization=AAD",
    })
    assert on.enabled is True
    assert on.managed_identity_client_id == "1234-abcd"
    assert "InstrumentationKey" not in repr(on)  # the connection string is a Secret
    keyless = load_telemetry_settings({"APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=k",
                                       "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "ClientId=1234"})
    assert keyless.managed_identity_client_id is None  # no Authorization=AAD: the distro's default credential


def test_every_setting_is_declared_once_and_the_secrets_say_so() -> None:
    from shared.settings import all_settings

    names = [declared.name for declared in all_settings()]
    assert len(names) == len(set(names))
    assert {declared.name for declared in all_settings() if declared.secret} == {
        "AzureWebJobsStorage", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY_SECRET", "ACS_CONNECTION_STRING",
        "TOKEN_BACKEND_KEY", "APPLICATIONINSIGHTS_CONNECTION_STRING",
    }


def test_flags_and_numbers_of_every_feature_report_together() -> None:
    env = dict(BASE, FANOUT_ALLOW_HTTP="maybe", VIDEO_USERS_CREATE_ROOMS="maybe", EXPORT_CONCURRENCY="0",
               FANOUT_MAX_ATTEMPTS="51")
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert [str(problem) for problem in caught.value.problems] == [
        "FANOUT_ALLOW_HTTP is malformed (expected true or false)",
        "FANOUT_MAX_ATTEMPTS is malformed (expected a number from 1 to 50)",
        "EXPORT_CONCURRENCY is malformed (expected a whole number of at least 1)",
        "VIDEO_USERS_CREATE_ROOMS is malformed (expected true or false)",
    ]
