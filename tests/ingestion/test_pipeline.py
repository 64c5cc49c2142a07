"""The pipeline end to end: what a department operator sees after submitting a file."""

import csv
import io

from xinyong.ingestion.errorfile import read_error_file
from xinyong.records.models import ChangeEvent, Record, RecordHistory
from xinyong.subjects.models import Subject


def read_errors(batch):
    with io.StringIO(read_error_file(batch.error_path), newline="") as fh:
        return list(csv.DictReader(fh))


def test_good_rows_stored_bad_rows_reported_with_row_field_and_reason(ingest, penalty_row):
    good = penalty_row()
    bad = penalty_row(统一社会信用代码="91220101MA1234567X")
    batch = ingest([good, bad])
    assert batch.status == "succeeded"
    assert (batch.total_rows, batch.accepted, batch.rejected) == (2, 1, 1)
    errors = read_errors(batch)
    assert errors[0]["【行号】"] == "3"
    assert errors[0]["【错误字段】"] == "统一社会信用代码"
    assert "校验位错误" in errors[0]["【错误原因】"]
    record = Record.objects.get()
    assert record.item_code == "penalty.gsj"
    assert record.subject.uscc == good["统一社会信用代码"]
    assert record.batch_id == batch.id and record.row_no == 2  # lineage
    assert record.document_no == good["行政处罚决定书文号"]
    assert ChangeEvent.objects.filter(entity_id=record.id, op="ADD").count() == 1


def test_resubmitting_the_same_file_stores_nothing_twice(ingest, penalty_row):
    rows = [penalty_row(), penalty_row()]
    first = ingest(rows)
    second = ingest(rows)
    assert first.accepted == 2
    assert (second.accepted, second.unchanged, second.rejected) == (0, 2, 0)
    assert second.duplicate_of_id == first.id
    assert Record.objects.count() == 2


def test_duplicate_rows_within_a_file_are_reported_against_the_first(ingest, penalty_row):
    row = penalty_row()
    batch = ingest([row, dict(row)])
    assert (batch.accepted, batch.rejected) == (1, 1)
    assert "与第2行是同一条记录" in read_errors(batch)[0]["【错误原因】"]


def test_correction_keeps_history_and_withdrawal_marks_the_record(ingest, penalty_row):
    row = penalty_row()
    ingest([row])
    changed = dict(row, 处罚内容="罚款人民币3万元", **{"罚款金额（万元）": "3"})
    refused = ingest([changed])
    assert refused.rejected == 1 and "更正" in read_errors(refused)[0]["【错误原因】"]
    corrected = ingest([changed], mode="correct")
    assert corrected.accepted == 1
    record = Record.objects.get()
    assert record.version == 2 and record.data["content"] == "罚款人民币3万元"
    assert RecordHistory.objects.get(record=record).state["data"]["content"] == "罚款人民币2万元"
    withdraw = dict(row, 撤销原因="决定已被复议机关撤销")
    done = ingest([withdraw], mode="withdraw")
    assert done.accepted == 1
    record.refresh_from_db()
    assert record.status == "withdrawn" and record.version == 3
    assert list(ChangeEvent.objects.filter(entity_id=record.id).values_list("op", flat=True)) == ["ADD", "MOD", "DEL"]


def test_individual_id_number_is_never_stored_in_clear(ingest, penalty_row, id_number):
    number = id_number("220102")
    row = penalty_row(行政相对人名称="王小明", 行政相对人类别="自然人", 统一社会信用代码="", 法定代表人="", 证件号码=number)
    batch = ingest([row])
    assert batch.accepted == 1
    person = Subject.objects.get(kind="individual")
    assert person.id_masked == number[:6] + "********" + number[-4:]
    assert number not in person.id_encrypted and number not in str(Record.objects.get().data)
    assert person.display_name == "王*明"


def test_a_row_naming_its_subject_only_by_name_is_matched_exactly_or_queued(ingest, penalty_row, uscc):
    from xinyong.ingestion.models import ReviewItem

    code = uscc("220102")
    ingest([penalty_row(code=code, 行政相对人名称="长春市宏达商贸(集团)有限公司")])
    # the same name typed elsewhere: full-width brackets and a stray space → the same subject
    same = penalty_row(统一社会信用代码="", 行政相对人名称="长春市宏达商贸（集团） 有限公司")
    # a name no subject has → review queue, never a guess
    unknown = penalty_row(统一社会信用代码="", 行政相对人名称="长春市宏达商贸有限公司")
    batch = ingest([same, unknown])
    assert (batch.accepted, batch.rejected, batch.to_review) == (1, 0, 1)
    matched = Record.objects.get(batch=batch)
    assert matched.subject.uscc == code
    review = ReviewItem.objects.get(batch=batch)
    assert review.row_no == 3 and review.subject_id is None
    assert review.reason == "仅有名称，未找到名称完全一致的主体"
