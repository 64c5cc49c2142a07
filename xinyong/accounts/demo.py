"""The demo province's portal accounts: one enterprise account (its legal representative, so it is
active at once) and one individual account, with known credentials that `xinyong demo` prints.

Created through `services.account_register` (the simulated real-name provider accepts them: the
individual's ID number is the one the demo generated, read back from its encrypted copy). Chosen
deterministically (lowest ids) among subjects whose file has something to show — for the
enterprise, preferably something not public. Idempotent: an existing demo account is kept as is.
"""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model

from xinyong.common.crypto import decrypt
from xinyong.common.errors import InvalidInput
from xinyong.records.models import Record
from xinyong.subjects.identifiers import InvalidCode
from xinyong.subjects.models import Subject

DEMO_ENTERPRISE_USERNAME = "demo-qiye"
DEMO_INDIVIDUAL_USERNAME = "demo-geren"
DEMO_MOBILES = {DEMO_ENTERPRISE_USERNAME: "13800138001", DEMO_INDIVIDUAL_USERNAME: "13800138002"}
CANDIDATES = 20


def _enterprises() -> list[Subject]:
    ids = list(
        Record.objects.filter(subject__kind="enterprise", subject__registered=True, publish_from__isnull=True)
        .exclude(subject__legal_rep="")
        .order_by("subject_id")
        .values_list("subject_id", flat=True)
        .distinct()[:CANDIDATES]
    )
    ids += list(Subject.objects.filter(kind="enterprise", registered=True).exclude(legal_rep="").order_by("id").values_list("id", flat=True)[:CANDIDATES])
    found = Subject.objects.in_bulk(ids)
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def _individuals() -> list[Subject]:
    ids = list(Record.objects.filter(subject__kind="individual").exclude(subject__id_encrypted="").order_by("subject_id").values_list("subject_id", flat=True).distinct()[:CANDIDATES])
    found = Subject.objects.in_bulk(ids)
    return [found[i] for i in ids if i in found]


def demo_accounts_ensure(*, password: str) -> list[tuple[str, str]]:
    """[(username, what it is)] of the demo subject accounts (created when missing)."""
    from xinyong.demo.codes import make_id_number

    from .models import SubjectAccount
    from .services import account_register

    User = get_user_model()
    out: list[tuple[str, str]] = []
    existing = SubjectAccount.objects.filter(user__username=DEMO_ENTERPRISE_USERNAME).first()
    if existing is None and not User.objects.filter(username=DEMO_ENTERPRISE_USERNAME).exists():
        for company in _enterprises():
            holder_id = make_id_number(random.Random(company.id), region="220102")
            try:
                existing = account_register(kind="organization", uscc=company.uscc, name=company.legal_rep, id_number=holder_id, mobile=DEMO_MOBILES[DEMO_ENTERPRISE_USERNAME], username=DEMO_ENTERPRISE_USERNAME, password=password)
            except (InvalidInput, InvalidCode):
                continue
            if existing.status == "active":
                break
            existing.user.delete()  # not the legal representative after all: try the next one
            existing = None
    if existing is not None:
        company = Subject.objects.filter(uscc=existing.uscc).first()
        out.append((DEMO_ENTERPRISE_USERNAME, f"单位账户：{company.name if company else existing.uscc}（{existing.uscc}）的法定代表人"))
    existing = SubjectAccount.objects.filter(user__username=DEMO_INDIVIDUAL_USERNAME).first()
    if existing is None and not User.objects.filter(username=DEMO_INDIVIDUAL_USERNAME).exists():
        for person in _individuals():
            try:
                existing = account_register(kind="individual", name=person.name, id_number=decrypt(person.id_encrypted), mobile=DEMO_MOBILES[DEMO_INDIVIDUAL_USERNAME], username=DEMO_INDIVIDUAL_USERNAME, password=password)
            except (InvalidInput, InvalidCode):
                continue
            break
    if existing is not None:
        out.append((DEMO_INDIVIDUAL_USERNAME, f"个人账户：{existing.holder_name_masked}（{existing.holder_id_masked}）本人"))
    return out
