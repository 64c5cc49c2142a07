"""Where grades show: the public credit file and its API (the current grade and its explanation,
only public records itemized), and the credit centre's pages (distribution charts by region,
industry and model version; a subject's explanation, history and what would change it)."""

from __future__ import annotations

import re

import pytest

from tests.evaluation.test_runs import AS_OF, BASELINE, NAME, actor
from tests.portal.conftest import org, penalty, registration_row, tax_row
from xinyong.evaluation.services import evaluation_run
from xinyong.security.models import AuditEntry
from xinyong.subjects.models import Subject


@pytest.fixture
def graded(send, uscc):
    """A firm with a public penalty and an authorized-query tax rating (grade B: not public)."""
    code = uscc("220102")
    me = org(NAME, code)
    send("registration.gsj", [registration_row(code, 行业门类="制造业")])
    send("penalty.gsj", [penalty(me, "长市监罚〔2026〕1号", 失信严重程度="一般")])
    send("tax_rating", [tax_row(NAME, code, 纳税信用级别="B")], "220100-SW")
    evaluation_run(kind="full", actor=actor(), as_of=AS_OF)
    return Subject.objects.get(uscc=code)


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_credit_file_shows_the_grade_and_itemizes_only_public_records(client, graded):
    page = text(client.get(f"/subjects/{graded.uscc}/"))
    # 700 - 50 (general penalty) + 15 (tax B) = 665 → B
    assert "企业公共信用基准性评价" in page and "B（良）" in page and "665.0" in page
    assert "长市监罚〔2026〕1号" in page and "-50.0 分" in page
    assert "纳税信用等级" in page  # the indicator's total shows ...
    assert "国家税务总局长春市税务局" not in page  # ... but not the authorized-query record itself
    assert "另有 1 条依法不予公开的信息参与计分" in page


def test_the_api_gives_the_same_grade_and_explanation(client, graded):
    data = client.get(f"/api/v1/subjects/{graded.uscc}").json()
    (grade,) = [g for g in data["evaluations"] if g["model"] == BASELINE]
    assert grade["grade"] == "B" and grade["score"] == 665.0 and grade["withheld_records"] == 1
    records = [r for d in grade["dimensions"] for i in d["indicators"] for r in i["records"]]
    assert [r["document_no"] for r in records if r["points"]] == ["长市监罚〔2026〕1号"]
    assert {r["item"] for r in records if not r["points"]} == {"市场主体登记注册基本信息"}  # status 存续: counted, 0 points
    assert sum(d["points"] for d in grade["dimensions"]) + 700 == grade["score"]


def test_individuals_research_integrity_is_never_on_the_public_file(db):
    from xinyong.evaluation.selectors import public_models

    assert "research_integrity" not in public_models() and BASELINE in public_models()


def test_staff_see_the_distribution_by_region_industry_and_version(client, graded, platform_admin):
    client.force_login(platform_admin)
    page = client.get("/dept/evaluation/", {"model": BASELINE})
    assert page.status_code == 200
    body = text(page)
    assert "按地区（市州）的等级分布" in body and "长春市" in body
    assert "按行业门类的等级分布" in body and "制造业" in body
    assert "按模型版本的等级分布" in body and "2026.1" in body
    assert page.content.decode().count("<svg") >= 4 and 'role="img"' in page.content.decode()
    assert "全量评价" in body  # the runs table


def test_staff_look_a_subject_up_and_see_what_would_change(client, graded, platform_admin):
    client.force_login(platform_admin)
    found = client.get("/dept/evaluation/", {"code": graded.uscc.lower()})
    assert found.status_code == 302 and found["Location"] == f"/dept/evaluation/subjects/{graded.pk}/"
    page = text(client.get(found["Location"]))
    assert "B（良）" in page and "665.0 分" in page
    assert "长市监罚〔2026〕1号" in page and "国家税务总局长春市税务局" in page  # staff see every counted record
    assert "修复或期满后得分 +50，等级不变" in page  # 715: still B
    assert AuditEntry.objects.filter(action="evaluation.view", subject_id=graded.pk).exists()


def test_unknown_codes_and_other_users_are_refused(client, graded, operator):
    staff_only = client.get("/dept/evaluation/")
    assert staff_only.status_code == 302  # to the sign-in page
    client.force_login(operator("220100-GSJ"))
    assert client.get("/dept/evaluation/").status_code == 403


def test_a_wrong_code_is_answered_in_chinese(client, graded, platform_admin):
    client.force_login(platform_admin)
    page = client.get("/dept/evaluation/", {"code": "91220000ABCDEFGH12<script>"})
    assert page.status_code == 200 and "未找到统一社会信用代码为" in page.content.decode()
    assert "<script>" not in page.content.decode().split("未找到")[1][:80]


def test_an_empty_database_shows_empty_charts_not_an_error(client, platform_admin):
    client.force_login(platform_admin)
    page = client.get("/dept/evaluation/")
    assert page.status_code == 200 and "暂无评价结果" in page.content.decode() and "尚未运行评价" in page.content.decode()
