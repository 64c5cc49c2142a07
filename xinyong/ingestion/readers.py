"""Format readers: CSV (UTF-8 with or without BOM, UTF-16 with BOM, GBK/GB18030 — detected),
XLSX, JSON (an array of objects, or {"records": [...]}) and NDJSON.

Readers stream: a file is never read into memory as a whole. Each reader yields
(row_no, mapping of column header → raw value), where row_no is the number the operator sees:
the spreadsheet row for CSV/XLSX (header = row 1), the position of the object for JSON/NDJSON.
A problem with the file as a whole raises FileRejected with a Chinese message.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from pathlib import Path

from xinyong.common.errors import FileRejected, InvalidInput

FORMATS = ("csv", "xlsx", "json", "ndjson")
_EXT = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson"}
_CHUNK = 1 << 20
_UTF8_WIDE = re.compile(rb"[\xe0-\xef]")  # lead byte of a 3-byte UTF-8 sequence


class RowProblem:
    """A row that cannot be read at all (e.g. an NDJSON line that is not JSON); reported as a row
    error, the rest of the file goes on."""

    def __init__(self, message: str):
        self.message = message


@dataclass
class Table:
    format: str
    encoding: str = ""
    headers: list[str] = field(default_factory=list)
    _rows: Iterator | None = None

    def rows(self) -> Iterator[tuple[int, dict | RowProblem]]:
        assert self._rows is not None
        return self._rows


def _is_blank(path: Path) -> bool:
    """True when the file holds nothing but white space (after a byte order mark)."""
    with open(path, "rb") as fh:
        chunk = fh.read(1 << 16)
        blank = b" \t\r\n\x0b\x0c"
        for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            if chunk.startswith(bom):
                chunk = chunk[len(bom) :]
                if bom != codecs.BOM_UTF8:
                    blank += b"\x00"
                break
        while True:
            if chunk.strip(blank):
                return False
            chunk = fh.read(_CHUNK)
            if not chunk:
                return True


def sniff_format(path: Path, filename: str | None = None) -> str:
    name = (filename or path.name).lower()
    ext = Path(name).suffix
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head:
        raise FileRejected("文件为空", code="empty_file")
    if _is_blank(path):
        raise FileRejected("文件为空（只有空白字符）", code="empty_file")
    is_zip = head.startswith(b"PK\x03\x04")
    is_ole = head.startswith(b"\xd0\xcf\x11\xe0")
    by_ext = _EXT.get(ext)
    if is_ole:
        raise FileRejected("不支持 Excel 97-2003（.xls）格式，请另存为 .xlsx 或 CSV 后上传", code="xls_not_supported")
    if by_ext == "xlsx" and not is_zip:
        raise FileRejected("文件扩展名为 .xlsx，但内容不是 XLSX（Excel 2007 及以上版本）文件", code="not_xlsx")
    if is_zip:
        if by_ext not in (None, "xlsx"):
            raise FileRejected(f"文件扩展名为 {ext}，但内容是压缩包（可能是 XLSX），请核对文件", code="format_mismatch")
        return "xlsx"
    if by_ext:
        return by_ext
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if first == b"[":
        return "json"
    if first == b"{":
        return "ndjson"
    return "csv"


def open_table(path: Path | str, *, filename: str | None = None, max_cell_chars: int = 100_000) -> Table:
    path = Path(path)
    fmt = sniff_format(path, filename)
    if fmt == "xlsx":
        return _open_xlsx(path, max_cell_chars)
    if fmt == "json":
        return _open_json(path)
    if fmt == "ndjson":
        return _open_ndjson(path, max_cell_chars)
    return _open_csv(path, max_cell_chars)


# ------------------------------------------------------------------ encodings
def _line_of(path: Path, offset: int) -> int:
    count = 1
    with open(path, "rb") as fh:
        remaining = offset
        while remaining > 0:
            chunk = fh.read(min(_CHUNK, remaining))
            if not chunk:
                break
            count += chunk.count(b"\n")
            remaining -= len(chunk)
    return count


def _reject_nul(path: Path, offset: int, chunk: bytes) -> None:
    line = _line_of(path, offset)
    sample = chunk[:65536]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if max(even, odd) >= 4 and min(even, odd) * 8 <= max(even, odd):  # mostly at every other byte: UTF-16 without BOM
        raise FileRejected(
            "文件含有大量空字符（NUL），可能是不带 BOM 的 UTF-16 编码；请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后重新上传",
            code="nul_byte",
            fields={"row": line},
        )
    raise FileRejected(f"第{line}行含有空字符（NUL），文件可能不是文本文件或已损坏", code="nul_byte", fields={"row": line})


def _is_utf8_cjk(line: bytes) -> bool:
    """A line of a GBK file that is in fact UTF-8: it decodes as UTF-8 and has a 3-byte sequence
    (all CJK characters and full-width forms are). GBK text alone decodes as UTF-8 by chance only
    into 2-byte sequences, so lines of common Chinese text are never mistaken for UTF-8."""
    if not _UTF8_WIDE.search(line):
        return False
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _check_utf16(path: Path) -> None:
    decoder = codecs.getincrementaldecoder("utf-16")("strict")
    with open(path, "rb") as fh:
        try:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise FileRejected("UTF-16 编码的文件中有无法解码的内容，文件可能已损坏", code="bad_encoding") from exc
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise FileRejected("文件末尾有不完整的字符，文件可能被截断", code="truncated") from exc


def detect_encoding(path: Path) -> str:
    """utf-8-sig, utf-16, utf-8 or gb18030; FileRejected for mixed or unknown encodings and for
    files with NUL bytes (binary files, UTF-16 without a byte order mark)."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _check_utf16(path)
        return "utf-16"
    bom = head.startswith(codecs.BOM_UTF8)
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    seen_wide = False  # a 3-byte UTF-8 sequence (CJK) decoded so far
    offset = len(codecs.BOM_UTF8) if bom else 0
    with open(path, "rb") as fh:
        fh.seek(offset)
        while chunk := fh.read(_CHUNK):
            nul = chunk.find(b"\x00")
            try:
                decoder.decode(chunk if nul < 0 else chunk[:nul])
            except UnicodeDecodeError as exc:
                start = max(exc.start, 0)
                wide_before = seen_wide or _UTF8_WIDE.search(chunk, 0, start) is not None
                if bom or wide_before:
                    line = _line_of(path, offset + start)
                    first = "前面的内容是 UTF-8 编码" if wide_before else "文件开头标明为 UTF-8 编码（带 BOM）"
                    raise FileRejected(
                        f"文件编码混杂：{first}，第{line}行起不是；请将文件统一另存为 UTF-8 或 GBK 编码后重新上传",
                        code="mixed_encoding",
                        fields={"row": line},
                    ) from exc
                break
            if nul >= 0:
                _reject_nul(path, offset + nul, chunk)
            if not seen_wide and not chunk.isascii():
                seen_wide = _UTF8_WIDE.search(chunk) is not None
            offset += len(chunk)
        else:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                raise FileRejected("文件末尾有不完整的字符，文件可能被截断", code="truncated") from exc
            return "utf-8-sig" if bom else "utf-8"
    # not UTF-8 from the start: GB18030 (a superset of GBK and GB2312), checked strictly; a line
    # that is UTF-8 Chinese inside it means the file mixes encodings.
    decoder = codecs.getincrementaldecoder("gb18030")("strict")
    offset = 0
    line_no = 1
    carry = b""

    def check(raw: bytes) -> None:
        if not raw.isascii() and _is_utf8_cjk(raw):
            raise FileRejected(
                f"文件编码混杂：大部分内容是 GBK 编码，但第{line_no}行是 UTF-8 编码；请统一编码后重新上传",
                code="mixed_encoding",
                fields={"row": line_no},
            )

    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            nul = chunk.find(b"\x00")
            if nul >= 0:
                _reject_nul(path, offset + nul, chunk)
            lines = (carry + chunk).split(b"\n")
            carry = lines.pop()
            for raw in lines:
                check(raw)
                line_no += 1
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                failed_at = offset + max(exc.start, 0)
                line_no = _line_of(path, failed_at)
                if failed_at >= offset + len(chunk) - len(carry):
                    check(carry)  # the (unfinished) line in which decoding failed may be UTF-8
                raise FileRejected(
                    f"无法识别文件编码（第{line_no}行附近既不是 UTF-8 也不是 GBK/GB18030），请另存为 UTF-8 编码的 CSV 后重新上传",
                    code="unknown_encoding",
                    fields={"row": line_no},
                ) from exc
            offset += len(chunk)
        check(carry)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise FileRejected("文件末尾有不完整的字符，文件可能被截断", code="truncated") from exc
    return "gb18030"


# ------------------------------------------------------------------ CSV
def _open_csv(path: Path, max_cell_chars: int) -> Table:
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, newline="") as fh:
        first = fh.readline(1 << 16)
    if not first.strip():
        raise FileRejected("文件第一行为空，应为表头", code="no_header")
    delimiter = max([",", "\t", ";", "|"], key=first.count)
    if first.count(delimiter) == 0:
        delimiter = ","
    csv.field_size_limit(max_cell_chars)
    table = Table(format="csv", encoding=encoding)

    def rows() -> Iterator[tuple[int, dict | RowProblem]]:
        with open(path, encoding=encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter, strict=True)
            index = 0
            try:
                header = next(reader)
                index = 1
                header = [h.strip().lstrip("\ufeff") for h in header]
                _check_header(header)
                table.headers = header
                width = len(header)
                any_data = False
                for index, cells in enumerate(reader, start=2):
                    if not cells or not any(cells) or (len(cells) == 1 and not cells[0].strip()):
                        continue  # a blank line, or a row of empty cells (",,,," from Excel)
                    any_data = True
                    if len(cells) != width:
                        if len(cells) < width:
                            yield index, RowProblem(f"该行有{len(cells)}列，少于表头的{width}列（可能被截断或缺少分隔符）")
                        else:
                            yield index, RowProblem(f"该行有{len(cells)}列，多于表头的{width}列（可能含有未加引号的分隔符）")
                        continue
                    yield index, dict(zip(header, cells, strict=True))
                if not any_data:
                    raise FileRejected("文件只有表头，没有数据行", code="header_only")
            except csv.Error as exc:
                text = str(exc)
                row = index + 1
                if "field larger than field limit" in text:
                    raise FileRejected(f"第{row}行有单元格超过{max_cell_chars}个字符，文件可能已损坏", code="cell_too_long", fields={"row": row}) from exc
                if "NUL" in text:
                    raise FileRejected(f"第{row}行含有空字符（NUL），文件可能不是文本文件", code="nul_byte", fields={"row": row}) from exc
                if "unexpected end of data" in text or "EOF" in text:
                    raise FileRejected(f"第{row}行的引号没有闭合，文件可能被截断", code="truncated", fields={"row": row}) from exc
                raise FileRejected(f"第{row}行无法按 CSV 格式读取：{text}", code="bad_csv", fields={"row": row}) from exc
            except UnicodeDecodeError as exc:
                raise FileRejected("文件编码错误", code="bad_encoding") from exc

    table._rows = rows()
    return table


def _check_header(header: list[str]) -> None:
    if not any(h for h in header):
        raise FileRejected("表头为空", code="no_header")
    seen: set[str] = set()
    for h in header:
        if h and h in seen:
            raise FileRejected(f"表头中“{h}”列出现了两次", code="duplicate_column", fields={"column": h})
        seen.add(h)


# ------------------------------------------------------------------ XLSX
def _xlsx_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return XlsxNumber(str(int(value)), value)
        return XlsxNumber(repr(value), value)
    if isinstance(value, int):
        return XlsxNumber(str(value), value)
    if isinstance(value, str | date):  # date and datetime cells are kept as such
        return value
    return value.isoformat() if isinstance(value, time) else str(value)  # time, timedelta


class XlsxNumber(str):
    """A cell Excel stored as a number (an 18-digit code stored so has lost its last digits)."""

    def __new__(cls, text: str, number):
        obj = super().__new__(cls, text)
        obj.number = number
        return obj


def _open_xlsx(path: Path, max_cell_chars: int) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    # a file object (closed with the workbook), so that a file named without .xlsx opens too
    fh = open(path, "rb")  # noqa: SIM115
    try:
        workbook = load_workbook(fh, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, EOFError, ValueError) as exc:
        fh.close()
        raise FileRejected("XLSX 文件已损坏或不完整，无法打开；请在 Excel 中重新保存后上传", code="bad_xlsx") from exc
    sheet = workbook["数据"] if "数据" in workbook.sheetnames else workbook.worksheets[0]
    table = Table(format="xlsx", encoding="")

    def rows():
        try:
            iterator = sheet.iter_rows(values_only=True)
            header_row = next(iterator, None)
            if header_row is None:
                raise FileRejected("工作表为空", code="empty_file")
            header = [str(h).strip() if h is not None else "" for h in header_row]
            while header and not header[-1]:
                header.pop()
            _check_header(header)
            table.headers = header
            width = len(header)
            any_data = False
            for index, cells in enumerate(iterator, start=2):
                values = [_xlsx_cell(v) for v in cells[:width]]
                extra = [v for v in cells[width:] if v not in (None, "")]
                if not any(v != "" for v in values) and not extra:
                    continue
                any_data = True
                if extra:
                    yield index, RowProblem(f"该行在表头范围以外还有{len(extra)}个非空单元格")
                    continue
                if len(values) < width:
                    values += [""] * (width - len(values))
                for v in values:
                    if isinstance(v, str) and len(v) > max_cell_chars:
                        raise FileRejected(f"第{index}行有单元格超过{max_cell_chars}个字符", code="cell_too_long", fields={"row": index})
                yield index, dict(zip(header, values, strict=True))
            if not any_data:
                raise FileRejected("文件只有表头，没有数据行", code="header_only")
        except (zipfile.BadZipFile, KeyError, EOFError, OSError) as exc:
            raise FileRejected("XLSX 文件已损坏或不完整，无法读取全部内容", code="bad_xlsx") from exc
        except Exception as exc:  # noqa: BLE001 — lxml/openpyxl parse errors of a broken sheet
            if isinstance(exc, FileRejected | InvalidInput):
                raise
            raise FileRejected("XLSX 文件内容无法解析，文件可能已损坏", code="bad_xlsx") from exc
        finally:
            workbook.close()
            fh.close()

    table._rows = rows()
    return table


# ------------------------------------------------------------------ JSON / NDJSON
def _json_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal | int | float):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    if isinstance(value, str):
        return value
    return _Nested()


class _Nested(str):
    """A JSON object or array where a single value was expected (a non-empty cell that no
    field accepts)."""

    def __new__(cls):
        return super().__new__(cls, "")

    def __bool__(self):  # not an empty cell: validation reports it
        return True


def _object_row(index: int, obj) -> tuple[int, dict | RowProblem]:
    if not isinstance(obj, dict):
        return index, RowProblem("该条数据不是 JSON 对象")
    return index, {str(k): _json_value(v) for k, v in obj.items()}


def _open_json(path: Path) -> Table:
    import ijson

    encoding = detect_encoding(path)
    if encoding not in ("utf-8", "utf-8-sig"):
        raise FileRejected("JSON 文件须为 UTF-8 编码", code="bad_encoding")
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    prefix = "records.item" if head.startswith(b"{") else "item"
    table = Table(format="json", encoding="utf-8")

    def rows():
        count = 0
        with open(path, "rb") as fh:
            if encoding == "utf-8-sig":
                fh.read(3)
            try:
                for count, obj in enumerate(ijson.items(fh, prefix, use_float=False), start=1):
                    yield _object_row(count, obj)
            except ijson.common.IncompleteJSONError as exc:
                raise FileRejected(f"JSON 文件不完整或格式错误（第{count + 1}条附近）：文件可能被截断", code="bad_json", fields={"row": count + 1}) from exc
            except ijson.common.JSONError as exc:
                raise FileRejected(f"JSON 格式错误（第{count + 1}条附近）", code="bad_json", fields={"row": count + 1}) from exc
        if count == 0:
            raise FileRejected("JSON 文件中没有数据（应为对象数组，或含 records 数组的对象）", code="header_only")

    table._rows = rows()
    return table


def _open_ndjson(path: Path, max_cell_chars: int) -> Table:
    encoding = detect_encoding(path)
    if encoding not in ("utf-8", "utf-8-sig"):
        raise FileRejected("NDJSON 文件须为 UTF-8 编码", code="bad_encoding")
    table = Table(format="ndjson", encoding="utf-8")

    def rows():
        count = 0
        with open(path, encoding=encoding) as fh:
            for line_no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                count += 1
                if len(line) > max_cell_chars * 4:
                    yield line_no, RowProblem("该行过长")
                    continue
                try:
                    obj = json.loads(line, parse_float=Decimal)
                except json.JSONDecodeError:
                    yield line_no, RowProblem("该行不是有效的 JSON（可能被截断）")
                    continue
                yield _object_row(line_no, obj)
        if count == 0:
            raise FileRejected("文件中没有数据行", code="header_only")

    table._rows = rows()
    return table
