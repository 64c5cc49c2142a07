"""Bad input to the filing service: each refused with a Chinese reason naming the field."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.annualreports import services
from xinyong.annualreports.models import AnnualReport
from xinyong.common.errors import Conflict, InvalidInput

from .helpers import enterprise, owner, report_data

pytestmark = pytest.mark.django_db


def file(subject, *, year=2025, day=date(2026, 5, 6), door="portal", **over):
    return services.annual_report_file(subject=subject, year=year, data=report_data(**over), door=door, actor=owner(subject), day=day)


@pytest.mark.parametrize(
    ("year", "established", "code", "text"),
    [
        (2026, date(2020, 1, 1), "year_not_ended", "2026年度尚未结束，2027-01-01起方可报送"),
        (2027, date(2020, 1, 1), "year_not_ended", "尚未结束"),
        (2024, date(2025, 3, 1), "before_registration", "该企业成立于2025-03-01，无需报送2024年度报告"),
        (2019, date(2010, 1, 1), "year_too_early", "本平台受理2024年度及以后的年度报告"),
        ("二〇二五", date(2020, 1, 1), "bad_year", "报告年度应为四位年份"),
    ],
)
def test_wrong_years(year, established, code, text):
    subject = enterprise(established=established)
    with pytest.raises(InvalidInput, match=text) as exc:
        file(subject, year=year)
    assert exc.value.code == code and "year" in exc.value.fields
    assert not AnnualReport.objects.exists()


def test_a_second_report_of_the_same_year_is_refused_use_correction():
    subject = enterprise()
    file(subject)
    with pytest.raises(Conflict, match="已于2026-05-06报送2025年度报告，不能重复报送；如需修改请更正年度报告"):
        file(subject, day=date(2026, 5, 7))
    assert AnnualReport.objects.count() == 1


def test_missing_and_malformed_fields_are_all_named():
    subject = enterprise()
    with pytest.raises(InvalidInput) as exc:
        file(subject, address="  ", phone="", business_status="倒闭", email="not-an-email", postcode="13", employees="很多", total_assets="-5", revenue="1e400", website="javascript:alert(1)", favourite_colour="red")
    fields = exc.value.fields
    assert fields["address"] == "须填写通信地址" and fields["phone"] == "须填写联系电话"
    assert fields["business_status"] == "存续状态应为开业、歇业或清算" and fields["email"] == "电子邮箱格式不正确"
    assert fields["postcode"] == "邮政编码应为6位数字" and fields["employees"] == "从业人数应为整数"
    assert fields["total_assets"] == "资产总额不能为负数" and fields["revenue"] == "营业总收入超出范围"
    assert fields["website"].startswith("网址格式不正确") and fields["favourite_colour"] == "未知的字段"
    assert exc.value.message.startswith("年度报告有10处需要修改")
    assert not AnnualReport.objects.exists()


def test_hostile_strings():
    subject = enterprise()
    with pytest.raises(InvalidInput, match="通信地址含有不可见的控制字符"):
        file(subject, address="长春市\x00南关区")
    with pytest.raises(InvalidInput, match="通信地址含有不可见的控制字符"):
        file(subject, address="长春市\u202e区关南")
    with pytest.raises(InvalidInput, match="通信地址不能超过300个字符"):
        file(subject, address="长" * 301)
    with pytest.raises(InvalidInput, match="联系电话"):
        file(subject, phone="13912345678' OR 1=1 --")
    # markup is text: stored as typed, escaped on the page
    report = file(subject, address="<script>alert('x')</script>长春市")
    assert report.address == "<script>alert('x')</script>长春市"


def test_hostile_markup_is_escaped_on_the_publicity(client):
    subject = enterprise()
    file(subject, address="<script>alert('x')</script>长春市")
    html = client.get(f"/subjects/{subject.uscc}/annual-reports/").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("social_organization", "存续", "not_enterprise"), ("individual_business", "存续", "not_enterprise"), ("enterprise", "注销", "not_required"), ("enterprise", "吊销", "not_required")],
)
def test_only_enterprises_that_must_file(kind, status, code):
    subject = enterprise(kind=kind, status=status)
    with pytest.raises(InvalidInput) as exc:
        file(subject)
    assert exc.value.code == code and exc.value.message


def test_an_individual_is_not_an_enterprise(id_number):
    from xinyong.subjects.models import Subject

    person = Subject.objects.create(kind="individual", name="张三", name_key="张三", id_hash="h" * 64, region="220102")
    with pytest.raises(InvalidInput, match="只有具有统一社会信用代码的企业"):
        file(person)


def test_an_unknown_door_and_a_correction_without_change():
    subject = enterprise()
    with pytest.raises(InvalidInput, match="报送渠道"):
        file(subject, door="fax")
    report = file(subject)
    with pytest.raises(InvalidInput, match="没有需要更正的内容"):
        services.annual_report_correct(report_id=report.id, data=report_data(), door="portal", actor=owner(subject), day=date(2026, 5, 7))
    with pytest.raises(InvalidInput, match="更正日期早于报送日期"):
        services.annual_report_correct(report_id=report.id, data=report_data(phone="0431-88888888"), door="portal", actor=owner(subject), day=date(2026, 5, 5))


def test_a_bad_rules_file_is_refused_with_the_key(tmp_path, monkeypatch):
    from xinyong.annualreports import rules as rules_module
    from xinyong.common.errors import CatalogError

    text = rules_module.RULES_FILE.read_text(encoding="utf-8")
    for old, new, message in [
        ("listing_working_days: 10", "listing_working_days: 0", "listing_working_days 应为不小于 1 的整数"),
        ('filing_deadline: "06-30"', 'filing_deadline: "06-31"', "filing_deadline 应写作 MM-DD"),
        ("  legal_basis: 《企业信息公示暂行条例》第八条", "  legal_basis: ''\n  x: 《企业信息公示暂行条例》第八条", "listing 缺少 legal_basis"),
    ]:
        bad = tmp_path / "rules.yaml"
        bad.write_text(text.replace(old, new, 1), encoding="utf-8")
        monkeypatch.setattr(rules_module, "RULES_FILE", bad)
        rules_module.rules.cache_clear()
        with pytest.raises(CatalogError, match=message):
            rules_module.rules()
    monkeypatch.undo()
    rules_module.rules.cache_clear()
    assert rules_module.rules().listing_working_days == 10
