"""What the demo province gets from the agency registry: five organizations registered as credit
service agencies of different types and states (two with 人民银行, three with 省金融办: one
suspended, one exited), one complaint open and one closed with a reply — all through the
services, as the departments and the public would. Called by `xinyong demo` after loading; a
second call registers nothing more."""

from __future__ import annotations

from datetime import timedelta

from xinyong.cases.services import Party
from xinyong.catalog.models import Department
from xinyong.security.services import Actor
from xinyong.subjects.models import Subject

from . import services
from .models import Agency
from .rules import rules

# (business types, licence number, days since entry, final status)
DEMO_AGENCIES = [
    (["enterprise_credit_reporting"], "银长征备〔2019〕2号", 2400, "active"),
    (["credit_rating"], "银长评备〔2021〕1号", 1500, "active"),
    (["credit_consulting", "credit_investigation"], "吉金信备〔2022〕15号", 1100, "active"),
    (["factoring"], "吉金保备〔2023〕6号", 700, "suspended"),
    (["credit_guarantee"], "吉融担许〔2018〕9号", 2900, "exited"),
]


def _supervisor(codes: list[str]) -> Department:
    system = rules().type(codes[0]).authority
    return Department.objects.filter(system=system, level="province", active=True).order_by("code").first()


def demo_agencies_ensure() -> dict:
    """Register the demo agencies (the first organizations of the province by id, registered
    enterprises) and file the two complaints; nothing when agencies exist already."""
    done = {"agencies": 0, "complaints": 0}
    if Agency.objects.exists():
        return done
    day = services.today()
    actor = Actor.system("演示数据")
    subjects = list(Subject.objects.filter(kind="enterprise", registered=True, uscc__isnull=False).order_by("id")[: len(DEMO_AGENCIES)])
    agencies = []
    for subject, (codes, licence, age, status) in zip(subjects, DEMO_AGENCIES, strict=False):
        dept = _supervisor(codes)
        agency = services.agency_register(
            uscc=subject.uscc, business_types=codes, licence_no=licence, entered_on=day - timedelta(days=age), key_staff=5 + age // 200,
            service_note="（演示）" + "、".join(rules().type_names(codes)) + "服务。", department=dept, actor=actor, day=day,
        )
        if status == "suspended":
            services.agency_suspend(agency_id=agency.pk, reason="（演示）未按规定报送业务数据，责令暂停整改。", on=day - timedelta(days=30), department=dept, actor=actor, day=day)
        elif status == "exited":
            services.agency_exit(agency_id=agency.pk, reason="（演示）融资担保业务经营许可证注销，退出信用服务市场。", on=day - timedelta(days=90), department=dept, actor=actor, day=day)
        agencies.append(agency)
        done["agencies"] += 1
    if len(agencies) >= 3:
        consulting = agencies[2]
        public = Actor("public", "演示投诉人")
        someone = services.Complainant(name="演示投诉人", contact="13900001234")
        services.complaint_file(agency_id=consulting.pk, complainant=someone, service="credit_consulting",
                                facts="（演示）机构以“信用修复”为名收取费用，承诺删除不良记录，至今未办理。", demand="退还费用", actor=public, day=day)
        closed, _ = services.complaint_file(agency_id=agencies[0].pk, complainant=someone, service="enterprise_credit_reporting",
                                            facts="（演示）机构出具的企业信用报告中引用了已撤销的处罚信息。", actor=public, day=day)
        services.complaint_close(case=closed, outcome="partly", reply="（演示）经查部分属实，已责令机构更正报告并加强数据核验。",
                                 party=Party("staff", department=agencies[0].supervisor), actor=actor, day=day)
        done["complaints"] = 2
    return done
