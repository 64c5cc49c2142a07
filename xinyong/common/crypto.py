"""Encryption at rest (Fernet, keys outside the database) and keyed lookup hashes.

Keys come from settings (environment or key files). The first key encrypts; all keys decrypt, so
keys rotate by prepending a new one and re-encrypting with `xinyong rotate-keys` (issue #7).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode("ascii")) for k in keys])


def keyring() -> MultiFernet:
    """The field keys for bytes (`common.filestore`): the first encrypts, every one decrypts."""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def primary_key() -> MultiFernet:
    """The newest field key alone: what a value re-encrypted by a rotation decrypts with."""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS[:1]))


def encrypt(value: str) -> str:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token.encode("ascii")).decode("utf-8")


def lookup_hash(value: str) -> str:
    """HMAC-SHA256 of a normalized identifier: equal inputs give equal hashes, nothing reversible."""
    key = settings.LOOKUP_HASH_KEY.encode("utf-8")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
