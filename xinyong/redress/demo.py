"""What the demo province gets from redress: a couple of objections (their records marked
异议处理中 the real way) and a repair application, filed through the services as the public and
an enterprise would, so that the departments' queues (/dept/cases/) have work to show.
Called by `xinyong demo` after loading; a second call files nothing more."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from xinyong.cases.models import Case
from xinyong.records.models import Record
from xinyong.records.selectors import public_q, today
from xinyong.security.services import Actor

from . import services
from .rules import repair_eligibility

DEMO_OBJECTIONS = 2
DEMO_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def demo_cases_ensure(*, objections: int = DEMO_OBJECTIONS) -> dict:
    """File `objections` objections about public penalties of organizations (the oldest records by
    id) and one repair application for a record open to repair; returns what was filed."""
    day = today()
    filed = {"objections": 0, "repairs": 0}
    actor = Actor("public", "演示申请人")
    if not Case.objects.filter(kind="objection").exists():
        records = (
            Record.objects.filter(public_q(day), item_code__startswith="penalty.", under_objection=False)
            .exclude(subject__kind="individual").order_by("id")[:objections]
        )
        for record in records:
            services.objection_submit(
                record_id=record.pk, applicant=services.Applicant(name="演示申请人", contact="13900001234"),
                reasons="（演示）处罚内容中的罚款金额与处罚决定书不一致。", fields=["content"], actor=actor, day=day,
            )
            filed["objections"] += 1
    if not Case.objects.filter(kind="repair").exists():
        candidates = (
            Record.objects.filter(public_q(day), item_code__startswith="penalty.", severity="一般", repair_from__lte=day, under_objection=False)
            .exclude(subject__kind="individual").select_related("subject", "department").order_by("id")[:50]
        )
        record = next((r for r in candidates if repair_eligibility(record=r, day=day).eligible), None)
        if record is not None:
            services.repair_apply(
                record_id=record.pk, applicant=services.Applicant(subject=record.subject), statement="（演示）已缴清罚款并完成整改。",
                commitment=True, uploads=[SimpleUploadedFile("缴款凭证.pdf", DEMO_PDF, content_type="application/pdf")], actor=actor, day=day,
            )
            filed["repairs"] += 1
    return filed
