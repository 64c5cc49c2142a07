"""Fixtures for the agency registry and complaints: organizations registered through the one
ingestion pipeline, supervising departments' operators, a clock the tests control."""

from __future__ import annotations

import pytest

from tests.cases.conftest import account, actor_of, clock, party_of, staff, upload  # noqa: F401 (fixtures)  # noqa: F401 (helpers)

JRB = "220000-JRB"  # 省金融办: consulting, investigation, guarantee, factoring
RMYH = "220000-RMYH"  # 人民银行: credit reporting and rating
GOV_USCC = "11220000MB0000000N"


@pytest.fixture
def org_subject(send, uscc):
    """org_subject(name, region="220102") → a registered enterprise (Subject), sent as 省工商局's
    registration record."""
    from tests.portal.conftest import registration_row
    from xinyong.subjects.models import Subject

    def make(name: str = "吉林省诚信征信服务有限公司", *, region: str = "220102", code: str | None = None):
        code = code or uscc(region)
        send("registration.gsj", [registration_row(code, 主体名称=name, 法定代表人="赵立新")], "220100-GSJ")
        return Subject.objects.get(uscc=code)

    return make


@pytest.fixture
def register(operator):
    """register(subject, types=[...], dept=JRB, entered="2026-03-01") → Agency, registered by an
    operator of `dept` through the service."""
    from xinyong.agencies import services
    from xinyong.catalog.models import Department

    users: dict = {}

    def make(subject, *, types=("credit_consulting",), dept: str = JRB, entered: str = "2026-03-01", licence: str = "JL-XY-2026-001", day=None):
        user = users.get(dept) or users.setdefault(dept, operator(dept, username=f"registrar-{dept}"))
        return services.agency_register(
            uscc=subject.uscc, business_types=list(types), licence_no=licence, entered_on=entered, key_staff=12,
            department=Department.objects.get(code=dept), actor=actor_of(user), day=day,
        )

    make.users = users
    return make
