"""Format readers on their own: what a file as a whole looks like to the platform (encoding,
format, shape) and the Chinese message an operator gets when it cannot be read."""

from __future__ import annotations

import codecs
import io
import json
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook

from xinyong.common.errors import FileRejected
from xinyong.ingestion.readers import RowProblem, XlsxNumber, detect_encoding, open_table

HEADER = "行政相对人名称,统一社会信用代码,处罚决定日期"
ROW = "吉林省某某（集团）有限公司,91220102MA0000000X,2025-01-05"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(path: Path, **kw) -> tuple[object, list]:
    table = open_table(path, **kw)
    rows = [(n, r.message if isinstance(r, RowProblem) else r) for n, r in table.rows()]
    return table, rows


def rejected(path: Path, **kw) -> FileRejected:
    with pytest.raises(FileRejected) as info:
        read_all(path, **kw)
    return info.value


def text_file(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- encodings
@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_csv_in_each_accepted_encoding_reads_the_same_rows(tmp_path, encoding, expected):
    path = write(tmp_path, "feed.csv", text_file([HEADER, ROW]).encode(encoding))
    table, rows = read_all(path)
    assert table.encoding == expected
    assert table.headers == HEADER.split(",")  # no BOM left on the first header
    assert rows == [(2, dict(zip(HEADER.split(","), ROW.split(","), strict=True)))]


def test_gb18030_characters_outside_gbk_are_read(tmp_path):
    # 㐀 (CJK extension A) and 𠀀 (extension B, four bytes in GB18030) appear in real names
    path = write(tmp_path, "feed.csv", text_file(["名称,备注", "𠀀㐀商行,ok"]).encode("gb18030"))
    table, rows = read_all(path)
    assert table.encoding == "gb18030"
    assert rows == [(2, {"名称": "𠀀㐀商行", "备注": "ok"})]


def test_excel_unicode_text_utf16_with_bom_and_tabs_is_read(tmp_path):
    # Excel "Unicode 文本(*.txt)": UTF-16 LE with BOM, tab separated, CRLF
    content = "\r\n".join(line.replace(",", "\t") for line in [HEADER, ROW]) + "\r\n"
    path = write(tmp_path, "导出.txt", content.encode("utf-16"))
    table, rows = read_all(path)
    assert (table.format, table.encoding) == ("csv", "utf-16")
    assert rows == [(2, dict(zip(HEADER.split(","), ROW.split(","), strict=True)))]


def test_utf8_then_gbk_is_refused_naming_the_first_bad_line(tmp_path):
    data = text_file([HEADER, ROW, ROW]).encode("utf-8") + text_file([ROW]).encode("gbk")
    err = rejected(write(tmp_path, "mixed.csv", data))
    assert err.code == "mixed_encoding"
    assert err.fields == {"row": 4}
    assert "编码混杂" in err.message and "第4行" in err.message


def test_gbk_then_utf8_is_refused_naming_the_utf8_line(tmp_path):
    data = text_file([HEADER, ROW]).encode("gbk") + text_file([ROW]).encode("utf-8") + text_file([ROW]).encode("gbk")
    err = rejected(write(tmp_path, "mixed.csv", data))
    assert (err.code, err.fields) == ("mixed_encoding", {"row": 3})
    assert "第3行是 UTF-8" in err.message


def test_gbk_file_whose_last_line_is_utf8_without_newline_is_refused(tmp_path):
    # the last line has no line end: it must be checked too, or it would be stored as mojibake
    data = text_file([HEADER, ROW]).encode("gbk") + ROW.encode("utf-8")
    err = rejected(write(tmp_path, "mixed.csv", data))
    assert (err.code, err.fields) == ("mixed_encoding", {"row": 3})


def test_utf8_bom_then_gbk_is_refused_as_mixed_not_a_crash(tmp_path):
    data = text_file([HEADER]).encode("utf-8-sig") + text_file([ROW]).encode("gbk")
    err = rejected(write(tmp_path, "mixed.csv", data))
    assert (err.code, err.fields) == ("mixed_encoding", {"row": 2})


def test_gbk_file_with_short_chinese_values_is_not_mistaken_for_mixed(tmp_path):
    # "小" in GBK (D0 A1) is also a valid two-byte UTF-8 sequence; a GBK line holding only such
    # characters must not be taken for UTF-8
    lines = ["code,flag", *[f"{i},小" for i in range(50)], "x,中文名称"]
    path = write(tmp_path, "short.csv", text_file(lines).encode("gbk"))
    table, rows = read_all(path)
    assert table.encoding == "gb18030"
    assert rows[0] == (2, {"code": "0", "flag": "小"})
    assert rows[-1] == (52, {"code": "x", "flag": "中文名称"})


def test_bytes_that_are_neither_utf8_nor_gb18030_are_refused(tmp_path):
    data = text_file([HEADER]).encode("gbk") + b"\x81\x20broken\n"
    err = rejected(write(tmp_path, "bad.csv", data))
    assert err.code == "unknown_encoding" and err.fields == {"row": 2}
    assert "无法识别文件编码" in err.message


def test_utf16_without_bom_is_refused_with_a_hint(tmp_path):
    path = write(tmp_path, "u16.csv", text_file([HEADER, ROW]).encode("utf-16-le"))
    err = rejected(path)
    assert err.code == "nul_byte"
    assert "UTF-16" in err.message


def test_truncated_utf8_character_at_the_end_is_refused(tmp_path):
    data = text_file([HEADER]).encode() + ROW.encode()[:-1] + "中".encode()[:2]
    err = rejected(write(tmp_path, "cut.csv", data))
    assert err.code == "truncated" and "截断" in err.message


def test_truncated_utf16_file_is_refused(tmp_path):
    data = text_file([HEADER.replace(",", "\t"), ROW.replace(",", "\t")]).encode("utf-16")[:-1]
    err = rejected(write(tmp_path, "cut.txt", data))
    assert err.code == "truncated"


def test_detect_encoding_of_ascii_file_is_utf8(tmp_path):
    assert detect_encoding(write(tmp_path, "a.csv", b"a,b\n1,2\n")) == "utf-8"


# ---------------------------------------------------------------------- empty and cut files
@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("empty.csv", b"", "empty_file"),
        ("blank.csv", b" \r\n\t\n   \n", "empty_file"),
        ("bom.csv", codecs.BOM_UTF8 + b"\r\n", "empty_file"),
        ("bom16.txt", codecs.BOM_UTF16_LE + " \r\n".encode("utf-16-le"), "empty_file"),
        ("header.csv", (HEADER + "\r\n").encode(), "header_only"),
        ("header-blank.csv", (HEADER + "\n\n,,\n\n").encode(), "header_only"),
        ("empty.xlsx", None, "empty_file"),
        ("header.xlsx", None, "header_only"),
        ("empty.json", b"[]", "header_only"),
        ("records.json", b'{"records": []}', "header_only"),
        ("empty.ndjson", b"\n\n", "empty_file"),
    ],
)
def test_empty_blank_and_header_only_files_are_refused(tmp_path, name, data, code):
    if name.endswith(".xlsx"):
        wb = Workbook()
        if name == "header.xlsx":
            wb.active.append(HEADER.split(","))
        buf = io.BytesIO()
        wb.save(buf)
        data = buf.getvalue()
    err = rejected(write(tmp_path, name, data))
    assert err.code == code
    assert err.message.startswith(("文件为空", "文件只有表头", "工作表为空", "JSON 文件中没有数据"))


def test_unterminated_quote_is_refused_with_the_row(tmp_path):
    data = text_file([HEADER, ROW, ROW]).encode() + b'"unterminated,91220102MA0000000X,2025-01-05\n'
    err = rejected(write(tmp_path, "cut.csv", data))
    assert err.code == "truncated"
    assert err.fields == {"row": 4}
    assert err.message == "第4行的引号没有闭合，文件可能被截断"


def test_runaway_quote_over_the_cell_limit_is_refused_with_the_row(tmp_path):
    data = text_file([HEADER, ROW]).encode() + b'"runaway,x,y\n' + text_file([ROW] * 200).encode()
    err = rejected(write(tmp_path, "cut.csv", data), max_cell_chars=1000)
    assert err.code == "cell_too_long" and err.fields == {"row": 3}


def test_rows_with_fewer_or_more_cells_than_the_header_are_row_errors(tmp_path):
    data = text_file([HEADER, ROW, "只有名称", ROW + ",多出来的", ROW]).encode()
    _, rows = read_all(write(tmp_path, "shape.csv", data))
    assert [n for n, _ in rows] == [2, 3, 4, 5]
    assert rows[1] == (3, "该行有1列，少于表头的3列（可能被截断或缺少分隔符）")
    assert rows[2] == (4, "该行有4列，多于表头的3列（可能含有未加引号的分隔符）")
    assert isinstance(rows[0][1], dict) and isinstance(rows[3][1], dict)


def test_row_numbers_are_spreadsheet_rows_with_blank_lines_and_multiline_cells(tmp_path):
    data = text_file([HEADER, ROW, "", '"两行\n名称",91220102MA0000000X,2025-01-05', ROW]).encode()
    _, rows = read_all(write(tmp_path, "rows.csv", data))
    assert [n for n, _ in rows] == [2, 4, 5]
    assert rows[1][1]["行政相对人名称"] == "两行\n名称"


def test_nul_byte_is_refused_with_the_row(tmp_path):
    data = text_file([HEADER, ROW, ROW]).encode() + b"\x00" + text_file([ROW]).encode()
    err = rejected(write(tmp_path, "nul.csv", data))
    assert (err.code, err.fields) == ("nul_byte", {"row": 4})
    assert "空字符" in err.message


def test_duplicate_header_is_refused(tmp_path):
    err = rejected(write(tmp_path, "dup.csv", "名称,名称\n甲,乙\n".encode()))
    assert err.code == "duplicate_column" and "“名称”列出现了两次" in err.message


def test_leading_blank_line_instead_of_header_is_refused(tmp_path):
    err = rejected(write(tmp_path, "noheader.csv", ("\n" + HEADER + "\n" + ROW + "\n").encode()))
    assert err.code == "no_header"


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"])
def test_delimiter_is_detected_from_the_header(tmp_path, delimiter):
    data = text_file([HEADER.replace(",", delimiter), ROW.replace(",", delimiter)]).encode()
    _, rows = read_all(write(tmp_path, "d.csv", data))
    assert rows[0][1]["统一社会信用代码"] == "91220102MA0000000X"


# ---------------------------------------------------------------------- formats
def xlsx_bytes(rows: list[list], *, sheet: str = "数据") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_cells_keep_their_kind(tmp_path):
    data = xlsx_bytes([
        ["名称", "代码", "日期", "金额", "时间", "公式"],
        ["甲公司", 912201020000000000, date(2025, 1, 5), 2.5, time(9, 30), "=cmd|' /C calc'!A0"],
        ["乙公司", "91220102MA0000000X", datetime(2025, 1, 5, 10, 0), 3, None, "@SUM(1)"],
    ])
    table, rows = read_all(write(tmp_path, "feed.xlsx", data))
    assert table.format == "xlsx"
    first, second = rows[0][1], rows[1][1]
    assert isinstance(first["代码"], XlsxNumber)  # an 18-digit code Excel stored as a number
    assert first["代码"] != "912201020000000000"  # ... has lost its last digits
    assert first["日期"] == datetime(2025, 1, 5)
    assert first["金额"] == "2.5" and first["时间"] == "09:30:00"
    assert first["公式"] == "=cmd|' /C calc'!A0"  # the formula text, never evaluated
    assert second["代码"] == "91220102MA0000000X" and second["时间"] == ""
    assert second["公式"] == "@SUM(1)"


def test_xlsx_reads_the_data_sheet_when_there_is_one(tmp_path):
    wb = Workbook()
    wb.active.title = "填写说明"
    wb.active.append(["说明"])
    ws = wb.create_sheet("数据")
    ws.append(["名称"])
    ws.append(["甲"])
    buf = io.BytesIO()
    wb.save(buf)
    _, rows = read_all(write(tmp_path, "t.xlsx", buf.getvalue()))
    assert rows == [(2, {"名称": "甲"})]


def test_xlsx_cell_outside_the_header_is_a_row_error(tmp_path):
    data = xlsx_bytes([["名称", "代码"], ["甲", "1"], ["乙", "2", "多余"]])
    _, rows = read_all(write(tmp_path, "t.xlsx", data))
    assert rows == [(2, {"名称": "甲", "代码": "1"}), (3, "该行在表头范围以外还有1个非空单元格")]


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.9, 0.99])
def test_truncated_xlsx_is_refused(tmp_path, fraction):
    data = xlsx_bytes([["名称", "代码"], *[[f"公司{i}", "91220102MA0000000X"] for i in range(2000)]])
    err = rejected(write(tmp_path, "cut.xlsx", data[: int(len(data) * fraction)]))
    assert err.code == "bad_xlsx"
    assert "XLSX 文件已损坏或不完整" in err.message


def test_file_named_xlsx_that_is_text_is_refused(tmp_path):
    err = rejected(write(tmp_path, "feed.xlsx", text_file([HEADER, ROW]).encode()))
    assert err.code == "not_xlsx"
    assert "内容不是 XLSX" in err.message


def test_old_xls_is_refused_with_what_to_do(tmp_path):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    for name in ("old.xls", "renamed.xlsx", "renamed.csv"):
        err = rejected(write(tmp_path, name, ole))
        assert err.code == "xls_not_supported"
        assert "另存为 .xlsx 或 CSV" in err.message


def test_csv_that_is_really_a_zip_is_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("feed.csv", HEADER)
    err = rejected(write(tmp_path, "feed.csv", buf.getvalue()))
    assert err.code == "format_mismatch"
    assert "压缩包" in err.message


def test_zip_named_xlsx_that_is_not_a_workbook_is_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("feed.csv", HEADER)
    assert rejected(write(tmp_path, "feed.xlsx", buf.getvalue())).code == "bad_xlsx"


def test_json_array_and_records_object_are_read(tmp_path):
    rows = [{"名称": "甲", "金额": 1.50, "代码": 912201020000000000, "是否": True, "空": None}]
    for name, body in (("a.json", rows), ("b.json", {"records": rows})):
        path = write(tmp_path, name, json.dumps(body, ensure_ascii=False).encode("utf-8-sig"))
        table, got = read_all(path)
        assert table.format == "json"
        # numbers keep their digits (an 18-digit code sent as a JSON number is exact)
        assert got == [(1, {"名称": "甲", "金额": "1.5", "代码": "912201020000000000", "是否": "是", "空": ""})]


def test_truncated_json_is_refused_with_the_position(tmp_path):
    body = json.dumps([{"名称": f"公司{i}"} for i in range(5)], ensure_ascii=False).encode()
    err = rejected(write(tmp_path, "cut.json", body[:-20]))
    assert err.code == "bad_json" and err.fields == {"row": 5}
    assert "截断" in err.message


def test_json_that_is_not_utf8_is_refused(tmp_path):
    body = json.dumps([{"名称": "甲"}], ensure_ascii=False).encode("gbk")
    assert rejected(write(tmp_path, "gbk.json", body)).code in ("bad_encoding", "mixed_encoding", "unknown_encoding")


def test_ndjson_with_a_cut_last_line_keeps_the_good_lines(tmp_path):
    lines = [json.dumps({"名称": f"公司{i}"}, ensure_ascii=False) for i in range(3)]
    data = ("\n".join(lines) + "\n" + lines[0][:-5]).encode()
    table, rows = read_all(write(tmp_path, "feed.ndjson", data))
    assert table.format == "ndjson"
    assert rows[:3] == [(1, {"名称": "公司0"}), (2, {"名称": "公司1"}), (3, {"名称": "公司2"})]
    assert rows[3] == (4, "该行不是有效的 JSON（可能被截断）")


def test_ndjson_line_that_is_not_an_object_is_a_row_error(tmp_path):
    data = b'{"a": "1"}\n[1, 2]\n{"a": {"nested": 1}}\n'
    _, rows = read_all(write(tmp_path, "feed.ndjson", data))
    assert rows[1] == (2, "该条数据不是 JSON 对象")
    assert rows[2][1]["a"] == ""  # a nested value is flagged by validation (see test_validation)


def test_format_is_sniffed_when_the_name_has_no_known_extension(tmp_path):
    assert open_table(write(tmp_path, "upload.bin", b'  [{"a": "1"}]')).format == "json"
    assert open_table(write(tmp_path, "upload2.bin", b'{"a": "1"}\n')).format == "ndjson"
    assert open_table(write(tmp_path, "upload3.bin", text_file([HEADER, ROW]).encode())).format == "csv"
    assert open_table(write(tmp_path, "upload4.bin", xlsx_bytes([["a"], ["1"]]))).format == "xlsx"
