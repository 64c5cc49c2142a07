"""Helpers of the annual report tests: enterprises as registration leaves them, the content of
a report as an enterprise fills it in, actors."""

from __future__ import annotations

import random
from datetime import date

from xinyong.demo.codes import make_uscc
from xinyong.security.services import Actor
from xinyong.subjects.models import Subject

_rng = random.Random(2014654)


def enterprise(name: str = "长春市年报商贸有限公司", *, region: str = "220102", established: date = date(2025, 3, 1), status: str = "存续", kind: str = "enterprise", legal_rep: str = "张三") -> Subject:
    return Subject.objects.create(
        kind=kind, uscc=make_uscc(_rng, region=region, prefix="91" if kind == "enterprise" else "52"), name=name, name_key=name,
        region=region, status=status, registered_on=established, registered=True, legal_rep=legal_rep,
    )


def report_data(**over) -> dict:
    data = {
        "address": "吉林省长春市南关区人民大街1号", "postcode": "130000", "phone": "13912345678", "email": "office@example.com",
        "business_status": "开业", "has_investments": "否", "has_equity_transfer": "否", "website": "https://www.example.com",
        "employees": "25", "total_assets": "1200.5", "total_liabilities": "300", "revenue": "860", "net_profit": "-12.5", "total_tax": "45.2",
        "publish_finances": "否",
    }
    data.update(over)
    return data


def owner(subject: Subject) -> Actor:
    return Actor("user", f"企业账户-{subject.uscc}")


def system() -> Actor:
    return Actor.system("测试")
