"""Scenarios with concrete dates: a consent ends at midnight of its last day, a revoked right stops
at once, a grant ends with its period; each query's audit entries name the actor, purpose,
subject, items and basis; the subject sees who looked."""

from __future__ import annotations

from datetime import date

import pytest

from tests.access.conftest import GAT, GSJ, SW
from xinyong.access import services
from xinyong.access.selectors import Viewer, who_looked
from xinyong.common.errors import Conflict, InvalidInput
from xinyong.security.models import AuditEntry
from xinyong.security.services import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(subject_factory, id_number):
    number = id_number()
    return subject_factory(kind="individual", id_number=number, name="张三"), number


@pytest.fixture
def officer(operator):
    return operator(GSJ, username="liu-gsj")


def _query(officer, subject, day, purpose="行政许可审查：长市监许〔2026〕88号"):
    return services.records_query(viewer=Viewer.of_department(officer.membership.department), subject=subject, purpose=purpose, actor=Actor.for_user(officer), day=day)


def test_a_consent_until_31_december_works_that_day_and_not_on_1_january(person, record_factory, dept, officer):
    me, _ = person
    violation = record_factory(me, item="traffic_violation", dept_code=GAT, publish_until=date(2030, 1, 1))
    services.consent_give(
        subject=me, department=dept(GSJ), purpose="驾驶员资格审查", items=["traffic_violation"], expires_on=date(2026, 12, 31),
        actor=Actor.system("test"), account=None, document=_pdf(), day=date(2026, 11, 20),
    )
    assert _query(officer, me, date(2026, 12, 31)).records == [violation]
    with pytest.raises(services.NothingToShow) as refused:
        _query(officer, me, date(2027, 1, 1))
    assert "信息主体的有效授权" in refused.value.message


def test_a_revoked_right_stops_working_at_once(record_factory, subject_factory, uscc, grant_right, officer, platform_admin):
    firm = subject_factory(uscc=uscc())
    rating = record_factory(firm, item="tax_rating", dept_code=SW)
    right = grant_right(GSJ, valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31))
    day = date(2026, 11, 20)
    assert _query(officer, firm, day).records == [rating]
    services.right_revoke(right=right, reason="岗位职责调整", actor=Actor.for_user(platform_admin), user=platform_admin)
    after = _query(officer, firm, day)
    assert after.records == [] and after.withheld == {"authorized": 1}
    with pytest.raises(Conflict):
        services.right_revoke(right=right, reason="再次撤销", actor=Actor.for_user(platform_admin), user=platform_admin)


def test_an_approved_special_request_is_a_grant_until_its_last_day(person, record_factory, dept, officer, platform_admin):
    me, _ = person
    violation = record_factory(me, item="traffic_violation", dept_code=GAT)
    req = services.special_request_submit(
        department=dept(GSJ), subjects=[me], items=["traffic_violation"], purpose="案件调查", legal_basis="《行政处罚法》第五十五条",
        period_from=date(2026, 11, 20), period_until=date(2026, 12, 31), actor=Actor.for_user(officer), user=officer, day=date(2026, 11, 20),
    )
    with pytest.raises(services.NothingToShow):  # pending: not yet a grant
        _query(officer, me, date(2026, 11, 21))
    with pytest.raises(InvalidInput):  # more than GRANT_MAX_DAYS (90)
        services.special_request_decide(request=req, approve=True, note="", actor=Actor.for_user(platform_admin), user=platform_admin, grant_from=date(2026, 11, 21), grant_until=date(2027, 3, 1))
    with pytest.raises(InvalidInput):  # a refusal needs reasons
        services.special_request_decide(request=req, approve=False, note=" ", actor=Actor.for_user(platform_admin), user=platform_admin)
    services.special_request_decide(request=req, approve=True, note="同意，限期", actor=Actor.for_user(platform_admin), user=platform_admin, grant_from=date(2026, 11, 21), grant_until=date(2026, 11, 30))
    seen = _query(officer, me, date(2026, 11, 30))
    assert seen.records == [violation] and seen.shown[0].basis.type == "grant" and seen.shown[0].basis.id == req.pk
    with pytest.raises(services.NothingToShow):
        _query(officer, me, date(2026, 12, 1))
    uses = AuditEntry.objects.filter(action="access.query", object_type="special_request", object_id=str(req.pk))
    assert uses.count() == 1 and uses.get().detail["items"] == ["traffic_violation"]
    with pytest.raises(Conflict):
        services.special_request_decide(request=req, approve=False, note="改为不批准", actor=Actor.for_user(platform_admin), user=platform_admin)


def test_each_query_audits_actor_purpose_subject_items_and_basis(record_factory, subject_factory, uscc, grant_right, give_consent, officer):
    firm = subject_factory(uscc=uscc())
    rating = record_factory(firm, item="tax_rating", dept_code=SW)
    misconduct = record_factory(firm, item="research_misconduct", dept_code="220000-KJT")
    public = record_factory(firm, item="penalty.gsj", dept_code=GSJ, disclosure="public")
    right = grant_right(GSJ)
    consent = give_consent(firm, items=("research_misconduct",))
    access = _query(officer, firm, date(2026, 11, 20), purpose="政府采购、招标投标与公共资源交易：采购项目 CG-2026-17")
    assert set(access.records) == {rating, misconduct, public}
    entries = {e.object_type: e for e in AuditEntry.objects.filter(action="access.query")}
    assert set(entries) == {"query_right", "consent"}  # the public record is not audited
    for entry, basis_id, item, record in ((entries["query_right"], right.pk, "tax_rating", rating), (entries["consent"], consent.pk, "research_misconduct", misconduct)):
        assert entry.actor_user_id == officer.pk and entry.actor_label == "liu-gsj" and entry.department.code == GSJ
        assert entry.purpose == "政府采购、招标投标与公共资源交易：采购项目 CG-2026-17"
        assert entry.subject_id == firm.pk and entry.object_id == str(basis_id)
        assert entry.detail["items"] == [item] and entry.detail["records"] == [record.pk]


def test_the_subject_sees_who_looked_and_why(client, person, record_factory, dept, officer, register):
    me, number = person
    record_factory(me, item="traffic_violation", dept_code=GAT)
    account = register("individual", id_number=number, name="张三")
    client.force_login(account.user)
    assert "还没有人查询过您的非公开信息" in client.get("/my/queries/").content.decode()
    consent = services.consent_give(subject=me, department=dept(GSJ), purpose="驾驶员资格审查", items=["traffic_violation"],
                                    expires_on=_in_days(30), actor=Actor.system("t"), account=account)
    _query(officer, me, None, purpose="行政许可审查：道路运输从业资格")
    looked = who_looked(me)
    assert len(looked) == 1 and looked[0].basis == f"信息主体授权（编号 {consent.pk}）"
    html = client.get("/my/queries/").content.decode()
    assert "长春市市场监督管理局" in html and "行政许可审查：道路运输从业资格" in html and f"信息主体授权（编号 {consent.pk}）" in html
    assert "个人道路交通安全违法信息" in html


def _in_days(n):
    from datetime import timedelta

    from xinyong.records.selectors import today

    return today() + timedelta(days=n)


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("授权书.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf")
