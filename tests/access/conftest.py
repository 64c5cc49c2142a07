"""Factories for access tests: subjects and records made directly (the rule reads columns:
disclosure, department, status, publication window), departments' staff, and grants."""

from __future__ import annotations

import itertools
from datetime import date, datetime

import pytest
from django.utils import timezone

from xinyong.security.services import Actor

DAY = date(2026, 11, 20)  # the query day of most tests
_serial = itertools.count(1)

SW = "220100-SW"  # a tax bureau: source of tax ratings (authorized)
GSJ = "220100-GSJ"  # market regulation
KJT = "220000-KJT"  # science department: source of research misconduct (authorized)
GAT = "220000-GAT"  # public security: source of traffic violations (authorized)


@pytest.fixture
def subject_factory(db):
    from xinyong.subjects.identifiers import id_lookup_hash, masked_id
    from xinyong.subjects.models import Subject

    def make(*, kind: str = "enterprise", uscc: str | None = None, id_number: str | None = None, name: str = "吉林省北辰食品有限公司") -> Subject:
        if kind == "individual":
            return Subject.objects.create(kind=kind, id_hash=id_lookup_hash(id_number), id_masked=masked_id(id_number), name=name, name_key=name)
        return Subject.objects.create(kind=kind, uscc=uscc, name=name, name_key=name)

    return make


@pytest.fixture
def record_factory(db, dept):
    from xinyong.records.models import Record

    def make(subject, *, item: str = "tax_rating", dept_code: str = SW, disclosure: str = "authorized", status: str = "active",
             decided_on: date = date(2026, 3, 1), publish_from: date | None = date(2026, 3, 2), publish_until: date | None = date(2029, 3, 1),
             data: dict | None = None, document_no: str = ""):
        n = next(_serial)
        now = timezone.make_aware(datetime(2026, 3, 2, 9, 0))
        return Record.objects.create(
            item_code=item, department=dept(dept_code), subject=subject, source_id=f"S{n}", content_hash=f"{n:032d}",
            document_no=document_no or f"文书{n}号", decided_on=decided_on, authority_level="city", disclosure=disclosure,
            publish_from=publish_from, publish_until=publish_until, status=status, data=data or {"grade": "B", "year": "2025"},
            received_at=now, updated_at=now,
        )

    return make


@pytest.fixture
def grant_right(db, dept, platform_admin):
    from xinyong.access.services import right_grant

    def make(dept_code: str = GSJ, *, item: str = "tax_rating", kind: str = "", valid_from: date = date(2026, 1, 1), valid_until: date | None = None):
        return right_grant(
            department=dept(dept_code), item_code="" if kind else item, item_kind=kind, valid_from=valid_from, valid_until=valid_until,
            legal_basis="《吉林省社会信用条例》第二十条", actor=Actor.system("test"), user=platform_admin,
        )

    return make


@pytest.fixture
def give_consent(db, dept):
    from xinyong.access.models import Consent

    def make(subject, dept_code: str = GSJ, *, items=("tax_rating",), all_items: bool = False, valid_from: date = date(2026, 11, 1),
             expires_on: date = date(2026, 12, 31), revoked: bool = False):
        return Consent.objects.create(
            subject=subject, department=dept(dept_code), purpose="贷款贴息审查", all_items=all_items, items=list(items),
            valid_from=valid_from, expires_on=expires_on, source="portal", created_at=timezone.now(),
            revoked_at=timezone.now() if revoked else None,
        )

    return make


@pytest.fixture
def approve_request(db, dept, platform_admin):
    from xinyong.access.models import SpecialRequest

    def make(subjects, dept_code: str = GSJ, *, items=("tax_rating",), grant_from: date = date(2026, 11, 1), grant_until: date = date(2026, 11, 30),
             status: str = "approved"):
        req = SpecialRequest.objects.create(
            department=dept(dept_code), items=list(items), purpose="案件调查", legal_basis="《行政处罚法》第五十五条",
            period_from=grant_from, period_until=grant_until, status=status, requested_at=timezone.now(),
            granted_items=list(items) if status == "approved" else [], grant_from=grant_from if status == "approved" else None,
            grant_until=grant_until if status == "approved" else None,
        )
        req.subjects.set(subjects)
        return req

    return make


from tests.accounts.conftest import register  # noqa: E402,F401 (portal accounts through the service)
