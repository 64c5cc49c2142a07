"""The portal's agency pages (directory, the agency section of the credit file, filing a
complaint) and the staff pages (/dept/agencies/, the complaint actions on /dept/cases/)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client

from tests.agencies.conftest import GOV_USCC, JRB, RMYH, actor_of, party_of
from tests.cases.conftest import PNG
from xinyong.agencies import services
from xinyong.agencies.models import Agency
from xinyong.cases.models import Case
from xinyong.catalog.models import Department
from xinyong.security.services import Actor

NAME, CONTACT = "孙晓梅", "13812345678"
FACTS = "该机构以信用修复为名收取费用三千元至今未办理"


def receipt_of(response) -> str:
    m = re.search(r'id="receipt-code">([A-Z0-9-]{19})<', response.content.decode())
    assert m, response.content.decode()[:2000]
    return m.group(1)


@pytest.fixture
def province(org_subject, register, clock):
    """Three agencies: consulting in 长春 (在业), rating in 吉林市 (暂停), guarantee in 长春 (退出)."""
    clock("2026-03-02")
    consulting = register(org_subject("吉林省长信信用管理咨询有限公司"), types=["credit_consulting"], dept=JRB, licence="吉金备〔2026〕3号")
    rating = register(org_subject("吉林市远见信用评级有限公司", region="220202"), types=["credit_rating"], dept=RMYH, licence="银吉备〔2026〕1号")
    guarantee = register(org_subject("长春诚达融资担保有限公司"), types=["credit_guarantee"], dept=JRB, licence="吉融担〔2020〕8号", entered="2020-05-01")
    clock("2026-06-01")
    services.agency_suspend(agency_id=rating.pk, reason="评级业务整改", department=Department.objects.get(code=RMYH), actor=Actor.system("t"))
    services.agency_exit(agency_id=guarantee.pk, reason="融资担保业务经营许可证被注销", on="2026-05-20", department=Department.objects.get(code=JRB), actor=Actor.system("t"))
    return consulting, rating, guarantee


def names(page) -> set[str]:
    text = page.content.decode()
    return {n for n in ("吉林省长信信用管理咨询有限公司", "吉林市远见信用评级有限公司", "长春诚达融资担保有限公司") if n in text}


def test_directory_filters_and_shows_exited_agencies(client, province):
    everything = client.get("/agencies/")
    assert everything.status_code == 200 and len(names(everything)) == 3
    assert "信用服务机构" in client.get("/").content.decode()  # in the site navigation
    assert names(client.get("/agencies/?type=credit_rating")) == {"吉林市远见信用评级有限公司"}
    assert names(client.get("/agencies/?status=suspended")) == {"吉林市远见信用评级有限公司"}
    exited = client.get("/agencies/?status=exited")
    assert names(exited) == {"长春诚达融资担保有限公司"}
    assert "已退出" in exited.content.decode() and "2026-05-20" in exited.content.decode()
    assert names(client.get("/agencies/?region=220200")) == {"吉林市远见信用评级有限公司"}
    assert names(client.get("/agencies/?region=220100&status=active")) == {"吉林省长信信用管理咨询有限公司"}
    # unknown filter values are ignored, hostile ones are not echoed
    odd = client.get("/agencies/", {"type": "<script>x</script>", "status": "gone", "region": "999999", "page": "abc"})
    assert odd.status_code == 200 and len(names(odd)) == 3 and "<script>x" not in odd.content.decode()


def test_credit_file_agency_section_and_no_complainant_data_anywhere_public(client, province, staff, clock):
    consulting, _, guarantee = province
    clock("2026-09-14")
    op = staff(JRB)
    kept, _ = services.complaint_file(agency_id=consulting.pk, complainant=services.Complainant(name=NAME, contact=CONTACT), service="credit_consulting", facts=FACTS, actor=Actor("public", "p"))
    closed, _ = services.complaint_file(agency_id=consulting.pk, complainant=services.Complainant(name=NAME, contact=CONTACT), service="other", facts=FACTS + "二", actor=Actor("public", "p"))
    services.complaint_close(case=closed, outcome="mediated", reply="已调解，机构退还费用。", party=party_of(op), actor=actor_of(op))

    page = client.get(f"/subjects/{consulting.subject.uscc}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "信用服务机构登记信息" in text and "吉金备〔2026〕3号" in text and "信用管理咨询" in text and "省金融办" in text
    assert "已办结投诉</dt><dd>1 件" in text  # the open complaint is not counted
    assert "暂无评价结果" in text and "未列入信用服务机构重点关注名单、信用服务机构严重失信名单" in text
    assert f"/agencies/{consulting.subject.uscc}/complaints/new/" in text
    exited = client.get(f"/subjects/{guarantee.subject.uscc}/").content.decode()
    assert "已退出" in exited and "市场退出" in exited and "融资担保业务经营许可证被注销" in exited
    # neither who complained nor what they wrote, nor the reply, on any public page
    for url in ("/agencies/", f"/subjects/{consulting.subject.uscc}/", "/agencies/?status=active"):
        body = client.get(url).content.decode()
        for secret in (NAME, CONTACT, CONTACT[-4:] + "<", FACTS, "已调解", "孙"):
            assert secret not in body, (url, secret)
    assert kept.is_open


def test_the_agency_itself_never_sees_the_complainant(client, province, account, clock):
    consulting = province[0]
    clock("2026-09-14")
    services.complaint_file(agency_id=consulting.pk, complainant=services.Complainant(name=NAME, contact=CONTACT), service="credit_consulting", facts=FACTS, actor=Actor("public", "p"))
    user = account(consulting.subject, username="agency-user")
    client.force_login(user)
    for url in ("/my/", f"/subjects/{consulting.subject.uscc}/"):
        body = client.get(url, follow=True).content.decode()
        assert NAME not in body and CONTACT not in body and FACTS not in body
    case = Case.objects.get(kind="complaint")
    assert client.get(f"/cases/{case.public_id}/").status_code == 404  # not its case


def test_anyone_files_a_complaint_and_follows_it(client, province, upload, clock):
    consulting = province[0]
    clock("2026-09-14")
    url = f"/agencies/{consulting.subject.uscc}/complaints/new/"
    form = client.get(url)
    assert form.status_code == 200 and "投诉信用服务机构" in form.content.decode() and "15个工作日" in form.content.decode()
    response = client.post(url, {"name": NAME, "contact": CONTACT, "service": "credit_consulting", "facts": FACTS, "files": [upload("付款凭证.png", PNG)]}, follow=True)
    code = receipt_of(response)
    case = Case.objects.get(kind="complaint")
    assert case.attachments.count() == 1 and case.holder.code == JRB and case.due_on == date(2026, 10, 10)
    assert code not in str(Case.objects.filter(pk=case.pk).values().get())  # only its hash is kept
    other = Client()
    followed = other.post("/cases/track/", {"code": code}, follow=True)
    assert followed.status_code == 200 and "监管部门处理中" in followed.content.decode()
    # the complainant withdraws from the case page
    cancelled = other.post(f"/agencies/complaints/{case.public_id}/cancel/", follow=True)
    assert cancelled.status_code == 200 and "投诉已撤回" in cancelled.content.decode()
    assert Case.objects.get(pk=case.pk).state == "cancelled"


def test_complaint_form_bad_input_replay_and_rate_limit(client, province, upload, clock, settings):
    consulting = province[0]
    clock("2026-09-14")
    url = f"/agencies/{consulting.subject.uscc}/complaints/new/"
    bad = client.post(url, {"contact": CONTACT, "service": "credit_consulting", "facts": FACTS, "files": [upload("x.pdf", b"MZ\x90\x00junk")]})
    assert bad.status_code == 422 and "不予接收" in bad.content.decode()
    missing = client.post(url, {"service": "credit_consulting", "facts": FACTS})
    assert missing.status_code == 422 and "请填写联系方式" in missing.content.decode()
    wrong_service = client.post(url, {"contact": CONTACT, "service": "credit_rating", "facts": FACTS})
    assert wrong_service.status_code == 422
    assert client.get("/agencies/91220102MA00000000/complaints/new/").status_code == 404
    assert not Case.objects.exists()

    nonce = re.search(r'name="nonce" value="([^"]+)"', client.get(url).content.decode()).group(1)
    data = {"contact": CONTACT, "service": "credit_consulting", "facts": FACTS, "nonce": nonce}
    first, again = client.post(url, data), client.post(url, data)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == f"/cases/{Case.objects.get().public_id}/"
    from django.core.cache import cache

    cache.clear()  # the refused attempts above counted too
    settings.XINYONG = {**settings.XINYONG, "RATE_LIMITS": {**settings.XINYONG["RATE_LIMITS"], "complaint": "2/h"}}
    assert client.post(url, {**data, "nonce": "n-2"}).status_code == 302
    assert client.post(url, {**data, "nonce": "n-3"}).status_code == 302
    limited = client.post(url, {**data, "nonce": "n-4"})
    assert limited.status_code == 429 and limited["Retry-After"]
    assert Case.objects.count() == 3


# ---------------------------------------------------------------------- staff pages
def test_supervisor_registers_suspends_and_handles_a_complaint_on_the_web(client, org_subject, operator, staff, clock):
    clock("2026-03-02")
    firm = org_subject("吉林省明鉴信用调查有限公司")
    outsider = operator("220100-GSJ", username="gsj")
    client.force_login(outsider)
    refused = client.post("/dept/agencies/register/", {"uscc": firm.uscc, "business_types": ["credit_investigation"], "licence_no": "X-1", "entered_on": "2026-03-01"})
    assert refused.status_code == 403 and "不负责监管" in refused.content.decode()

    op = operator(JRB, username="jrb")
    client.force_login(op)
    assert "信用服务机构" in client.get("/dept/agencies/").content.decode()
    typo = client.post("/dept/agencies/register/", {"uscc": firm.uscc[:17] + ("0" if firm.uscc[17] != "0" else "1"), "business_types": ["credit_investigation"], "licence_no": "X-1", "entered_on": "2026-03-01"})
    assert typo.status_code == 422 and "校验位" in typo.content.decode()
    done = client.post("/dept/agencies/register/", {"uscc": firm.uscc, "business_types": ["credit_investigation"], "licence_no": "吉金备〔2026〕9号", "entered_on": "2026-03-01", "key_staff": "8", "service_note": "<script>alert(1)</script>"})
    agency = Agency.objects.get(subject=firm)
    assert done.status_code == 302 and done["Location"] == f"/dept/agencies/{agency.pk}/"
    again = client.post("/dept/agencies/register/", {"uscc": firm.uscc, "business_types": ["credit_investigation"], "licence_no": "X-2", "entered_on": "2026-03-01"})
    assert again.status_code == 409 and "已登记" in again.content.decode()
    public = Client().get(f"/subjects/{firm.uscc}/").content.decode()
    assert "<script>alert(1)</script>" not in public and "&lt;script&gt;alert(1)&lt;/script&gt;" in public

    clock("2026-09-14")
    client.force_login(op)  # six months later: a new session
    suspended = client.post(f"/dept/agencies/{agency.pk}/suspend/", {"reason": "未按规定保存调查档案"}, follow=True)
    assert suspended.status_code == 200 and "已暂停" in suspended.content.decode(), re.findall(r"msg[^>]*>[^<]*<", suspended.content.decode())
    assert Agency.objects.get(pk=agency.pk).status == "suspended"
    assert client.post(f"/dept/agencies/{agency.pk}/resume/", {"reason": ""}).status_code == 422
    assert client.post(f"/dept/agencies/{agency.pk}/nonsense/", {"reason": "x"}).status_code == 404
    client.force_login(outsider)
    assert client.post(f"/dept/agencies/{agency.pk}/exit/", {"reason": "x"}).status_code == 403

    # a complaint: the supervisor closes it as substantiated and records the penalty
    case, _ = services.complaint_file(agency_id=agency.pk, complainant=services.Complainant(name=NAME, contact=CONTACT), service="credit_investigation", facts=FACTS, actor=Actor("public", "p"))
    client.force_login(op)
    page = client.get(f"/dept/cases/{case.pk}/").content.decode()
    assert "处理结论与书面答复" in page and "投诉属实" in page and NAME in page  # the supervisor sees who complained
    closed = client.post(f"/dept/agencies/complaints/{case.pk}/close/", {"outcome": "substantiated", "reply": "经查属实，已立案查处。"})
    assert closed.status_code == 302 and closed["Location"] == f"/dept/agencies/complaints/{case.pk}/record/"
    form = client.get(closed["Location"]).content.decode()
    assert "报送失信记录" in form and "赵立新" in form
    recorded = client.post(closed["Location"], {
        "decision_no": "吉金罚〔2026〕12号", "legal_rep": "赵立新", "violation_type": "违规开展信用调查", "facts": "未经委托调查个人信息",
        "basis": "《吉林省社会信用条例》", "penalty_category": "警告", "content": "警告", "decision_date": "2026-09-14", "severity": "一般", "authority_uscc": GOV_USCC,
    })
    assert recorded.status_code == 302, recorded.content.decode()[:3000]
    case.refresh_from_db()
    assert case.data["record_id"]
    assert "吉金罚〔2026〕12号" in Client().get(f"/subjects/{firm.uscc}/").content.decode()


def test_credit_centre_registers_on_behalf_of_a_supervisor(client, org_subject, staff, clock):
    from xinyong.security.models import AuditEntry

    clock("2026-03-02")
    firm = org_subject("吉林省信达保理有限公司")
    client.force_login(staff())
    form = client.get("/dept/agencies/register/").content.decode()
    assert 'name="supervisor"' in form and "220000-JRB" in form
    done = client.post("/dept/agencies/register/", {"supervisor": JRB, "uscc": firm.uscc, "business_types": ["factoring"], "licence_no": "保理备-1", "entered_on": "2026-03-01"})
    assert done.status_code == 302
    agency = Agency.objects.get(subject=firm)
    assert agency.supervisor.code == JRB
    assert AuditEntry.objects.get(action="agency.register", object_id=str(agency.pk)).detail["on_behalf"] is True
    assert client.get("/dept/agencies/").status_code == 200
    assert Client().get("/dept/agencies/").status_code == 302  # login first


def test_supervisor_changes_the_registration_on_the_web(client, province, operator):
    consulting = province[0]
    client.force_login(operator(JRB, username="jrb-web"))
    page = client.get(f"/dept/agencies/{consulting.pk}/").content.decode()
    assert "变更登记信息" in page and "暂停业务" in page and 'value="credit_consulting" checked' in page
    refused = client.post(f"/dept/agencies/{consulting.pk}/update/", {"licence_no": "吉金备〔2026〕3号", "key_staff": "12"})
    assert refused.status_code == 422 and "至少一项" in refused.content.decode()
    wrong = client.post(f"/dept/agencies/{consulting.pk}/update/", {"business_types": ["credit_rating"], "licence_no": "吉金备〔2026〕3号", "key_staff": "12"})
    assert wrong.status_code == 403  # rating is the central bank's
    done = client.post(f"/dept/agencies/{consulting.pk}/update/", {"business_types": ["credit_consulting", "factoring"], "licence_no": "吉金备〔2026〕3号", "key_staff": "20"})
    assert done.status_code == 302
    consulting.refresh_from_db()
    assert consulting.business_types == ["credit_consulting", "factoring"] and consulting.key_staff == 20
    assert "商业保理" in Client().get(f"/subjects/{consulting.subject.uscc}/").content.decode()
    # another supervisor's agency: read, but no forms
    rating = province[1]
    assert "变更登记信息" not in client.get(f"/dept/agencies/{rating.pk}/").content.decode()


def test_the_credit_file_shows_the_agency_models_grade(client, province, clock):
    """A registered agency is graded by the agency model (not the baseline one); an exited one is
    graded as the firm it is again, and its agency section has no agency grade."""
    from xinyong.evaluation.services import evaluation_update

    consulting, _, guarantee = province
    clock("2026-09-14")
    evaluation_update()  # the first run: a full one
    text = client.get(f"/subjects/{consulting.subject.uscc}/").content.decode()
    assert '信用服务机构信用评价</dt><dd><a href="#s-grades">B（良）</a>，评价基准日 2026-09-14' in text
    assert "企业公共信用基准性评价" not in text
    exited = client.get(f"/subjects/{guarantee.subject.uscc}/").content.decode()
    assert "暂无评价结果" in exited and "企业公共信用基准性评价" in exited
