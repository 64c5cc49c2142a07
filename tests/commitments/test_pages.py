"""The pages: an enterprise signs in the portal (/my/commitments/), the public list and the credit
file show it, a department records a paper commitment with its document and records fulfilment
or breach (/dept/commitments/); bad input on the way."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xinyong.commitments import services
from xinyong.commitments.models import Commitment
from xinyong.records.models import Record

from .helpers import applicant, enterprise, officer, person

pytestmark = pytest.mark.django_db
CN = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _on_6_may_2026(time_machine):
    time_machine.move_to(datetime(2026, 5, 6, 10, 0, tzinfo=CN))


@pytest.fixture
def company_client(client, id_number):
    from xinyong.accounts.services import account_register

    def make(**kw):
        subject = enterprise(**kw)
        account = account_register(kind="organization", uscc=subject.uscc, name=subject.legal_rep, id_number=id_number(), mobile="13900001234",
                                   username=f"firm{subject.uscc[-6:]}", password="Xinyong-portal-2026")
        client.force_login(account.user)
        return subject

    return make


def form(**over):
    data = {"template": "licensing.approval", "department": "220100-ZJT", "case_no": "JL-XK-2026-0042", "statement": "on", "nonce": "n-0001"}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def test_an_enterprise_reads_the_whole_text_signs_and_the_public_sees_it(client, company_client):
    firm = company_client()
    choose = client.get("/my/commitments/sign/").content.decode()
    assert "行政许可告知承诺书" in choose and "资质等级评定" in choose and 'name="template"' in choose
    page = client.get("/my/commitments/sign/", {"template": "licensing.approval", "department": "220100-ZJT", "case_no": "JL-XK-2026-0042"}).content.decode()
    assert "承诺书全文" in page and firm.name in page and "JL-XK-2026-0042" in page and "长春市住房和城乡建设局" in page
    assert 'for="case_no"' in page and 'id="statement"' in page and 'name="nonce"' in page
    done = client.post("/my/commitments/sign/", form())
    assert done.status_code == 302
    c = Commitment.objects.get(subject=firm)
    assert done["Location"] == f"/my/commitments/{c.code}/"
    assert (c.door, c.department.code, c.case_no, c.status) == ("portal", "220100-ZJT", "JL-XK-2026-0042", "in_force")
    own = client.get(f"/my/commitments/{c.code}/").content.decode()
    assert c.text_sha256 in own and "已知晓行政机关告知的全部许可条件" in own
    # public: list, search by name and USCC, detail, credit file link
    client.logout()
    listed = client.get("/commitments/").content.decode()
    assert c.code in listed and firm.name in listed
    assert c.code in client.get("/commitments/", {"q": firm.uscc}).content.decode()
    assert c.code in client.get("/commitments/", {"q": "承诺建材"}).content.decode()
    assert c.code not in client.get("/commitments/", {"matter": "tendering"}).content.decode()
    assert c.code in client.get("/commitments/", {"department": "220100-ZJT", "from": "2026-05-01", "to": "2026-05-06"}).content.decode()
    assert c.code not in client.get("/commitments/", {"from": "2026-05-07"}).content.decode()
    detail = client.get(f"/commitments/{c.code}/").content.decode()
    assert "已知晓行政机关告知的全部许可条件" in detail and "履约中" in detail
    assert f'href="/commitments/?q={firm.uscc}"' in client.get(f"/subjects/{firm.uscc}/").content.decode()


def test_replay_duplicate_missing_tick_unknown_matter_and_hostile_strings(client, company_client):
    firm = company_client()
    assert client.post("/my/commitments/sign/", form()).status_code == 302
    code = Commitment.objects.get().code
    # the same form again (back button, double click): refused, pointing at the commitment
    again = client.post("/my/commitments/sign/", form(), follow=True)
    assert "该承诺已经签署" in again.content.decode() and code in again.content.decode()
    # the same matter and case with a new form
    dup = client.post("/my/commitments/sign/", form(nonce="n-0002"))
    assert dup.status_code == 409 and "不能重复签署" in dup.content.decode()
    # no statement tick
    unticked = client.post("/my/commitments/sign/", form(nonce="n-0003", case_no="JL-XK-2026-0043", statement=None))
    assert unticked.status_code == 422 and "自愿作出上述承诺" in unticked.content.decode()
    # unknown template (matter), a department outside the template's systems
    assert client.post("/my/commitments/sign/", form(nonce="n-0004", template="licensing.nope")).status_code == 422
    wrong = client.post("/my/commitments/sign/", form(nonce="n-0005", case_no="T-1", template="import_export.certification", department="220100-ZJT"))
    assert wrong.status_code == 422 and "不受理" in wrong.content.decode()
    # hostile case numbers are refused, and never echoed unescaped
    for hostile in ("<script>alert(1)</script>", "A\u202eB", "x" * 65, "'; DROP TABLE x;--"):
        bad = client.post("/my/commitments/sign/", form(nonce=f"h-{len(hostile)}", case_no=hostile))
        assert bad.status_code == 422, hostile
        assert "<script>alert(1)</script>" not in bad.content.decode()
    assert Commitment.objects.filter(subject=firm).count() == 1


def test_the_portal_form_needs_a_subject_account(client, django_user_model):
    assert client.get("/my/commitments/sign/").status_code == 302  # to the login page
    staff = django_user_model.objects.create_user(username="someone", password="Xinyong-test-2026")
    client.force_login(staff)
    assert client.get("/my/commitments/sign/").status_code == 403


def test_an_individual_is_not_published_by_name_nor_found_by_name_or_id(client, dept):
    someone, number = person("王小明")
    zjt = dept("220100-ZJT")
    c = services.commitment_sign(subject=someone, template="licensing.approval", case_no="GR-2026-1", department=zjt, statement=True,
                                 door="department", actor=officer(zjt), document=services.Document("c.pdf", "application/pdf", PDF, "0" * 64))
    listed = client.get("/commitments/").content.decode()
    assert c.code in listed and "王*明" in listed and "王小明" not in listed and number not in listed and someone.id_masked not in listed
    for q in ("王小明", number, someone.id_masked):
        assert c.code not in client.get("/commitments/", {"q": q}).content.decode()
    detail = client.get(f"/commitments/{c.code}/").content.decode()
    assert "王小明" not in detail and number not in detail and someone.id_masked not in detail and "承诺内容" not in detail


def test_a_department_records_a_paper_commitment_and_a_breach(client, operator, time_machine):
    firm = enterprise()
    user = operator("220100-ZJT")
    client.force_login(user)
    page = client.get("/dept/commitments/record/").content.decode()
    assert "行政许可告知承诺书" in page and "进出口经营信用承诺书" not in page  # only the templates the department accepts
    missing = client.post("/dept/commitments/record/", {"subject_code": firm.uscc, "template": "licensing.approval", "case_no": "ZJ-1", "statement": "on", "nonce": "d1"})
    assert missing.status_code == 422 and "须上传主体签署的承诺书" in missing.content.decode()
    exe = SimpleUploadedFile("承诺书.pdf", b"MZ\x90\x00rest", content_type="application/pdf")
    refused = client.post("/dept/commitments/record/", {"subject_code": firm.uscc, "template": "licensing.approval", "case_no": "ZJ-1", "statement": "on", "nonce": "d2", "document": exe})
    assert refused.status_code == 422 and "可执行文件" in refused.content.decode()
    ok = client.post("/dept/commitments/record/", {"subject_code": firm.uscc, "template": "licensing.approval", "case_no": "ZJ-1", "statement": "on", "nonce": "d3",
                                                     "signed_on": "2026-05-04", "document": SimpleUploadedFile("承诺书.pdf", PDF, content_type="application/pdf")})
    assert ok.status_code == 302
    c = Commitment.objects.get(subject=firm)
    assert (c.door, c.signed_on, c.document_name, c.code[:14]) == ("department", date(2026, 5, 4), "承诺书.pdf", "22010020260504")
    assert c.code in client.get("/dept/commitments/").content.decode()
    time_machine.move_to(datetime(2026, 6, 10, 10, 0, tzinfo=CN))
    client.force_login(user)  # a new working session a month later
    breach = client.post(f"/dept/commitments/{c.id}/outcome/", {"outcome": "breached", "facts": "未按承诺补正材料", "document_no": "长建认〔2026〕3号"}, follow=True)
    assert "已认定违背信用承诺" in breach.content.decode(), [m for m in breach.content.decode().split("\n") if "msg" in m or "<h1" in m]
    c.refresh_from_db()
    assert c.status == "breached" and c.breach_record.item_code == "commitment_breach.zjt"
    assert c.breach_record.batch.created_by.username == "op-220100-ZJT"
    # the public credit file shows the negative record
    file = client.get(f"/subjects/{firm.uscc}/").content.decode()
    assert "违背信用承诺信息" in file and "长建认〔2026〕3号" in file


def test_a_department_cannot_record_for_a_commitment_it_did_not_accept(client, operator, dept):
    firm = enterprise()
    zjt = dept("220100-ZJT")
    c = services.commitment_sign(subject=firm, template="licensing.approval", case_no="ZJ-9", department=zjt, statement=True, door="portal", actor=applicant(firm))
    client.force_login(operator("220100-HBT"))
    assert client.get(f"/dept/commitments/{c.id}/").status_code == 404
    assert client.post(f"/dept/commitments/{c.id}/outcome/", {"outcome": "breached", "facts": "x", "document_no": "y"}).status_code == 404  # as its page
    with pytest.raises(services.Forbidden):
        services.commitment_breach(commitment_id=c.id, department=dept("220100-HBT"), actor=officer(dept("220100-HBT")), facts="x", document_no="y")
    c.refresh_from_db()
    assert c.status == "in_force" and not Record.objects.filter(subject=firm).exists()
