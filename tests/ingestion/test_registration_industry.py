"""A registration record gives the subject its industry (行业门类, GB/T 4754-2017 sections): what
the staff's statistics by industry group on. A value outside the standard is refused by row."""

from __future__ import annotations

from tests.portal.conftest import registration_row
from xinyong.subjects.models import Subject


def test_registration_sets_and_updates_the_industry(ingest, uscc):
    code = uscc("220102")
    batch = ingest([registration_row(code, 行业门类="制造业")], item="registration.gsj")
    assert batch.accepted == 1, list(batch.row_errors.values_list("message", flat=True))
    assert Subject.objects.get(uscc=code).industry == "制造业"
    # a correction of the registration (a change of business), by the field's alias, moves it
    assert ingest([registration_row(code, 所属行业="批发和零售业")], item="registration.gsj", mode="correct").accepted == 1
    assert Subject.objects.get(uscc=code).industry == "批发和零售业"
    # a correction without the optional field keeps what is known
    assert ingest([registration_row(code, 住所="吉林省长春市南关区人民大街1001号")], item="registration.gsj", mode="correct").accepted == 1
    assert Subject.objects.get(uscc=code).industry == "批发和零售业"


def test_an_industry_outside_the_standard_is_refused_with_its_row(ingest, uscc):
    code = uscc("220102")
    batch = ingest([registration_row(code, 行业门类="造船业")], item="registration.gsj")
    assert batch.accepted == 0 and batch.rejected == 1
    error = batch.row_errors.get()
    assert error.row_no == 2 and error.field == "行业门类"  # the header is row 1
    assert "造船业" in error.message
    assert not Subject.objects.filter(uscc=code, industry="造船业").exists()


def test_a_subject_created_by_another_item_has_no_industry_yet(ingest, penalty_row, uscc):
    code = uscc("220102")
    assert ingest([penalty_row(code=code)]).accepted == 1
    assert Subject.objects.get(uscc=code).industry == ""
