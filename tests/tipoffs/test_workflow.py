"""Tip-offs (失信举报), scenario by scenario with concrete dates: filed, routed by the credit centre
to two departments for joint verification, concluded by the lead department, the confirmed fact
recorded through the ingestion pipeline, the reporter reading the outcome; unfounded; flagged;
overdue across the National Day holiday."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.tipoffs.conftest import FACTS, REPORTER_CONTACT, penalty_values
from xinyong.cases.models import Case, CaseEvent
from xinyong.cases.selectors import work_queue
from xinyong.cases.services import cases_escalate, receipt_hash
from xinyong.cases.workflows import IllegalTransition
from xinyong.catalog.models import Department
from xinyong.common.errors import Forbidden, InvalidInput, NotFound
from xinyong.records import selectors as record_selectors
from xinyong.security.models import AuditEntry
from xinyong.subjects.models import Subject
from xinyong.tipoffs import selectors, services
from xinyong.tipoffs.models import Tipoff


def dept(code: str) -> Department:
    return Department.objects.get(code=code)


def route(case, parties, *, day=date(2026, 9, 16), joint=("220100-HBT",)):
    _, party, actor = parties["centre"]
    return services.tipoff_route(case=case, lead=dept("220100-GSJ"), joint=[dept(c) for c in joint], party=party, actor=actor, day=day)


def test_filed_routed_to_two_departments_confirmed_by_the_lead_recorded_and_read_by_the_reporter(report, parties, clock, upload):
    clock("2026-09-15")
    subject, case, code = report(uploads=[upload()])
    # filed on Tuesday 2026-09-15: with the credit centre for 5 working days; Sunday 2026-09-20 is
    # a working day (make-up for the Mid-Autumn holiday), so the 5th is Monday 2026-09-21
    assert (case.state, case.holder.code, case.due_on) == ("routing", "220000-FGW", date(2026, 9, 21))
    assert case.applicant_name == "举报人" and case.applicant_contact_encrypted == "" and case.applicant_user_id is None
    assert Case.objects.get(receipt_hash=receipt_hash(code)) == case
    assert selectors.progress_by_receipt(code).state == "信用中心分办中"

    # the category suggests the market regulator of the subject's city
    assert [d.code for d in selectors.routing_choices(case)[0]] == ["220100-GSJ"]
    case = route(case, parties)
    # verifying from 2026-09-16: 20 working days across the National Day holiday (10-01..10-07,
    # Saturday 10-10 worked) end on 2026-10-20
    assert (case.state, case.holder.code, case.department.code, case.due_on) == ("verifying", "220100-GSJ", "220100-GSJ", date(2026, 10, 20))
    assert {(r.department.code, r.role, r.active) for r in case.routes.all()} >= {("220100-GSJ", "lead", True), ("220100-HBT", "joint", True)}

    # the joint department's finding does not conclude the case, whatever it says
    _, joint, joint_actor = parties["joint"]
    services.tipoff_finding(case=case, finding="confirmed", note="现场检查发现广告价格与实际售价不符", party=joint, actor=joint_actor, day=date(2026, 9, 25))
    case.refresh_from_db()
    assert case.state == "verifying"
    with pytest.raises(Forbidden):  # the credit centre enters no finding of its own
        services.tipoff_finding(case=case, finding="confirmed", note="x", reply="x", party=parties["centre"][1], actor=parties["centre"][2])

    # the lead department confirms: 查证属实, with the public reply
    _, lead, lead_actor = parties["lead"]
    services.tipoff_finding(case=case, finding="confirmed", note="经调取销售记录核实", reply="经核查，举报反映的虚假宣传问题属实，已依法立案处理。", party=lead, actor=lead_actor, day=date(2026, 10, 9))
    case.refresh_from_db()
    assert (case.state, case.outcome, case.is_open, case.closed_on) == ("confirmed", "confirmed", False, date(2026, 10, 9))
    with pytest.raises(IllegalTransition):
        services.tipoff_finding(case=case, finding="unfounded", note="x", reply="x", party=joint, actor=joint_actor)

    # the resulting record goes through the ingestion pipeline, its lineage naming the case
    clock("2026-10-12")
    with pytest.raises(Forbidden):  # only the lead department records it
        services.tipoff_record(case=case, item_code="penalty.hbt", values={}, party=joint, actor=joint_actor)
    with pytest.raises(InvalidInput) as bad:
        services.tipoff_record(case=case, item_code="penalty.gsj", values={**penalty_values(subject), "decision_no": ""}, party=lead, actor=lead_actor)
    assert "行政处罚决定书文号" in bad.value.message
    record = services.tipoff_record(case=case, item_code="penalty.gsj", values=penalty_values(subject), party=lead, actor=lead_actor, user=parties["lead"][0])
    assert (record.subject_id, record.department.code, record.document_no) == (subject.pk, "220100-GSJ", "长市监罚〔2026〕901号")
    assert record.batch.filename == f"tipoff-case-{case.pk}.ndjson" and record.batch.door == "web"
    assert list(case.records.all()) == [record] and Tipoff.objects.get(case=case).record == record
    assert record_selectors.record_is_public(record, date(2026, 10, 12))
    with pytest.raises(Exception, match="已经录入"):
        services.tipoff_record(case=case, item_code="penalty.gsj", values=penalty_values(subject), party=lead, actor=lead_actor)

    # the reporter reads the outcome with the receipt code: status and public reply only
    progress = selectors.progress_by_receipt(code)
    assert (progress.state, progress.outcome) == ("查证属实", "查证属实")
    assert progress.reply == "经核查，举报反映的虚假宣传问题属实，已依法立案处理。"
    assert AuditEntry.objects.filter(action__in=["case.tipoff.file", "tipoff.route", "tipoff.finding", "case.tipoff.confirm", "tipoff.record"], object_id=str(case.pk)).count() == 6


def test_unfounded_then_flagged_and_counted_per_contact(report, parties, firm):
    subject, case, code = report()
    route(case, parties, joint=())
    _, lead, lead_actor = parties["lead"]
    services.tipoff_finding(case=case, finding="unfounded", note="现场核查未发现所称广告", reply="经核查，未发现举报反映的问题。", party=lead, actor=lead_actor, day=date(2026, 9, 30))
    case.refresh_from_db()
    assert (case.state, case.outcome) == ("unfounded", "unfounded")
    progress = selectors.progress_by_receipt(code)
    assert (progress.state, progress.outcome, progress.reply) == ("查无实据", "查无实据", "经核查，未发现举报反映的问题。")

    # the same contact reports again (written differently): flags are counted per contact
    _, second, _ = report(contact="137 1234-5678")
    tipoff = Tipoff.objects.get(case=case)
    assert selectors.flag_count(tipoff) == 0
    centre_user, centre, centre_actor = parties["centre"]
    with pytest.raises(Forbidden):
        services.tipoff_flag(case=case, reason="捏造事实", party=lead, actor=lead_actor)
    with pytest.raises(IllegalTransition):  # an open tip-off is not flagged
        services.tipoff_flag(case=second, reason="捏造事实", party=centre, actor=centre_actor)
    services.tipoff_flag(case=case, reason="经核查举报人捏造事实，系同行恶意举报", party=centre, actor=centre_actor)
    assert selectors.flag_count(Tipoff.objects.get(case=second)) == 1  # no sanction: just the count
    assert REPORTER_CONTACT not in str(Tipoff.objects.filter(case=second).values().get())

    # the credit centre closes an out-of-scope tip-off before routing it
    _, third, third_code = report(subject=subject, contact="")
    services.tipoff_reject(case=third, reply="举报内容不属于失信行为举报受理范围。", party=centre, actor=centre_actor)
    assert selectors.progress_by_receipt(third_code).outcome == "查无实据"
    assert selectors.flag_count(Tipoff.objects.get(case=third)) is None  # no contact, nothing counted


def test_overdue_verification_escalates_to_the_credit_centre_across_national_day(report, parties):
    subject, case, code = report(day=date(2026, 9, 18))
    case = route(case, parties, day=date(2026, 9, 21), joint=())
    # 20 working days from Monday 2026-09-21 across the holiday: Monday 2026-10-26
    assert case.due_on == date(2026, 10, 26)
    assert cases_escalate(day=date(2026, 10, 26)) == 0  # the last day is still in time
    assert cases_escalate(day=date(2026, 10, 27)) == 1
    case.refresh_from_db()
    assert case.escalated_at is not None
    assert case in work_queue(parties["centre"][1], escalated=True)  # in the credit centre's 督办 queue
    assert CaseEvent.objects.filter(case=case, action="escalate").exists()
    assert selectors.progress_by_receipt(code).state == "联合核查中"
    assert cases_escalate(day=date(2026, 10, 28)) == 0  # once


def test_only_the_credit_centre_routes_and_reveals(report, parties):
    subject, case, code = report()
    _, lead, lead_actor = parties["lead"]
    with pytest.raises(Forbidden):
        services.tipoff_route(case=case, lead=dept("220100-GSJ"), party=lead, actor=lead_actor)
    with pytest.raises(Forbidden):
        services.tipoff_reveal(case=case, reason="需要联系举报人补充证据材料", party=lead, actor=lead_actor)
    _, centre, centre_actor = parties["centre"]
    with pytest.raises(InvalidInput):  # a reason is required, and a real one
        services.tipoff_reveal(case=case, reason="看看", party=centre, actor=centre_actor)
    assert not AuditEntry.objects.filter(action="tipoff.reveal").exists()
    identity = services.tipoff_reveal(case=case, reason="需要联系举报人补充证据材料", party=centre, actor=centre_actor)
    assert identity["name"] == "孙秀峰" and identity["contact"] == REPORTER_CONTACT and identity["ip"] == "203.0.113.7"
    entry = AuditEntry.objects.get(action="tipoff.reveal")
    assert entry.detail["reason"] == "需要联系举报人补充证据材料" and "孙秀峰" not in str(entry.detail)
    event = CaseEvent.objects.get(case=case, action="reveal")
    assert not event.public and "需要联系举报人补充证据材料" in event.note


def test_bad_input_and_enumeration(report, firm, send, id_number, clock):
    from tests.portal.conftest import debtor_row, penalty, person, traffic_row

    clock("2026-11-20")
    subject, _ = firm()

    def submit(**kw):
        args = {"subject_key": subject.uscc, "category": "market_fraud", "facts": FACTS, "reporter": services.Reporter(), "day": date(2026, 11, 20)} | kw
        return services.tipoff_submit(**args)

    with pytest.raises(InvalidInput, match="举报类别"):
        submit(category="nonsense")
    with pytest.raises(InvalidInput, match="不能超过"):
        submit(facts="假" * 5001)
    with pytest.raises(InvalidInput, match="不能晚于今天"):
        submit(occurred_from=date(2026, 11, 21))
    with pytest.raises(InvalidInput, match="不能早于"):
        submit(occurred_from=date(2026, 9, 10), occurred_until=date(2026, 9, 1))
    with pytest.raises(InvalidInput, match="姓名"):
        submit(reporter=services.Reporter(name="张" * 51))

    # private individuals (a traffic violation: authorized query only; a penalty: name not
    # published) and nobody: the same answer after the same work
    send("traffic_violation", [traffic_row("钱小红", id_number("220102"))], "220100-GAT")
    send("penalty.gsj", [penalty(person("周大勇", id_number("220102")), "长市监罚〔2026〕501号", 处罚决定日期="2026-09-01")], "220100-GSJ")
    private = Subject.objects.get(kind="individual", name="钱小红")
    fined = Subject.objects.get(kind="individual", name="周大勇")
    answers = []
    for key in (f"p-{private.public_id}", f"p-{fined.public_id}", "p-0b6f9c1e-6d0e-4f5e-9d5c-3c1d2e4f5a6b"):
        with CaptureQueriesContext(connection) as queries, pytest.raises(NotFound) as exc:
            submit(subject_key=key)
        answers.append((exc.value.message, exc.value.code, len(queries)))
    assert answers[0] == answers[1] == answers[2]
    with pytest.raises(NotFound):
        submit(subject_key="91220101MA00000000")
    # an individual the law publishes (a dishonest judgment debtor) may be reported by public id
    send("dishonest_debtor", [debtor_row("李大山", id_number=id_number("220102"))], "220100-FY")
    published = Subject.objects.get(kind="individual", name="李大山")
    case, _ = submit(subject_key=f"p-{published.public_id}")
    assert case.subject == published and "李*山" in case.title and "李大山" not in case.title
    assert Case.objects.filter(kind="tipoff").count() == 1


def test_demo_files_three_tipoffs_in_different_states_once(firm, staff):
    from xinyong.tipoffs.demo import demo_tipoffs_ensure

    for _ in range(3):
        firm()
    assert demo_tipoffs_ensure() == {"tipoffs": 3}
    cases = Case.objects.filter(kind="tipoff").order_by("id")
    assert [c.state for c in cases] == ["routing", "verifying", "unfounded"]
    assert cases[1].routes.filter(active=True).count() >= 1 and cases[2].tipoff.public_reply
    assert demo_tipoffs_ensure() == {"tipoffs": 0}


def test_categories_are_checked_against_the_catalog(tmp_path):
    from xinyong.common.errors import CatalogError
    from xinyong.tipoffs.categories import categories, load_categories

    assert {"market_fraud", "environment", "other"} <= set(categories())
    assert categories()["food_drug"].items == ("penalty.syj", "penalty.gsj")
    bad = tmp_path / "categories.yaml"
    bad.write_text('version: "x"\ncategories:\n  - code: a\n    label: 甲\n    items: [penalty.nowhere]\n', encoding="utf-8")
    with pytest.raises(CatalogError, match=r"categories.yaml:\d+: .*penalty.nowhere"):
        load_categories(bad)
    bad.write_text('version: "x"\ncategories:\n  - code: a\n    label: 甲\n    systems: [NOPE]\n', encoding="utf-8")
    with pytest.raises(CatalogError, match="NOPE"):
        load_categories(bad)
