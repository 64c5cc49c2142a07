"""Queries compiled once (`common.db.PreparedQuery`): the same rows as the ORM's for every value
they are run with, the database's conversions applied, and refused when a value could not be
substituted safely."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from xinyong.common.db import PreparedQuery, prepared
from xinyong.records import selectors as record_selectors
from xinyong.records.models import Record
from xinyong.subjects.models import Subject

COLUMNS = ("id", "item_code", "decided_on", "publish_until", "under_objection", "data", "department__name")


@prepared(ints=("subject_id",), dates=("day",))
def public_rows(subject_id, day):
    return record_selectors.subject_public_records(subject_id, day).order_by("-decided_on", "-id").values_list(*COLUMNS)


@pytest.fixture
def two_firms(ingest, penalty_row, uscc):
    a, b = uscc("220102"), uscc("220104")
    rows = [penalty_row(code=a, 处罚决定日期=f"2025-0{m}-1{m}") for m in range(1, 8)] + [penalty_row(code=b, 处罚决定日期="2026-03-02")]
    batch = ingest(rows)
    assert batch.summary()["accepted"] == 8
    return Subject.objects.get(uscc=a), Subject.objects.get(uscc=b)


@pytest.mark.django_db
def test_the_same_rows_as_the_orm_for_every_subject_and_day(two_firms):
    first, second = two_firms
    days = [date(2025, 1, 1) + timedelta(days=n) for n in range(0, 1400, 61)]
    seen_changes = set()
    for subject in (first, second):
        for day in days:
            orm = list(record_selectors.subject_public_records(subject.id, day).order_by("-decided_on", "-id").values_list(*COLUMNS))
            assert public_rows(subject_id=subject.id, day=day) == orm
            seen_changes.add(len(orm))
    # the days cover records coming into and going out of publication, not one constant answer
    assert len(seen_changes) >= 3


@pytest.mark.django_db
def test_values_come_back_converted_as_the_orm_gives_them(two_firms):
    first, _ = two_firms
    rid, item_code, decided_on, _, under_objection, data, department = public_rows(subject_id=first.id, day=date(2025, 8, 1))[0]
    assert isinstance(decided_on, date) and decided_on == date(2025, 7, 17)
    assert isinstance(data, dict) and data  # JSON decoded
    assert under_objection is False and item_code == "penalty.gsj" and department
    assert Record.objects.get(pk=rid).decided_on == decided_on


@pytest.mark.django_db
def test_a_value_used_in_python_is_refused_and_one_inside_an_in_list_is_substituted(two_firms):
    first, second = two_firms
    used_in_python = PreparedQuery(lambda subject_id: Record.objects.filter(subject_id=abs(subject_id)).values_list("id"), ints=("subject_id",))
    with pytest.raises(ValueError, match="subject_id"):
        used_in_python(subject_id=first.id)
    in_a_list = PreparedQuery(lambda subject_id: Record.objects.filter(subject_id__in=[subject_id, second.id]).values_list("subject_id").distinct().order_by("subject_id"), ints=("subject_id",))
    assert in_a_list(subject_id=first.id) == sorted([(first.id,), (second.id,)])
    assert in_a_list(subject_id=second.id) == [(second.id,)]


@pytest.mark.django_db
def test_a_new_version_compiles_again(two_firms):
    first, second = two_firms
    current = {"subject": first}
    query = PreparedQuery(lambda: Record.objects.filter(subject_id=current["subject"].id).values_list("subject_id").distinct(), version=lambda: current["subject"])
    assert query() == [(first.id,)]
    current["subject"] = second  # what the SQL depends on beside its parameters (e.g. the catalog)
    assert query() == [(second.id,)]
