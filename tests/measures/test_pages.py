"""The staff pages: the measures catalog, and the check–feedback loop per department and measure
as tables and charts (no JavaScript)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_staff_see_the_catalog_with_matters_measures_and_legal_basis(client, platform_admin):
    client.force_login(platform_admin)
    page = client.get("/dept/measures/")
    assert page.status_code == 200
    body = text(page)
    for matter in ("日常监管", "行政许可", "资质等级评定", "招标采购", "资金扶持", "公共资源交易", "进出口管理", "评先评优", "定期检验"):
        assert matter in body
    assert "限制参与依法必须招标项目的投标" in body and "严重违法失信名单" in body and "企业信息公示暂行条例" in body
    assert "<script" not in page.content.decode()


def test_the_loop_counts_triggered_and_applied_per_department_and_measure(client, platform_admin, client_of, company, listed, on_day):
    bidders = [company() for _ in range(3)]
    for b in bidders:
        listed(b, "serious_violation")
    api = client_of("220000-CZT")
    with on_day():
        checks = [api.post_json("/api/v1/checks", {"matter": "tendering", "case_no": f"ZB-{n}", "uscc": b.uscc}).json()["check"] for n, b in enumerate(bidders)]
        api.post_json(f"/api/v1/checks/{checks[0]}/feedback", {"items": [{"measure": "tendering_limit", "applied": True, "outcome": "已取消投标资格"}]})
        api.post_json(f"/api/v1/checks/{checks[1]}/feedback", {"items": [{"measure": "tendering_limit", "applied": False, "outcome": "项目已终止"}]})
    client.force_login(platform_admin)
    page = client.get("/dept/measures/loop/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg") >= 2 and 'role="img"' in html and "<script" not in html
    table = html[html.index("按部门和措施"):].replace("\n", "")
    rows = {m: re.findall(r"<td>(\d+)</td>", tr) for tr in re.findall(r"<tr>.*?</tr>", table) for m in re.findall(r'<code class="small">(\w+)</code>', tr)}
    assert rows["tendering_limit"] == ["3", "1", "1", "1"]  # 3 triggered, 1 applied, 1 not applied, 1 no feedback
    assert rows["procurement_limit"] == ["3", "0", "0", "3"]
    assert "财政厅" in text(page)


def test_operators_and_anonymous_users_are_refused(client, operator):
    assert client.get("/dept/measures/").status_code == 302
    client.force_login(operator("220100-GSJ"))
    assert client.get("/dept/measures/loop/").status_code == 403
