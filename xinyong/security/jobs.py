"""Scheduled jobs of the security app.

`audit.checkpoint` — signs the head of the audit chain (Ed25519, key outside the database) every
XINYONG_AUDIT_CHECKPOINT_MINUTES, when it has moved: entries before a checkpoint cannot be
rewritten, removed or reordered without `xinyong audit verify` noticing, even by someone who can
write the database and recompute hashes.

`security.purge` — deletes API nonces whose window has passed (a replay of those is refused by
its stale timestamp anyway), request log lines older than XINYONG_API_REQUEST_LOG_DAYS, and
expired sessions (Django's `clearsessions`, so that ended sessions' data does not linger).
Both jobs are idempotent.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from xinyong.common.schedule import scheduled

from .models import ApiNonce, ApiRequest
from .services import audit_checkpoint


@scheduled("audit.checkpoint", every=timedelta(minutes=settings.XINYONG["AUDIT"]["CHECKPOINT_MINUTES"]), title="审计日志签名检查点")
def checkpoint() -> dict:
    made = audit_checkpoint()
    return {"checkpoint": made.seq if made else None}


@scheduled("security.purge", every=timedelta(hours=1), title="清理过期的请求随机串、接口请求记录和会话")
def purge() -> dict:
    now = timezone.now()
    nonces, _ = ApiNonce.objects.filter(expires_at__lt=now).delete()
    cutoff = now - timedelta(days=settings.XINYONG["API"]["REQUEST_LOG_DAYS"])
    requests, _ = ApiRequest.objects.filter(at__lt=cutoff).delete()
    # ended sessions (expired, or signed out everywhere) do not stay in the database: Django keeps
    # them until someone runs clearsessions
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    return {"nonces": nonces, "requests": requests, "sessions": sessions}


@scheduled("security.alerts", every=timedelta(minutes=15), title="安全监测：异常查询、接口拒绝、登录失败告警")
def alerts() -> dict:
    from .alerts import detect

    raised = detect()
    return {"alerts": len(raised)}


@scheduled("audit.verify", every=timedelta(hours=settings.XINYONG["MONITORING"]["VERIFY_HOURS"]), title="校验审计日志哈希链")
def verify() -> dict:
    """Verify the whole chain; the result is an audit entry (shown at /dept/security/), and a
    failure is an alert."""
    from .alerts import raise_alert
    from .selectors import audit_verify
    from .services import Actor, audit_log

    report = audit_verify()
    problems = [p.message for p in report.problems][:20]
    now = timezone.now()
    if not report.ok:
        raise_alert(kind="audit_chain", actor="审计日志", window_start=now - timedelta(hours=settings.XINYONG["MONITORING"]["VERIFY_HOURS"]),
                    window_end=now, count=len(report.problems), threshold=1, detail={"problems": problems})
    audit_log(actor=Actor.system("审计校验"), action="audit.verify", object_type="audit", detail={"ok": report.ok, "entries": report.entries, "problems": problems})
    return {"ok": report.ok, "problems": len(report.problems)}
