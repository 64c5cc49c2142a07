"""Monitoring (docs/security.md, "Monitoring"): alerts for a user or key querying far more
individuals than usual, portal scraping, repeated refused requests and failed logins; e-mailed
to the security officers, shown and acknowledged on /dept/security/. Concrete windows and counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from xinyong.common.schedule import run_job
from xinyong.measures.models import Check
from xinyong.security.alerts import detect
from xinyong.security.models import Alert, ApiRequest, AuditEntry
from xinyong.security.services import Actor, audit_log
from xinyong.subjects.models import Subject

from .conftest import raw

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "Xinyong-test-2026"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def monitoring(settings):
    def configure(**values):
        settings.XINYONG = {**settings.XINYONG, "MONITORING": {**settings.XINYONG["MONITORING"], "OFFICERS": ["security@xinyong.example"], **values}}

    configure()
    return configure


@pytest.fixture
def individuals(db):
    def make(n: int, start: int = 0) -> list[int]:
        Subject.objects.bulk_create(
            [Subject(kind="individual", name=f"测试{i}", name_key=f"测试{i}", id_hash=f"{i:064d}", id_masked="220102********0000") for i in range(start, start + n)]
        )
        return list(Subject.objects.filter(kind="individual", id_hash__in=[f"{i:064d}" for i in range(start, start + n)]).values_list("pk", flat=True))

    return make


def checks(key, subject_ids, first: datetime, *, every: timedelta = timedelta(seconds=5)) -> None:
    Check.objects.bulk_create([
        Check(at=first + i * every, key=key, department_id=key.department_id, case_no=f"CASE-{i}", matter="license", subject_id=sid,
              subject_code="220102********0000", digest="0" * 64, data_seq=0, catalog_version="1")
        for i, sid in enumerate(subject_ids)
    ])


def test_a_key_checking_500_individuals_in_an_hour_against_its_usual_20_raises_one_alert(make_key, individuals, monitoring, mailoutbox, time_machine, django_capture_on_commit_callbacks):
    time_machine.move_to(at("2026-11-30 11:00"), tick=False)
    key, _ = make_key(scopes=("check",))
    quiet, _ = make_key(scopes=("check",), name="审批系统")
    busy_usual, _ = make_key(scopes=("check",), name="执法系统")
    people = individuals(600)
    for day in range(1, 11):  # the usual: 20 individuals an hour on ten working days
        checks(key, people[day * 20 : day * 20 + 20], at("2026-11-30 10:00") - timedelta(days=day))
        checks(busy_usual, people[day * 30 : day * 30 + 30], at("2026-11-30 09:00") - timedelta(days=day))
    checks(key, people[:500], at("2026-11-30 10:05"), every=timedelta(seconds=6))  # 500 in 50 minutes
    checks(quiet, people[:80], at("2026-11-30 10:10"))  # no history, under the floor of 100
    checks(busy_usual, people[:120], at("2026-11-30 10:10"))  # 4 times its usual 30: under 5 times

    with django_capture_on_commit_callbacks(execute=True):  # the mail leaves once the alert is committed
        raised = detect(now=at("2026-11-30 10:58"))
    assert len(raised) == 1
    alert = raised[0]
    assert (alert.kind, alert.actor, alert.key_id, alert.count, alert.baseline, alert.threshold) == ("many_individuals", key.key_id, key.pk, 500, 20.0, 100)
    assert alert.window_start == at("2026-11-30 09:58") and alert.status == "new"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["security@xinyong.example"] and key.key_id in mailoutbox[0].subject
    assert "数量：500（阈值 100，通常水平 20）" in mailoutbox[0].body
    assert AuditEntry.objects.filter(action="security.alert", object_id=str(alert.pk)).exists()

    assert detect(now=at("2026-11-30 10:58")) == []  # a rerun raises none
    assert detect(now=at("2026-11-30 11:13")) == []  # nor the next run while the window overlaps
    assert Alert.objects.count() == 1 and len(mailoutbox) == 1


def test_a_user_reading_many_individuals_is_seen_in_the_audit_log(operator, individuals, monitoring, time_machine):
    monitoring(INDIVIDUALS_MIN=30)
    user = operator("220100-GSJ", username="liu")
    people = individuals(40)
    actor = Actor.for_user(user, ip="10.0.0.9")
    time_machine.move_to(at("2026-11-30 10:00"), tick=True)
    for pk in people:
        audit_log(actor=actor, action="record.view", object_type="record", object_id=pk, subject_id=pk, purpose="核查")
    for pk in people[:10]:  # writes are not reads: not counted
        audit_log(actor=actor, action="record.withdraw", object_type="record", object_id=pk, subject_id=pk)
    raised = run_job("security.alerts")
    assert raised == {"alerts": 1}
    alert = Alert.objects.get()
    assert (alert.kind, alert.actor, alert.user_id, alert.count) == ("many_individuals", "liu", user.pk, 40)


def test_portal_scraping_of_credit_files_raises_one_alert_per_window(monitoring, db):
    monitoring(SCRAPING_FILES=5)
    scraper = Client(REMOTE_ADDR="203.0.113.77")
    for n in range(8):
        assert scraper.get(f"/subjects/91220101MA0000{n:03d}X/").status_code == 404  # unknown or not: each file asked counts
    assert Client(REMOTE_ADDR="198.51.100.8").get("/subjects/91220101MA0000001X/").status_code == 404
    alert = Alert.objects.get()
    assert (alert.kind, alert.actor, alert.ip, alert.count, alert.threshold) == ("portal_scraping", "203.0.113.77", "203.0.113.77", 5, 5)


def test_repeated_refused_api_requests_raise_an_alert_per_key_or_address(make_key, client_for, monitoring, time_machine):
    monitoring(API_REFUSALS=20)
    time_machine.move_to(at("2026-11-30 10:00"), tick=True)
    key, token = make_key(scopes=("check",))
    forged = client_for(f"{key.key_id}.wrong-secret-0123456789")
    for _ in range(3):  # real refused requests through the API, logged by the middleware
        assert forged.post_json("/api/v1/checks/bulk", {"matter": "tendering", "case_no": "X", "subjects": []}).status_code == 401
    now = at("2026-11-30 10:20")
    ApiRequest.objects.bulk_create(
        [ApiRequest(at=now, key_label=key.key_id, method="POST", path="/api/v1/checks", status=401, code="signature_invalid", auth="signed", ip="10.1.1.1")] * 17
        + [ApiRequest(at=now, key_label="", method="POST", path="/api/v1/checks", status=401, code="auth_required", auth="none", ip="10.9.9.9")] * 19
        + [ApiRequest(at=now, key=key, key_label=key.key_id, method="POST", path="/api/v1/checks", status=200, code="", auth="signed", ip="10.1.1.1")] * 50
    )
    assert ApiRequest.objects.filter(key_label=key.key_id, code="signature_invalid").count() == 20
    raised = detect(now=at("2026-11-30 10:30"))
    assert [(a.kind, a.actor, a.key_id, a.count) for a in raised] == [("api_refusals", key.key_id, key.pk, 20)]


def test_repeated_failed_logins_raise_alerts_for_the_name_and_the_address(operator, monitoring, time_machine):
    monitoring(LOGIN_FAILURES=10)
    operator("220100-GSJ", username="liu")
    time_machine.move_to(at("2026-11-30 10:00"), tick=True)
    guesser = Client(REMOTE_ADDR="203.0.113.50")
    for _ in range(10):  # 5 failures, then locked out: both count
        guesser.post("/accounts/login/", {"username": "liu", "password": "wrong-guess"})
    raised = detect()
    assert sorted((a.kind, a.actor, a.count) for a in raised) == [("login_failures", "地址 203.0.113.50", 10), ("login_failures", "账号 liu", 10)]
    assert detect() == []


def test_the_audit_chain_verification_job_records_its_result_and_alerts_on_tampering(entries, monitoring, mailoutbox, django_capture_on_commit_callbacks):
    made = entries(4)
    assert run_job("audit.verify")["ok"] is True
    assert AuditEntry.objects.filter(action="audit.verify", detail__ok=True).exists()
    raw("UPDATE security_auditentry SET purpose = %s WHERE id = %s", ["篡改", made[1].pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert run_job("audit.verify")["ok"] is False
    alert = Alert.objects.get(kind="audit_chain")
    assert alert.count >= 1 and "审计日志校验未通过" in mailoutbox[-1].subject


def test_the_operations_page_shows_alerts_refusals_and_chain_state_and_acknowledges(client, platform_admin, operator, monitoring, make_key):
    key, _ = make_key(scopes=("check",))
    alert = Alert.objects.create(kind="api_refusals", actor=key.key_id, key=key, window_start=at("2026-11-30 09:00"), window_end=at("2026-11-30 10:00"),
                                 count=57, threshold=50, created_at=at("2026-11-30 10:00"))
    ApiRequest.objects.create(at=at("2026-11-30 09:30"), key_label=key.key_id, method="POST", path="/api/v1/checks", status=401, code="nonce_replayed", auth="signed")
    audit_log(actor=Actor.system(), action="backup.create", object_type="backup", object_id="xinyong-20261130.tar")
    run_job("audit.checkpoint")
    run_job("audit.verify")

    client.force_login(operator("220100-GSJ"))
    assert client.get("/dept/security/").status_code == 403
    assert client.post(f"/dept/security/alerts/{alert.pk}/acknowledge/", {"note": "x"}).status_code == 403
    client.force_login(platform_admin)
    page = client.get("/dept/security/").content.decode()
    for text in ("接口请求被拒次数异常", key.key_id, "待处理 1 条", "nonce_replayed", "xinyong-20261130.tar", "最近签名检查点", "通过（"):
        assert text in page, text
    response = client.post(f"/dept/security/alerts/{alert.pk}/acknowledge/", {"note": "已联系部门更换密钥"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by == platform_admin and alert.note == "已联系部门更换密钥"
    assert "已联系部门更换密钥" in client.get("/dept/security/").content.decode()
    assert AuditEntry.objects.filter(action="security.alert_ack", object_id=str(alert.pk)).exists()
