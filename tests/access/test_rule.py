"""The access rule as a table: viewer × disclosure class × the state of a right, consent or grant
(valid, expired, not yet valid, revoked, other department, other item, other subject); and, with
hypothesis, that random bases never make the rule show more than the specification allows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.access.conftest import DAY, GAT, GSJ, KJT, SW
from xinyong.access.selectors import Viewer, visible_records
from xinyong.records import selectors as record_selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def firm(subject_factory, uscc):
    return subject_factory(uscc=uscc())


@pytest.fixture
def other_firm(subject_factory, uscc):
    return subject_factory(uscc=uscc(), name="吉林省南岭商贸有限公司")


def _revoke_right(right):
    right.revoked_at = timezone.now()
    right.save()
    return right


# each case: how to set the bases up (given the fixtures), and whether GSJ sees the tax rating
CASES = {
    "no basis": (lambda f: None, None),
    "right valid": (lambda f: f.grant_right(GSJ), "right"),
    "right for the item group (ratings)": (lambda f: f.grant_right(GSJ, kind="rating"), "right"),
    "right valid until the query day": (lambda f: f.grant_right(GSJ, valid_until=DAY), "right"),
    "right expired the day before": (lambda f: f.grant_right(GSJ, valid_until=DAY - timedelta(days=1)), None),
    "right not yet valid": (lambda f: f.grant_right(GSJ, valid_from=DAY + timedelta(days=1)), None),
    "right revoked": (lambda f: _revoke_right(f.grant_right(GSJ)), None),
    "right of another department": (lambda f: f.grant_right(KJT), None),
    "right on another item": (lambda f: f.grant_right(GSJ, item="research_misconduct"), None),
    "right on another item group": (lambda f: f.grant_right(GSJ, kind="penalty"), None),
    "consent valid": (lambda f: f.give_consent(f.firm), "consent"),
    "consent for every authorized item": (lambda f: f.give_consent(f.firm, items=(), all_items=True), "consent"),
    "consent expiring on the query day": (lambda f: f.give_consent(f.firm, expires_on=DAY), "consent"),
    "consent expired": (lambda f: f.give_consent(f.firm, expires_on=DAY - timedelta(days=1)), None),
    "consent revoked": (lambda f: f.give_consent(f.firm, revoked=True), None),
    "consent to another department": (lambda f: f.give_consent(f.firm, KJT), None),
    "consent on another item": (lambda f: f.give_consent(f.firm, items=("research_misconduct",)), None),
    "consent of another subject": (lambda f: f.give_consent(f.other_firm), None),
    "grant in force": (lambda f: f.approve_request([f.firm]), "grant"),
    "grant ended": (lambda f: f.approve_request([f.firm], grant_until=DAY - timedelta(days=1)), None),
    "grant pending": (lambda f: f.approve_request([f.firm], status="pending"), None),
    "grant refused": (lambda f: f.approve_request([f.firm], status="refused"), None),
    "grant for another subject": (lambda f: f.approve_request([f.other_firm]), None),
    "grant for another item": (lambda f: f.approve_request([f.firm], items=("research_misconduct",)), None),
    "grant to another department": (lambda f: f.approve_request([f.firm], KJT), None),
}


class Fix:
    def __init__(self, **kw):
        self.__dict__.update(kw)


@pytest.mark.parametrize("case", list(CASES))
def test_a_department_sees_an_authorized_record_only_with_a_basis_in_force(case, firm, other_firm, record_factory, grant_right, give_consent, approve_request):
    setup, expected = CASES[case]
    rating = record_factory(firm, item="tax_rating", dept_code=SW, disclosure="authorized")
    setup(Fix(firm=firm, other_firm=other_firm, grant_right=grant_right, give_consent=give_consent, approve_request=approve_request))
    access = visible_records(Viewer.of_department(_dept(GSJ)), firm, DAY)
    if expected is None:
        assert access.records == [] and access.withheld == {"authorized": 1}
    else:
        assert access.records == [rating] and access.shown[0].basis.type == expected and not access.withheld_total
    # the other classes of viewers do not depend on the department's bases
    assert visible_records(Viewer.public(), firm, DAY).records == []
    assert visible_records(Viewer.centre(), firm, DAY).records == [rating]
    assert visible_records(Viewer.of_department(_dept(SW)), firm, DAY).shown[0].basis.type == "source"
    assert visible_records(Viewer.of_subject(firm), firm, DAY).records == [rating]


def _dept(code):
    from xinyong.catalog.models import Department

    return Department.objects.get(code=code)


@pytest.mark.parametrize("basis", ["right", "consent", "grant"])
def test_internal_records_are_for_their_source_and_the_credit_centre_only(basis, firm, record_factory, grant_right, give_consent, approve_request):
    internal = record_factory(firm, item="tax_rating", dept_code=SW, disclosure="internal")
    {"right": lambda: grant_right(GSJ), "consent": lambda: give_consent(firm, all_items=True), "grant": lambda: approve_request([firm])}[basis]()
    gsj = visible_records(Viewer.of_department(_dept(GSJ)), firm, DAY)
    assert gsj.records == [] and gsj.withheld == {"internal": 1}
    assert [s.basis.type for s in visible_records(Viewer.of_department(_dept(SW)), firm, DAY).shown] == ["source"]
    assert [s.basis.type for s in visible_records(Viewer.centre(), firm, DAY).shown] == ["centre"]
    assert visible_records(Viewer.public(), firm, DAY).records == []
    assert visible_records(Viewer.of_subject(firm), firm, DAY).records == [internal]


def test_public_records_are_for_everyone_and_withdrawn_or_repaired_ones_for_the_subject_only(firm, record_factory, grant_right):
    public = record_factory(firm, item="penalty.gsj", dept_code=GSJ, disclosure="public")
    withdrawn = record_factory(firm, item="tax_rating", dept_code=SW, status="withdrawn")
    repaired = record_factory(firm, item="tax_rating", dept_code=SW, status="repaired")
    ended = record_factory(firm, item="tax_rating", dept_code=SW, publish_until=DAY - timedelta(days=1))
    grant_right(GSJ)
    for viewer in (Viewer.public(), Viewer.of_department(_dept(GSJ)), Viewer.of_department(_dept(GAT))):
        assert visible_records(viewer, firm, DAY).records == [public]
    assert set(visible_records(Viewer.centre(), firm, DAY).records) == {public}
    assert set(visible_records(Viewer.of_subject(firm), firm, DAY).records) == {public, repaired, ended}
    assert withdrawn not in visible_records(Viewer.of_subject(firm), firm, DAY).records
    # another subject's account is the public
    other = visible_records(Viewer.of_subject(999_999), firm, DAY)
    assert other.records == [public] and other.shown[0].basis.type == "public"


def test_records_selectors_offers_the_same_rule(firm, record_factory, grant_right):
    rating = record_factory(firm)
    grant_right(GSJ)
    assert record_selectors.visible_records(Viewer.of_department(_dept(GSJ)), firm, DAY).records == [rating]


# ---------------------------------------------------------------------- property: never more
ITEMS = ("tax_rating", "research_misconduct", "traffic_violation")
DEPTS = (GSJ, KJT, SW)
CLASSES = ("public", "authorized", "internal")
STATES = ("valid", "expired", "future", "revoked")

record_st = st.tuples(st.sampled_from(ITEMS), st.sampled_from(DEPTS), st.sampled_from(CLASSES), st.sampled_from(("active", "withdrawn")))
basis_st = st.tuples(st.sampled_from(("right", "consent", "grant")), st.sampled_from(DEPTS), st.sampled_from(ITEMS), st.sampled_from(STATES), st.booleans())


def _window(state):
    if state == "expired":
        return DAY - timedelta(days=30), DAY - timedelta(days=1)
    if state == "future":
        return DAY + timedelta(days=1), DAY + timedelta(days=30)
    return DAY - timedelta(days=30), DAY + timedelta(days=30)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(records=st.lists(record_st, min_size=1, max_size=5), bases=st.lists(basis_st, max_size=6), viewer_dept=st.sampled_from(DEPTS))
def test_random_bases_never_show_more_than_the_specification_allows(records, bases, viewer_dept, subject_factory, record_factory, grant_right, give_consent, approve_request, platform_admin):
    from django.db import transaction

    from xinyong.access.models import Consent, QueryRight, SpecialRequest
    from xinyong.records.models import Record

    sid = transaction.savepoint()
    try:
        me = subject_factory(kind="individual", id_number=_an_id(), name="王五")
        stranger = subject_factory(kind="individual", id_number=_an_id(), name="赵六")
        made = [record_factory(me, item=item, dept_code=d, disclosure=cls, status=status) for item, d, cls, status in records]
        allowed_authorized: set[str] = set()  # items the viewer holds a valid basis for, about `me`
        for kind, d, item, state, about_me in bases:
            start, end = _window(state)
            revoked = state == "revoked"
            if kind == "right":
                right = grant_right(d, item=item, valid_from=start, valid_until=end)
                if revoked:
                    _revoke_right(right)
            elif kind == "consent":
                give_consent(me if about_me else stranger, d, items=(item,), valid_from=start, expires_on=end, revoked=revoked)
            else:
                approve_request([me if about_me else stranger], d, items=(item,), grant_from=start, grant_until=end, status="refused" if revoked else "approved")
            if state == "valid" and not revoked and d == viewer_dept and (kind == "right" or about_me):
                allowed_authorized.add(item)
        access = visible_records(Viewer.of_department(_dept(viewer_dept)), me, DAY)
        expected = {
            r.pk for r in made
            if r.status == "active"
            and (r.disclosure == "public" or r.department.code == viewer_dept or (r.disclosure == "authorized" and r.item_code in allowed_authorized))
        }
        assert {r.pk for r in access.records} == expected
        assert access.withheld_total == sum(1 for r in made if r.status == "active") - len(expected)
        for shown in access.shown:  # every basis cited is one that exists and allows the record
            assert shown.basis.type in ("public", "source", "right", "consent", "grant")
    finally:
        transaction.savepoint_rollback(sid)
        # the factories' rows are gone with the savepoint
        assert not Record.objects.filter(subject__name="王五").exists()
        assert not (QueryRight.objects.exists() or Consent.objects.exists() or SpecialRequest.objects.exists())


_ids = iter(range(1, 10**6))


def _an_id() -> str:
    from stdnum.cn import ric

    body = f"22010219900315{next(_ids) % 1000:03d}"
    return body + ric.calc_check_digit(body)


def test_the_purposes_are_configuration_with_unique_codes():
    from xinyong.access.selectors import purposes
    from xinyong.access.services import purpose_text
    from xinyong.common.errors import InvalidInput

    codes = [p.code for p in purposes()]
    assert len(codes) == len(set(codes)) >= 5 and "other" in codes
    assert purpose_text(code="licensing", details="  XK-1 ") == "行政许可审查：XK-1"
    with pytest.raises(InvalidInput):
        purpose_text(code="other", details="")
    with pytest.raises(InvalidInput):
        purpose_text(code="licensing", details="x" * 151)
