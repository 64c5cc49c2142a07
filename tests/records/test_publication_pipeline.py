"""Publication periods and reporting deadlines through the ingestion pipeline: what a department
submits becomes a record with its publication window, repair date and 双公示 deadline."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from django.utils import timezone

from xinyong.common.calendar import calendar
from xinyong.ingestion.errorfile import read_error_file
from xinyong.records.models import Record


def d(text: str) -> date:
    return date.fromisoformat(text)


def record_for(document_no: str) -> Record:
    return Record.objects.get(document_no=document_no)


def errors_of(batch) -> list[dict]:
    with io.StringIO(read_error_file(batch.error_path), newline="") as fh:
        return list(csv.DictReader(fh))


def test_penalties_of_each_severity(ingest, penalty_row):
    rows = [
        penalty_row(doc="长市监罚〔2026〕101号", 处罚决定日期="2026-05-10", 失信严重程度="一般"),
        penalty_row(doc="长市监罚〔2026〕102号", 处罚决定日期="2026-05-10", 失信严重程度="严重"),
        penalty_row(doc="长市监罚〔2026〕103号", 处罚决定日期="2026-05-10", 失信严重程度="轻微"),
    ]
    batch = ingest(rows)
    assert (batch.accepted, batch.rejected) == (3, 0)

    general = record_for("长市监罚〔2026〕101号")
    assert (general.publish_from, general.publish_until, general.repair_from) == (d("2026-05-10"), d("2027-05-10"), d("2026-08-11"))
    assert general.publication_rule == "penalty@2026-04-01" and general.severity == "一般"
    serious = record_for("长市监罚〔2026〕102号")
    assert (serious.publish_until, serious.repair_from) == (d("2029-05-10"), d("2027-05-11"))
    minor = record_for("长市监罚〔2026〕103号")
    assert (minor.publish_from, minor.publish_until, minor.repair_from) == (None, None, None)  # stored, not published

    for record in (general, serious, minor):
        # 7 working days from Sunday 2026-05-10: 05-11..05-15, 05-18, 05-19
        assert record.report_deadline == d("2026-05-19")
        assert record.on_time is (timezone.localdate() <= d("2026-05-19"))


def test_a_decision_submitted_within_the_deadline_is_on_time(ingest, penalty_row):
    today = timezone.localdate()
    ingest([penalty_row(doc="长市监罚〔2026〕201号", 处罚决定日期=today.isoformat())])
    record = record_for("长市监罚〔2026〕201号")
    assert record.report_deadline == calendar().add_working_days(today, 7)
    assert record.on_time is True


def test_a_2020_penalty_is_stored_under_the_2019_rule(ingest, penalty_row):
    ingest([penalty_row(doc="长工商罚字〔2020〕7号", 处罚决定日期="2020-08-31", 失信严重程度="严重")])
    record = record_for("长工商罚字〔2020〕7号")
    assert record.publication_rule == "penalty@2019-07-01"
    assert (record.repair_from, record.publish_until) == (d("2021-03-01"), d("2023-08-31"))
    assert record.on_time is False


def test_own_publication_end_kept_or_refused_with_the_range(ingest, penalty_row):
    kept = penalty_row(doc="长市监罚〔2026〕301号", 处罚决定日期="2026-05-10", 公示截止期="2026-12-31")
    refused = penalty_row(doc="长市监罚〔2026〕302号", 处罚决定日期="2026-05-10", 公示截止期="2028-05-10")
    batch = ingest([kept, refused])
    assert (batch.accepted, batch.rejected) == (1, 1)
    assert record_for("长市监罚〔2026〕301号").publish_until == d("2026-12-31")
    assert not Record.objects.filter(document_no="长市监罚〔2026〕302号").exists()
    [error] = errors_of(batch)
    assert error["【行号】"] == "3" and error["【错误字段】"] == "公示截止期"
    assert "2026-08-10至2027-05-10" in error["【错误原因】"]


def licensing_row(uscc, **over) -> dict:
    row = {
        "行政相对人名称": "吉林省某某食品有限公司",
        "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": uscc("220102"),
        "法定代表人": "张三",
        "许可机关": "长春市市场监督管理局",
        "许可机关统一社会信用代码": "11220100MB1957950T",
        "行政许可决定文书名称": "食品经营许可决定书",
        "行政许可决定文书号": "长市监许〔2026〕1号",
        "许可类别": "普通",
        "许可证书名称": "食品经营许可证",
        "许可编号": "JY12201020000001",
        "许可内容": "预包装食品销售",
        "许可决定日期": "2026-03-02",
        "有效期自": "2026-03-02",
        "有效期至": "2031-03-01",
        "当前状态": "有效",
        "数据来源单位": "长春市市场监督管理局",
        "数据来源单位统一社会信用代码": "11220100MB1957950T",
    }
    row.update(over)
    return row


def test_licences_are_published_until_their_validity_ends(ingest, uscc):
    rows = [
        licensing_row(uscc),
        licensing_row(uscc, 行政许可决定文书号="长市监许〔2026〕2号", 许可编号="JY12201020000002", 有效期至="长期"),
    ]
    batch = ingest(rows, item="licensing.gsj")
    assert batch.accepted == 2, errors_of(batch)
    dated = record_for("长市监许〔2026〕1号")
    assert (dated.publish_from, dated.publish_until, dated.repair_from) == (d("2026-03-02"), d("2031-03-01"), None)
    assert dated.valid_until == d("2031-03-01") and dated.publication_rule == "validity@2014-01-01"
    long_term = record_for("长市监许〔2026〕2号")
    assert long_term.publish_until is None and long_term.valid_until is None
    assert long_term.report_deadline == d("2026-03-11") and long_term.on_time is False


def test_dishonest_debtors_through_the_pipeline(ingest, id_number):
    row = {
        "失信被执行人名称": "王某某",
        "行政相对人类别": "自然人",
        "证件号码": id_number("220102"),
        "案号": "（2026）吉0102执123号",
        "执行法院": "长春市南关区人民法院",
        "执行依据文号": "（2025）吉0102民初456号",
        "作出执行依据单位": "长春市南关区人民法院",
        "生效法律文书确定的义务": "给付货款人民币50000元",
        "被执行人的履行情况": "全部未履行",
        "失信被执行人行为具体情形": "有履行能力而拒不履行生效法律文书确定义务",
        "发布时间": "2026-01-15",
    }
    batch = ingest([row], item="dishonest_debtor", dept_code="220102-FY")
    assert batch.accepted == 1, errors_of(batch)
    record = Record.objects.get(item_code="dishonest_debtor")
    assert (record.publish_from, record.publish_until) == (d("2026-01-15"), d("2028-01-15"))
    assert record.report_deadline is None and record.on_time is None


def test_honours_through_the_pipeline(ingest, uscc):
    row = {
        "行政相对人名称": "长春市某某科技有限公司",
        "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": uscc("220102"),
        "法定代表人": "赵六",
        "荣誉名称": "守合同重信用企业",
        "表彰文号": "吉市监发〔2026〕12号",
        "授予机关": "吉林省市场监督管理厅",
        "认定机关级别": "省级",
        "授予日期": "2026-03-01",
        "数据来源单位": "吉林省市场监督管理厅",
        "数据来源单位统一社会信用代码": uscc("220000", prefix="11"),
    }
    batch = ingest([row], item="honour.gsj", dept_code="220000-GSJ")
    assert batch.accepted == 1, errors_of(batch)
    record = Record.objects.get(item_code="honour.gsj")
    assert (record.publish_until, record.authority_level) == (d("2029-03-01"), "province")
    assert record.publish_until - record.publish_from > timedelta(days=3 * 365)
