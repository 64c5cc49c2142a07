"""Request signatures of the department systems' API (docs/api.md, "Signed requests").

Standard library only, so that the same functions serve the platform (verification), the tests,
the benchmarks and a department's own client:

    headers = sign_request(token, "POST", "/api/v1/batches/records", body)
    requests.post(base + "/api/v1/batches/records", data=body, headers={**headers, "Content-Type": "application/json"})

The string to sign is seven lines joined by "\\n" (no final newline):

    XINYONG-HMAC-SHA256
    <METHOD, upper case>
    <path and query exactly as sent, e.g. /api/v1/batches?limit=20>
    <hex SHA-256 of the body bytes; of the empty string when there is no body>
    <timestamp: Unix seconds>
    <nonce: 16-64 characters of A-Z a-z 0-9 - _>
    <key id>

and the signature is the hex HMAC-SHA256 of it (UTF-8) with the key's secret (UTF-8).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

ALGORITHM = "XINYONG-HMAC-SHA256"
HEADER_KEY = "X-Xinyong-Key"
HEADER_TIMESTAMP = "X-Xinyong-Timestamp"
HEADER_NONCE = "X-Xinyong-Nonce"
HEADER_SIGNATURE = "X-Xinyong-Signature"
HEADER_BODY_DIGEST = "X-Xinyong-Content-SHA256"  # optional: lets the platform say "body altered"
EMPTY_DIGEST = hashlib.sha256(b"").hexdigest()


def body_digest(body: bytes | str | None) -> str:
    if body is None:
        return EMPTY_DIGEST
    return hashlib.sha256(body.encode("utf-8") if isinstance(body, str) else body).hexdigest()


def string_to_sign(*, method: str, path: str, digest: str, timestamp: str, nonce: str, key_id: str) -> str:
    return "\n".join([ALGORITHM, method.upper(), path, digest, str(timestamp), nonce, key_id])


def signature(secret: str, text: str) -> str:
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_request(token: str, method: str, path: str, body: bytes | str | None = None, *, timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
    """The headers that sign one request. `token` is "<key id>.<secret>" as issued; `path`
    includes the query string exactly as it will be sent."""
    key_id, _, secret = token.partition(".")
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_urlsafe(18)
    digest = body_digest(body)
    text = string_to_sign(method=method, path=path, digest=digest, timestamp=ts, nonce=nonce, key_id=key_id)
    return {
        HEADER_KEY: key_id,
        HEADER_TIMESTAMP: ts,
        HEADER_NONCE: nonce,
        HEADER_BODY_DIGEST: digest,
        HEADER_SIGNATURE: signature(secret, text),
    }


def as_wsgi(headers: dict[str, str]) -> dict[str, str]:
    """The same headers as Django's test client takes them (HTTP_X_XINYONG_KEY=...)."""
    return {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
