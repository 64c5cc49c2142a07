"""Bad input end to end (issue 2, "Bad input"): through `batch_submit` (the one entry point of
every door) and through `xinyong ingest`. Each case checks what the operator sees (a Chinese
message naming the row and field, a machine `code`) and that nothing valid is lost and nothing
is half-stored."""

from __future__ import annotations

import csv
import io
import json
import random
import tracemalloc
from datetime import date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from tests.conftest import write_csv
from xinyong.common.errors import FileRejected, Forbidden, NotFound
from xinyong.demo.codes import make_uscc, spoil_check_digit
from xinyong.ingestion.errorfile import ERROR_COLUMNS, read_error_file
from xinyong.ingestion.models import Batch, BatchError, ReviewItem
from xinyong.ingestion.services import batch_submit, get_department
from xinyong.records.models import ChangeEvent, Record, RecordHistory
from xinyong.security.models import AuditEntry
from xinyong.security.services import Actor
from xinyong.subjects.models import Subject, SubjectIdentifier, SubjectName

FORMULAS = ["=cmd|' /C calc'!A0", "+1", "-1+2", "@SUM(1)"]


def read_errors(batch: Batch) -> list[dict]:
    with io.StringIO(read_error_file(batch.error_path), newline="") as fh:
        return list(csv.DictReader(fh))


def assert_nothing_stored() -> None:
    counts = {
        model.__name__: model.objects.count()
        for model in (Record, RecordHistory, ChangeEvent, Subject, SubjectName, SubjectIdentifier, BatchError, ReviewItem)
    }
    assert counts == dict.fromkeys(counts, 0)


def assert_failed(batch: Batch, code: str, *, row: int | None = None) -> None:
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert batch.error_code == code
    assert batch.message  # Chinese, for the operator
    if row is not None:
        assert f"第{row}行" in batch.message
    assert (batch.accepted, batch.rejected, batch.error_file) == (0, 0, "")
    assert_nothing_stored()


def csv_bytes(rows: list[dict], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    headers = list(dict.fromkeys(k for r in rows for k in r))
    writer.writerow(headers)
    for r in rows:
        writer.writerow([r.get(h, "") for h in headers])
    return buf.getvalue().encode(encoding)


def xlsx_file(path: Path, rows: list[dict], *, cells: dict | None = None) -> Path:
    """Rows as an XLSX workbook; `cells` maps (row index, header) to a raw cell value to store
    instead (numbers, dates...)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    headers = list(dict.fromkeys(k for r in rows for k in r))
    ws.append(headers)
    for i, r in enumerate(rows):
        ws.append([(cells or {}).get((i, h), r.get(h, "")) for h in headers])
    wb.save(path)
    return path


@pytest.fixture
def cli(db):
    """Run `xinyong ingest`; returns (exit code, the JSON line it printed)."""

    def run(path: Path, *, dept: str = "220100-GSJ", item: str = "penalty.gsj", mode: str = "submit") -> tuple[int, dict]:
        out = io.StringIO()
        code = 0
        try:
            call_command("ingest", str(path), "--dept", dept, "--item", item, "--mode", mode, "--no-progress", stdout=out)
        except SystemExit as exc:
            code = exc.code
        lines = out.getvalue().strip().splitlines()
        assert len(lines) == 1, lines  # one JSON line, whatever happens
        return code, json.loads(lines[0])

    return run


# ---------------------------------------------------------------------- request-level refusals
def test_unknown_department_via_cli_exits_2_and_stores_nothing(cli, tmp_path, penalty_row):
    path = write_csv(tmp_path / "p.csv", [penalty_row()])
    code, out = cli(path, dept="229999-XXX")
    assert code == 2
    assert out["code"] == "unknown_department"
    assert out["message"] == "未知的部门编码“229999-XXX”"
    assert Batch.objects.count() == 0
    assert_nothing_stored()


def test_unknown_department_code(db):
    with pytest.raises(NotFound) as info:
        get_department("220100-NOPE")
    assert info.value.as_dict() == {"code": "unknown_department", "message": "未知的部门编码“220100-NOPE”", "fields": {}}


def test_unknown_item_is_refused_before_a_batch_exists(ingest, cli, tmp_path, penalty_row):
    with pytest.raises(NotFound) as info:
        ingest([penalty_row()], item="penalty.nope")
    assert info.value.code == "unknown_item"
    assert "未知的信息项编码“penalty.nope”" in info.value.message
    code, out = cli(write_csv(tmp_path / "p.csv", [penalty_row()]), item="penalty.nope")
    assert (code, out["code"]) == (2, "unknown_item")
    assert Batch.objects.count() == 0
    assert_nothing_stored()


def test_department_submitting_another_systems_item_is_refused(ingest, cli, tmp_path, penalty_row):
    # 长春市生态环境局 (HBT system) sends the market-regulation system's penalties: 一数一源
    with pytest.raises(Forbidden) as info:
        ingest([penalty_row()], dept_code="220100-HBT")
    assert info.value.code == "not_item_owner"
    assert "一数一源" in info.value.message and "不能报送" in info.value.message
    code, out = cli(write_csv(tmp_path / "p.csv", [penalty_row()]), dept="220100-HBT")
    assert (code, out["code"]) == (2, "not_item_owner")
    assert out["batch"] is None
    assert Batch.objects.count() == 0
    assert_nothing_stored()


def test_unknown_mode_is_refused(ingest, penalty_row):
    from xinyong.common.errors import InvalidInput

    with pytest.raises(InvalidInput) as info:
        ingest([penalty_row()], mode="replace")
    assert "未知的报送方式" in info.value.message


# ---------------------------------------------------------------------- check digits
def test_wrong_check_digits_are_row_errors_and_good_rows_are_kept(ingest, penalty_row, uscc, id_number):
    good = penalty_row()
    bad_uscc = penalty_row(code=spoil_check_digit(uscc()))
    person = id_number()
    bad_id = penalty_row(行政相对人名称="王小明", 行政相对人类别="自然人", 统一社会信用代码="", 法定代表人="", 证件号码=spoil_check_digit(person))
    bad_authority = penalty_row(处罚机关统一社会信用代码=spoil_check_digit("11220100MB1957950T"))
    batch = ingest([good, bad_uscc, bad_id, bad_authority])
    assert batch.status == "succeeded"
    assert (batch.total_rows, batch.accepted, batch.rejected) == (4, 1, 3)
    errors = read_errors(batch)
    assert [(e["【行号】"], e["【错误字段】"], e["【错误原因】"]) for e in errors] == [
        ("3", "统一社会信用代码", "统一社会信用代码校验位错误"),
        ("4", "证件号码", "证件号码校验位错误"),
        ("5", "处罚机关统一社会信用代码", "处罚机关统一社会信用代码校验位错误"),
    ]
    stored = list(BatchError.objects.filter(batch=batch).values_list("row_no", "field", "message"))
    assert stored[0] == (3, "统一社会信用代码", "统一社会信用代码校验位错误")
    assert person[:17] not in json.dumps(stored, ensure_ascii=False)
    assert Record.objects.get().subject.uscc == good["统一社会信用代码"]
    assert Subject.objects.count() == 1


def test_the_error_file_is_encrypted_at_rest_and_given_back_by_the_cli(cli, tmp_path, penalty_row, uscc):
    """Rejected rows keep what the department sent (names, legal representatives, codes): on disk
    only ciphertext, mode 0600; `xinyong batch errors` gives the CSV back, audited."""
    bad = penalty_row(code=spoil_check_digit(uscc()), 法定代表人="王秀英", 违法事实="当事人销售过期食品")
    code, out = cli(write_csv(tmp_path / "p.csv", [penalty_row(), bad]))
    assert code == 0 and out["rejected"] == 1
    on_disk = Path(out["errors"]).read_bytes()
    assert oct(Path(out["errors"]).stat().st_mode & 0o777) == "0o600"
    for clear in ("王秀英", "当事人销售过期食品", bad["统一社会信用代码"], "统一社会信用代码"):
        assert clear.encode("utf-8") not in on_disk
    target = tmp_path / "errors.csv"
    call_command("batch", "errors", str(out["batch"]), "--out", str(target), stderr=io.StringIO())
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"), newline="")))
    assert [(r["【行号】"], r["法定代表人"], r["违法事实"]) for r in rows] == [("3", "王秀英", "当事人销售过期食品")]
    assert AuditEntry.objects.filter(action="batch.errors.read", purpose="命令行导出拒收行文件").count() == 1
    with pytest.raises(CommandError, match="不能写入"):
        call_command("batch", "errors", str(out["batch"]), "--out", str(tmp_path / "no-such-folder" / "e.csv"))
    with pytest.raises(CommandError, match="找不到批次"):
        call_command("batch", "errors", "999999")
    with pytest.raises(CommandError, match="没有拒收行文件"):
        call_command("batch", "errors", str(cli(write_csv(tmp_path / "ok.csv", [penalty_row()]))[1]["batch"]))


def test_wrong_check_digit_via_cli_exits_0_with_the_error_file(cli, tmp_path, penalty_row, uscc):
    path = write_csv(tmp_path / "p.csv", [penalty_row(), penalty_row(code=spoil_check_digit(uscc()))])
    code, out = cli(path)
    assert code == 0
    assert (out["status"], out["accepted"], out["rejected"]) == ("succeeded", 1, 1)
    assert Path(out["errors"]).is_file()
    assert {"batch", "accepted", "rejected", "errors"} <= out.keys()


def test_xlsx_with_18_digit_codes_stored_as_numbers(ingest, tmp_path, penalty_row):
    rows = [penalty_row(), penalty_row(code="912201020000000000"), penalty_row()]
    path = xlsx_file(tmp_path / "p.xlsx", rows, cells={(1, "统一社会信用代码"): 912201020000000000})
    batch = ingest(path=path)
    assert (batch.format, batch.accepted, batch.rejected) == ("xlsx", 2, 1)
    error = read_errors(batch)[0]
    assert (error["【行号】"], error["【错误字段】"]) == ("3", "统一社会信用代码")
    assert "在 Excel 中被存为数字" in error["【错误原因】"] and "文本格式" in error["【错误原因】"]


def test_full_width_digits_in_codes_are_folded_before_storing(ingest, penalty_row, uscc):
    code = uscc()
    full = code.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    batch = ingest([penalty_row(code=full)])
    assert batch.accepted == 1
    assert Subject.objects.get().uscc == code


# ---------------------------------------------------------------------- encodings and formats
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_each_accepted_encoding_stores_the_same_text(ingest, tmp_path, penalty_row, encoding):
    row = penalty_row(行政相对人名称="吉林省长白山（集团）有限公司")
    path = tmp_path / "p.csv"
    path.write_bytes(csv_bytes([row], encoding))
    batch = ingest(path=path)
    assert batch.accepted == 1
    assert Subject.objects.get().name == "吉林省长白山（集团）有限公司"
    assert Record.objects.get().data["facts"] == row["违法事实"]


def test_excel_unicode_text_file_is_accepted(ingest, tmp_path, penalty_row):
    row = penalty_row()
    text = "\t".join(row) + "\r\n" + "\t".join(row.values()) + "\r\n"
    path = tmp_path / "导出.txt"
    path.write_bytes(text.encode("utf-16"))
    batch = ingest(path=path)
    assert (batch.encoding, batch.accepted) == ("utf-16", 1)


@pytest.mark.parametrize(
    ("first", "second", "row"),
    [("utf-8", "gbk", 3), ("gbk", "utf-8", 3)],
)
def test_mixed_encodings_are_refused_naming_the_line(ingest, cli, tmp_path, penalty_row, first, second, row):
    rows = [penalty_row(), penalty_row()]
    head = csv_bytes(rows[:1], first)
    tail = csv_bytes(rows[1:], second).split(b"\r\n", 1)[1]  # second row without its header
    path = tmp_path / "mixed.csv"
    path.write_bytes(head + tail)
    batch = ingest(path=path)
    assert_failed(batch, "mixed_encoding", row=row)
    assert "编码混杂" in batch.message
    code, out = cli(path)
    assert (code, out["status"], out["code"]) == (1, "failed", "mixed_encoding")
    assert_nothing_stored()


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("empty.csv", b"", "empty_file"),
        ("blank.csv", b"  \r\n \r\n", "empty_file"),
        ("header.csv", None, "header_only"),
        ("fake.xlsx", None, "not_xlsx"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000), "xls_not_supported"),
        ("zipped.csv", b"PK\x03\x04" + bytes(100), "format_mismatch"),
        ("cut.json", '[{"行政相对人名称": "甲"}, {"行政相对人名称": '.encode(), "bad_json"),
    ],
)
def test_files_that_cannot_be_read_fail_the_batch_with_a_reason(ingest, cli, tmp_path, penalty_row, name, data, code):
    if name == "header.csv":
        data = csv_bytes([penalty_row()]).split(b"\r\n")[0] + b"\r\n"
    if name == "fake.xlsx":
        data = csv_bytes([penalty_row()])
    path = tmp_path / name
    path.write_bytes(data)
    batch = ingest(path=path)
    assert_failed(batch, code)
    exit_code, out = cli(path)
    assert (exit_code, out["status"], out["code"]) == (1, "failed", code)
    assert out["message"] == batch.message
    assert_nothing_stored()


def test_truncated_csv_fails_naming_the_row(ingest, tmp_path, penalty_row):
    data = csv_bytes([penalty_row(), penalty_row()]) + '"吉林省某某公司,法人及非法人组织\r\n'.encode()
    path = tmp_path / "cut.csv"
    path.write_bytes(data)
    batch = ingest(path=path)
    assert_failed(batch, "truncated", row=4)


def test_truncated_xlsx_fails(ingest, tmp_path, penalty_row):
    path = xlsx_file(tmp_path / "full.xlsx", [penalty_row() for _ in range(300)])
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    batch = ingest(path=cut)
    assert_failed(batch, "bad_xlsx")
    assert "XLSX 文件已损坏或不完整" in batch.message


def test_ndjson_with_a_cut_last_line_keeps_every_complete_line(ingest, tmp_path, penalty_row):
    rows = [penalty_row(), penalty_row(), penalty_row()]
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    path = tmp_path / "feed.ndjson"
    path.write_text(text[:-10], encoding="utf-8")
    batch = ingest(path=path)
    assert (batch.status, batch.accepted, batch.rejected) == ("succeeded", 2, 1)
    assert read_errors(batch)[0]["【行号】"] == "3"
    assert "不是有效的 JSON" in read_errors(batch)[0]["【错误原因】"]


def test_rows_with_fewer_or_more_cells_are_rejected_others_kept(ingest, tmp_path, penalty_row):
    rows = [penalty_row(), penalty_row(), penalty_row()]
    lines = csv_bytes(rows).decode().split("\r\n")
    lines[2] = lines[2].rsplit(",", 3)[0]  # three cells short
    lines[3] = lines[3] + ",多余"
    path = tmp_path / "shape.csv"
    path.write_text("\r\n".join(lines), encoding="utf-8")
    batch = ingest(path=path)
    assert (batch.accepted, batch.rejected) == (1, 2)
    errors = read_errors(batch)
    assert [e["【行号】"] for e in errors] == ["3", "4"]
    assert "少于表头" in errors[0]["【错误原因】"] and "多于表头" in errors[1]["【错误原因】"]


def test_missing_required_columns_fail_the_file(ingest, tmp_path, penalty_row):
    row = penalty_row()
    del row["违法事实"], row["处罚依据"]
    batch = ingest([row])
    assert_failed(batch, "missing_columns")
    assert batch.message.startswith("缺少必填列：违法事实、处罚依据")


# ---------------------------------------------------------------------- size and streaming
def test_file_over_the_size_limit_is_refused_and_nothing_kept(db, tmp_path, dept, penalty_row, settings):
    path = write_csv(tmp_path / "big.csv", [penalty_row() for _ in range(20)])
    # a batch folder of this test's own: the suite's is shared by the parallel workers
    settings.XINYONG = {**settings.XINYONG, "BATCH_DIR": str(tmp_path / "batches")}
    batches = Path(settings.XINYONG["BATCH_DIR"])
    before = set(batches.iterdir()) if batches.exists() else set()
    with pytest.raises(FileRejected) as info:
        batch_submit(
            department=dept(), item_code="penalty.gsj", path=path, filename="big.csv", door="web",
            actor=Actor.system("test"), max_bytes=path.stat().st_size - 1, background=False,
        )
    assert info.value.code == "file_too_large"
    assert "上限" in info.value.message and "拆分" in info.value.message
    assert Batch.objects.count() == 0
    assert (set(batches.iterdir()) if batches.exists() else set()) == before  # no copy left behind
    assert_nothing_stored()


def test_file_over_the_size_limit_via_cli_stores_nothing(cli, tmp_path, penalty_row, monkeypatch):
    monkeypatch.setitem(settings.XINYONG, "MAX_UPLOAD_MB", 1)
    row = penalty_row(违法事实="事实" * 2000)
    path = write_csv(tmp_path / "big.csv", [dict(row, 行政处罚决定书文号=f"罚{i}号") for i in range(100)])
    assert path.stat().st_size > 1024 * 1024
    code, out = cli(path)
    assert code != 0 and out["code"] == "file_too_large"
    assert Batch.objects.count() == 0
    assert_nothing_stored()


def test_file_over_the_size_limit_via_cli_exits_1_as_documented(cli, tmp_path, penalty_row, monkeypatch):
    monkeypatch.setitem(settings.XINYONG, "MAX_UPLOAD_MB", 1)
    row = penalty_row(违法事实="事实" * 2000)
    path = write_csv(tmp_path / "big.csv", [dict(row, 行政处罚决定书文号=f"罚{i}号") for i in range(100)])
    code, _ = cli(path)
    assert code == 1


def _big_feed(path: Path, rows: int) -> Path:
    """A tax-rating feed (a light item, so that the test spends its time reading, not storing)
    with wide rows: about 600 bytes each."""
    rng = random.Random(5)
    codes = [make_uscc(rng, region="220102") for _ in range(100)]
    authority = "国家税务总局长春市税务局第一税务分局" * 10
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["纳税人名称", "纳税人识别号", "评价年度", "纳税信用级别", "评定日期", "评定机关", "来源记录编号"])
        for i in range(rows):
            writer.writerow([f"长春市某某商贸有限公司{i % 100}", codes[i % 100], 2025, "ABMCD"[i % 5], "2026-04-01", authority, f"SW-{i}"])
    return path


@pytest.mark.slow
def test_a_large_file_is_streamed_with_bounded_memory(db, tmp_path, dept):
    path = _big_feed(tmp_path / "big.csv", 50_000)
    size = path.stat().st_size
    assert size > 25 * 1024 * 1024
    tracemalloc.start()
    try:
        batch = batch_submit(
            department=dept("220100-SW"), item_code="tax_rating", path=path, filename="big.csv", door="cli",
            actor=Actor.system("test"), copy=False, background=False,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (batch.status, batch.accepted, batch.rejected) == ("succeeded", 50_000, 0)
    assert Record.objects.count() == 50_000 and Subject.objects.count() == 100
    # memory follows the chunk size (XINYONG["CHUNK_ROWS"]), not the file size: the file read
    # whole would take more than its own size in Python strings, rows and dicts
    assert peak < size / 2, f"peak {peak / 2**20:.1f} MiB for a {size / 2**20:.1f} MiB file"


# ---------------------------------------------------------------------- atomicity
def test_file_failure_after_several_chunks_leaves_nothing(ingest, tmp_path, penalty_row, monkeypatch):
    monkeypatch.setitem(settings.XINYONG, "CHUNK_ROWS", 10)
    rows = [penalty_row() for _ in range(55)]
    data = csv_bytes(rows) + '"unterminated,法人及非法人组织\r\n'.encode()
    path = tmp_path / "late.csv"
    path.write_bytes(data)
    batch = ingest(path=path)
    assert_failed(batch, "truncated", row=57)
    assert batch.total_rows == 50  # five chunks were processed before the failure
    assert not (Path(settings.XINYONG["BATCH_DIR"]) / str(batch.public_id) / "errors.csv").exists()


def test_late_json_failure_with_bad_rows_before_it_leaves_no_errors(ingest, tmp_path, penalty_row, uscc, monkeypatch):
    monkeypatch.setitem(settings.XINYONG, "CHUNK_ROWS", 10)
    rows = [penalty_row(code=spoil_check_digit(uscc())) if i % 7 == 0 else penalty_row() for i in range(40)]
    body = json.dumps(rows, ensure_ascii=False)
    path = tmp_path / "late.json"
    path.write_text(body[: len(body) - 200], encoding="utf-8")
    batch = ingest(path=path)
    assert_failed(batch, "bad_json")


def test_nul_byte_far_down_the_file_leaves_nothing(ingest, tmp_path, penalty_row, monkeypatch):
    monkeypatch.setitem(settings.XINYONG, "CHUNK_ROWS", 10)
    data = csv_bytes([penalty_row() for _ in range(60)])
    at = data.index(b"\r\n", len(data) - 300)
    path = tmp_path / "nul.csv"
    path.write_bytes(data[:at] + b"\x00" + data[at:])
    batch = ingest(path=path)
    assert_failed(batch, "nul_byte", row=data[:at].count(b"\n") + 1)


def test_a_good_file_after_a_failed_one_is_stored_in_full(ingest, tmp_path, penalty_row):
    rows = [penalty_row() for _ in range(3)]
    path = tmp_path / "cut.csv"
    path.write_bytes(csv_bytes(rows) + b'"open quote')
    assert ingest(path=path).status == "failed"
    batch = ingest(rows)
    assert (batch.accepted, batch.unchanged) == (3, 0)


# ---------------------------------------------------------------------- duplicates
def test_duplicate_rows_across_chunks_are_reported_against_the_first(ingest, penalty_row, monkeypatch):
    monkeypatch.setitem(settings.XINYONG, "CHUNK_ROWS", 2)
    rows = [penalty_row() for _ in range(5)]
    rows.append(dict(rows[0]))
    rows.append(dict(rows[1], 处罚内容="不同的内容"))  # same decision number: the same record
    batch = ingest(rows)
    assert (batch.accepted, batch.rejected) == (5, 2)
    errors = read_errors(batch)
    assert [(e["【行号】"], e["【错误原因】"]) for e in errors] == [
        ("7", "与第2行是同一条记录（重复）"),
        ("8", "与第3行是同一条记录（重复）"),
    ]


def test_duplicate_source_record_ids_within_a_file(ingest, penalty_row):
    rows = [penalty_row(来源记录编号="SRC-1"), penalty_row(来源记录编号="SRC-2"), penalty_row(来源记录编号="SRC-1")]
    batch = ingest(rows)
    assert (batch.accepted, batch.rejected) == (2, 1)
    assert read_errors(batch)[0]["【错误原因】"] == "与第2行是同一条记录（重复）"


def test_the_same_xlsx_twice_stores_nothing_twice(ingest, tmp_path, penalty_row):
    path = xlsx_file(tmp_path / "p.xlsx", [penalty_row(), penalty_row()])
    first = ingest(path=path)
    second = ingest(path=path)
    assert (first.accepted, second.accepted, second.unchanged) == (2, 0, 2)
    assert second.duplicate_of_id == first.id
    assert Record.objects.count() == 2 and ChangeEvent.objects.filter(entity="record").count() == 2


def test_same_source_record_id_with_other_content_needs_correct_mode(ingest, penalty_row):
    row = penalty_row(来源记录编号="CASE-2026-0001")
    ingest([row])
    changed = dict(row, 行政处罚决定书文号="长市监罚〔2026〕999号", 处罚内容="罚款人民币3万元")
    refused = ingest([changed])
    assert (refused.accepted, refused.rejected) == (0, 1)
    assert read_errors(refused)[0]["【错误原因】"] == "该记录已报送过且内容不同；如需修改，请以“更正”方式报送"
    assert Record.objects.get().document_no == row["行政处罚决定书文号"]
    corrected = ingest([changed], mode="correct")
    assert corrected.accepted == 1
    record = Record.objects.get()
    assert (record.version, record.document_no) == (2, "长市监罚〔2026〕999号")


# ---------------------------------------------------------------------- dates
def test_dates_future_impossible_and_in_several_forms(ingest, tmp_path, penalty_row):
    rows = [
        penalty_row(处罚决定日期="2025/1/5"),
        penalty_row(处罚决定日期="2025年1月5日"),
        penalty_row(处罚决定日期="20250105"),
        penalty_row(处罚决定日期="2025-02-30"),
        penalty_row(处罚决定日期="2099-01-01"),
        penalty_row(处罚决定日期="2025-01-05", 处罚有效期="2024-12-31"),
    ]
    batch = ingest(rows)
    assert (batch.accepted, batch.rejected) == (3, 3)
    assert set(Record.objects.values_list("decided_on", flat=True)) == {date(2025, 1, 5)}
    errors = [(e["【行号】"], e["【错误字段】"], e["【错误原因】"]) for e in read_errors(batch)]
    assert errors == [
        ("5", "处罚决定日期", "处罚决定日期不是存在的日期（2025年2月30日）"),
        ("6", "处罚决定日期", "处罚决定日期晚于今天（2099-01-01）"),
        ("7", "处罚有效期", "处罚有效期（2024-12-31）早于处罚决定日期（2025-01-05）"),
    ]


def test_excel_date_cells_are_dates(ingest, tmp_path, penalty_row):
    rows = [penalty_row(), penalty_row(), penalty_row()]
    cells = {(0, "处罚决定日期"): datetime(2025, 1, 5), (1, "处罚决定日期"): date(2025, 1, 6), (2, "处罚决定日期"): 45664}  # serial date in a General cell
    batch = ingest(path=xlsx_file(tmp_path / "d.xlsx", rows, cells=cells))
    assert batch.accepted == 3
    assert sorted(Record.objects.values_list("decided_on", flat=True)) == [date(2025, 1, 5), date(2025, 1, 6), date(2025, 1, 7)]


# ---------------------------------------------------------------------- text
def test_over_long_values_are_rejected_with_field_and_length(ingest, penalty_row):
    batch = ingest([penalty_row(), penalty_row(行政处罚决定书文号="长" * 65)])
    assert (batch.accepted, batch.rejected) == (1, 1)
    error = read_errors(batch)[0]
    assert (error["【错误字段】"], error["【错误原因】"]) == ("行政处罚决定书文号", "行政处罚决定书文号超过64个字符（实为65个）")


def test_control_characters_are_dropped_before_storing(ingest, penalty_row):
    batch = ingest([penalty_row(行政相对人名称="长春市\x01某某\x1b商贸有限公司", 违法事实="第一行\n第二行")])
    assert batch.accepted == 1
    assert Subject.objects.get().name == "长春市某某商贸有限公司"
    assert Record.objects.get().data["facts"] == "第一行\n第二行"


def test_html_and_script_in_names_are_stored_verbatim(ingest, penalty_row):
    name = '<script>alert("信用")</script><img src=x onerror=alert(1)>某某有限公司'
    batch = ingest([penalty_row(行政相对人名称=name, 违法事实="<b>粗体</b> & <i>斜体</i>")])
    assert batch.accepted == 1
    assert Subject.objects.get().name == name
    record = Record.objects.get()
    assert record.data["subject_name"] == name and record.data["facts"] == "<b>粗体</b> & <i>斜体</i>"


def test_formula_cells_are_text_stored_as_is_and_neutralized_in_the_error_file(ingest, tmp_path, penalty_row, uscc):
    good = [penalty_row(行政相对人名称=f + "有限公司", 违法事实=f, 处罚内容=f) for f in FORMULAS]
    bad_code = spoil_check_digit(uscc())
    bad = [penalty_row(code=bad_code, 行政相对人名称=f + "商行", 违法事实=f, 处罚内容=f) for f in FORMULAS]
    batch = ingest(good + bad)
    assert (batch.accepted, batch.rejected) == (4, 4)
    assert sorted(Record.objects.values_list("data__facts", flat=True)) == sorted(FORMULAS)
    assert sorted(Subject.objects.values_list("name", flat=True)) == sorted(f + "有限公司" for f in FORMULAS)

    # the error file: no cell a spreadsheet would run as a formula
    with io.StringIO(read_error_file(batch.error_path), newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0][:3] == ERROR_COLUMNS
    for line in table[1:]:
        for cell in line:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    errors = read_errors(batch)
    assert [e["违法事实"] for e in errors] == ["'" + f for f in FORMULAS]

    # the operator fixes the code in the error file and uploads it back: the apostrophes go
    for e in errors:
        e["统一社会信用代码"] = uscc()
    fixed = tmp_path / "fixed.csv"
    with open(fixed, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(errors[0]))
        writer.writeheader()
        writer.writerows(errors)
    again = ingest(path=fixed)
    assert (again.accepted, again.rejected) == (4, 0)
    assert sorted(Subject.objects.filter(name__endswith="商行").values_list("name", flat=True)) == sorted(f + "商行" for f in FORMULAS)
    stored = Record.objects.filter(batch=again)
    assert sorted(stored.values_list("data__content", flat=True)) == sorted(FORMULAS)
    assert sorted(stored.values_list("row_no", flat=True)) == [2, 3, 4, 5]


def test_error_file_of_a_gbk_upload_reads_back(ingest, tmp_path, penalty_row, uscc):
    rows = [penalty_row(行政相对人名称="吉林省某某（集团）有限公司", code=spoil_check_digit(uscc()))]
    path = tmp_path / "gbk.csv"
    path.write_bytes(csv_bytes(rows, "gbk"))
    batch = ingest(path=path)
    error = read_errors(batch)[0]
    assert error["行政相对人名称"] == "吉林省某某（集团）有限公司"  # written back as UTF-8 with BOM


def test_json_api_rows_with_a_nested_value_are_row_errors(ingest, penalty_row):
    rows = [penalty_row(), dict(penalty_row(), 违法事实={"a": 1})]
    batch = ingest(rows, fmt="json")
    assert (batch.accepted, batch.rejected) == (1, 1)
    error = read_errors(batch)[0]
    assert (error["【行号】"], error["【错误字段】"], error["【错误原因】"]) == ("2", "违法事实", "违法事实的值不应为对象或数组")


def test_a_subject_of_a_kind_the_item_does_not_apply_to_is_rejected(ingest, uscc):
    # enterprise environmental credit ratings apply to enterprises, not to social organizations
    def rating(code: str, name: str) -> dict:
        return {"企业名称": name, "统一社会信用代码": code, "评价年度": "2025", "环境信用等级": "环保良好企业",
                "评价日期": "2026-03-01", "评价机关": "吉林省生态环境厅"}

    batch = ingest([rating(uscc(prefix="91"), "吉林省某某化工有限公司"), rating(uscc(prefix="51"), "吉林省某某协会")],
                   item="env_rating", dept_code="220000-HBT")
    assert (batch.accepted, batch.rejected) == (1, 1)
    error = read_errors(batch)[0]
    assert (error["【行号】"], error["【错误原因】"]) == ("3", "信息项“企业环境信用评价结果”不适用于社会组织")
    assert Record.objects.get().subject.kind == "enterprise"


def test_a_rejected_row_leaves_no_subject_behind(ingest, uscc):
    row = {"企业名称": "吉林省某某协会", "统一社会信用代码": uscc(prefix="51"), "评价年度": "2025",
           "环境信用等级": "环保良好企业", "评价日期": "2026-03-01", "评价机关": "吉林省生态环境厅"}
    batch = ingest([row], item="env_rating", dept_code="220000-HBT")
    assert (batch.accepted, batch.rejected) == (0, 1)
    assert (Record.objects.count(), Subject.objects.count(), SubjectName.objects.count(), SubjectIdentifier.objects.count()) == (0, 0, 0, 0)


def test_a_plain_error_file_from_before_encryption_is_still_served(tmp_path):
    legacy = tmp_path / "errors.csv"
    legacy.write_bytes("\ufeff【行号】,【错误字段】,【错误原因】\n3,统一社会信用代码,校验位错误\n".encode())
    assert read_error_file(legacy).splitlines()[1] == "3,统一社会信用代码,校验位错误"
