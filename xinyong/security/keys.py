"""API keys of department systems (部门业务系统接口密钥): create, rotate, revoke, and check.

A token is `<key_id>.<secret>`. `key_id` is public (it appears in logs, the audit trail and the
admin); the secret is shown once, when the key is created or rotated. The database keeps a
SHA-256 of the secret for bearer checks (the secret is 256 random bits, so a fast hash is enough)
and the secret encrypted with the field keys, so that signed requests (HMAC over the request,
`auth.py`, `signing.py`) can be verified with the same credentials. After a rotation the previous
secret stays valid for an overlap period.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xinyong.common.crypto import decrypt, encrypt
from xinyong.common.db import select_instances
from xinyong.common.errors import Forbidden, InvalidInput, NotFound, Unauthorized

from .models import ApiKey
from .services import Actor, audit_log

# What a key may do. The catalog endpoints are public today; "catalog" is kept so that a
# department system that will read non-public catalog data later does not need a new key.
SCOPES = {
    "ingest": "报送信用信息（归集）：提交、更正、撤销批次，查看本部门批次",
    "catalog": "读取信息资源目录",
    "check": "联合奖惩核查与反馈：按主体和事项查询适用的奖惩措施（触发），报送措施执行情况（反馈）",
    "query": "信用信息查询：按本部门的查询权限、信息主体授权和特殊查询申请，查询主体的信用信息（xinyong/access）",
}
DEFAULT_SCOPES = ("ingest", "catalog")
KEY_ID_PREFIX = "xy_"
# last_used_at is written at most this often per key (one UPDATE, no audit entry)
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _new_secret() -> str:
    return secrets.token_urlsafe(32)  # 256 bits, alphabet A-Z a-z 0-9 - _ (no ".")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _token(key: ApiKey, secret: str) -> str:
    return f"{key.key_id}.{secret}"


def _clean_scopes(scopes) -> list[str]:
    if isinstance(scopes, str):
        scopes = scopes.replace("，", ",").split(",")
    cleaned = list(dict.fromkeys(s.strip() for s in scopes if s and s.strip()))
    unknown = [s for s in cleaned if s not in SCOPES]
    if unknown:
        raise InvalidInput(
            f"未知的权限范围：{'、'.join(unknown)}（可选：{'、'.join(SCOPES)}）", fields={"scopes": "无效"}
        )
    if not cleaned:
        raise InvalidInput("至少须有一个权限范围", fields={"scopes": "必填"})
    return cleaned


def key_status(key: ApiKey, *, now: datetime | None = None) -> str:
    """active / revoked / expired."""
    now = now or timezone.now()
    if key.revoked_at:
        return "revoked"
    if key.expires_at and key.expires_at <= now:
        return "expired"
    return "active"


STATUS_LABELS = {"active": "有效", "revoked": "已吊销", "expired": "已过期"}


def apikey_get(key_id: str) -> ApiKey:
    try:
        return ApiKey.objects.select_related("department").get(key_id=str(key_id).strip())
    except ApiKey.DoesNotExist:
        raise NotFound(f"找不到接口密钥“{str(key_id)[:32]}”", code="unknown_key") from None


@transaction.atomic
def apikey_create(
    *,
    department,
    name: str,
    scopes=DEFAULT_SCOPES,
    actor: Actor,
    expires_at: datetime | None = None,
    user=None,
) -> tuple[ApiKey, str]:
    """Create a key for a department's system; returns (key, token). The token is shown once."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("请填写密钥名称（如：行政处罚案件系统）", fields={"name": "必填"})
    if len(name) > 100:
        raise InvalidInput("密钥名称不超过100个字", fields={"name": "过长"})
    if not department.active:
        raise Forbidden(f"部门“{department.short_name}”已停用，不能创建接口密钥", code="department_inactive")
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("过期时间须晚于现在", fields={"expires_at": "无效"})
    secret = _new_secret()
    key = ApiKey.objects.create(
        department=department,
        name=name,
        key_id=KEY_ID_PREFIX + secrets.token_hex(8),
        secret_hash=_hash(secret),
        secret_encrypted=encrypt(secret),
        scopes=_clean_scopes(scopes),
        expires_at=expires_at,
        created_by=user,
    )
    audit_log(
        actor=actor,
        action="apikey.create",
        object_type="apikey",
        object_id=key.key_id,
        detail={"department": department.code, "name": name, "scopes": key.scopes, "expires_at": expires_at.isoformat() if expires_at else None},
    )
    return key, _token(key, secret)


def rotation_overlap() -> timedelta:
    return timedelta(hours=settings.XINYONG["API"]["ROTATION_OVERLAP_HOURS"])


@transaction.atomic
def apikey_rotate(*, key: ApiKey, actor: Actor, overlap: timedelta | None = None) -> tuple[ApiKey, str]:
    """Give the key a new secret (same key_id, scopes and expiry). The old secret keeps working
    for the overlap (XINYONG_API_ROTATION_OVERLAP_HOURS; `overlap=timedelta(0)` ends it at once,
    for a leaked secret), so that the department's systems can switch over. Returns (key, new
    token)."""
    key = ApiKey.objects.select_for_update().select_related("department").get(pk=key.pk)
    if key.revoked_at:
        raise InvalidInput(f"接口密钥 {key.key_id} 已吊销，不能更换密钥；请创建新密钥", code="key_revoked")
    overlap = rotation_overlap() if overlap is None else overlap
    secret = _new_secret()
    if overlap > timedelta(0):
        key.previous_secret_hash, key.previous_secret_encrypted = key.secret_hash, key.secret_encrypted
        key.previous_valid_until = timezone.now() + overlap
    else:
        key.previous_secret_hash, key.previous_secret_encrypted, key.previous_valid_until = "", "", None
    key.secret_hash = _hash(secret)
    key.secret_encrypted = encrypt(secret)
    key.save(update_fields=["secret_hash", "secret_encrypted", "previous_secret_hash", "previous_secret_encrypted", "previous_valid_until"])
    forget_key(key.key_id)
    transaction.on_commit(lambda: forget_key(key.key_id))
    audit_log(
        actor=actor, action="apikey.rotate", object_type="apikey", object_id=key.key_id,
        detail={"department": key.department.code, "old_secret_valid_until": key.previous_valid_until.isoformat() if key.previous_valid_until else None},
    )
    return key, _token(key, secret)


def previous_secret_valid(key: ApiKey, now: datetime) -> bool:
    return bool(key.previous_secret_hash and key.previous_valid_until and key.previous_valid_until > now)


def key_secrets(key: ApiKey, now: datetime) -> list[str]:
    """The secrets that sign valid requests now: the current one, and the previous one during
    the overlap after a rotation."""
    out = [_secret(key.secret_encrypted)]
    if previous_secret_valid(key, now):
        out.append(_secret(key.previous_secret_encrypted))
    return out


@lru_cache(maxsize=256)
def _secret(encrypted: str) -> str:
    """A key's secret from its stored form, remembered per process (decrypting on every signed
    request cost more than verifying the signature); a rotated secret is another stored form."""
    return decrypt(encrypted)


@transaction.atomic
def apikey_revoke(*, key: ApiKey, actor: Actor, reason: str = "") -> ApiKey:
    """Revoke a key for good (idempotent: revoking a revoked key changes nothing)."""
    key = ApiKey.objects.select_for_update().select_related("department").get(pk=key.pk)
    if key.revoked_at:
        return key
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    forget_key(key.key_id)
    transaction.on_commit(lambda: forget_key(key.key_id))
    audit_log(
        actor=actor,
        action="apikey.revoke",
        object_type="apikey",
        object_id=key.key_id,
        purpose=reason[:200],
        detail={"department": key.department.code},
    )
    return key


# A server process keeps the keys it has read for XINYONG_API_KEY_CACHE_SECONDS: reading the key
# and its department was one round trip of every signed request (on PostgreSQL a tenth of a
# check's time). So a change made elsewhere — a key revoked, rotated or given another rate limit
# in another process, a department deactivated — reaches a process within that bound; a change
# made through this module's services reaches the process that made it at once (`forget_key`).
# Unknown key ids are not kept (they are answered as before, and cannot fill the memory).
_KEYS: dict[str, tuple[float, ApiKey]] = {}
_KEYS_MAX = 1000


def key_by_id(key_id: str) -> ApiKey | None:
    """The key with this id and its department (read on every API request: plain SQL), as read
    at most XINYONG_API_KEY_CACHE_SECONDS ago by this process."""
    ttl = settings.XINYONG["API"]["KEY_CACHE_SECONDS"]
    now = time.monotonic()
    kept = _KEYS.get(key_id)
    if kept is not None and now - kept[0] < ttl:
        return kept[1]
    found = select_instances(ApiKey, 't."key_id" = %s', [key_id], related=("department",), hot=True)
    key = found[0] if found else None
    if key is None or ttl <= 0:
        _KEYS.pop(key_id, None)
    else:
        if len(_KEYS) >= _KEYS_MAX:
            _KEYS.clear()
        _KEYS[key_id] = (now, key)
    return key


def forget_key(key_id: str) -> None:
    """Have this process read the key again on its next request (after a change to it)."""
    _KEYS.pop(key_id, None)


def apikey_authenticate(token: str) -> ApiKey:
    """The active key a bearer token belongs to, or Unauthorized with the reason.

    Unknown key ids and wrong secrets get the same answer; whether a key is revoked or expired is
    only told to a caller who knows its secret. The secret is compared in constant time.
    """
    key_id, sep, secret = (token or "").strip().partition(".")
    if not sep or not key_id or not secret or len(key_id) > 32 or len(secret) > 200:
        raise Unauthorized(
            "接口凭证格式错误：应为 Authorization: Bearer <密钥标识>.<密钥>", code="auth_malformed"
        )
    key = key_by_id(key_id)
    # hash even when the key is unknown, so that timing does not tell which key ids exist
    presented = _hash(secret)
    now = timezone.now()
    expected = key.secret_hash if key else _hash(_new_secret())
    matches = hmac.compare_digest(presented, expected)
    if key is not None and not matches and previous_secret_valid(key, now):
        matches = hmac.compare_digest(presented, key.previous_secret_hash)
    if not matches or key is None:
        raise Unauthorized("接口凭证无效：密钥标识或密钥不正确", code="key_invalid")
    check_key_usable(key, now)
    touch(key, now)
    return key


def check_key_usable(key: ApiKey, now: datetime) -> None:
    """Unauthorized (revoked, expired) or Forbidden (department inactive), for a caller who has
    proved it knows the key's secret."""
    status = key_status(key, now=now)
    if status == "revoked":
        raise Unauthorized(f"接口密钥 {key.key_id} 已吊销，请向信用中心申请新密钥", code="key_revoked")
    if status == "expired":
        raise Unauthorized(f"接口密钥 {key.key_id} 已于{timezone.localtime(key.expires_at):%Y-%m-%d %H:%M}过期，请向信用中心申请新密钥", code="key_expired")
    if not key.department.active:
        raise Forbidden(f"部门“{key.department.short_name}”已停用", code="department_inactive")


def touch(key: ApiKey, now: datetime) -> None:
    """last_used_at, written at most once a minute per key."""
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def require_scope(key: ApiKey, scope: str) -> None:
    if scope not in (key.scopes or []):
        raise Forbidden(
            f"接口密钥 {key.key_id} 没有“{scope}”权限（{SCOPES.get(scope, scope)}），请向信用中心申请",
            code="scope_missing",
            fields={"scope": scope},
        )
