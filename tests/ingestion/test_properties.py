"""Property-based tests (hypothesis) of the parsers and rules that every row goes through: code
validation, date parsing, the CSV reader, name normalization, error-file neutralization and
masking. Example counts are kept modest so that the file runs in seconds."""

from __future__ import annotations

import csv
import io
import random
import re
import string
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from xinyong.catalog.registry import get_catalog
from xinyong.common.errors import FileRejected
from xinyong.common.masking import mask_id_number, mask_value
from xinyong.common.normalize import normalize_code, normalize_name
from xinyong.demo.codes import make_id_number, make_uscc
from xinyong.ingestion.errorfile import neutralize, unneutralize
from xinyong.ingestion.readers import RowProblem, XlsxNumber, open_table
from xinyong.ingestion.validation import EXCEL_EPOCH, FieldError, RowValidator, _parse_date
from xinyong.subjects.identifiers import InvalidCode, clean_id_number, clean_uscc

FAST = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
FORBIDDEN_LETTERS = "IOZSV"
DIVISIONS = ["220102", "220104", "220112", "220182", "220202", "220302", "220402", "220502", "220602", "220702", "220802", "222401"]
PREFIXES = ["91", "92", "93", "12", "51", "52", "53", "59", "11"]
FULL_WIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}

seeds = st.integers(min_value=0, max_value=2**32)


@st.composite
def usccs(draw) -> str:
    rng = random.Random(draw(seeds))
    return make_uscc(rng, region=draw(st.sampled_from(DIVISIONS)), prefix=draw(st.sampled_from(PREFIXES)))


@st.composite
def id_numbers(draw) -> str:
    rng = random.Random(draw(seeds))
    return make_id_number(rng, region=draw(st.sampled_from(DIVISIONS)), born_from=1930, born_to=2020)


def reason(fn, value) -> str | None:
    try:
        fn(value)
    except InvalidCode as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------------- USCC
@FAST
@given(usccs())
def test_generated_usccs_are_accepted_as_typed_in_any_width_or_case(code):
    assert clean_uscc(code) == code
    typed = " " + code[:8] + " " + code[8:].lower().translate(FULL_WIDTH) + "\u3000"
    assert clean_uscc(typed) == code


@FAST
@given(usccs(), st.integers(min_value=0, max_value=17), st.sampled_from(USCC_ALPHABET))
def test_any_single_character_change_of_a_uscc_is_refused_with_the_right_reason(code, position, char):
    assume(code[position] != char)
    changed = code[:position] + char + code[position + 1 :]
    if position < 8 and not char.isdigit():
        assert reason(clean_uscc, changed) == "统一社会信用代码含有不允许的字符（前8位应为数字，其余为数字或大写字母，不含I、O、Z、S、V）"
    else:
        assert reason(clean_uscc, changed) == "统一社会信用代码校验位错误"


@FAST
@given(usccs(), st.integers(min_value=8, max_value=17), st.sampled_from(FORBIDDEN_LETTERS))
def test_letters_the_uscc_does_not_use_are_refused_as_format_errors(code, position, char):
    changed = code[:position] + char + code[position + 1 :]
    assert reason(clean_uscc, changed).startswith("统一社会信用代码含有不允许的字符")


@FAST
@given(usccs(), st.integers(min_value=0, max_value=17))
def test_a_dropped_or_doubled_character_is_a_length_error(code, position):
    assert reason(clean_uscc, code[:position] + code[position + 1 :]) == "统一社会信用代码应为18位，实为17位"
    assert reason(clean_uscc, code[:position] + code[position] + code[position:]) == "统一社会信用代码应为18位，实为19位"


# ---------------------------------------------------------------------- resident ID numbers
@FAST
@given(id_numbers())
def test_generated_id_numbers_are_accepted(number):
    assert clean_id_number(number) == number
    assert clean_id_number(number.translate(FULL_WIDTH).lower()) == number


@FAST
@given(id_numbers(), st.integers(min_value=0, max_value=17), st.sampled_from("0123456789X"))
def test_any_single_digit_change_of_an_id_number_is_refused_as_a_check_digit_error(number, position, char):
    assume(number[position] != char)
    changed = number[:position] + char + number[position + 1 :]
    if position < 17 and char == "X":
        assert reason(clean_id_number, changed) == "公民身份号码格式错误（前17位应为数字，末位为数字或X）"
    else:
        # the check digit catches every single-digit change, before the birth date or division
        assert reason(clean_id_number, changed) == "公民身份号码校验位错误"


@FAST
@given(id_numbers(), st.integers(min_value=0, max_value=17), st.characters(blacklist_categories=("Cs",)))
def test_any_other_character_in_an_id_number_is_refused(number, position, char):
    changed = number[:position] + char + number[position + 1 :]
    assume(normalize_code(changed) != number)  # "１" or a space are only other ways to type it
    assert reason(clean_id_number, changed) is not None


@FAST
@given(usccs(), st.integers(min_value=0, max_value=17), st.characters(blacklist_categories=("Cs",)))
def test_any_other_character_in_a_uscc_is_refused(code, position, char):
    changed = code[:position] + char + code[position + 1 :]
    assume(normalize_code(changed) != code)
    assert reason(clean_uscc, changed) is not None


# ---------------------------------------------------------------------- dates
def date_forms(d: date) -> list:
    y, m, day = d.year, d.month, d.day
    texts = [
        d.isoformat(), f"{y}-{m}-{day}", f"{y}/{m}/{day}", f"{y}/{m:02d}/{day:02d}", f"{y}.{m}.{day}",
        f"{y}年{m}月{day}日", f"{y}年{m:02d}月{day:02d}日", f"{y}{m:02d}{day:02d}", f"{d.isoformat()} 00:00:00",
        f"{d.isoformat()}T12:30:00", f" {y}/{m}/{day} ", f"{y} 年 {m} 月 {day} 日", f"{y}年{m}月{day}日 10:00",
    ]
    return [
        *texts,
        *(t.translate(FULL_WIDTH) for t in texts),
        datetime(y, m, day, 8, 0),
        d,
        XlsxNumber(str((d - EXCEL_EPOCH).days), (d - EXCEL_EPOCH).days),
        XlsxNumber(f"{y}{m:02d}{day:02d}", int(f"{y}{m:02d}{day:02d}")),
    ]


@FAST
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)))
@example(date(2024, 2, 29))
def test_every_accepted_date_form_reads_back_the_same_date(d):
    for form in date_forms(d):
        assert _parse_date(form, "日期") == d, form


@FAST
@given(st.integers(min_value=1900, max_value=2199), st.integers(min_value=1, max_value=12), st.integers(min_value=29, max_value=40))
def test_days_that_do_not_exist_are_named(year, month, day):
    try:
        date(year, month, day)
    except ValueError:
        pass
    else:
        return
    for text in (f"{year}-{month:02d}-{day:02d}", f"{year}/{month}/{day}", f"{year}年{month}月{day}日", f"{year}{month:02d}{day:02d}"):
        with pytest.raises(FieldError) as info:
            _parse_date(text, "处罚决定日期")
        assert str(info.value) == f"处罚决定日期不是存在的日期（{year}年{month}月{day}日）"


# ---------------------------------------------------------------------- CSV reader
# GB2312 level-1 characters (the common ones), whose GBK bytes never read as UTF-8 CJK
def _level1() -> list[str]:
    out = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:  # the unused end of row 0xD7
                pass
    return out


LEVEL1 = _level1()


def _gb18030_safe(c: str) -> bool:
    """ASCII, or a character GB18030 encodes in four bytes (never valid UTF-8): with LEVEL1 these
    make texts whose encoding cannot be mistaken for UTF-8."""
    return c.isascii() or len(c.encode("gb18030")) == 4


any_char = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
gb_char = st.one_of(st.sampled_from(LEVEL1), any_char.filter(_gb18030_safe))
header_char = st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters=",;|\t\"\ufeff")


@st.composite
def tables(draw, chars) -> tuple[list[str], list[list[str]]]:
    headers = draw(st.lists(st.text(header_char, min_size=1, max_size=8).filter(lambda h: h == h.strip() and h != "名称"), min_size=1, max_size=4, unique=True))
    headers = ["名称", *headers]  # a Chinese header, as every catalog item has
    width = len(headers)
    rows = draw(st.lists(st.lists(st.text(chars, max_size=12), min_size=width, max_size=width), min_size=1, max_size=6))
    return headers, [r for r in rows if any(r)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_reader_round_trips_arbitrary_tables(tmp_path, encoding):
    chars = gb_char if encoding == "gb18030" else any_char

    @FAST
    @given(tables(chars))
    def check(table):
        headers, rows = table
        assume(rows)
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(headers)
        writer.writerows(rows)
        path = Path(tmp_path) / "t.csv"
        path.write_bytes(buf.getvalue().encode(encoding))
        got = open_table(path)
        read = [r for _, r in got.rows()]
        assert got.encoding == encoding
        assert got.headers == headers
        assert not any(isinstance(r, RowProblem) for r in read)
        assert [list(r.values()) for r in read] == rows

    check()


JSONISH = [b"[", b"]", b"{", b"}", b'"', b",", b":", b"\n", b"\r", b"\t", b"a", b"1", b'"k"', b"records", b"null",
           b"true", b"1e999", b"-", b"\xef\xbb\xbf", b"\xff\xfe", b"\xd6\xd0", "名称".encode()]


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    st.sampled_from(["f.csv", "f.txt", "f.json", "f.ndjson", "f.xlsx", "upload"]),
    st.one_of(st.binary(max_size=200), st.lists(st.sampled_from(JSONISH), max_size=30).map(b"".join)),
)
def test_any_file_is_read_or_refused_with_a_reason_never_a_crash(tmp_path_factory, name, data):
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(data)
    try:
        for _, row in open_table(path).rows():
            assert isinstance(row, dict | RowProblem)
    except FileRejected as exc:
        assert exc.code and exc.message


cells = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"[0-9０-９\-/年月日 .:T']{0,20}", fullmatch=True),
    st.floats(allow_nan=True).map(lambda f: XlsxNumber(repr(f), f)),
    st.integers(-(10**20), 10**20).map(lambda i: XlsxNumber(str(i), i)),
    st.datetimes(),
    st.dates(),
    st.sampled_from(["'", "'=", "长期", "是", "A", "罚款", "一般", "自然人", "法人及非法人组织", "\x00"]),
)


@settings(max_examples=150, deadline=None, database=None)
@given(st.sampled_from(sorted(get_catalog().items)), st.sampled_from(["submit", "correct", "withdraw"]), st.data())
def test_any_row_gives_values_or_reasons_never_a_crash(item_code, mode, data):
    catalog = get_catalog()
    item = catalog.items[item_code]
    validator = RowValidator(item, today=date(2026, 11, 29), mode=mode, regions=set(catalog.regions))
    row = {f.name: data.draw(cells) for f in item.fields if data.draw(st.booleans())}
    values, errors = validator.validate(row)
    labels = {f.label for f in item.fields}
    for field, message in errors:
        assert field in labels and message


# ---------------------------------------------------------------------- names
def spaced(text: str, where: list[int], space: str) -> str:
    out = text
    for i in sorted(where, reverse=True):
        out = out[: i % (len(out) + 1)] + space + out[i % (len(out) + 1) :]
    return out


@FAST
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=30))
@example("e \u0301")
@example("¨")
def test_normalize_name_is_idempotent(name):
    once = normalize_name(name)
    assert normalize_name(once) == once


names = st.text(st.one_of(st.sampled_from(LEVEL1), st.sampled_from(string.ascii_letters + string.digits + "()[]")), min_size=1, max_size=20)


@FAST
@given(names, st.lists(st.integers(min_value=0, max_value=40), max_size=4), st.sampled_from([" ", "\u3000", "\t", "\xa0"]))
def test_normalize_name_ignores_width_brackets_and_spaces(name, where, space):
    key = normalize_name(name)
    assert normalize_name(spaced(name, where, space)) == key
    assert normalize_name(name.translate(FULL_WIDTH)) == key
    chinese_brackets = name.replace("(", "（").replace(")", "）").replace("[", "【").replace("]", "】")
    assert normalize_name(chinese_brackets) == key
    assert normalize_name(name.upper()) == normalize_name(name.lower())


def test_normalize_name_matches_the_usual_variants():
    assert normalize_name("吉林省某某（集团）有限公司") == normalize_name("吉林省某某(集团) 有限公司")
    assert normalize_name("吉林省某某【集团】有限公司") == normalize_name("吉林省某某[集团]有限公司")
    assert normalize_name("吉林省某某集团有限公司") != normalize_name("吉林省某某集团有限责任公司")  # nothing fuzzier


# ---------------------------------------------------------------------- error file
@FAST
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=20))
@example("'=1")
@example("''")
@example("-1")
def test_neutralize_then_unneutralize_gives_the_value_back(text):
    safe = neutralize(text)
    assert unneutralize(safe) == text
    if safe[:1] in ("=", "+", "-", "@", "\t", "\r"):
        assert NEGATIVE_NUMBER.fullmatch(safe)  # only a plain negative number is left as it is


NEGATIVE_NUMBER = re.compile(r"-[0-9]+(\.[0-9]+)?")


@FAST
@given(st.sampled_from("=+-@\t\r"), st.text(max_size=10))
@example("-", "1")
@example("-", "٣")
def test_formula_cells_are_neutralized(first, rest):
    text = first + rest
    expected = text if NEGATIVE_NUMBER.fullmatch(text) else "'" + text
    assert neutralize(text) == expected


# ---------------------------------------------------------------------- masking
@FAST
@given(st.text(st.sampled_from("0123456789X"), max_size=30))
def test_masking_never_reveals_more_than_six_and_four_characters(value):
    for masked in (mask_id_number(value), mask_value("id_number", value)):
        assert len(masked) == len(value)
        shown = [i for i, c in enumerate(masked) if c != "*"]
        assert len(shown) <= 10
        if len(value) <= 10:
            assert shown == []
        else:
            assert masked == value[:6] + "*" * (len(value) - 10) + value[-4:]


@FAST
@given(id_numbers())
def test_a_masked_id_number_keeps_only_its_division_and_last_four(number):
    masked = mask_id_number(number)
    assert masked == number[:6] + "*" * 8 + number[-4:]
    assert number[6:14] not in masked  # the birth date never shows


def test_unicode_digits_are_not_id_digits():
    arabic = "".join(chr(0x0660 + int(c)) for c in "22010219900101123")
    assert unicodedata.digit(arabic[0]) == 2
    assert reason(clean_id_number, arabic + "4") == "公民身份号码格式错误（前17位应为数字，末位为数字或X）"


def test_date_forms_cover_excel_serials():
    d = date(2025, 1, 5)
    assert (d - EXCEL_EPOCH) == timedelta(days=45662)
