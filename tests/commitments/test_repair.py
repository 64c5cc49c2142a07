"""The credit commitment signed with a repair application (国家发展改革委令第36号第十条: a public
credit commitment) is a published commitment from the template credit_repair.repair, accepted by
the credit centre; the case keeps the text as signed and the commitment code."""

from __future__ import annotations

import pytest

from xinyong.commitments import selectors
from xinyong.commitments.models import Commitment
from xinyong.redress import services
from xinyong.security.services import Actor

pytestmark = pytest.mark.django_db


def test_a_repair_application_publishes_its_commitment(firm, clock, upload):
    clock("2026-09-28")
    subject, record = firm(decided="2026-05-10")
    case, _ = services.repair_apply(record_id=record.pk, applicant=services.Applicant(subject=subject), statement="已缴清罚款", commitment=True,
                                    uploads=[upload()], actor=Actor("user", "企业账户"))
    c = Commitment.objects.get(subject=subject)
    assert (c.template, c.kind, c.case_no, c.department.code) == ("credit_repair.repair", "repair", str(case.public_id), "220000-FGW")
    assert case.data["commitment"] == c.text and case.data["commitment_code"] == c.code
    assert c.text.startswith("本主体郑重承诺") and subject.name in c.text
    assert c in selectors.public_commitments()
