"""ACS SDK clients built from ``AcsSettings`` (the CA bundle only matters for a local stand-in)."""

from __future__ import annotations

from typing import Any

from azure.communication.chat import ChatClient, CommunicationTokenCredential
from azure.communication.identity import CommunicationIdentityClient
from azure.communication.rooms import RoomsClient

from .settings import AcsSettings


def transport_options(acs: AcsSettings) -> dict[str, Any]:
    """Keyword options every ACS client gets: the stand-in's CA when one is configured."""
    return {"connection_verify": acs.ca_bundle} if acs.ca_bundle else {}


def identity_client(acs: AcsSettings) -> CommunicationIdentityClient:
    return CommunicationIdentityClient.from_connection_string(
        acs.connection_string.reveal(), **transport_options(acs)
    )


ROOMS_API_VERSION = "2025-03-13"


def rooms_client(acs: AcsSettings, **options: Any) -> RoomsClient:
    """The Rooms client, its api-version pinned as a plain string: rooms 1.2.0 otherwise sends
    ``ApiVersion.V2025_03_13`` on page 2 of every list (research rooms-and-calling.md §0.5).
    ``options`` go to the client (``retry_total``, timeouts)."""
    return RoomsClient.from_connection_string(
        acs.connection_string.reveal(), api_version=ROOMS_API_VERSION, **transport_options(acs), **options
    )


def chat_client(acs: AcsSettings, token: str) -> ChatClient:
    """A chat client acting as the user whose ``token`` it holds."""
    return ChatClient(acs.endpoint, CommunicationTokenCredential(token), **transport_options(acs))
