"""The credit file page (信用档案): what a citizen sees of a subject — and what they must not see.

Every record here goes through the ingestion pipeline as a department would send it; the page is
fetched with Django's test client on the real database."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.portal.conftest import (
    commitment_row,
    debtor_row,
    enforcement_row,
    honour_row,
    licensing_row,
    org,
    penalty,
    person,
    registration_row,
    tax_row,
    traffic_row,
)
from xinyong.records.models import ChangeEvent, Record
from xinyong.records.services import record_withdraw
from xinyong.sanctions.models import ListEntry
from xinyong.security.services import Actor
from xinyong.subjects.models import Subject

NAME = "吉林省北辰食品有限公司"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def section(html: str, key: str) -> str:
    """The HTML of one section of the file (id="s-<key>")."""
    match = re.search(rf'<section id="s-{key}".*?</section>', html, flags=re.DOTALL)
    assert match, key
    return match.group(0)


@pytest.fixture
def firm(send, uscc):
    """An enterprise with something in every section, and records that must not show."""
    code = uscc("220102")
    me = org(NAME, code, legal_rep="赵立新")
    send("registration.gsj", [registration_row(code, 主体名称="吉林省北辰商贸有限公司", 成立日期="2012-05-18")], "220100-GSJ")
    send("registration.gsj", [registration_row(code)], "220100-GSJ", mode="correct")  # renamed: a former name
    send("licensing.gsj", [licensing_row(me)], "220100-GSJ")
    send(
        "penalty.gsj",
        [
            penalty(me, "长市监罚〔2026〕1号", 失信严重程度="一般"),
            penalty(me, "长市监罚〔2026〕2号", 失信严重程度="轻微", 处罚类别="警告", 处罚内容="警告", **{"罚款金额（万元）": ""}),
            penalty(me, "长市监罚〔2024〕3号", 处罚决定日期="2024-02-01", 失信严重程度="一般"),  # ended 2025-02-01
            penalty(me, "长市监罚〔2026〕4号", 失信严重程度="严重"),  # withdrawn below
            penalty(me, "长市监罚〔2026〕5号", 失信严重程度="一般"),  # repaired below
            penalty(me, "长市监罚〔2026〕6号", 失信严重程度="一般"),  # under objection below
        ],
        "220100-GSJ",
    )
    send("honour.gsj", [honour_row(me)], "220100-GSJ")
    send("commitment.gsj", [commitment_row(me), commitment_row(me, serial="000002", 公开类型="不公开", 承诺事由="不公开的承诺事由")], "220100-GSJ")
    send("tax_rating", [tax_row(NAME, code), tax_row(NAME, code, 评价年度="2024", 纳税信用级别="B", 评定日期="2025-04-15", 有效期至="2026-12-31")], "220100-SW")
    send("enforcement", [enforcement_row(NAME, code)], "220100-FY")
    send("dishonest_debtor", [debtor_row(NAME, code=code)], "220100-FY")
    record_withdraw(record=Record.objects.get(document_no="长市监罚〔2026〕4号"), reason="复议撤销", actor=Actor.system("test"))
    Record.objects.filter(document_no="长市监罚〔2026〕5号").update(status="repaired")
    Record.objects.filter(document_no="长市监罚〔2026〕6号").update(under_objection=True)
    return Subject.objects.get(uscc=code)


def test_the_file_shows_each_section_with_source_document_and_dates(client, firm):
    html = page(client, f"/subjects/{firm.uscc}/")
    assert f"<h1>{NAME}</h1>" in html
    basics = section(html, "basics")
    for text in (firm.uscc, "企业", "长春市南关区", "存续", "赵立新", "2012-05-18", "长春市南关区市场监督管理局", "吉林省长春市南关区人民大街1000号", "注册资本（万元）", "500"):
        assert text in basics, text
    assert "曾用名" in basics and "吉林省北辰商贸有限公司" in basics

    licensing = section(html, "licensing")
    assert "长市监许〔2026〕11号" in licensing and "行政许可决定文书号" in licensing
    assert "许可决定日期" in licensing and "2026-03-02" in licensing and "2031-03-01" in licensing
    assert "长春市市场监督管理局" in licensing  # the source department

    penalties = section(html, "penalty")
    assert "长市监罚〔2026〕1号" in penalties
    assert "处罚决定日期</dt><dd>2026-11-02" in penalties
    assert "公示截止日期</dt><dd>2027-11-02" in penalties  # a general penalty: one year at most
    assert "违法事实" in penalties and "当事人在其网站发布虚假广告" in penalties

    assert "吉林省守合同重信用企业" in section(html, "honour") and "吉市监发〔2026〕8号" in section(html, "honour")
    assert "22010220260301000001" in section(html, "commitment")
    ratings = section(html, "rating")
    assert "纳税信用等级评价结果" in ratings and "2025" in ratings
    assert "（2026）吉0102执200号" in section(html, "enforcement")
    assert "（2026）吉0102执123号" in section(html, "dishonesty")
    assert "数据更新至" in html


def test_what_the_file_must_not_show(client, firm):
    html = page(client, f"/subjects/{firm.uscc}/")
    penalties = section(html, "penalty")
    assert "长市监罚〔2026〕2号" not in html  # a minor penalty (警告) is never published
    assert "长市监罚〔2024〕3号" not in html  # its publication period ended on 2025-02-01
    assert "长市监罚〔2026〕4号" not in html  # withdrawn
    assert "长市监罚〔2026〕5号" not in html  # repaired
    assert penalties.count("<article") == 2  # 1号 and 6号
    assert "不公开的承诺事由" not in html and "22010220260301000002" not in html  # commitment disclosed 不公开
    ratings = section(html, "rating")
    assert "2024" not in ratings  # grade B: authorized query only (A is published)
    assert "97.50" not in html and "评价得分" not in html  # a field the catalog keeps off the portal
    assert "_enc" not in html and "来源记录编号" not in html
    # all of it still in the database, for the authorities
    assert Record.objects.filter(subject=firm).count() == 15


def test_a_record_under_objection_is_marked(client, firm):
    html = page(client, f"/subjects/{firm.uscc}/")
    articles = re.findall(r"<article.*?</article>", section(html, "penalty"), flags=re.DOTALL)
    marked = [a for a in articles if "异议处理中" in a]
    assert len(marked) == 1 and "长市监罚〔2026〕6号" in marked[0]
    assert "本档案中有 1 条信息正在异议处理中" in html


def test_the_demo_marks_a_couple_of_records_under_objection(client, firm):
    from xinyong.portal.demo import demo_objections_mark

    Record.objects.update(under_objection=False)
    top = ChangeEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    marked = demo_objections_mark(count=2)
    assert len(marked) == 2
    # with their change events: the evaluation and the search index see the records changed
    events = ChangeEvent.objects.filter(seq__gt=top)
    assert sorted(events.values_list("entity", "entity_id", "op")) == sorted(("record", i, "MOD") for i in marked)
    assert demo_objections_mark(count=2) == []  # once is enough
    html = page(client, f"/subjects/{firm.uscc}/")
    assert html.count('<span class="badge objection">异议处理中</span>') == 2


def test_list_memberships_show_what_is_there(client, firm):
    debtor = Record.objects.get(item_code="dishonest_debtor")
    withdrawn = Record.objects.get(document_no="长市监罚〔2026〕4号")
    ListEntry.objects.create(list_code="dishonest_debtors", subject=firm, basis_record=debtor, listed_on=debtor.decided_on, expires_on=debtor.publish_until)
    ListEntry.objects.create(list_code="tax_a_grade", subject=firm, basis_record=withdrawn, listed_on=withdrawn.decided_on)  # its basis was withdrawn
    ListEntry.objects.create(list_code="env_bad", subject=firm, status="removed", listed_on=debtor.decided_on)
    ListEntry.objects.create(list_code="research_misconduct", subject=firm, listed_on=debtor.decided_on)  # authorized disclosure
    lists = section(page(client, f"/subjects/{firm.uscc}/"), "lists")
    assert lists.count("<tr>") == 2  # the header and one entry
    assert "失信被执行人名单" in lists and "2026-09-01" in lists and "2028-08-31" in lists and "（2026）吉0102执123号" in lists
    assert "长春市中级人民法院" in lists  # the court that decided it
    assert "纳税信用A级纳税人" not in lists and "环保不良企业" not in lists and "科研" not in lists


def test_individuals_the_law_publishes_have_a_file_with_a_masked_id_number(client, send, id_number):
    number = id_number("220102")
    send("dishonest_debtor", [debtor_row("王小明", id_number=number)], "220100-FY")
    # a penalty recorded under a different spelling of the name: the penalty item does not publish
    # individuals' names, so it shows masked
    send("penalty.gsj", [penalty(person("王晓明", number), "长市监罚〔2026〕77号")], "220100-GSJ")
    subject = Subject.objects.get(kind="individual")
    html = page(client, f"/subjects/p/{subject.public_id}/")
    masked = number[:6] + "********" + number[-4:]
    assert "<h1>王小明</h1>" in html and masked in html
    assert number not in html  # never the full ID number, anywhere on the page
    penalties = section(html, "penalty")
    assert "长市监罚〔2026〕77号" in penalties and "王*明" in penalties and "王晓明" not in html
    assert number not in client.get(f"/api/v1/subjects/p-{subject.public_id}").content.decode()


def test_unknown_and_private_subjects_get_the_same_404(client, send, id_number, uscc):
    number = id_number("220102")
    send("traffic_violation", [traffic_row("李秀英", number)], "220100-GAT")  # authorized query only
    private = Subject.objects.get(kind="individual")
    unknown = "0b6f9c1e-6d0e-4f5e-9d5c-3c1d2e4f5a6b"

    def fetch(url: str):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        return response, len(queries)

    private_response, private_queries = fetch(f"/subjects/p/{private.public_id}/")
    unknown_response, unknown_queries = fetch(f"/subjects/p/{unknown}/")
    garbage_response, _ = fetch("/subjects/p/not-a-uuid/")
    org_response, _ = fetch(f"/subjects/{uscc('220102')}/")
    for response in (private_response, unknown_response, garbage_response, org_response):
        assert response.status_code == 404
    assert private_queries == unknown_queries  # the same work: no timing difference to measure

    def body(response, url_part: str) -> str:
        return response.content.decode().replace(url_part, "X")

    assert body(private_response, str(private.public_id)) == body(unknown_response, unknown)
    html = private_response.content.decode()
    assert "未找到信用档案" in html and "李秀英" not in html and "李*英" not in html and number[-4:] not in html
    # the API: the same answer too
    api_private = client.get(f"/api/v1/subjects/p-{private.public_id}")
    api_unknown = client.get(f"/api/v1/subjects/p-{unknown}")
    assert api_private.status_code == api_unknown.status_code == 404
    assert api_private.json() == api_unknown.json() and api_private.json()["code"] == "subject_not_found"


def test_hostile_names_and_values_are_escaped(client, send, uscc):
    code = uscc("220102")
    hostile = '<script>alert("x")</script>有限公司'
    send("registration.gsj", [registration_row(code, 主体名称=hostile, 住所='<img src=x onerror="alert(1)">')], "220100-GSJ")
    send("penalty.gsj", [penalty(org(hostile, code), "长市监罚〔2026〕9号", 违法事实="<b>粗体</b>&amp;")], "220100-GSJ")
    html = page(client, f"/subjects/{code}/")
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>粗体" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;有限公司" in html
    assert "&lt;b&gt;粗体&lt;/b&gt;&amp;amp;" in html


def test_a_lower_case_or_spaced_code_finds_the_file(client, firm):
    assert client.get(f"/subjects/{firm.uscc.lower()}/").status_code == 200


def test_the_page_costs_the_same_few_queries_for_three_or_three_hundred_records(client, send, uscc):
    small, large = uscc("220102"), uscc("220103")
    send("penalty.gsj", [penalty(org("小记录量有限公司", small), f"长市监罚〔2026〕{i}号") for i in range(3)], "220100-GSJ")
    rows = [penalty(org("大记录量有限公司", large), f"长市监罚〔2026〕{1000 + i}号") for i in range(250)]
    rows += [licensing_row(org("大记录量有限公司", large), 行政许可决定文书号=f"长市监许〔2026〕{i}号", 许可编号=f"JY{i}") for i in range(50)]
    send("penalty.gsj", rows[:250], "220100-GSJ")
    send("licensing.gsj", rows[250:], "220100-GSJ")

    def count(code: str) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            html = page(client, f"/subjects/{code}/?all=penalty")
        return len(queries), html

    few, _ = count(small)
    many, html = count(large)
    assert html.count("<article") == 300
    # 6, plus 1 for the agency section (agencies/_file_section.html: is the subject a registered
    # credit service agency?)
    assert many == few <= 7


def test_a_long_section_shows_its_newest_facts_and_the_rest_on_request(client, send, uscc, settings):
    settings.XINYONG = {**settings.XINYONG, "FILE_SECTION_LIMIT": 20}
    code = uscc("220102")
    rows = [penalty(org("大记录量有限公司", code), f"长市监罚〔2026〕{1000 + i}号", 处罚决定日期=f"2026-{1 + i // 28:02d}-{1 + i % 28:02d}") for i in range(30)]
    send("penalty.gsj", rows, "220100-GSJ")
    penalties = section(page(client, f"/subjects/{code}/"), "penalty")
    assert penalties.count("<article") == 20 and "（30 条）" in penalties
    assert "长市监罚〔2026〕1029号" in penalties and "长市监罚〔2026〕1000号" not in penalties  # newest first
    assert "另有 10 条" in penalties and 'href="?all=penalty#s-penalty"' in penalties
    everything = section(page(client, f"/subjects/{code}/?all=penalty"), "penalty")
    assert everything.count("<article") == 30 and "另有" not in everything
    assert len(client.get(f"/api/v1/subjects/{code}").json()["sections"][1]["facts"]) == 30  # the API: every fact


def test_the_page_counts_what_it_does_not_show(client, send, uscc, settings):
    """Only the newest facts of a section are assembled for the page, but its counts (the
    section's, the file's objections) cover every public fact."""
    from xinyong.records.models import Record

    settings.XINYONG = {**settings.XINYONG, "FILE_SECTION_LIMIT": 5}
    code = uscc("220102")
    rows = [penalty(org("大记录量有限公司", code), f"长市监罚〔2026〕{2000 + i}号", 处罚决定日期=f"2026-03-{1 + i:02d}") for i in range(12)]
    send("penalty.gsj", rows, "220100-GSJ")
    Record.objects.filter(document_no="长市监罚〔2026〕2000号").update(under_objection=True)  # the oldest: not shown
    html = page(client, f"/subjects/{code}/")
    penalties = section(html, "penalty")
    assert penalties.count("<article") == 5 and "（12 条）" in penalties and "另有 7 条" in penalties
    assert "长市监罚〔2026〕2000号" not in penalties
    assert "本档案中有 1 条信息正在异议处理中" in html
    everything = section(page(client, f"/subjects/{code}/?all=penalty"), "penalty")
    assert everything.count("<article") == 12 and "异议处理中" in everything


def test_the_data_as_of_line_shows_the_latest_change(client, firm):
    html = page(client, f"/subjects/{firm.uscc}/")
    stamp = timezone.localtime(timezone.now()).strftime("%Y-%m-%d")
    assert re.search(rf"数据更新至：<time datetime=\"[^\"]+\">{stamp} \d\d:\d\d</time>", html)


def test_the_api_gives_the_same_file_as_the_page(client, firm, api_client):
    html = page(client, f"/subjects/{firm.uscc}/")
    response = api_client.get(f"/api/v1/subjects/{firm.uscc}")
    assert response.status_code == 200
    data = response.json()
    assert data["key"] == firm.uscc and data["url"] == f"/subjects/{firm.uscc}/"
    assert data["basics"]["name"] == NAME and data["basics"]["former_names"] == ["吉林省北辰商贸有限公司"]
    facts = [f for s in data["sections"] for f in s["facts"]]
    assert len(facts) == data["facts_total"] == html.count("<article")
    documents = {f["document_no"] for f in facts if f["document_no"]}  # a rating has no document number
    shown = set(re.findall(r'<dd class="code">([^<]+)</dd>', html)) - {firm.uscc}
    assert documents == {d.replace("&amp;", "&") for d in shown}
    assert "长市监罚〔2026〕2号" not in documents and data["objections"] == 1
    penalty_facts = next(s for s in data["sections"] if s["key"] == "penalty")["facts"]
    assert {f["document_no"]: f["under_objection"] for f in penalty_facts} == {"长市监罚〔2026〕1号": False, "长市监罚〔2026〕6号": True}
    fields = {f["name"] for s in data["sections"] for fact in s["facts"] for f in fact["fields"]}
    assert fields.isdisjoint({"score", "source_id", "id_number", "legal_rep_id_number", "_enc"})


def test_the_old_url_of_an_individual_by_id_number_does_not_exist(client, send, id_number):
    number = id_number("220102")
    send("dishonest_debtor", [debtor_row("王小明", id_number=number)], "220100-FY")
    assert client.get(f"/subjects/{number}/").status_code == 404
    assert client.get(f"/api/v1/subjects/{number}").status_code == 404


def test_a_record_not_yet_in_its_period_does_not_show(client, firm):
    Record.objects.filter(document_no="长市监罚〔2026〕1号").update(publish_from=timezone.localdate() + timedelta(days=1))
    assert "长市监罚〔2026〕1号" not in page(client, f"/subjects/{firm.uscc}/")
