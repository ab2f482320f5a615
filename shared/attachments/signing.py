"""Short-lived, read-only links to one blob: a service SAS with the account key, else a user delegation SAS.

With a connection string (Azurite, or an account key) the link is a service SAS signed
with the key. With a managed identity it is a user delegation SAS: the app asks Storage
for a delegation key (it needs ``generateUserDelegationKey``, granted in infra/rbac.bicep)
and reuses it until shortly before it expires. When neither is possible (a SAS-token
connection string, or the role is missing) ``sign`` returns None and callers stream.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.storage.blob import BlobSasPermissions, BlobServiceClient, UserDelegationKey, generate_blob_sas

logger = logging.getLogger(__name__)

DELEGATION_KEY_LIFETIME = timedelta(hours=6)
DELEGATION_KEY_REFRESH = timedelta(hours=1)  # a key is replaced once less than this is left
DELEGATION_RETRY = timedelta(minutes=10)  # role assignments take minutes to apply: ask again after this
CLOCK_SKEW = timedelta(minutes=5)  # a link is valid from a little before now: clocks differ


class BlobSigner:
    """Signs read-only links to single blobs of one storage account."""

    def __init__(self, service: BlobServiceClient, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
                 ) -> None:
        self._service = service
        self._clock = clock
        credential = service.credential
        self._account_key: str | None = getattr(credential, "account_key", None)
        self._delegation = self._account_key is None and hasattr(credential, "get_token")
        self._key: UserDelegationKey | None = None
        self._key_expires: datetime | None = None
        self._refused_until: datetime | None = None  # after a refused delegation key, stream for a while
        self._lock = threading.Lock()

    @property
    def method(self) -> str:
        """``account_key``, ``user_delegation`` or ``none`` (streams only)."""
        if self._account_key is not None:
            return "account_key"
        return "user_delegation" if self._delegation else "none"

    def sign(self, container: str, blob_name: str, *, expires_on: datetime, content_type: str | None = None,
             content_disposition: str | None = None) -> str | None:
        """The blob's URL with a read-only SAS valid until ``expires_on``, or None when this app cannot sign."""
        options: dict[str, Any] = {
            "account_name": self._service.account_name,
            "container_name": container,
            "blob_name": blob_name,
            "permission": BlobSasPermissions(read=True),
            "expiry": expires_on,
            "start": self._clock() - CLOCK_SKEW,
            "protocol": "https" if self._service.url.startswith("https:") else "https,http",
            "content_type": content_type,
            "content_disposition": content_disposition,
        }
        if self._account_key is not None:
            sas = generate_blob_sas(account_key=self._account_key, **options)
        else:
            key = self._delegation_key(expires_on)
            if key is None:
                return None
            sas = generate_blob_sas(user_delegation_key=key, **options)
        url = self._service.get_blob_client(container, blob_name).url
        return f"{url}?{sas}"

    def _delegation_key(self, expires_on: datetime) -> UserDelegationKey | None:
        now = self._clock()
        if not self._delegation or (self._refused_until is not None and now < self._refused_until):
            return None
        with self._lock:
            if self._key is not None and self._key_expires is not None and (
                    self._key_expires - now > DELEGATION_KEY_REFRESH and self._key_expires >= expires_on):
                return self._key
        start = now - CLOCK_SKEW
        expiry = max(now + DELEGATION_KEY_LIFETIME, expires_on)
        try:
            key = self._service.get_user_delegation_key(start, expiry)
        except (ClientAuthenticationError, HttpResponseError) as exc:
            if getattr(exc, "status_code", None) not in (None, 401, 403):
                raise
            logger.warning("cannot get a user delegation key (status %s): attachments are streamed instead; "
                           "grant the app's identity Storage Blob Delegator", getattr(exc, "status_code", None))
            with self._lock:
                self._refused_until = now + DELEGATION_RETRY
            return None
        with self._lock:
            self._key, self._key_expires = key, expiry
        return key
