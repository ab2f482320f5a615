"""Who is calling: bearer JWTs, App Service Authentication's principal, or the trusted backend's key.

``CallerAuthenticator.authenticate`` turns a request's headers and query into a typed
``Caller`` or raises a 401 naming what was wrong, never echoing the credential.
"""

from __future__ import annotations

from .authenticator import CallerAuthenticator
from .bearer import BearerVerifier
from .callers import Caller, CallerKind, CredentialError
from .identity_rules import USER_KINDS, check_identity, is_migrated_identity

__all__ = [
           "USER_KINDS",
           "BearerVerifier",
           "Caller",
           "CallerAuthenticator",
           "CallerKind",
           "CredentialError",
           "check_identity",
           "is_migrated_identity",
]
