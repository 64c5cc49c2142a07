"""One error shape for people and machines: {"code", "message", "fields"}.

`message` is Chinese, for people; `code` is a stable machine identifier; `fields` maps a field
(or "row:N/field") to its Chinese reason.
"""

from __future__ import annotations


class XinyongError(Exception):
    status = 400
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class InvalidInput(XinyongError):
    status = 422
    code = "invalid_input"


class FileRejected(InvalidInput):
    """The whole file cannot be processed (encoding, format, header...). Nothing is stored."""

    code = "file_rejected"


class Forbidden(XinyongError):
    status = 403
    code = "forbidden"


class NotFound(XinyongError):
    status = 404
    code = "not_found"


class Conflict(XinyongError):
    status = 409
    code = "conflict"


class CatalogError(XinyongError):
    """A catalog definition that cannot be loaded (file, line, reason)."""

    status = 500
    code = "catalog_error"


class BadRequest(XinyongError):
    """The request itself cannot be read (not JSON, not UTF-8, broken multipart)."""

    status = 400
    code = "bad_request"


class Unauthorized(XinyongError):
    """No credentials, or credentials that are not (or no longer) valid."""

    status = 401
    code = "unauthorized"


class PayloadTooLarge(XinyongError):
    status = 413
    code = "payload_too_large"


class TooManyRequests(XinyongError):
    """A rate limit is exceeded; `retry_after` seconds until the window ends (Retry-After)."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int = 0, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after
