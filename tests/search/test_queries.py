"""What a citizen finds when they type a name or a code: ranking, any part of a name, former names,
legacy codes, codes typed with full-width digits or a wrong check character, and bad input."""

from __future__ import annotations

import pytest
from django.db import connection

from xinyong.demo.codes import spoil_check_digit
from xinyong.search.selectors import InvalidQuery, search_subjects

from .conftest import debtor, registration


def names(result) -> list[str]:
    return [h.name for h in result.hits]


def test_ranking_exact_name_then_former_name_then_names_containing_it_by_position(orgs, send, uscc, update_index):
    orgs("吉林省长春华信物流有限公司", "长春华信商贸有限公司", "松原市永安粮油有限公司")
    renamed = uscc("220102")
    send("registration.gsj", [registration("长春华信", renamed)], "220100-GSJ")
    exact = uscc("220102")
    send("registration.gsj", [registration("长春华信", exact)], "220100-GSJ")
    send("registration.gsj", [registration("吉林省北斗星科技有限公司", renamed)], "220100-GSJ", mode="correct")  # old name kept as 曾用名
    update_index()

    result = search_subjects("长春华信")

    assert names(result) == ["长春华信", "吉林省北斗星科技有限公司", "长春华信商贸有限公司", "吉林省长春华信物流有限公司"]
    assert [h.match for h in result.hits] == ["name", "former_name", "partial", "partial"]
    assert result.hits[1].former_names == ["长春华信"]
    assert (result.total, result.more, result.pages) == (4, False, 1)


def test_any_two_characters_of_a_name_find_it_wherever_they_are(orgs, update_index):
    orgs("通化市北辰食品有限公司", "吉林省北辰通达物流有限公司", "长春市南关区北辰", "长春市南关区北方食杂店")
    update_index()

    assert sorted(names(search_subjects("北辰"))) == ["吉林省北辰通达物流有限公司", "通化市北辰食品有限公司", "长春市南关区北辰"]
    assert names(search_subjects("辰通达")) == ["吉林省北辰通达物流有限公司"]
    assert names(search_subjects("食品有限")) == ["通化市北辰食品有限公司"]
    # names that start with the query come first
    assert names(search_subjects("通化"))[0] == "通化市北辰食品有限公司"
    assert search_subjects("北辰食杂").total == 0  # both bigrams exist, never together
    assert search_subjects("量子").total == 0
    # typed with a space, full-width letters or ASCII brackets: the same key as the stored name
    assert names(search_subjects("北辰 通达")) == ["吉林省北辰通达物流有限公司"]


def test_one_character_asks_for_more(orgs, update_index):
    orgs("通化市北辰食品有限公司")
    update_index()
    with pytest.raises(InvalidQuery) as exc:
        search_subjects("通")
    assert exc.value.code == "query_too_short" and "两个字" in exc.value.message


def test_former_names_are_found_exactly_and_by_any_part(orgs, send, update_index):
    [code] = orgs("吉林省鹿鸣药业有限公司")
    send("registration.gsj", [registration("吉林省长白山制药股份有限公司", code)], "220100-GSJ", mode="correct")
    update_index()

    for query in ("吉林省鹿鸣药业有限公司", "鹿鸣药业", "鹿鸣"):
        result = search_subjects(query)
        assert names(result) == ["吉林省长白山制药股份有限公司"], query
        assert result.hits[0].former_names == ["吉林省鹿鸣药业有限公司"]
    assert search_subjects("吉林省鹿鸣药业有限公司").hits[0].match == "former_name"
    assert names(search_subjects("长白山制药")) == ["吉林省长白山制药股份有限公司"]


def test_codes_uscc_legacy_codes_full_width_and_spaces(orgs, send, uscc, update_index):
    code = uscc("220102")
    send("registration.gsj", [registration("吉林省北辰食品有限公司", code, 工商注册号="220102000123457")], "220100-GSJ")
    orgs("吉林省北辰物流有限公司")
    update_index()

    full_width = " ".join(code[i : i + 6] for i in range(0, 18, 6)).translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    org_code = f"{code[8:16]}-{code[16]}"
    for query in (code, code.lower(), full_width, org_code, "220102000123457", "２２０１０２ ０００１２３４５７"):
        result = search_subjects(query)
        assert result.mode == "code", query
        assert names(result) == ["吉林省北辰食品有限公司"], query
        assert result.hits[0].match == "code" and result.hits[0].code == code
    assert search_subjects(uscc("220102")).total == 0  # a valid code not on the platform: nothing, no error


def test_a_wrong_check_character_is_named_and_the_right_code_suggested(orgs, uscc, update_index):
    [code] = orgs("吉林省北辰食品有限公司")
    update_index()

    with pytest.raises(InvalidQuery) as exc:
        search_subjects(spoil_check_digit(code))
    assert exc.value.code == "uscc_invalid"
    assert exc.value.reason == "统一社会信用代码校验位错误"
    assert exc.value.suggestion.code == code and exc.value.suggestion.name == "吉林省北辰食品有限公司"
    assert f"您要找的是不是：{code}（吉林省北辰食品有限公司）？" in exc.value.message
    assert exc.value.fields == {"q": "统一社会信用代码校验位错误", "suggestion": code}

    with pytest.raises(InvalidQuery) as exc:  # no subject with the corrected code: no suggestion
        search_subjects(spoil_check_digit(uscc("220102")))
    assert exc.value.code == "uscc_invalid" and exc.value.suggestion is None and "您要找的是不是" not in exc.value.message


def test_an_id_number_is_never_searched(send, id_number, update_index):
    number = id_number("220102")
    send("dishonest_debtor", [debtor("王小明", number)], "220100-FY")
    update_index()
    with pytest.raises(InvalidQuery) as exc:
        search_subjects(number)
    assert exc.value.code == "id_number_not_searchable"
    assert names(search_subjects("王小明")) == ["王小明"]  # by name, as the law publishes it


@pytest.mark.parametrize(
    ("query", "code"),
    [("", "query_required"), ("   ", "query_required"), ("　", "query_required"), ("通" * 1000, "query_too_long"), ("通" * 61, "query_too_long")],
)
def test_bad_input_is_refused_with_a_reason(db, query, code):
    with pytest.raises(InvalidQuery) as exc:
        search_subjects(query)
    assert exc.value.code == code and exc.value.status == 422


def test_sql_and_html_fragments_are_just_text(orgs, update_index):
    orgs("吉林省北辰食品有限公司", "长春市100%纯净水有限公司", "长春市下划_线有限公司")
    update_index()
    for query in ("'; DROP TABLE search_searchentry; --", "<script>alert(1)</script>", "%%", "北辰' OR '1'='1", "\\%", "_线"):
        search_subjects(query)  # no error
    assert search_subjects("'; DROP TABLE search_searchentry; --").total == 0
    assert "search_searchentry" in connection.introspection.table_names()
    # LIKE wildcards in a query match themselves only
    assert names(search_subjects("0%纯")) == ["长春市100%纯净水有限公司"]
    assert search_subjects("0%净").total == 0
    assert names(search_subjects("划_线")) == ["长春市下划_线有限公司"]
    assert search_subjects("划x线").total == 0


def test_pages_and_a_capped_count(orgs, settings, update_index):
    orgs(*[f"吉林省华信{n}号商贸有限公司" for n in "一二三四五六七"])
    update_index()
    settings.XINYONG = {**settings.XINYONG, "SEARCH": {**settings.XINYONG["SEARCH"], "PAGE_SIZE": 3}}

    pages = [search_subjects("华信", page=p) for p in (1, 2, 3)]
    assert [len(p.hits) for p in pages] == [3, 3, 1]
    assert {p.total for p in pages} == {7} and {p.pages for p in pages} == {3}
    seen = [n for p in pages for n in names(p)]
    assert len(set(seen)) == 7
    assert names(search_subjects("华信", page=99)) == names(pages[2])  # past the end: the last page
    assert search_subjects("华信", page=99).page == 3

    settings.XINYONG = {**settings.XINYONG, "SEARCH": {**settings.XINYONG["SEARCH"], "PAGE_SIZE": 3, "COUNT_CAP": 5}}
    capped = search_subjects("华信", page=1)
    assert (capped.total, capped.more, capped.total_label, capped.pages) == (5, True, "5+", 2)
    assert len(search_subjects("华信", page=2).hits) == 2  # never past the cap


def test_each_result_says_kind_region_status_and_links_its_credit_file(orgs, send, uscc, update_index):
    code = uscc("220502")  # 通化市东昌区
    send("registration.gsj", [registration("通化市北辰食品有限公司", code, 登记状态="吊销")], "220100-GSJ")
    update_index()
    [hit] = search_subjects("北辰食品").hits
    assert (hit.kind, hit.kind_label, hit.region, hit.region_name, hit.status) == ("enterprise", "企业", "220502", "通化市东昌区", "吊销")
    assert hit.url == f"/subjects/{code}/"
    assert hit.code == code
