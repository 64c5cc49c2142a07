"""Fixtures for tip-offs: an enterprise with a public file (tests.cases.conftest.firm), a tip-off
filed about it through the service, the parties of the joint verification."""

from __future__ import annotations

from datetime import date

import pytest

from tests.cases.conftest import account, actor_of, clock, firm, party_of, staff, upload  # noqa: F401 (fixtures)
from xinyong.tipoffs import services

REPORTER_NAME = "孙秀峰"
REPORTER_CONTACT = "13712345678"
FACTS = "该公司在其门店张贴“全市最低价”广告，实际售价高于周边商户，并拒绝按广告价格结算。"


def penalty_values(subject, *, decided: str = "2026-10-09", doc: str = "长市监罚〔2026〕901号") -> dict:
    """The fields (by name) of a penalty the lead department records after confirming."""
    return {
        "subject_name": subject.name, "subject_category": "法人及非法人组织", "uscc": subject.uscc, "legal_rep": "赵立新",
        "decision_no": doc, "violation_type": "虚假宣传", "facts": "在门店张贴虚假价格广告",
        "basis": "《中华人民共和国广告法》第五十五条", "penalty_category": "警告；罚款", "content": "警告，罚款人民币1万元",
        "fine_amount": "1", "decision_date": decided, "severity": "一般",
        "authority": "长春市市场监督管理局", "authority_uscc": "11220100MB1957950T",
        "source_unit": "长春市市场监督管理局", "source_unit_uscc": "11220100MB1957950T",
    }


@pytest.fixture
def report(firm):  # noqa: F811 (the fixture imported above)
    """report(day=..., **reporter) → (subject, case, receipt code): a tip-off about a new firm."""

    def make(*, day: date = date(2026, 9, 15), subject=None, category: str = "market_fraud", name: str = REPORTER_NAME, contact: str = REPORTER_CONTACT, user=None, uploads=()):
        if subject is None:
            subject, _ = firm(decided="2026-05-10")
        case, code = services.tipoff_submit(
            subject_key=subject.uscc, category=category, facts=FACTS, occurred_from=date(2026, 9, 1),
            reporter=services.Reporter(name=name, contact=contact, user=user, ip="203.0.113.7"), uploads=uploads, day=day,
        )
        return subject, case, code

    return make


@pytest.fixture
def parties(staff):  # noqa: F811 (the fixture imported above)
    """The credit centre, the lead (长春市市场监督管理局) and a joint department (长春市生态环境局)."""
    users = {"centre": staff(), "lead": staff("220100-GSJ"), "joint": staff("220100-HBT")}
    return {k: (u, party_of(u), actor_of(u)) for k, u in users.items()}
