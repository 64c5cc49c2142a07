"""Helpers of the designation tests: a subject with a record in force, the designating
department's actor, and the steps of the due process with concrete dates."""

from __future__ import annotations

from datetime import date

from xinyong.catalog.models import Department
from xinyong.records.models import Record
from xinyong.sanctions import services
from xinyong.security.services import Actor

DECISION = {
    "measures": "列为重点监管对象，提高检查频次；依法限制参与政府采购和招标投标。",
    "removal_terms": "列入满3年移出；满1年后可申请信用修复提前移出。",
    "remedies": "对本决定不服的，可以依法申请行政复议或者提起行政诉讼。",
}


def gsj(code: str = "220100-GSJ") -> Department:
    return Department.objects.get(code=code)


def actor_of(dept: Department, label: str = "") -> Actor:
    return Actor("user", label or f"op-{dept.code}", department_id=dept.id)


def subject_with_record(ingest, penalty_row, *, name: str = "长春市诚达商贸有限公司", doc: str = "长市监罚〔2026〕501号", dept_code: str = "220100-GSJ", item: str = "penalty.gsj", decided: str = "2026-01-15"):
    batch = ingest([penalty_row(行政相对人名称=name, doc=doc, 处罚决定日期=decided)], dept_code=dept_code, item=item)
    assert batch.accepted == 1, list(batch.row_errors.values_list("message", flat=True))
    record = Record.objects.get(batch=batch)
    return record.subject, record


def propose(list_code: str, subject, *, dept: Department | None = None, day: date, records=(), **over):
    dept = dept or gsj()
    kwargs = {
        "actor": actor_of(dept), "list_code": list_code, "subject": subject, "department": dept,
        "legal_basis": "《市场监督管理严重违法失信名单管理办法》第二条", "reason": "当事人虚假宣传，情节严重",
        "basis_record_ids": [r.id for r in records], "persons": [{"role": "法定代表人", "name": "李四"}], "day": day,
    }
    kwargs.update(over)
    return services.entry_propose(**kwargs)


def list_it(list_code: str, subject, *, proposed: date, notified: date, decided: date, dept: Department | None = None, records=(), **over):
    """Propose, notify and decide, no statement: the decision after the statement period."""
    dept = dept or gsj()
    entry = propose(list_code, subject, dept=dept, day=proposed, records=records, **over)
    services.entry_notify(actor=actor_of(dept), entry_id=entry.id, department=dept, day=notified)
    return services.entry_decide(actor=actor_of(dept), entry_id=entry.id, department=dept, decision_no=f"决定〔{decided.year}〕{entry.id}号", day=decided, **DECISION)
