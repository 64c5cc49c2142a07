"""Identifiers of credit subjects: USCC (GB 32100) and resident ID numbers (GB 11643), with the
Chinese reason an operator reads, and what the platform derives from a valid code."""

from __future__ import annotations

import random

import pytest
from stdnum.cn import ric

from xinyong.common.masking import mask_id_number, mask_person_name, mask_phone, mask_value
from xinyong.common.normalize import clean_text, normalize_code
from xinyong.demo.codes import (
    make_id_number,
    make_org_code,
    make_uscc,
    org_code_check,
    spoil_check_digit,
)
from xinyong.subjects import identifiers as ids
from xinyong.subjects.identifiers import InvalidCode, clean_id_number, clean_uscc

RNG = random.Random(11)


def reason(fn, value) -> str:
    with pytest.raises(InvalidCode) as info:
        fn(value)
    return str(info.value)


def with_check(body: str) -> str:
    return next(body + c for c in "0123456789X" if ric.calc_check_digit(body + c) == c)


# ---------------------------------------------------------------------- USCC
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "统一社会信用代码应为18位，实为0位"),
        ("91220102MA0000000", "统一社会信用代码应为18位，实为17位"),
        ("91220102MA0000000XX", "统一社会信用代码应为18位，实为19位"),
        ("9122010AMA0000000X", "统一社会信用代码含有不允许的字符（前8位应为数字，其余为数字或大写字母，不含I、O、Z、S、V）"),
        ("91220102MA000000O0", "统一社会信用代码含有不允许的字符（前8位应为数字，其余为数字或大写字母，不含I、O、Z、S、V）"),
        ("91220102MA00000#0X", "统一社会信用代码含有不允许的字符（前8位应为数字，其余为数字或大写字母，不含I、O、Z、S、V）"),
    ],
)
def test_uscc_reasons(value, expected):
    assert reason(clean_uscc, value) == expected


def test_uscc_check_digit_and_its_suggestion():
    code = make_uscc(RNG)
    wrong = spoil_check_digit(code)
    assert reason(clean_uscc, wrong) == "统一社会信用代码校验位错误"
    assert ids.suggest_uscc(wrong) == code
    assert ids.suggest_uscc(wrong.lower()) == code
    assert ids.suggest_uscc(code[:10]) is None
    assert ids.suggest_uscc("9A220102MA0000000X") is None  # not a check-digit-only fault


def test_uscc_as_people_type_it():
    code = make_uscc(RNG)
    assert clean_uscc(f" {code[:2]}-{code[2:8]}-{code[8:17]}-{code[17]} ") == code
    assert clean_uscc(code.lower()) == code
    assert clean_uscc(code.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})) == code


@pytest.mark.parametrize(
    ("prefix", "kind"),
    [("91", "enterprise"), ("92", "individual_business"), ("93", "other_organization"), ("12", "public_institution"),
     ("51", "social_organization"), ("52", "social_organization"), ("53", "social_organization"), ("11", "other_organization")],
)
def test_kind_region_and_org_code_from_uscc(prefix, kind):
    code = make_uscc(RNG, region="220581", prefix=prefix)
    assert ids.kind_from_uscc(code) == kind
    assert ids.region_from_uscc(code) == "220581"
    org = ids.org_code_from_uscc(code)
    assert len(org) == 9 and org_code_check(org[:8]) == org[8]  # a valid GB 11714 code


def test_demo_org_codes_are_valid():
    for _ in range(50):
        code = make_org_code(RNG)
        assert org_code_check(code[:8]) == code[8]


# ---------------------------------------------------------------------- ID numbers
def test_valid_id_number_and_the_parts_read_from_it():
    number = make_id_number(RNG, region="220104")
    assert clean_id_number(number) == number
    assert clean_id_number(number[:17] + number[17].lower()) == number
    assert ids.id_region(number) == "220104"
    assert ids.id_birth_date(number).strftime("%Y%m%d") == number[6:14]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("22010219900101123", "公民身份号码应为18位，实为17位"),
        ("220102199001011234567", "公民身份号码应为18位，实为21位"),
        ("22010219900101123A", "公民身份号码格式错误（前17位应为数字，末位为数字或X）"),
        ("2201021990010X1234", "公民身份号码格式错误（前17位应为数字，末位为数字或X）"),
    ],
)
def test_id_number_reasons(value, expected):
    assert reason(clean_id_number, value) == expected


def test_id_number_check_birth_date_and_division():
    number = make_id_number(RNG)
    assert reason(clean_id_number, spoil_check_digit(number)) == "公民身份号码校验位错误"
    assert reason(clean_id_number, with_check("22010219900230123")) == "公民身份号码中的出生日期无效"
    assert reason(clean_id_number, with_check("22010218790101123")) == "公民身份号码中的出生日期无效"
    assert reason(clean_id_number, with_check("22010230000101123")) == "公民身份号码中的出生日期无效"
    assert reason(clean_id_number, with_check("00000019900101123")) == "公民身份号码中的行政区划代码无效"
    assert reason(clean_id_number, with_check("22999919900101123")) == "公民身份号码中的行政区划代码无效"


def test_id_number_of_a_division_created_after_the_birth_is_accepted():
    # 长春市南关区 (220102) dates from 1983; people born before got its code when numbers were issued
    number = with_check("22010219500101123")
    assert clean_id_number(number) == number


def test_reasons_never_contain_the_number():
    number = make_id_number(RNG)
    for bad in (spoil_check_digit(number), number[:17], number + "1"):
        assert number[:14] not in reason(clean_id_number, bad)


def test_lookup_hash_is_keyed_and_stable():
    number = make_id_number(RNG)
    h = ids.id_lookup_hash(number)
    assert h == ids.id_lookup_hash(number) and number not in h
    assert h != ids.other_id_lookup_hash("护照号", number)
    assert ids.other_id_lookup_hash("护照号", "e 1234-5678") == ids.other_id_lookup_hash("护照号", "E12345678")


# ---------------------------------------------------------------------- normalization and masking
def test_normalize_code():
    assert normalize_code(" ９１２２-０１０２ ma ") == "91220102MA"
    assert normalize_code(None) == ""


def test_clean_text_keeps_newlines_and_tabs_only():
    assert clean_text("  a\x00b\x1bc\nd\te\x7f  ") == "abc\nd\te"


def test_masked_forms():
    number = make_id_number(RNG)
    assert ids.masked_id(number) == number[:6] + "********" + number[-4:]
    assert mask_id_number("1234567890") == "**********"
    assert mask_id_number(None) == ""
    assert [mask_person_name(n) for n in ("张", "张三", "王小明", "欧阳小明")] == ["*", "张*", "王*明", "欧**明"]
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone("12345") == "*****"
    assert mask_value("id_number", number) == ids.masked_id(number)
    assert mask_value("person_name", "王小明") == "王*明"
    assert mask_value("other", "secret") == "***"
    assert mask_value("id_number", "") == ""
