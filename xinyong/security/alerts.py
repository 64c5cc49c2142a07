"""Monitoring: alerts for anomalous use (MLPS level 3 安全审计/入侵防范; issue 7, item 8).

Each detector looks at the last XINYONG_ALERT_WINDOW_MINUTES and raises at most one `Alert` per
kind and actor for overlapping windows (a rerun, or the next run while the anomaly lasts, raises
none):

- many_individuals — a user or an API key read the data of far more distinct individuals than
  usual: its count in the window against its usual level (the mean per active hour over the
  previous XINYONG_ALERT_BASELINE_DAYS days, scaled to the window); alert at
  max(XINYONG_ALERT_INDIVIDUALS_MIN, XINYONG_ALERT_INDIVIDUALS_FACTOR × usual). Sources: the audit
  log's reads of non-public data about individuals (users and keys), and the check API's
  `measures.Check` rows (keys); each source is counted on its own and the larger count is used.
- portal_scraping — one client opened XINYONG_ALERT_SCRAPING_FILES credit file pages in a window
  (an inline counter in the cache, beside the rate limiter's: `count_credit_file`).
- api_refusals — XINYONG_ALERT_API_REFUSALS refused requests (`ApiRequest`, status ≥ 400) for one
  key id as presented, or from one address when no key was named.
- login_failures — XINYONG_ALERT_LOGIN_FAILURES failed logins or second steps for one account
  name, or from one address.
- audit_chain — the scheduled verification of the audit chain found a problem (jobs.py).

New alerts are e-mailed to XINYONG_SECURITY_OFFICERS and listed at /dept/security/.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils import timezone

from xinyong.common.ratelimit import client_id, count_up

from .chain import clean_ip
from .models import Alert, ApiKey, ApiRequest, AuditEntry
from .selectors import READ_ACTION_REGEX
from .services import Actor, audit_log

log = logging.getLogger("xinyong.security")
LOGIN_FAILURE_ACTIONS = ("auth.login_failed", "auth.login_locked", "auth.2fa_failed")


def _conf() -> dict:
    return settings.XINYONG["MONITORING"]


def _window() -> timedelta:
    return timedelta(minutes=_conf()["WINDOW_MINUTES"])


# ---------------------------------------------------------------------- raising
def raise_alert(
    *, kind: str, actor: str, window_start: datetime, window_end: datetime, count: int, threshold: int,
    baseline: float = 0, user_id: int | None = None, key_id: int | None = None, ip: str | None = None, detail: dict | None = None,
) -> Alert | None:
    """Create the alert unless one of this kind for this actor covers an overlapping window."""
    actor = str(actor)[:150]
    with transaction.atomic():
        if Alert.objects.filter(kind=kind, actor=actor, window_end__gt=window_start).exists():
            return None
        alert = Alert.objects.create(
            kind=kind, actor=actor, user_id=user_id, key_id=key_id, ip=clean_ip(ip), window_start=window_start,
            window_end=window_end, count=count, threshold=threshold, baseline=round(baseline, 1), detail=detail or {},
            created_at=timezone.now(),
        )
        audit_log(actor=Actor.system("安全监测"), action="security.alert", object_type="alert", object_id=alert.pk,
                  detail={"kind": kind, "actor": actor, "count": count, "threshold": threshold, "baseline": alert.baseline})
        transaction.on_commit(lambda: _mail(alert.pk))
    log.warning("security alert", extra={"kind": kind, "actor": actor, "count": count})
    return alert


def _mail(alert_id: int) -> None:
    officers = _conf()["OFFICERS"]
    alert = Alert.objects.filter(pk=alert_id).first()
    if not officers or alert is None:
        return
    local = timezone.localtime
    body = "\n".join([
        f"类型：{alert.get_kind_display()}",
        f"对象：{alert.actor}",
        f"时间窗口：{local(alert.window_start):%Y-%m-%d %H:%M} 至 {local(alert.window_end):%Y-%m-%d %H:%M}",
        f"数量：{alert.count}（阈值 {alert.threshold}，通常水平 {alert.baseline:g}）",
        "",
        "请登录平台“安全运行”页面（/dept/security/）查看并确认。",
    ])
    try:
        send_mail(f"【信用吉林】安全告警：{alert.get_kind_display()}（{alert.actor}）", body, None, officers)
    except Exception:  # noqa: BLE001 — the alert stays on the operations page; logged
        log.exception("alert mail failed", extra={"alert": alert_id})
        return
    Alert.objects.filter(pk=alert_id).update(emailed_at=timezone.now())


def acknowledge(*, alert: Alert, user, note: str = "", ip: str | None = None) -> Alert:
    with transaction.atomic():
        alert.status = "acknowledged"
        alert.acknowledged_by = user
        alert.acknowledged_at = timezone.now()
        alert.note = (note or "")[:500]
        alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "note"])
        audit_log(actor=Actor.for_user(user, ip=ip), action="security.alert_ack", object_type="alert", object_id=alert.pk, detail={"note": alert.note})
    return alert


# ---------------------------------------------------------------------- inline: portal scraping
def count_credit_file(request) -> Alert | None:
    """Count one credit file page for this client in the current window; at the threshold, raise
    the scraping alert (once per window: the count passes the threshold once)."""
    conf = _conf()
    period = conf["WINDOW_MINUTES"] * 60
    now = int(time.time())
    bucket = now // period
    client = client_id(request)
    count = count_up(f"xy:files:{client}:{bucket}", timeout=period + 1)
    if count != conf["SCRAPING_FILES"]:
        return None
    start = datetime.fromtimestamp(bucket * period, tz=timezone.get_current_timezone())
    return raise_alert(kind="portal_scraping", actor=client, ip=client, window_start=start, window_end=start + timedelta(seconds=period),
                       count=count, threshold=conf["SCRAPING_FILES"], detail={"last_path": request.path[:200]})


# ---------------------------------------------------------------------- scheduled detection
def detect(*, now: datetime | None = None) -> list[Alert]:
    """Run every detector over the window ending now; the alerts raised."""
    end = now or timezone.now()
    start = end - _window()
    raised = [*_many_individuals(start, end), *_api_refusals(start, end), *_login_failures(start, end)]
    return [a for a in raised if a is not None]


def _individual_ids():
    return apps.get_model("subjects", "Subject").objects.filter(kind="individual").values("pk")


def _reads(start: datetime, end: datetime):
    return AuditEntry.objects.filter(at__gte=start, at__lt=end, actor_type__in=("user", "key"), subject_id__in=_individual_ids(), action__regex=READ_ACTION_REGEX)


def _checks(start: datetime, end: datetime):
    check = apps.get_model("measures", "Check")
    return check.objects.filter(at__gte=start, at__lt=end, key__isnull=False, subject_id__in=_individual_ids())


def _per_actor(start: datetime, end: datetime, *, hourly: bool = False) -> dict[tuple[str, int], list[int]]:
    """{("user"|"key", id): [distinct individuals per hour (hourly) or in the whole span]} from
    each source (the larger count of the two sources per bucket)."""
    buckets: dict[tuple[str, int], dict] = defaultdict(dict)
    reads = _reads(start, end)
    checks = _checks(start, end)
    if hourly:
        reads, checks = reads.annotate(h=TruncHour("at")), checks.annotate(h=TruncHour("at"))
    for who in ("user", "key"):
        field = f"actor_{who}_id"
        fields = [field, "h"] if hourly else [field]
        for row in reads.filter(actor_type=who).values(*fields).annotate(n=Count("subject_id", distinct=True)):
            slot = buckets[(who, row[field])]
            bucket = row.get("h")
            slot[bucket] = max(slot.get(bucket, 0), row["n"])
    fields = ["key_id", "h"] if hourly else ["key_id"]
    for row in checks.values(*fields).annotate(n=Count("subject_id", distinct=True)):
        slot = buckets[("key", row["key_id"])]
        bucket = row.get("h")
        slot[bucket] = max(slot.get(bucket, 0), row["n"])
    return {who: list(slot.values()) for who, slot in buckets.items()}


def _many_individuals(start: datetime, end: datetime) -> list[Alert | None]:
    conf = _conf()
    floor = conf["INDIVIDUALS_MIN"]
    suspects = {who: counts[0] for who, counts in _per_actor(start, end).items() if counts and counts[0] >= floor}
    if not suspects:
        return []
    history = _per_actor(start - timedelta(days=conf["BASELINE_DAYS"]), start, hourly=True)
    scale = conf["WINDOW_MINUTES"] / 60
    raised = []
    for (who, pk), count in suspects.items():
        hours = history.get((who, pk), [])
        baseline = (sum(hours) / len(hours)) * scale if hours else 0.0
        threshold = max(floor, int(conf["INDIVIDUALS_FACTOR"] * baseline + 0.999))
        if count < threshold:
            continue
        if who == "user":
            user = apps.get_model(settings.AUTH_USER_MODEL).objects.filter(pk=pk).first()
            label, ids = (user.get_username() if user else f"user#{pk}"), {"user_id": pk}
        else:
            key = ApiKey.objects.filter(pk=pk).first()
            label, ids = (key.key_id if key else f"key#{pk}"), {"key_id": pk}
        raised.append(raise_alert(kind="many_individuals", actor=label, window_start=start, window_end=end, count=count,
                                  threshold=threshold, baseline=baseline, detail={"baseline_hours": len(hours)}, **ids))
    return raised


def _api_refusals(start: datetime, end: datetime) -> list[Alert | None]:
    limit = _conf()["API_REFUSALS"]
    counts: Counter = Counter()
    ips: dict[str, str | None] = {}
    rows = ApiRequest.objects.filter(at__gte=start, at__lt=end, status__gte=400).values("key_label", "ip").annotate(n=Count("id"))
    for row in rows:
        actor = row["key_label"] or (row["ip"] or "unknown")
        counts[actor] += row["n"]
        ips.setdefault(actor, row["ip"])
    raised = []
    for actor, n in counts.items():
        if n >= limit:
            key = ApiKey.objects.filter(key_id=actor).values_list("pk", flat=True).first()
            raised.append(raise_alert(kind="api_refusals", actor=actor, key_id=key, ip=ips.get(actor), window_start=start, window_end=end,
                                      count=n, threshold=limit))
    return raised


def _login_failures(start: datetime, end: datetime) -> list[Alert | None]:
    limit = _conf()["LOGIN_FAILURES"]
    by_name: Counter = Counter()
    by_ip: Counter = Counter()
    rows = AuditEntry.objects.filter(at__gte=start, at__lt=end, action__in=LOGIN_FAILURE_ACTIONS).values_list("ip", "detail")
    for ip, detail in rows.iterator(chunk_size=2000):
        name = str((detail or {}).get("username", "")).strip().lower()[:150]
        if name:
            by_name[name] += 1
        if ip:
            by_ip[ip] += 1
    raised = []
    for name, n in by_name.items():
        if n >= limit:
            raised.append(raise_alert(kind="login_failures", actor=f"账号 {name}", window_start=start, window_end=end, count=n, threshold=limit))
    for ip, n in by_ip.items():
        if n >= limit:
            raised.append(raise_alert(kind="login_failures", actor=f"地址 {ip}", ip=ip, window_start=start, window_end=end, count=n, threshold=limit))
    return raised
