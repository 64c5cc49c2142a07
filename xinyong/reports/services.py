"""Issuing credit reports (公共信用信息报告).

    issued = report_issue(subject=subject, actor=Actor.public("网站"), requester="203.0.113.5",
                          door="web", site_url="https://www.jilincredit.example")
    issued.pdf, issued.report.number, issued.code

One service for the page and the API: it snapshots the subject's public credit file as of now,
renders the PDF (outside the transaction: rendering takes the most time and holds no lock),
then records the report (number, subject, time, canonical snapshot and its SHA-256, the PDF's
SHA-256, a keyed hash of the verification code and of the requester's address) with its audit
entry in one transaction. The PDF itself is handed to the requester and not kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from xinyong.common.errors import InvalidInput
from xinyong.security.services import Actor, audit_log

from . import codes, pdf, snapshot
from .models import CreditReport


@dataclass(frozen=True)
class IssuedReport:
    report: CreditReport
    code: str  # the verification code: printed on the report, stored only as a keyed hash
    pdf: bytes

    @property
    def filename(self) -> str:
        return f"信用报告-{codes.show_number(self.report.number)}.pdf"

    @property
    def ascii_filename(self) -> str:
        return f"credit-report-{codes.show_number(self.report.number)}.pdf"


class NotForIndividuals(InvalidInput):
    code = "report_not_for_individuals"


NOT_FOR_INDIVIDUALS = "公共信用信息报告只为法人和非法人组织出具；自然人依法公开的信息请在其信用档案页面查看。"


def verify_links(site_url: str, number: str, code: str) -> tuple[str, str]:
    """(the QR code's address for this report, the verification page's address)."""
    page = f"{site_url.rstrip('/')}/verify/"
    return f"{page}?n={number}&c={code}", page


def report_issue(*, subject, actor: Actor, requester: str, door: str, site_url: str, at: datetime | None = None, self_report: bool = False) -> IssuedReport:
    # self_report: the subject's own account asks for its report (xinyong/accounts): an individual
    # may have the report of their own public file
    if subject.is_individual and not self_report:
        raise NotForIndividuals(NOT_FOR_INDIVIDUALS)
    issued_at = (at or timezone.now()).replace(microsecond=0)
    day = timezone.localdate(issued_at)
    number, code = codes.new_number(day), codes.new_code()
    content = snapshot.build(subject, number=number, issued_at=issued_at, day=day)
    text = snapshot.canonical(content)
    qr_url, page_url = verify_links(site_url, number, code)
    rendered = pdf.render(content, code=code, verify_url=qr_url, verify_page=page_url)
    content_sha256 = snapshot.sha256_text(text)
    pdf_sha256 = hashlib.sha256(rendered.data).hexdigest()
    facts = content["file"].get("facts_total", 0)
    with transaction.atomic():
        report = CreditReport.objects.create(
            number=number,
            subject=subject,
            issued_at=issued_at,
            as_of=day,
            content=text,
            content_sha256=content_sha256,
            pdf_sha256=pdf_sha256,
            pdf_bytes=len(rendered.data),
            pages=rendered.pages,
            facts=facts,
            code_hash=codes.code_hash(number, code),
            requester_hash=codes.requester_hash(requester),
            door=door,
        )
        audit_log(
            actor=actor,
            action="report.issue",
            object_type="credit_report",
            object_id=number,
            subject_id=subject.id,
            detail={"door": door, "facts": facts, "pages": rendered.pages, "content_sha256": content_sha256, "pdf_sha256": pdf_sha256},
        )
    return IssuedReport(report=report, code=code, pdf=rendered.data)


def public_actor(door: str) -> Actor:
    """The requester of a report on the public site or API: nobody signed in, no address kept
    in clear (the report keeps a keyed hash of it)."""
    return Actor("public", "公众（网站）" if door == "web" else "公众（接口）")
