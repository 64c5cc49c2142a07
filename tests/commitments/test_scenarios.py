"""Scenarios with concrete dates: sign → publish → fulfil; sign → breach → a negative record
through the ingestion pipeline and a focus-list proposal; validity expiry."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from xinyong.commitments import selectors, services
from xinyong.commitments.models import Commitment
from xinyong.ingestion.models import Batch
from xinyong.records.models import Record
from xinyong.sanctions.models import ListEntry
from xinyong.security.models import AuditEntry

from .helpers import applicant, enterprise, officer

pytestmark = pytest.mark.django_db
CN = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _on_6_may_2026(time_machine):
    time_machine.move_to(datetime(2026, 5, 6, 10, 0, tzinfo=CN))


def sign(subject, dept, template="licensing.approval", case_no="JL-XK-2026-0001", **kw):
    kw.setdefault("door", "portal")
    kw.setdefault("actor", applicant(subject))
    return services.commitment_sign(subject=subject, template=template, case_no=case_no, department=dept, statement=True, **kw)


def test_sign_publish_fulfil(dept, time_machine):
    firm = enterprise()
    zjt = dept("220100-ZJT")
    c = sign(firm, zjt)
    # the code: the division of the accepting department, the date, the day's serial
    assert c.code == "22010020260506000001"
    assert c.valid_until == date(2029, 5, 6)  # 36 months, the signing day not counted
    assert firm.name in c.text and firm.uscc in c.text and "JL-XK-2026-0001" in c.text and zjt.name in c.text
    assert c.text_sha256 == hashlib.sha256(c.text.encode()).hexdigest()
    assert c.status == "in_force" and c.fulfilment == "履约中"
    second = sign(firm, zjt, case_no="JL-XK-2026-0002")
    assert second.code == "22010020260506000002"
    # published: the public list, while in force
    assert set(selectors.public_commitments(day=date(2026, 5, 6))) == {c, second}
    assert list(selectors.public_commitments(day=date(2026, 5, 5))) == []  # not signed yet
    assert c not in selectors.public_commitments(day=date(2029, 5, 7))  # validity over
    assert c in selectors.public_commitments(day=date(2029, 5, 6))
    # fulfilled
    time_machine.move_to(datetime(2026, 6, 2, 10, 0, tzinfo=CN))
    done = services.commitment_fulfil(commitment_id=c.id, department=zjt, actor=officer(zjt), facts="已按期补齐材料，核查属实", day=date(2026, 6, 1))
    assert (done.status, done.fulfilment, done.outcome_on) == ("fulfilled", "全部履约", date(2026, 6, 1))
    assert not Record.objects.filter(subject=firm).exists()
    assert set(AuditEntry.objects.filter(object_type="commitment").values_list("action", flat=True)) == {"commitment.sign", "commitment.fulfil"}


def test_the_signed_text_stays_as_signed_when_the_template_changes(dept, monkeypatch):
    firm = enterprise()
    c = sign(firm, dept("220100-ZJT"))
    from xinyong.commitments import templates

    original = templates.get_templates().templates["licensing.approval"]
    changed = templates.Template(**{**original.__dict__, "text": "新文本{subject_name}{subject_code}{case_no}"})
    monkeypatch.setitem(templates.get_templates().templates, "licensing.approval", changed)
    c.refresh_from_db()
    assert "已知晓行政机关告知的全部许可条件" in c.text
    assert c.text_sha256 == hashlib.sha256(c.text.encode()).hexdigest()


def test_sign_breach_negative_record_and_focus_list_proposal(dept, time_machine):
    firm = enterprise()
    gsj = dept("220102-GSJ")
    c = sign(firm, gsj, template="market_access.approval", case_no="NG-DJ-2026-88")
    time_machine.move_to(datetime(2026, 7, 20, 10, 0, tzinfo=CN))
    done = services.commitment_breach(commitment_id=c.id, department=gsj, actor=officer(gsj), facts="经核查，承诺的住所不存在", document_no="南关市监认〔2026〕12号")
    assert done.status == "breached" and done.outcome_on == date(2026, 7, 20)
    record = done.breach_record
    # stored by the pipeline under the accepting department: lineage to the commitment
    assert record.item_code == "commitment_breach.gsj" and record.department.code == "220102-GSJ"
    assert record.source_id == c.code and record.document_no == "南关市监认〔2026〕12号"
    assert record.batch.door == "web" and Batch.objects.get(pk=record.batch_id).accepted == 1
    assert record.severity == "严重" and record.subject_id == firm.id
    assert record.publish_until == date(2029, 7, 20)  # serious: 3 years
    assert record.data["commitment_code"] == c.code
    # proposed for the focus list through the due process
    entry = done.focus_entry
    assert entry.list_code == "abnormal_operations" and entry.status == "proposed"
    assert entry.designating_department.code == "220102-GSJ" and entry.basis_records == [record.id]
    assert c.code in entry.reason
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"commitment.sign", "commitment.breach", "list_entry.propose", "batch.submit"} <= actions


def test_a_breach_reported_by_another_system_is_proposed_by_the_list_department(dept, time_machine):
    firm = enterprise()
    swt = dept("220100-SWT")  # 商务 accepts market access commitments but does not designate the abnormal operations list
    c = sign(firm, swt, template="market_access.approval", case_no="SW-2026-3")
    done = services.commitment_breach(commitment_id=c.id, department=swt, actor=officer(swt), facts="虚假承诺", document_no="长商认〔2026〕1号")
    assert done.breach_record.item_code == "commitment_breach.swt"
    assert done.focus_entry.designating_department.code == "220100-GSJ"
    # already in the procedure: the breach is still recorded, without a second proposal
    c2 = sign(firm, swt, template="market_access.approval", case_no="SW-2026-4")
    again = services.commitment_breach(commitment_id=c2.id, department=swt, actor=officer(swt), facts="虚假承诺", document_no="长商认〔2026〕2号")
    assert again.status == "breached" and again.focus_entry is None
    assert ListEntry.objects.filter(subject=firm).count() == 1


def test_no_focus_list_when_the_template_does_not_say_so(dept):
    firm = enterprise()
    zjt = dept("220100-ZJT")
    c = sign(firm, zjt)
    done = services.commitment_breach(commitment_id=c.id, department=zjt, actor=officer(zjt), facts="未在期限内补齐材料", document_no="长建认〔2026〕5号")
    assert done.breach_record.severity == "一般" and done.focus_entry is None
    assert not ListEntry.objects.filter(subject=firm).exists()


def test_validity_expiry(dept, time_machine):
    firm = enterprise()
    zjt = dept("220100-ZJT")
    c = sign(firm, zjt, template="licensing.incomplete")  # 6 months
    assert c.valid_until == date(2026, 11, 6)
    time_machine.move_to(datetime(2026, 11, 7, 9, 0, tzinfo=CN))
    assert c not in selectors.public_commitments()
    with pytest.raises(services.InvalidInput) as exc:
        services.commitment_breach(commitment_id=c.id, department=zjt, actor=officer(zjt), facts="逾期", document_no="X1")
    assert exc.value.code == "expired" and "2026-11-06" in exc.value.message
    # a breach found after the end but decided as of a day in force is accepted
    done = services.commitment_breach(commitment_id=c.id, department=zjt, actor=officer(zjt), facts="逾期未补齐材料", document_no="长建认〔2026〕9号", day=date(2026, 11, 6))
    assert done.status == "breached"
    assert not Commitment.objects.filter(status="in_force").exists()
