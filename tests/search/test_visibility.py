"""Who the search finds: every organization; an individual only while the law publishes them
(on the list of dishonest judgment debtors), and never after — the day after their publication
ends (before any job ran), and out of the index once the jobs ran; a withdrawn listing at once
after the next update."""

from __future__ import annotations

from datetime import date

from django.test import Client

from xinyong.records.jobs import expire_publication
from xinyong.search.models import SearchEntry, SearchGram, SearchKey
from xinyong.search.selectors import search_subjects

from .conftest import debtor, penalty, traffic

LAST_DAY = date(2028, 8, 31)  # 失信期限至 of the debtor rows


def names(result) -> list[str]:
    return [h.name for h in result.hits]


def test_a_private_individual_is_found_neither_by_name_nor_by_a_fragment(send, id_number, update_index):
    number = id_number("220102")
    send("traffic_violation", [traffic("李秀英", number)], "220100-GAT")  # authorized disclosure only
    send("penalty.gsj", [penalty("李秀英", "", "长市监罚〔2026〕5号", 行政相对人类别="自然人", 统一社会信用代码="", 证件类型="身份证", 证件号码=number)], "220100-GSJ")
    update_index()

    for query in ("李秀英", "秀英", "李秀"):
        assert search_subjects(query).total == 0, query
    assert not SearchEntry.objects.filter(kind="individual").exists()
    assert not SearchKey.objects.filter(key__contains="秀英").exists()
    page = Client().get("/search/", {"q": "李秀英"}).content.decode()
    assert "没有找到" in page and number[-4:] not in page


def test_a_dishonest_judgment_debtor_is_found_by_name_with_a_masked_id_number(send, id_number, update_index):
    number = id_number("220102")
    send("dishonest_debtor", [debtor("王小明", number)], "220100-FY")
    update_index()

    for query in ("王小明", "小明"):
        [hit] = search_subjects(query).hits
        assert (hit.name, hit.kind, hit.kind_label) == ("王小明", "individual", "自然人")
        assert hit.code == f"{number[:6]}********{number[-4:]}"
        assert hit.url.startswith("/subjects/p/") and number not in hit.url
    html = Client().get("/search/", {"q": "王小明"}).content.decode()
    assert "王小明" in html and f"{number[:6]}********{number[-4:]}" in html and number not in html


def test_a_debtor_leaves_the_results_the_day_after_publication_ends_and_the_index_after_the_jobs(send, id_number, update_index):
    number = id_number("220102")
    send("dishonest_debtor", [debtor("王小明", number)], "220100-FY")
    update_index(day=date(2026, 11, 29))
    assert names(search_subjects("王小明", day=LAST_DAY)) == ["王小明"]

    # the day after: not found, though no job has run yet (the entry carries its last day)
    after = date(2028, 9, 1)
    assert search_subjects("王小明", day=after).total == 0
    assert search_subjects("小明", day=after).total == 0
    person = SearchEntry.objects.get(kind="individual").subject_id

    # the publication job marks the end in the change feed; the search job then removes the entry
    assert expire_publication(day=after)["expired"] == 1
    summary = update_index(day=after)
    assert (summary["events"], summary["removed"]) == (1, 1)
    assert not SearchEntry.objects.filter(kind="individual").exists()
    assert not SearchKey.objects.filter(subject_id=person).exists()
    assert not SearchGram.objects.filter(subject_id=person).exists()
    assert search_subjects("王小明", day=LAST_DAY).total == 0  # out of the index for good
    assert update_index(day=after)["events"] == 0  # nothing left to do


def test_a_withdrawn_listing_takes_the_debtor_out_at_the_next_update(send, id_number, update_index):
    number = id_number("220102")
    send("dishonest_debtor", [debtor("王小明", number)], "220100-FY")
    update_index()
    assert search_subjects("王小明").total == 1

    send("dishonest_debtor", [{**debtor("王小明", number), "撤销原因": "已履行全部义务"}], "220100-FY", mode="withdraw")
    summary = update_index()
    assert summary["removed"] == 1
    assert search_subjects("王小明").total == 0
    assert search_subjects("小明").total == 0


def test_a_debtor_with_two_listings_stays_until_the_later_one_ends(send, id_number, update_index):
    number = id_number("220102")
    send("dishonest_debtor", [debtor("王小明", number), debtor("王小明", number, case="（2026）吉0102执124号", 失信期限至="2029-08-31")], "220100-FY")
    update_index()
    assert SearchEntry.objects.get(kind="individual").visible_until == date(2029, 8, 31)
    assert search_subjects("王小明", day=date(2029, 8, 31)).total == 1
    assert search_subjects("王小明", day=date(2029, 9, 1)).total == 0


def test_organizations_are_all_searchable_whatever_their_records(send, uscc, update_index):
    code = uscc("220102")
    send("penalty.gsj", [penalty("长春市北辰商贸有限公司", code, "长市监罚〔2026〕8号", 失信严重程度="轻微")], "220100-GSJ")  # never published
    update_index()
    assert names(search_subjects("北辰商贸")) == ["长春市北辰商贸有限公司"]
