"""The app's exception hierarchy. Each error carries the HTTP status a trigger maps it to.

::

    AppError
    ├── BadRequestError          400  input that can never succeed
    ├── UnauthorizedError        401
    ├── ForbiddenError           403
    │   └── IdentityKindError     a user acting for an identity that is not a user's
    ├── NotFoundError            404  a named resource does not exist
    ├── ConflictError            409  it exists already, or a concurrent writer won
    │   ├── AlreadyExistsError
    │   ├── ConcurrentUpdateError
    │   └── LeaseHeldError
    ├── PayloadTooLargeError     413
    ├── UnsupportedMediaTypeError 415
    ├── TooManyRequestsError     429  a per-identity limit was reached
    └── ServiceUnavailableError  503  the app is not configured, or a dependency is down

Messages are short, name the resource and say what to do; they never carry secrets.
"""

from __future__ import annotations


class AppError(Exception):
    """Base class: ``status`` is the HTTP status, ``code`` a stable machine-readable name."""

    status = 500
    code = "InternalError"

    def __init__(self, message: str, *, target: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.target = target


class BadRequestError(AppError):
    status = 400
    code = "BadRequest"


class UnauthorizedError(AppError):
    status = 401
    code = "Unauthorized"


class ForbiddenError(AppError):
    status = 403
    code = "Forbidden"


class IdentityKindError(ForbiddenError):
    """A user acting for an identity of another kind (a migrated SMS/WhatsApp participant, the migration's own)."""

    code = "IdentityKindForbidden"


class NotFoundError(AppError):
    status = 404
    code = "NotFound"


class ConflictError(AppError):
    status = 409
    code = "Conflict"


class AlreadyExistsError(ConflictError):
    code = "AlreadyExists"


class ConcurrentUpdateError(ConflictError):
    """An ETag-guarded write lost to another writer; re-read and retry."""

    code = "ConcurrentUpdate"


class LeaseHeldError(ConflictError):
    """Another worker holds the lease on this resource until it expires."""

    code = "LeaseHeld"


class PayloadTooLargeError(AppError):
    status = 413
    code = "PayloadTooLarge"


class UnsupportedMediaTypeError(AppError):
    status = 415
    code = "UnsupportedMediaType"


class TooManyRequestsError(AppError):
    status = 429
    code = "TooManyRequests"


class ServiceUnavailableError(AppError):
    status = 503
    code = "ServiceUnavailable"
