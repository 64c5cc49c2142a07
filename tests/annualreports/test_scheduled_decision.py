"""sanctions.services.entries_decide_scheduled: the "listed by a scheduled decision" path of the
list life cycle, on its own (the annual report job is its caller)."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.catalog.models import Department
from xinyong.common.errors import Forbidden, InvalidInput
from xinyong.records.models import ChangeEvent
from xinyong.sanctions import services
from xinyong.sanctions.models import ListEntry
from xinyong.security.models import AuditEntry
from xinyong.security.services import Actor
from xinyong.subjects.models import Subject

from .helpers import enterprise

pytestmark = pytest.mark.django_db

TEXTS = {"legal_basis": "《企业信息公示暂行条例》第十七条", "reason": "未按期公示年度报告", "decision_no": "南关市监异〔2026〕1号",
         "measures": "列入经营异常名录", "removal_terms": "补报后申请移出", "remedies": "可以申请行政复议"}


def decide(subjects, *, list_code="abnormal_operations", dept="220102-GSJ", day=date(2026, 7, 14), **over):
    kwargs = {**TEXTS, **over}
    return services.entries_decide_scheduled(actor=Actor.system("测试"), list_code=list_code, department=Department.objects.get(code=dept), subjects=subjects, rule="test:1", day=day, **kwargs)


def test_lists_every_subject_once_with_a_step_an_event_and_one_audit_entry():
    a, b, c = enterprise("甲公司"), enterprise("乙公司"), enterprise("丙公司")
    services.entry_propose(actor=Actor.system("测试"), list_code="abnormal_operations", subject=c, department=Department.objects.get(code="220102-GSJ"),
                           legal_basis="依据", reason="住所无法联系", day=date(2026, 7, 1))  # already in the procedure
    assert decide(Subject.objects.filter(pk__in=[a.pk, b.pk, c.pk])) == 2
    entries = ListEntry.objects.filter(rule="test:1").order_by("id")
    assert [e.subject_id for e in entries] == [a.pk, b.pk]
    for e in entries:
        assert (e.status, e.source, e.listed_on, e.proposed_on, e.decision_no, e.basis_records, e.persons) == ("listed", "designation", date(2026, 7, 14), date(2026, 7, 14), TEXTS["decision_no"], [], [])
        assert [(s.step, s.on, s.department.code) for s in e.steps.all()] == [("decide", date(2026, 7, 14), "220102-GSJ")]
        assert list(ChangeEvent.objects.filter(entity="list_entry", entity_id=e.id).values_list("op", flat=True)) == ["ADD"]
    audit = AuditEntry.objects.get(action="list_entry.decide_scheduled")
    assert audit.detail["listed"] == 2 and audit.object_id == TEXTS["decision_no"]
    assert decide(Subject.objects.filter(pk__in=[a.pk, b.pk])) == 0  # already listed
    assert AuditEntry.objects.filter(action="list_entry.decide_scheduled").count() == 1


def test_refusals():
    s = Subject.objects.filter(pk=enterprise().pk)
    with pytest.raises(InvalidInput, match="先警示后惩戒"):
        decide(s, list_code="serious_violation")
    with pytest.raises(Forbidden):
        decide(s, dept="220100-HBT")
    with pytest.raises(InvalidInput) as exc:
        decide(s, legal_basis=" ", remedies="")
    assert set(exc.value.fields) == {"legal_basis", "remedies"}
    with pytest.raises(InvalidInput):
        decide(s, list_code="dishonest_debtors")  # a derived list
    assert not ListEntry.objects.exists()
