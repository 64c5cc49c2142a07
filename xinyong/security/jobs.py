"""Scheduled jobs of the security app.

`audit.checkpoint` — signs the head of the audit chain (Ed25519, key outside the database) every
XINYONG_AUDIT_CHECKPOINT_MINUTES, when it has moved: entries before a checkpoint cannot be
rewritten, removed or reordered without `xinyong audit verify` noticing, even by someone who can
write the database and recompute hashes.

`security.purge` — deletes API nonces whose window has passed (a replay of those is refused by
its stale timestamp anyway) and request log lines older than XINYONG_API_REQUEST_LOG_DAYS.
Both jobs are idempotent.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from xinyong.common.schedule import scheduled

from .models import ApiNonce, ApiRequest
from .services import audit_checkpoint


@scheduled("audit.checkpoint", every=timedelta(minutes=settings.XINYONG["AUDIT"]["CHECKPOINT_MINUTES"]), title="审计日志签名检查点")
def checkpoint() -> dict:
    made = audit_checkpoint()
    return {"checkpoint": made.seq if made else None}


@scheduled("security.purge", every=timedelta(hours=1), title="清理过期的请求随机串和接口请求记录")
def purge() -> dict:
    now = timezone.now()
    nonces, _ = ApiNonce.objects.filter(expires_at__lt=now).delete()
    cutoff = now - timedelta(days=settings.XINYONG["API"]["REQUEST_LOG_DAYS"])
    requests, _ = ApiRequest.objects.filter(at__lt=cutoff).delete()
    return {"nonces": nonces, "requests": requests}
