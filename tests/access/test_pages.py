"""The pages: /dept/query/, /dept/access/rights|consents|requests/, /my/consents/; and bad input:
unknown subject answered like a private one, missing purpose, hostile strings, a department
managing rights, IDOR on requests and consents."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.access.conftest import GAT, GSJ, KJT, SW
from tests.conftest import tiny_png
from xinyong.access.models import Consent, QueryRight, SpecialRequest
from xinyong.records.selectors import today
from xinyong.security.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm(subject_factory, uscc):
    return subject_factory(uscc=uscc())


@pytest.fixture
def liu(client, operator):
    user = operator(GSJ, username="liu-gsj")
    client.force_login(user)
    return user


def _query(client, code, purpose="licensing", details="长市监许〔2026〕88号"):
    return client.post("/dept/query/", {"code": code, "purpose": purpose, "details": details})


def test_an_officer_sees_what_the_rule_allows_and_a_count_of_the_rest(client, liu, firm, record_factory, grant_right):
    record_factory(firm, item="penalty.gsj", dept_code=GSJ, disclosure="public", document_no="长市监罚〔2026〕1号")
    record_factory(firm, item="tax_rating", dept_code=SW, data={"grade": "B", "year": "2025"})
    record_factory(firm, item="research_misconduct", dept_code=KJT, document_no="吉科诚〔2026〕3号")
    record_factory(firm, item="tax_rating", dept_code=SW, disclosure="internal", document_no="内部-7")
    grant_right(GSJ, item="tax_rating")
    response = _query(client, firm.uscc)
    html = response.content.decode()
    assert response.status_code == 200
    assert "长市监罚〔2026〕1号" in html and "公开信息" in html
    assert "纳税信用等级评价结果" in html and re.search(r"查询权限（编号 \d+）", html) and "授权查询" in html
    assert "吉科诚〔2026〕3号" not in html and "内部-7" not in html
    assert "另有 1 条授权查询信息，需查询权限或信息主体授权" in html
    assert "另有 1 条内部信息" in html
    entry = AuditEntry.objects.get(action="access.query")
    assert entry.purpose == "行政许可审查：长市监许〔2026〕88号" and entry.detail["items"] == ["tax_rating"]


def test_an_unknown_subject_and_a_private_individual_get_the_same_answer(client, liu, subject_factory, record_factory, id_number):
    number = id_number()
    private = subject_factory(kind="individual", id_number=number, name="张三")
    record_factory(private, item="traffic_violation", dept_code=GAT)
    unknown_number = id_number()
    known = _query(client, number)
    unknown = _query(client, unknown_number)
    assert known.status_code == unknown.status_code == 404

    def plain(response, code):
        text = response.content.decode().replace(code, "CODE")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)

    assert plain(known, number) == plain(unknown, unknown_number)
    assert "查询自然人的非公开信息，须具有相应信息项的查询权限、信息主体的有效授权" in known.content.decode()
    assert not AuditEntry.objects.filter(action="access.query").exists()
    assert AuditEntry.objects.filter(action="access.refused", subject_id=private.pk).count() == 1


def test_the_purpose_is_required_and_hostile_strings_are_inert(client, liu, firm, record_factory):
    record_factory(firm, item="penalty.gsj", dept_code=GSJ, disclosure="public")
    missing = _query(client, firm.uscc, purpose="")
    assert missing.status_code == 400 and "查询用途" in missing.content.decode()
    other_without_details = _query(client, firm.uscc, purpose="other", details="")
    assert other_without_details.status_code == 400 and "请填写查询用途说明" in other_without_details.content.decode()
    unknown_purpose = _query(client, firm.uscc, purpose="<script>")
    assert unknown_purpose.status_code == 400
    hostile = "<script>alert(1)</script>' OR 1=1 --"
    ok = _query(client, firm.uscc, details=hostile)
    assert ok.status_code == 200 and "<script>alert(1)</script>" not in ok.content.decode()
    assert "&lt;script&gt;" in ok.content.decode()
    bad_code = _query(client, "<img src=x onerror=alert(1)>")
    assert bad_code.status_code == 400 and "<img src=x" not in bad_code.content.decode()
    assert _query(client, "9122010" + "2" * 11).status_code == 400  # a code that is neither


def test_rights_are_granted_and_revoked_by_the_credit_centre_only(client, liu, platform_admin, dept, grant_right):
    right = grant_right(GSJ)
    # the department sees its rights, read-only
    page = client.get("/dept/access/rights/")
    assert page.status_code == 200 and "tax_rating" in page.content.decode() and "授予查询权限" not in page.content.decode()
    assert client.post(f"/dept/access/rights/{right.pk}/revoke/", {"reason": "自行撤销"}).status_code == 403
    assert client.post("/dept/access/rights/", {"department": dept(GSJ).pk, "item": "item:traffic_violation", "valid_from": "2026-01-01", "legal_basis": "x"}).status_code == 403
    assert QueryRight.objects.get(pk=right.pk).revoked_at is None and QueryRight.objects.count() == 1
    client.force_login(platform_admin)
    granted = client.post("/dept/access/rights/", {"department": dept(GSJ).pk, "item": "kind:violation", "valid_from": "2026-01-01", "valid_until": "2026-12-31", "legal_basis": "《道路交通安全法》第一百零五条"})
    assert granted.status_code == 302
    new = QueryRight.objects.get(item_kind="violation")
    assert new.department.code == GSJ and AuditEntry.objects.filter(action="access.right_grant", object_id=str(new.pk)).exists()
    backwards = client.post("/dept/access/rights/", {"department": dept(GSJ).pk, "item": "item:tax_rating", "valid_from": "2026-12-01", "valid_until": "2026-01-01", "legal_basis": "x"})
    assert backwards.status_code == 400 and "有效期至不能早于有效期自" in backwards.content.decode()
    assert client.post(f"/dept/access/rights/{new.pk}/revoke/", {"reason": ""}).status_code == 302
    assert QueryRight.objects.get(pk=new.pk).revoked_at is None  # a revocation needs a reason
    client.post(f"/dept/access/rights/{new.pk}/revoke/", {"reason": "职责调整"})
    assert QueryRight.objects.get(pk=new.pk).revoked_at is not None
    assert AuditEntry.objects.filter(action="access.right_revoke", object_id=str(new.pk)).exists()


def test_a_special_request_from_asking_to_use(client, liu, platform_admin, subject_factory, record_factory, id_number, operator):
    number = id_number()
    person = subject_factory(kind="individual", id_number=number, name="张三")
    record_factory(person, item="traffic_violation", dept_code=GAT)
    start, end = today(), today() + timedelta(days=10)
    asked = client.post("/dept/access/requests/", {
        "codes": number, "items": ["traffic_violation"], "purpose": "交通运输从业资格核查", "legal_basis": "《道路运输条例》第九条",
        "period_from": start.isoformat(), "period_until": end.isoformat(),
    })
    assert asked.status_code == 302
    req = SpecialRequest.objects.get()
    assert list(req.subjects.all()) == [person] and req.status == "pending"
    assert number not in client.get(f"/dept/access/requests/{req.pk}/").content.decode()  # masked
    assert _query(client, number).status_code == 404
    # the department cannot decide its own request
    assert client.post(f"/dept/access/requests/{req.pk}/decide/", {"decision": "approve", "grant_from": start, "grant_until": end, "granted_items": ["traffic_violation"]}).status_code == 403
    client.force_login(platform_admin)
    decided = client.post(f"/dept/access/requests/{req.pk}/decide/", {"decision": "approve", "grant_from": start.isoformat(), "grant_until": end.isoformat(), "granted_items": ["traffic_violation"], "note": "同意"})
    assert decided.status_code == 302
    client.force_login(liu)
    seen = _query(client, number)
    assert seen.status_code == 200 and f"特殊查询申请（已批准）（编号 {req.pk}）" in seen.content.decode()
    page = client.get(f"/dept/access/requests/{req.pk}/").content.decode()
    assert "使用记录（1 次）" in page and "liu-gsj" in page and "行政许可审查" in page


def test_requests_and_consents_of_another_department_are_not_found(client, operator, firm, give_consent, approve_request, dept):
    theirs = approve_request([firm], KJT)
    consent = give_consent(firm, KJT)
    consent.document_path = "consent-x.pdf"
    consent.save()
    client.force_login(operator(GSJ, username="gsj"))
    assert client.get(f"/dept/access/requests/{theirs.pk}/").status_code == 404
    assert client.get(f"/dept/access/consents/{consent.pk}/document").status_code == 404
    assert "贷款贴息审查" not in client.get("/dept/access/consents/").content.decode()
    assert client.get("/dept/access/requests/").content.decode().count("案件调查") == 0


def test_a_department_records_a_signed_paper_consent(client, liu, subject_factory, record_factory, id_number):
    number = id_number()
    person = subject_factory(kind="individual", id_number=number, name="张三")
    record_factory(person, item="traffic_violation", dept_code=GAT)
    form = {"code": number, "purpose": "驾驶员资格审查", "scope": "items", "items": ["traffic_violation"], "expires_on": (today() + timedelta(days=30)).isoformat()}
    missing = client.post("/dept/access/consents/", form)
    assert missing.status_code == 400 and Consent.objects.count() == 0
    from django.core.files.uploadedfile import SimpleUploadedFile

    exe = client.post("/dept/access/consents/", {**form, "document": SimpleUploadedFile("a.pdf", b"MZ\x90\x00" + b"\x00" * 64)})
    assert exe.status_code == 400 and Consent.objects.count() == 0
    too_long = client.post("/dept/access/consents/", {**form, "expires_on": (today() + timedelta(days=400)).isoformat(), "document": SimpleUploadedFile("授权书.png", tiny_png())})
    assert too_long.status_code == 400 and "授权期限最长365天" in too_long.content.decode()
    ok = client.post("/dept/access/consents/", {**form, "document": SimpleUploadedFile("授权书.png", tiny_png())})
    assert ok.status_code == 302
    consent = Consent.objects.get()
    assert consent.source == "paper" and consent.recorded_by == liu and consent.document_type == "image/png"
    download = client.get(f"/dept/access/consents/{consent.pk}/document")
    assert download.status_code == 200 and b"".join(download.streaming_content) == tiny_png()
    assert _query(client, number).status_code == 200


def test_the_subject_gives_and_revokes_consent_from_its_account(client, register, subject_factory, record_factory, id_number, operator, dept):
    number = id_number()
    me = subject_factory(kind="individual", id_number=number, name="张三")
    record_factory(me, item="traffic_violation", dept_code=GAT)
    account = register("individual", id_number=number, name="张三")
    client.force_login(account.user)
    assert "查询授权" in client.get("/my/").content.decode()  # the account's navigation
    until = (today() + timedelta(days=30)).isoformat()
    given = client.post("/my/consents/", {"department": dept(GSJ).pk, "purpose": "申请驾驶员岗位", "scope": "all", "expires_on": until})
    assert given.status_code == 302
    consent = Consent.objects.get()
    assert consent.all_items and consent.account == account and consent.source == "portal"
    too_long = client.post("/my/consents/", {"department": dept(GSJ).pk, "purpose": "x", "scope": "all", "expires_on": (today() + timedelta(days=366)).isoformat()})
    assert too_long.status_code == 400 and "授权期限最长365天" in too_long.content.decode()
    no_items = client.post("/my/consents/", {"department": dept(GSJ).pk, "purpose": "x", "scope": "items", "expires_on": until})
    assert no_items.status_code == 400
    officer_client = type(client)()
    officer_client.force_login(operator(GSJ, username="gsj"))
    assert _query(officer_client, number).status_code == 200
    # another subject cannot revoke it (IDOR): not found
    stranger = register("individual", id_number=id_number(), name="李四", username="stranger")
    other_client = type(client)()
    other_client.force_login(stranger.user)
    assert other_client.post(f"/my/consents/{consent.pk}/revoke/").status_code == 404
    assert Consent.objects.get().revoked_at is None
    assert client.post(f"/my/consents/{consent.pk}/revoke/").status_code == 302
    assert Consent.objects.get().revoked_at is not None
    assert _query(officer_client, number).status_code == 404  # at once
    assert "已撤回" in client.get("/my/consents/").content.decode()


def test_pages_are_for_their_people(client, register, id_number, operator):
    assert client.get("/dept/query/").status_code == 302  # to the login page
    assert client.get("/my/consents/").status_code == 302
    account = register("individual", id_number=id_number(), name="张三")
    client.force_login(account.user)
    assert client.get("/dept/query/").status_code == 403
    assert client.get("/dept/access/rights/").status_code == 403
    client.force_login(operator(GSJ, username="gsj"))
    assert client.get("/my/consents/").status_code == 403
    assert client.get("/my/queries/").status_code == 403
    assert client.get("/dept/query/").status_code == 200


def test_the_credit_centre_sees_every_class_and_its_query_is_audited_as_such(client, platform_admin, firm, record_factory):
    record_factory(firm, item="tax_rating", dept_code=SW, disclosure="internal", document_no="内部-9")
    record_factory(firm, item="research_misconduct", dept_code=KJT, document_no="吉科诚〔2026〕5号")
    client.force_login(platform_admin)
    html = _query(client, firm.uscc, purpose="supervision", details="<b>抽查</b>").content.decode()
    assert "内部-9" in html and "吉科诚〔2026〕5号" in html and "信用中心履职查询" in html and "另有" not in html
    entry = AuditEntry.objects.get(action="access.query")
    assert entry.object_type == "credit_centre" and entry.purpose == "日常监管与执法检查：<b>抽查</b>" and sorted(entry.detail["items"]) == ["research_misconduct", "tax_rating"]
