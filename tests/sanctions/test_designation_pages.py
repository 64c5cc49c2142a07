"""The department pages of the designated lists (/dept/lists/), without JavaScript: propose,
notify, record a statement, decide, remove, the timeline; who may act (another department's entry:
404; a department that does not designate the list: 403 with the reason);
and the public /lists/ pages, which show an entry only once it is listed."""

from __future__ import annotations

from datetime import date

from xinyong.portal.selectors import subject_url
from xinyong.sanctions.models import ListEntry, ListEntryStep
from xinyong.sanctions.selectors import list_counts
from xinyong.security.models import AuditEntry

from .designation import DECISION, subject_with_record


def _propose_form(subject, **over) -> dict:
    data = {
        "subject": subject.uscc,
        "legal_basis": "《企业信息公示暂行条例》第十七条",
        "reason": "通过登记的住所无法联系",
        "basis_records": "",
        "day": "2026-11-02",
    }
    data.update(over)
    return data


def test_a_department_designates_an_entry_step_by_step_and_the_public_sees_it_only_when_listed(client, operator, ingest, penalty_row):
    subject, record = subject_with_record(ingest, penalty_row, name="长春市失联商贸有限公司")
    client.force_login(operator("220100-GSJ", username="zhao"))

    home = client.get("/dept/lists/")
    assert home.status_code == 200
    page = home.content.decode()
    assert 'href="/dept/lists/propose/abnormal_operations/"' in page and "拟列入严重违法失信名单" in page
    assert "拟列入教育领域失信重点关注名单" not in page  # another system's list

    form = client.get("/dept/lists/propose/abnormal_operations/")
    assert form.status_code == 200
    assert "《企业信息公示暂行条例》第十七条；《企业经营异常名录管理暂行办法》" in form.content.decode()  # the list's basis, prefilled
    assert '<label for="id_legal_basis">' in form.content.decode()

    # no legal basis: refused, with the reason on the field, nothing stored
    bad = client.post("/dept/lists/propose/abnormal_operations/", _propose_form(subject, legal_basis=""))
    assert bad.status_code == 400
    assert "须写明列入的法律依据" in bad.content.decode()
    assert not ListEntry.objects.filter(source="designation").exists()

    made = client.post("/dept/lists/propose/abnormal_operations/", _propose_form(subject, basis_records=str(record.id)))
    entry = ListEntry.objects.get(source="designation")
    assert made.status_code == 302 and made["Location"] == f"/dept/lists/{entry.id}/"
    assert entry.status == "proposed" and entry.basis_records == [record.id] and entry.proposed_on == date(2026, 11, 2)

    def public_sees() -> bool:
        listing = client.get("/lists/abnormal_operations/").content.decode()
        detail = client.get(f"/lists/abnormal_operations/{entry.id}/")
        assert ("长春市失联商贸有限公司" in listing) == (detail.status_code == 200)
        assert list_counts()["abnormal_operations"] == (1 if detail.status_code == 200 else 0)  # the home page's count
        assert ("经营异常名录" in client.get(subject_url(subject)).content.decode()) == (detail.status_code == 200)  # the credit file
        return detail.status_code == 200

    assert not public_sees()
    assert client.get(f"/dept/lists/{entry.id}/").status_code == 200
    assert AuditEntry.objects.filter(action="list_entry.view", object_id=str(entry.id), actor_label="zhao").count() == 1  # not public yet: the read is audited
    assert client.post(f"/dept/lists/{entry.id}/notify/", {"day": "2026-11-02", "notice": ""}).status_code == 302
    entry.refresh_from_db()
    assert entry.status == "notified" and entry.statement_due == date(2026, 11, 9)
    assert not public_sees()
    # a replayed notice (the form sent twice) is refused and says why
    again = client.post(f"/dept/lists/{entry.id}/notify/", {"day": "2026-11-02"})
    assert again.status_code == 409 and "该条目已于2026-11-02告知，不能重复告知" in again.content.decode()

    assert client.post(f"/dept/lists/{entry.id}/statement/", {"day": "2026-11-04", "statement": "公司已迁至新址，附租赁合同"}).status_code == 302
    decide = {"day": "2026-11-10", "decision_no": "长市监异〔2026〕88号", **DECISION}
    unanswered = client.post(f"/dept/lists/{entry.id}/decide/", decide)
    assert unanswered.status_code == 422 and "须写明核实及采纳情况" in unanswered.content.decode()
    decide["statement_reply"] = "经实地核查，新址无人办公，不予采纳。"
    assert client.post(f"/dept/lists/{entry.id}/decide/", decide).status_code == 302
    entry.refresh_from_db()
    assert entry.status == "listed" and entry.listed_on == date(2026, 11, 10) and entry.expires_on is None
    assert public_sees()
    public = client.get(f"/lists/abnormal_operations/{entry.id}/").content.decode()
    assert "长市监异〔2026〕88号" in public and DECISION["remedies"] in public and "公司已迁至新址" not in public

    timeline = client.get(f"/dept/lists/{entry.id}/").content.decode()
    for label in ("拟列入", "告知", "陈述申辩", "列入决定", "2026-11-09"):
        assert label in timeline
    assert f'action="/dept/lists/{entry.id}/remove/"' in timeline  # the next step's form
    assert '<label for="remove-reason">' in timeline and 'id="remove-reason"' in timeline  # ids unique on a page of several forms

    assert client.post(f"/dept/lists/{entry.id}/remove/", {"day": "2026-11-30", "kind": "revocation", "reason": "行政复议撤销列入决定"}).status_code == 302
    entry.refresh_from_db()
    assert entry.status == "removed" and entry.removal_kind == "revocation"
    assert not public_sees()


def test_another_department_cannot_see_nor_remove_an_entry(client, operator, ingest, penalty_row):
    subject, _ = subject_with_record(ingest, penalty_row)
    client.force_login(operator("220100-GSJ", username="zhao"))
    client.post("/dept/lists/propose/abnormal_operations/", _propose_form(subject))
    entry = ListEntry.objects.get(source="designation")

    client.force_login(operator("220102-GSJ", username="qian"))
    # another department's entry is not found, as an id that does not exist: neither the entry nor
    # its designating department is revealed (a proposed entry is not public)
    seen = client.get(f"/dept/lists/{entry.id}/")
    assert seen.status_code == 404 and "长春市" not in seen.content.decode()
    assert client.get(f"/dept/lists/{entry.id + 1000}/").status_code == 404
    removal = client.post(f"/dept/lists/{entry.id}/drop/", {"day": "2026-11-30", "reason": "越权"})
    assert removal.status_code == 404 and "长春市" not in removal.content.decode()
    entry.refresh_from_db()
    assert entry.status == "proposed"
    assert "长春市" not in client.get("/dept/lists/").content.decode().split("<h2>本部门认定的名单条目</h2>")[1].split("</table>")[0]

    client.force_login(operator("220100-HBT", username="sun"))
    refused = client.get("/dept/lists/propose/abnormal_operations/")
    assert refused.status_code == 403 and "经营异常名录由工商行政管理部门认定，本部门不能拟列入。" in refused.content.decode()


def test_credit_centre_staff_act_for_the_designating_department_and_it_is_recorded(client, platform_admin, ingest, penalty_row):
    subject, _ = subject_with_record(ingest, penalty_row)
    client.force_login(platform_admin)
    form = client.get("/dept/lists/propose/abnormal_operations/").content.decode()
    assert "长春市市场监督管理局" in form  # staff choose the designating department
    missing = client.post("/dept/lists/propose/abnormal_operations/", _propose_form(subject))
    assert missing.status_code == 400 and "请选择认定机关" in missing.content.decode()
    made = client.post("/dept/lists/propose/abnormal_operations/", _propose_form(subject, department="220100-GSJ"))
    assert made.status_code == 302
    entry = ListEntry.objects.get(source="designation")
    assert entry.designating_department.code == "220100-GSJ"
    assert client.post(f"/dept/lists/{entry.id}/notify/", {"day": "2026-11-02"}).status_code == 302
    steps = list(ListEntryStep.objects.filter(entry=entry).order_by("id"))
    assert [(s.step, s.on_behalf, s.department.code) for s in steps] == [("propose", True, "220100-GSJ"), ("notify", True, "220100-GSJ")]
    audits = AuditEntry.objects.filter(object_type="list_entry", object_id=str(entry.id))
    assert audits.count() == 2 and all(a.purpose == "信用中心代为办理" and a.actor_label == "credit-centre" for a in audits)
    assert "信用中心代为办理" in client.get(f"/dept/lists/{entry.id}/").content.decode()


def test_the_pages_need_a_department_or_staff_account(client, django_user_model):
    assert client.get("/dept/lists/").status_code == 302  # to the login page
    client.force_login(django_user_model.objects.create_user(username="nobody", password="Xinyong-test-2026"))
    assert client.get("/dept/lists/").status_code == 403
    assert client.get("/dept/lists/999999/").status_code == 403
