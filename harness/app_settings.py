"""The app settings a local run needs: the stand-ins' addresses and credentials, and storage names of its own."""

from __future__ import annotations

from harness.process import RunningService


def standin_settings(*, storage_connection_string: str, twilio: RunningService, acs: RunningService,
                     public_base_url: str = "http://localhost:7071") -> dict[str, str]:
    """The app settings that point the app at Azurite and at running Twilio and ACS stand-ins.

    ``public_base_url`` is where migrated messages link their attachments: ``func start``'s
    address unless the caller runs the app elsewhere (the host stand-in on its own port).
    """
    return {
        "PUBLIC_BASE_URL": public_base_url,
        "AzureWebJobsStorage": storage_connection_string,
        "TWILIO_ACCOUNT_SID": str(twilio.info["account_sid"]),
        "TWILIO_AUTH_TOKEN": str(twilio.info["auth_token"]),
        "TWILIO_BASE_URL": str(twilio.info["url"]),
        "ACS_CONNECTION_STRING": str(acs.info["connection_string"]),
        "ACS_CA_BUNDLE": str(acs.info["ca_bundle"]),
    }


def own_storage(prefix: str, suffix: str) -> dict[str, str]:
    """Tables, queues and the media container of one run alone on a shared Azurite: ``<prefix>identities<suffix>``,
    ``<prefix>-migration-<suffix>``, ``<prefix>-media-<suffix>``, ..."""
    tables = {"IDENTITY_TABLE": "identities", "CONVERSATION_TABLE": "conversations", "MESSAGE_TABLE": "messages",
              "RUN_TABLE": "runs", "SUBSCRIPTION_TABLE": "subscriptions", "DEAD_LETTER_TABLE": "deadletters"}
    dashed = {"MIGRATION_QUEUE": "migration", "DELIVERY_QUEUE": "deliveries", "MEDIA_CONTAINER": "media"}
    return {**{setting: f"{prefix}{name}{suffix}" for setting, name in tables.items()},
            **{setting: f"{prefix}-{name}-{suffix}" for setting, name in dashed.items()}}
