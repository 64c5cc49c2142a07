"""What the demo province gets from the tip-off platform: three tip-offs in different states — one
waiting for the credit centre to route it, one under joint verification by two departments, one
concluded 查无实据 — filed and moved through the services as the public and the staff would.
Called by `xinyong demo` after loading; a second call files nothing more."""

from __future__ import annotations

from xinyong.cases.models import Case
from xinyong.cases.services import Party, today
from xinyong.security.services import Actor
from xinyong.subjects.models import Subject

from . import services
from .categories import category, suggested_departments

DEMO = [
    ("market_fraud", "（演示）该公司门店长期张贴“全市最低价”广告，实际售价高于周边商户，并拒绝按广告价格结算。", None),
    ("environment", "（演示）该企业夜间通过暗管向附近河道排放未经处理的生产废水，水体发黑有异味。", "verifying"),
    ("wage_arrears", "（演示）该公司拖欠项目工地农民工工资三个月未支付。", "unfounded"),
]


def demo_tipoffs_ensure() -> dict:
    """File the demo tip-offs about organizations with a public file; returns how many."""
    if Case.objects.filter(kind="tipoff").exists():
        return {"tipoffs": 0}
    day = today()
    centre = Party("staff", staff=True)
    actor = Actor.system("演示数据")
    subjects = list(Subject.objects.filter(registered=True, uscc__isnull=False).exclude(kind="individual").order_by("id")[: len(DEMO)])
    filed = 0
    for subject, (code, facts, state) in zip(subjects, DEMO, strict=False):
        case, _ = services.tipoff_submit(subject_key=subject.uscc, category=code, facts=facts, reporter=services.Reporter(name="演示举报人", contact="13900005678"), day=day)
        filed += 1
        depts = suggested_departments(category(code), subject)
        if state is None or not depts:
            continue
        services.tipoff_route(case=case, lead=depts[0], joint=depts[1:], party=centre, actor=actor, day=day)
        if state == "unfounded":
            lead = Party("staff", department=depts[0])
            services.tipoff_finding(case=case, finding="unfounded", note="（演示）经查阅工资支付台账和银行流水，工资已按月足额支付。", reply="（演示）经核查，未发现举报反映的拖欠工资问题。", party=lead, actor=actor, day=day)
    return {"tipoffs": filed}
