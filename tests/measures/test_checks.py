"""Checks (触发), scenario by matter type, through the API as a department system calls it:
what the department is told to apply, why, on which legal basis and data; the clean answer; and
the audit row each check leaves."""

from __future__ import annotations

from datetime import date

import pytest

from tests.api.conftest import assert_error_shape
from xinyong.measures.models import Check, CheckHit
from xinyong.records.models import ChangeEvent

pytestmark = pytest.mark.django_db


def check(client, subject=None, *, matter: str, case_no: str = "CASE-2026-001", **body):
    if subject is not None:
        body.setdefault("uscc", subject.uscc)
    return client.post_json("/api/v1/checks", {"matter": matter, "case_no": case_no, **body})


def measures_of(response) -> dict:
    assert response.status_code == 200, response.content
    return {m["code"]: m for m in response.json()["measures"]}


def test_a_black_listed_company_checked_for_tendering_is_excluded_with_its_basis(client_of, company, listed, dept, on_day):
    bidder = company()
    entry = listed(bidder, "serious_violation", listed_on=date(2026, 6, 1), basis=[4711])
    with on_day():
        response = check(client_of("220000-CZT"), bidder, matter="tendering", case_no="JLZB-2026-0415")
    body = response.json()
    got = measures_of(response)
    assert set(got) == {"procurement_limit", "tendering_limit"}
    assert body["clean"] is False and "失信惩戒措施2项" in body["conclusion"]
    exclusion = got["tendering_limit"]
    assert exclusion["kind"] == "punishment" and "企业信息公示暂行条例" in exclusion["legal_basis"]
    assert "全国失信惩戒措施基础清单" in exclusion["national_basis"]
    (reason,) = exclusion["reasons"]
    assert reason["type"] == "list" and reason["list_code"] == "serious_violation" and reason["list_name"] == "严重违法失信名单"
    assert reason["entry"] == entry.pk and reason["designating_department"] == "220000-GSJ"
    assert reason["listed_on"] == "2026-06-01" and reason["basis_records"] == [4711]
    assert body["subject"] == {"found": True, "uscc": bidder.uscc, "id_number_masked": None, "name": bidder.name, "kind": "enterprise"}
    assert body["data_version"]["catalog_version"] and body["data_version"]["seq"] == (ChangeEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0)
    # audited: one row with requester, department, case, matter, answer digest; one hit per measure
    row = Check.objects.get(public_id=body["check"])
    assert (row.department.code, row.case_no, row.matter, row.subject_id, row.hits, row.digest) == ("220000-CZT", "JLZB-2026-0415", "tendering", bidder.pk, 2, body["digest"])
    assert row.key.department.code == "220000-CZT"
    assert sorted(CheckHit.objects.filter(check_row=row).values_list("measure", flat=True)) == ["procurement_limit", "tendering_limit"]


def test_the_audit_keeps_its_department_and_key_though_the_database_no_longer_checks_them(client_of, company, on_day):
    """The check's row references its key and department without a foreign key in the database
    (docs/benchmarks.md): the ORM still refuses to delete a department that has checks, and a
    key can only be revoked."""
    from django.db.models import ProtectedError

    from xinyong.catalog.models import Department

    with on_day():
        body = check(client_of("220000-CZT"), company(), matter="tendering").json()
    row = Check.objects.select_related("key", "department").get(public_id=body["check"])
    with pytest.raises(ProtectedError) as refused:
        Department.objects.get(code="220000-CZT").delete()
    assert row in refused.value.protected_objects
    row.refresh_from_db()
    assert row.department.code == "220000-CZT" and row.key.department.code == "220000-CZT"


def test_a_red_listed_company_gets_the_green_channel_in_licensing(client_of, company, listed, on_day):
    model = company("吉林省诚信示范建材有限公司")
    listed(model, "integrity_model", dept_code="220000-FGW")
    with on_day():
        got = measures_of(check(client_of("220100-GSJ"), model, matter="licensing"))
    assert set(got) == {"green_channel", "tolerance_acceptance"}
    assert got["green_channel"]["kind"] == "incentive" and got["green_channel"]["name"] == "优先办理（绿色通道）"
    assert got["green_channel"]["reasons"][0]["list_kind"] == "red"


def test_a_clean_company_and_an_unknown_one_get_the_explicit_clean_answer(client_of, company, uscc, on_day):
    clean = company()
    client = client_of("220000-CZT")
    with on_day():
        for code in (clean.uscc, uscc("220104")):
            response = client.post_json("/api/v1/checks", {"matter": "tendering", "case_no": "A-1", "uscc": code})
            body = response.json()
            assert response.status_code == 200 and body["clean"] is True and body["measures"] == []
            assert body["conclusion"].startswith("未发现适用的奖惩措施")
    assert Check.objects.filter(hits=0).count() == 2  # clean answers are audited too


def test_an_expired_entry_no_longer_triggers_and_a_removed_one_neither(client_of, company, listed, on_day):
    expired = company("过期企业")
    listed(expired, "abnormal_operations", listed_on=date(2025, 7, 10), expires_on=date(2026, 11, 19))
    removed = company("已移出企业")
    listed(removed, "abnormal_operations", status="removed")
    still = company("仍在名录企业")
    listed(still, "abnormal_operations", expires_on=date(2026, 11, 20))  # last day: still counts
    client = client_of("220000-CZT")
    with on_day(date(2026, 11, 20)):
        assert check(client, expired, matter="tendering").json()["clean"] is True
        assert check(client, removed, matter="tendering").json()["clean"] is True
        assert set(measures_of(check(client, still, matter="tendering"))) == {"procurement_limit", "tendering_limit"}


def test_an_evaluation_grade_triggers_measures_with_its_model_version(client_of, company, graded, on_day):
    polluter = company("某某化工有限公司")
    graded(polluter, "environmental", "环保不良企业", version="2026.1")
    with on_day():
        got = measures_of(check(client_of("220000-HBT"), polluter, matter="funding"))
    (reason,) = got["subject_limit" if False else "subsidy_limit"]["reasons"]
    assert reason["type"] == "grade" and reason["model"] == "environmental" and reason["model_version"] == "2026.1"
    assert reason["grade"] == "环保不良企业" and reason["grade_name"] == "不良（红牌）" and reason["as_of"] == "2026-11-01"
    assert reason["basis_records"] == [987]


@pytest.mark.parametrize("supervisor", ["220000-RMYH", "220000-JRB", "220000-GSJ"])
def test_a_credit_service_agencys_d_brings_key_supervision_by_its_supervisors(client_of, company, graded, on_day, supervisor):
    """A registered agency is graded by the agency model instead of the baseline one
    (docs/evaluation.md): its D brings the baseline D's key supervision, by 人民银行 and 金融办 too."""
    agency = company("吉林省某某征信服务有限公司")
    graded(agency, "credit_service_agency", "D")
    with on_day():
        got = measures_of(check(client_of(supervisor), agency, matter="daily_supervision"))
    (reason,) = got["key_supervision"]["reasons"]
    assert reason["type"] == "grade" and reason["model"] == "credit_service_agency" and reason["grade"] == "D"
    assert "征信业管理条例" in got["key_supervision"]["legal_basis"]
    rated = company("吉林省某某信用评级有限公司")
    graded(rated, "credit_service_agency", "B")
    with on_day():  # a B brings nothing
        assert check(client_of(supervisor), rated, matter="daily_supervision").json()["clean"] is True


def test_a_measure_from_a_list_and_a_grade_is_one_measure_with_two_reasons(client_of, company, listed, graded, on_day):
    polluter = company()
    listed(polluter, "env_bad", dept_code="220000-HBT")
    graded(polluter, "environmental", "环保不良企业")
    with on_day():
        got = measures_of(check(client_of("220000-HBT"), polluter, matter="daily_supervision"))
    assert list(got) == ["key_supervision"]
    assert [r["type"] for r in got["key_supervision"]["reasons"]] == ["list", "grade"]


@pytest.mark.parametrize(
    ("list_code", "dept_code", "matter", "expected"),
    [
        ("serious_violation", "220100-GSJ", "daily_supervision", {"key_supervision"}),
        ("dishonest_debtors", "220000-ZJT", "licensing", {"no_commitment", "stricter_review"}),
        ("dishonest_debtors", "220000-ZJT", "qualification", {"qualification_limit"}),
        ("serious_violation", "220000-CZT", "tendering", {"procurement_limit", "tendering_limit"}),
        ("serious_violation", "220000-KJT", "funding", {"subsidy_limit"}),
        ("dishonest_debtors", "220000-GTT", "public_trading", {"tendering_limit", "trading_limit"}),
        ("serious_violation", "220000-HG", "import_export", {"customs_strict"}),
        ("abnormal_operations", "220000-RST", "awards", {"honour_ban"}),
        ("serious_violation", "220100-ZJJ", "periodic_inspection", {"inspection_strict"}),
        ("serious_violation", "220100-GSJ", "market_access", {"market_ban"}),
        ("integrity_model", "220000-RST", "public_services", {"green_channel", "tolerance_acceptance"}),
        ("tax_a_grade", "220000-HG", "import_export", {"customs_facilitation"}),
        ("integrity_model", "220000-XF", "periodic_inspection", {"fewer_inspections"}),
    ],
)
def test_each_matter_type_answers_its_measures(client_of, company, listed, on_day, list_code, dept_code, matter, expected):
    subject = company()
    listed(subject, list_code)
    with on_day():
        assert set(measures_of(check(client_of(dept_code), subject, matter=matter))) == expected


def test_only_the_implementing_departments_measures_are_answered(client_of, company, listed, on_day):
    # 环保不良企业 in daily supervision: the ecology department supervises; market regulation has
    # the remit of daily supervision but implements no measure for this list
    polluter = company()
    listed(polluter, "env_bad", dept_code="220000-HBT")
    with on_day():
        assert set(measures_of(check(client_of("220000-HBT"), polluter, matter="daily_supervision"))) == {"key_supervision"}
        assert check(client_of("220100-GSJ"), polluter, matter="daily_supervision").json()["clean"] is True


def test_an_individual_is_checked_by_id_number_and_never_echoed_in_full(client_of, person, listed, on_day):
    debtor, number = person("李四")
    listed(debtor, "dishonest_debtors", dept_code="220100-FY")
    with on_day():
        response = client_of("220000-CZT").post_json("/api/v1/checks", {"matter": "tendering", "case_no": "B-2", "id_number": number})
    assert set(measures_of(response)) == {"procurement_limit", "tendering_limit"}
    text = response.content.decode()
    assert number not in text and number[6:14] not in text
    assert response.json()["subject"]["id_number_masked"] and response.json()["subject"]["name"] != "李四"
    assert Check.objects.get().subject_code != number


# ---------------------------------------------------------------------- bad input
def test_codes_with_a_wrong_check_digit_or_malformed_are_refused_with_the_reason(client_of, company, id_number):
    client = client_of("220000-CZT")
    good = company().uscc
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    body = assert_error_shape(client.post_json("/api/v1/checks", {"matter": "tendering", "case_no": "C", "uscc": wrong}), 422, "invalid_code")
    assert "校验位错误" in body["message"] and "uscc" in body["fields"]
    body = assert_error_shape(client.post_json("/api/v1/checks", {"matter": "tendering", "case_no": "C", "uscc": "123"}), 422, "invalid_code")
    assert "应为18位" in body["message"]
    number = id_number()
    bad = number[:17] + ("0" if number[17] != "0" else "1")
    response = client.post_json("/api/v1/checks", {"matter": "tendering", "case_no": "C", "id_number": bad})
    body = assert_error_shape(response, 422, "invalid_code")
    assert "公民身份号码校验位错误" in body["message"] and bad not in response.content.decode()
    assert_error_shape(client.post_json("/api/v1/checks", {"matter": "tendering", "case_no": "C"}), 422, "subject_required")
    assert Check.objects.count() == 0


def test_an_unknown_matter_is_refused_and_one_outside_the_remit_is_forbidden(client_of, company):
    subject = company()
    body = assert_error_shape(check(client_of("220000-CZT"), subject, matter="lottery"), 422, "unknown_matter")
    assert "招标采购" in body["message"]
    body = assert_error_shape(check(client_of("220100-GSJ"), subject, matter="import_export"), 403, "matter_outside_remit")
    assert "进出口管理" in body["message"]
    assert Check.objects.count() == 0


def test_a_key_without_the_check_scope_or_another_department_is_refused(openapi, check_key, company):
    from tests.api.conftest import CheckedClient

    subject = company()
    ingest_only = CheckedClient(openapi, check_key("220000-CZT", scopes=("ingest",)))
    assert_error_shape(check(ingest_only, subject, matter="tendering"), 403, "scope_missing")
    assert_error_shape(check(CheckedClient(openapi), subject, matter="tendering"), 401, "auth_required")
    own = CheckedClient(openapi, check_key("220000-CZT"))
    assert_error_shape(check(own, subject, matter="tendering", department="220000-FGW"), 403, "department_mismatch")
    assert check(own, subject, matter="tendering", department="220000-CZT").status_code == 200
