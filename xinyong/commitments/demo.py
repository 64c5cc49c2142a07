"""What the demo province gets from commitments: a few signed commitments (in the portal and on
paper, recorded by the accepting department) and one breach, through the services, so that the
public list, the credit files and the departments' pages have something to show. Called by
`xinyong demo` after loading; a second call signs nothing more."""

from __future__ import annotations

from datetime import timedelta

from xinyong.catalog.models import Department
from xinyong.common.uploads import Document
from xinyong.records.selectors import today
from xinyong.security.services import Actor
from xinyong.subjects.models import Subject

from . import services
from .models import Commitment
from .templates import get_templates

DEMO_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
# (template, door) of the demo commitments; the last one is breached
PLAN = [
    ("licensing.approval", "portal"),
    ("tendering.certification", "department"),
    ("funding.certification", "department"),
    ("qualification.certification", "portal"),
    ("market_access.approval", "department"),
]


PREFERRED = ("ZJT", "GSJ", "CZT", "FGW")  # the demo's accepting systems, when a template accepts them


def _department(template, region: str) -> Department | None:
    for system in sorted(template.systems, key=lambda s: (s not in PREFERRED, PREFERRED.index(s) if s in PREFERRED else 0, s)):
        for code in (f"{region[:4]}00-{system}", f"220000-{system}"):
            dept = Department.objects.filter(code=code, active=True).select_related("region").first()
            if dept is not None:
                return dept
    return None


def demo_commitments_ensure() -> dict:
    if Commitment.objects.filter(case_no__startswith="DEMO-").exists():
        return {"signed": 0, "breached": 0}
    day = today()
    subjects = list(Subject.objects.filter(kind="enterprise", uscc__isnull=False, registered=True).exclude(region="").order_by("id")[: len(PLAN)])
    signed = breached = 0
    last = None
    for n, (subject, (code, door)) in enumerate(zip(subjects, PLAN, strict=False), start=1):
        template = get_templates().get(code)
        dept = _department(template, subject.region) if template else None
        if dept is None:
            continue
        paper = door == "department"
        last = services.commitment_sign(
            subject=subject, template=code, case_no=f"DEMO-{day.year}-{n:04d}", department=dept, statement=True, door=door,
            actor=Actor("user", f"演示经办人@{dept.code}" if paper else f"演示企业账户-{subject.uscc}"),
            document=Document("承诺书.pdf", "application/pdf", DEMO_PDF, "") if paper else None,
            signed_on=day - timedelta(days=30) if paper else day, day=day,
        )
        signed += 1
    if last is not None:
        services.commitment_breach(
            commitment_id=last.id, department=last.department, actor=Actor("user", f"演示经办人@{last.department.code}"),
            facts="经实地核查，承诺的经营场所不存在，登记材料不实。", document_no=f"演示认〔{day.year}〕1号", day=day,
        )
        breached = 1
    return {"signed": signed, "breached": breached}
