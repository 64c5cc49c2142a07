"""Row validation against the catalog: each bad cell gives the field's label and a Chinese reason
an operator can act on; good cells come out clean (codes folded, dates parsed, text kept as typed)."""

from __future__ import annotations

import random
from datetime import date, datetime

import pytest

from xinyong.catalog.registry import get_catalog
from xinyong.demo.codes import make_id_number, make_uscc, spoil_check_digit
from xinyong.ingestion.errorfile import neutralize
from xinyong.ingestion.readers import XlsxNumber, _Nested
from xinyong.ingestion.validation import RowValidator

TODAY = date(2026, 11, 29)
RNG = random.Random(7)
USCC = make_uscc(RNG)
ID_NUMBER = make_id_number(RNG)
AUTHORITY_USCC = "11220100MB1957950T"


def validator(item: str = "penalty.gsj", mode: str = "submit") -> RowValidator:
    catalog = get_catalog()
    return RowValidator(catalog.items[item], today=TODAY, mode=mode, regions=set(catalog.regions))


def penalty(**over) -> dict:
    row = {
        "subject_name": "长春市某某商贸有限公司",
        "subject_category": "法人及非法人组织",
        "uscc": USCC,
        "legal_rep": "李四",
        "decision_no": "长市监罚〔2026〕1号",
        "violation_type": "虚假宣传",
        "facts": "当事人在其网站发布虚假广告",
        "basis": "《中华人民共和国广告法》第五十五条",
        "penalty_category": "罚款",
        "content": "罚款人民币2万元",
        "fine_amount": "2",
        "decision_date": "2026-11-02",
        "severity": "一般",
        "authority": "长春市市场监督管理局",
        "authority_uscc": AUTHORITY_USCC,
        "source_unit": "长春市市场监督管理局",
        "source_unit_uscc": AUTHORITY_USCC,
    }
    row.update(over)
    return {k: v for k, v in row.items() if v is not None}


def check(row: dict, item: str = "penalty.gsj") -> tuple[dict, list]:
    return validator(item).validate(row)


def only_error(row: dict, item: str = "penalty.gsj") -> tuple[str, str]:
    values, errors = check(row, item)
    assert len(errors) == 1, errors
    return errors[0]


def test_a_good_row_has_no_errors():
    values, errors = check(penalty())
    assert errors == []
    assert values["uscc"] == USCC and values["decision_date"] == date(2026, 11, 2)


# ---------------------------------------------------------------------- codes
def test_uscc_with_wrong_check_digit_names_the_field():
    assert only_error(penalty(uscc=spoil_check_digit(USCC))) == ("统一社会信用代码", "统一社会信用代码校验位错误")


def test_reason_uses_the_label_of_the_column_that_is_wrong():
    field, reason = only_error(penalty(authority_uscc=spoil_check_digit(AUTHORITY_USCC)))
    assert (field, reason) == ("处罚机关统一社会信用代码", "处罚机关统一社会信用代码校验位错误")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("91220102MA000000", "统一社会信用代码应为18位，实为16位"),
        ("9A220102MA0000000X", "统一社会信用代码含有不允许的字符（前8位应为数字，其余为数字或大写字母，不含I、O、Z、S、V）"),
        ("91220102IO0000000X", "统一社会信用代码含有不允许的字符（前8位应为数字，其余为数字或大写字母，不含I、O、Z、S、V）"),
    ],
)
def test_uscc_length_and_characters(value, reason):
    assert only_error(penalty(uscc=value)) == ("统一社会信用代码", reason)


def test_uscc_typed_with_full_width_characters_spaces_and_lower_case_is_accepted():
    full = USCC.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})  # ９１２２…
    typed = " " + full[:6] + "　" + full[6:].lower() + " "
    values, errors = check(penalty(uscc=typed))
    assert errors == [] and values["uscc"] == USCC


def test_id_number_with_wrong_check_digit_never_echoes_the_number():
    row = penalty(subject_name="王小明", subject_category="自然人", uscc="", legal_rep="", id_number=spoil_check_digit(ID_NUMBER))
    field, reason = only_error(row)
    assert (field, reason) == ("证件号码", "证件号码校验位错误")
    assert ID_NUMBER[:17] not in reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("22010219900230123", "证件号码中的出生日期无效"),  # 30 February
        ("22010220990101123", "证件号码中的出生日期无效"),  # born in the future
        ("99999919900101123", "证件号码中的行政区划代码无效"),
    ],
)
def test_id_number_birth_date_and_division(body, reason):
    from stdnum.cn import ric

    number = next(body + c for c in "0123456789X" if ric.calc_check_digit(body + c) == c)
    row = penalty(subject_name="王小明", subject_category="自然人", uscc="", legal_rep="", id_number=number)
    assert only_error(row) == ("证件号码", reason)


def test_id_number_with_non_ascii_digits_is_refused():
    arabic = ID_NUMBER[:10] + ID_NUMBER[10:17].translate({ord(d): 0x0660 + int(d) for d in "0123456789"}) + ID_NUMBER[17]
    row = penalty(subject_name="王小明", subject_category="自然人", uscc="", legal_rep="", id_number=arabic)
    assert only_error(row)[1] == "证件号码格式错误（前17位应为数字，末位为数字或X）"


def test_id_number_in_full_width_digits_is_folded():
    full = ID_NUMBER.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    values, errors = check(penalty(subject_name="王小明", subject_category="自然人", uscc="", legal_rep="", id_number=full))
    assert errors == [] and values["id_number"] == ID_NUMBER


def test_codes_excel_stored_as_numbers_are_refused_with_what_to_do():
    lost = XlsxNumber("9.1220102e+17", 9.1220102e17)
    assert only_error(penalty(uscc=lost)) == (
        "统一社会信用代码",
        "统一社会信用代码在 Excel 中被存为数字，请将该列设为文本格式后重新填写",
    )
    row = penalty(subject_name="王小明", subject_category="自然人", uscc="", legal_rep="", id_number=XlsxNumber("2.20102199001011e+17", 2.20102199001011e17))
    field, reason = only_error(row)
    assert field == "证件号码" and "被存为数字，末几位已丢失" in reason


def test_a_date_cell_in_a_code_column_is_a_row_error_not_a_crash():
    field, reason = only_error(penalty(uscc=datetime(2025, 1, 5)))
    assert field == "统一社会信用代码" and reason.startswith("统一社会信用代码")


def test_legal_person_named_only_by_name_is_valid_and_left_to_exact_matching():
    # old systems send rows without any code: the row is valid; the pipeline matches the name
    # exactly or queues it for review (tests/subjects), it is never refused nor guessed
    values, errors = check(penalty(uscc=""))
    assert errors == []
    assert "uscc" not in values and values["subject_name"]


def test_each_row_rule_names_its_field_and_reason():
    _, errors = check(penalty(subject_category="自然人", uscc="", legal_rep="", id_number=""))
    _, errors2 = check(penalty(uscc="", legal_rep=""))
    assert errors == [("证件号码", "行政相对人为自然人的，须填写证件号码")]
    assert errors2 == [("法定代表人", "行政相对人为法人及非法人组织的，须填写法定代表人")]


def test_a_row_rule_is_not_repeated_for_a_field_already_reported():
    _, errors = check(penalty(subject_name="王小明", subject_category="自然人", uscc="", legal_rep="", id_number="123"))
    assert errors == [("证件号码", "证件号码应为18位，实为3位")]


# ---------------------------------------------------------------------- dates
@pytest.mark.parametrize(
    "cell",
    [
        "2025-01-05", "2025/1/5", "2025.1.5", "2025年1月5日", "2025年01月05日", "20250105",
        "2025-01-05 00:00:00", "2025-01-05T08:30:00", "２０２５－０１－０５", " 2025/01/05 ",
        "2025 年 1 月 5 日", "2025年1月5日 08:30", "２０２５－０１－０５ ０８：３０：００",
        datetime(2025, 1, 5, 0, 0), date(2025, 1, 5),
        XlsxNumber("45662", 45662),  # Excel serial date in a cell formatted as General
        XlsxNumber("20250105", 20250105),  # 20250105 typed into a number cell
    ],
)
def test_dates_in_every_accepted_form(cell):
    values, errors = check(penalty(decision_date=cell))
    assert errors == [] and values["decision_date"] == date(2025, 1, 5)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("2025-02-30", "处罚决定日期不是存在的日期（2025年2月30日）"),
        ("2025年13月1日", "处罚决定日期不是存在的日期（2025年13月1日）"),
        ("20250230", "处罚决定日期不是存在的日期（2025年2月30日）"),
        ("2027-01-01", "处罚决定日期晚于今天（2027-01-01）"),
        ("2026-11-30", "处罚决定日期晚于今天（2026-11-30）"),
        ("1899-12-31", "处罚决定日期年份不合理（1899）"),
        ("05/01/2025", "处罚决定日期格式应为YYYY-MM-DD（如 2025-01-10）"),
        ("去年", "处罚决定日期格式应为YYYY-MM-DD（如 2025-01-10）"),
        (XlsxNumber("45662.5", 45662.5), "处罚决定日期格式应为YYYY-MM-DD（如 2025-01-10）"),
    ],
)
def test_impossible_future_and_unreadable_dates(cell, reason):
    assert only_error(penalty(decision_date=cell)) == ("处罚决定日期", reason)


def test_today_is_not_in_the_future():
    assert check(penalty(decision_date=TODAY.isoformat()))[1] == []


def test_valid_until_before_the_decision_date_is_refused():
    assert only_error(penalty(valid_until="2026-10-01")) == ("处罚有效期", "处罚有效期（2026-10-01）早于处罚决定日期（2026-11-02）")


def test_licence_valid_until_accepts_long_term():
    row = {
        **penalty(), "doc_name": "许可决定书", "licence_category": "普通", "content": "准予许可",
        "valid_from": "2026-11-02", "valid_until": "长期", "status": "有效",
    }
    for k in ("decision_no", "violation_type", "facts", "basis", "penalty_category", "fine_amount", "severity"):
        row.pop(k)
    row["decision_no"] = "吉环许〔2026〕1号"
    values, errors = check(row, "licensing.hbt")
    assert errors == [] and values["valid_until"] == "长期"


# ---------------------------------------------------------------------- text
def test_over_long_values_name_the_limit_and_the_length():
    assert only_error(penalty(decision_no="号" * 65)) == ("行政处罚决定书文号", "行政处罚决定书文号超过64个字符（实为65个）")
    assert only_error(penalty(facts="事" * 5001)) == ("违法事实", "违法事实超过5000个字符（实为5001个）")


def test_control_characters_are_removed():
    values, errors = check(penalty(subject_name="长春市\x00某某\x1b商贸\x7f有限公司\x0b", facts="第一行\n第二行\t完"))
    assert errors == []
    assert values["subject_name"] == "长春市某某商贸有限公司"
    assert values["facts"] == "第一行\n第二行\t完"  # line breaks and tabs inside text are kept


def test_a_required_cell_of_only_control_characters_is_empty():
    assert only_error(penalty(subject_name="\x00\x01\x1f")) == ("行政相对人名称", "必填项“行政相对人名称”为空")


def test_html_and_script_are_kept_verbatim():
    name = '<script>alert("x")</script><b>某某</b>&amp;公司'
    values, errors = check(penalty(subject_name=name))
    assert errors == [] and values["subject_name"] == name


@pytest.mark.parametrize("cell", ["=cmd|' /C calc'!A0", "+1", "-1+2", "@SUM(1)", "=HYPERLINK(\"http://x\",\"点击\")"])
def test_formula_like_cells_are_plain_text_and_come_back_from_the_error_file(cell):
    values, errors = check(penalty(facts=cell, subject_name=cell + "公司"))
    assert errors == []
    assert values["facts"] == cell and values["subject_name"] == cell + "公司"
    # the same cells after a round trip through the error file (leading apostrophe added there)
    back, errors = check(penalty(facts=neutralize(cell), subject_name=neutralize(cell + "公司")))
    assert errors == [] and back["facts"] == cell and back["subject_name"] == cell + "公司"


def test_formula_like_number_is_not_a_number():
    assert only_error(penalty(fine_amount="'-1+2")) == ("罚款金额（万元）", "罚款金额（万元）应为数字")
    assert only_error(penalty(fine_amount="=1+1")) == ("罚款金额（万元）", "罚款金额（万元）应为数字")


# ---------------------------------------------------------------------- other types
@pytest.mark.parametrize(("cell", "value"), [("2", "2"), ("1,234.5", "1234.5"), ("２．５", "2.5"), (" 0.000001 ", "0.000001")])
def test_decimals(cell, value):
    from decimal import Decimal

    values, errors = check(penalty(fine_amount=cell))
    assert errors == [] and values["fine_amount"] == Decimal(value)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [("NaN", "应为数字"), ("Infinity", "应为数字"), ("2万", "应为数字"), ("-1", "不能小于0"), ("0.0000001", "最多保留6位小数")],
)
def test_bad_decimals(cell, reason):
    assert only_error(penalty(fine_amount=cell)) == ("罚款金额（万元）", "罚款金额（万元）" + reason)


def test_enum_values():
    values, errors = check(penalty(penalty_category="罚款；警告;罚款", severity="一般"))
    assert errors == [] and values["penalty_category"] == "罚款；警告"
    field, reason = only_error(penalty(severity="很严重"))
    assert field == "失信严重程度" and reason == "失信严重程度的取值“很严重”不在允许范围内（轻微、一般、严重）"


def test_json_object_where_a_value_is_expected():
    assert only_error(penalty(facts=_Nested())) == ("违法事实", "违法事实的值不应为对象或数组")


def test_missing_required_cells_are_each_named():
    _, errors = check(penalty(facts="", basis="  ", content="\u3000"))
    assert errors == [
        ("违法事实", "必填项“违法事实”为空"),
        ("处罚依据", "必填项“处罚依据”为空"),
        ("处罚内容", "必填项“处罚内容”为空"),
    ]


def test_several_errors_in_one_row_are_all_reported():
    _, errors = check(penalty(uscc=spoil_check_digit(USCC), decision_date="2025-02-30", fine_amount="abc"))
    assert [f for f, _ in errors] == ["统一社会信用代码", "罚款金额（万元）", "处罚决定日期"]


def test_headers_map_by_label_alias_and_are_width_insensitive():
    v = validator()
    headers = ["行政相对人名称", "统一社会信用代码", "处罚决定书文号", "罚款金额(万元)", "【行号】", "不认识的列"]
    missing = v.map_headers(headers)
    assert "违法事实" in missing and "行政处罚决定书文号" not in missing
    assert v.unknown_columns == ["不认识的列"]
    extracted = v.extract(dict(zip(headers, ["甲", USCC, "文号1", "3", "2", "?"], strict=True)))
    assert extracted == {"subject_name": "甲", "uscc": USCC, "decision_no": "文号1", "fine_amount": "3"}
