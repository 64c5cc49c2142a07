"""A credit service agency (信用服务机构) is evaluated by the agency model (seed §四(九)): an
organization registered in the agency registry, and not exited from the market, gets its grade
under `credit_service_agency` instead of the baseline model of its legal form; its kind stays
what its registration says. Registering and exiting reach the results through every path: a
full run with the snapshot mirror, the change feed's incremental run, and a run without mirror."""

from __future__ import annotations

import pytest

from tests.agencies.conftest import JRB, register  # noqa: F401 (fixture)
from tests.evaluation.test_mirror import firms, full, grades, mirror_detail, without_mirror  # noqa: F401 (fixture)
from tests.evaluation.test_runs import AS_OF, BASELINE, actor
from xinyong.agencies import services as agencies
from xinyong.catalog.models import Department
from xinyong.evaluation.models import EvaluationResult
from xinyong.evaluation.services import evaluation_update

AGENCY = "credit_service_agency"
FIRM = {"environmental": 80_000, "statistics": 85_000}  # the sector models grade an agency as the firm it is


def current_models(subject) -> dict[str, int]:
    """The subject's current results: model → score (milli)."""
    return dict(EvaluationResult.objects.filter(subject=subject, valid_to__isnull=True).values_list("model_code", "score_milli"))


def exit_market(agency) -> None:
    agencies.agency_exit(agency_id=agency.pk, reason="融资担保业务经营许可证注销", department=Department.objects.get(code=JRB), actor=actor())


def test_a_registered_agency_is_graded_by_the_agency_model_not_the_baseline(firms, register):  # noqa: F811 (the fixtures imported above)
    full()
    assert current_models(firms[1]) == {BASELINE: 700_000, **FIRM}  # baseline: 70, nothing on record
    register(firms[1])
    run = full()
    assert mirror_detail(run)["rebuilt"] is False  # the mirror's subjects caught up, no rebuild
    assert current_models(firms[1]) == {AGENCY: 80_000, **FIRM}  # the agency model's base: 80 (B 良)
    assert EvaluationResult.objects.get(subject=firms[1], model_code=BASELINE).valid_to is not None  # closed, kept
    assert current_models(firms[0]) == {BASELINE: 650_000, **FIRM}  # the unregistered firm as before
    firms[1].refresh_from_db()
    assert firms[1].kind == "enterprise"  # still an enterprise for the catalog and annual reports


def test_the_agency_models_stricter_weights_apply_to_its_penalties(firms, register):  # noqa: F811 (the fixtures imported above)
    register(firms[0])  # its general penalty: -15 under the agency model, -5 under the baseline
    full()
    assert current_models(firms[0]) == {AGENCY: 65_000, **FIRM}


def test_registering_and_exiting_reach_the_grade_through_the_change_feed(firms, register, settings):  # noqa: F811 (the fixtures imported above)
    full()
    agency = register(firms[1])
    summary = evaluation_update(day=AS_OF)
    assert summary["kind"] == "incremental"
    assert current_models(firms[1]) == {AGENCY: 80_000, **FIRM}
    assert without_mirror(settings)["written"] == 0  # the mirror and the database agree

    exit_market(agency)  # 市场退出: no longer an agency, graded as the enterprise it is
    evaluation_update(day=AS_OF)
    assert current_models(firms[1]) == {BASELINE: 700_000, **FIRM}
    assert without_mirror(settings)["written"] == 0


@pytest.mark.parametrize("suspended", [False, True])
def test_a_suspended_agency_is_still_one(firms, register, suspended):  # noqa: F811 (the fixtures imported above)
    agency = register(firms[1])
    if suspended:
        agencies.agency_suspend(agency_id=agency.pk, reason="未按规定报送业务数据", department=Department.objects.get(code=JRB), actor=actor())
    full()
    assert current_models(firms[1]) == {AGENCY: 80_000, **FIRM}
    assert grades() == {firms[0].pk: 650_000}  # the baseline grades only the other firm
