"""`xinyong catalog list|check|sync`, and how `catalog sync` protects stored records: a change that
would orphan them is refused with a clear message and changes nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from xinyong.catalog.models import CatalogItem, CatalogLoad, Department
from xinyong.catalog.registry import get_catalog, load_catalog
from xinyong.catalog.services import catalog_sync
from xinyong.cli import main as xinyong_main
from xinyong.common.errors import CatalogError
from xinyong.security.models import AuditEntry


def run(*args) -> str:
    out = io.StringIO()
    call_command("catalog", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def use_catalog(settings):
    """Point the platform at another catalog directory (as XINYONG["CATALOG_DIR"] would)."""

    def use(directory) -> None:
        settings.XINYONG = {**settings.XINYONG, "CATALOG_DIR": str(directory)}

    return use


def snapshot() -> dict:
    return {
        "items": sorted(CatalogItem.objects.values_list("code", "active", "definition")),
        "departments": sorted(Department.objects.values_list("code", "active", "name")),
        "loads": CatalogLoad.objects.count(),
    }


# ------------------------------------------------------------------ list / show / check
def test_list_json_prints_the_registry():
    data = json.loads(run("list", "--json"))
    catalog = get_catalog()
    assert [i["code"] for i in data["items"]] == list(catalog.items)
    assert data["digest"] == catalog.digest and data["version"]
    penalty = next(i for i in data["items"] if i["code"] == "penalty.gsj")
    assert penalty["owner"] == "GSJ" and penalty["nature_label"] == "不良" and penalty["disclosure_label"] == "公开"
    assert penalty["reporting_deadline_working_days"] == 7
    assert {"name": "severity", "label": "失信严重程度"}.items() <= next(f for f in penalty["fields"] if f["name"] == "severity").items()
    versions = data["publication_rules"]["penalty"]["versions"]
    assert [v["effective_from"] for v in versions] == ["2026-04-01", "2023-05-01", "2019-07-01"]
    assert versions[0]["periods"]["一般"] == {"publish": True, "min": "3M", "max": "1Y"}
    assert {s["code"] for s in data["systems"]} >= {"GSJ", "FY", "SW", "RMYH", "XCB"}
    assert data["departments"] == len(catalog.departments)


def test_list_for_people_and_show_one_item():
    text = run("list")
    assert "penalty.gsj" in text and "行政处罚信息" in text and "省工商局" in text
    shown = json.loads(run("show", "tax_rating"))
    assert shown["name"] == "纳税信用等级评价结果"
    with pytest.raises(CommandError, match="未知的信息项编码"):
        run("show", "no_such_item")


def test_check_accepts_the_shipped_catalog():
    assert run("check").startswith("目录有效")


def test_check_on_a_broken_catalog_fails_with_file_line_and_reason(catalog_copy, use_catalog):
    catalog_copy.edit("items/courts.yaml", "type: enum, choices: [执行中, 终结本次执行, 执行完毕, 终结执行], required: true", "type: enum, required: true")
    use_catalog(catalog_copy.root)
    line = catalog_copy.line_of("items/courts.yaml", "name: case_status")
    with pytest.raises(CommandError) as exc:
        run("check")
    assert str(exc.value) == f"items/courts.yaml:{line}: 枚举字段 case_status 缺少 choices"


def test_check_exits_non_zero_from_the_command_line(catalog_copy, use_catalog, capsys):
    catalog_copy.edit("publication.yaml", "一般: {min: 3M, max: 1Y}", "一般: {min: 3X, max: 1Y}")
    use_catalog(catalog_copy.root)
    with pytest.raises(SystemExit) as exc:
        xinyong_main(["catalog", "check"])
    assert exc.value.code != 0
    assert f"publication.yaml:{catalog_copy.line_of('publication.yaml', '3X')}: 无法识别的期限 '3X'" in capsys.readouterr().err


# ------------------------------------------------------------------ sync
def test_sync_is_idempotent(db):
    audited = AuditEntry.objects.filter(action="catalog_sync").count()
    first = json.loads(run("sync", "--json"))  # the session already loaded this catalog
    second = json.loads(run("sync", "--json"))
    for summary in (first, second):
        assert {k: v for k, v in summary.items() if k != "regions"} == {
            "departments_added": 0, "departments_updated": 0, "departments_retired": 0,
            "items_added": 0, "items_updated": 0, "items_retired": 0,
        }
    assert CatalogLoad.objects.order_by("-id").first().digest == get_catalog().digest
    assert AuditEntry.objects.filter(action="catalog_sync").count() == audited + 2  # each load is audited


def test_sync_adds_changes_and_retires(db, catalog_copy, use_catalog):
    # a new department feed: the 省统计局 also issues licences (a YAML change, no code change)
    catalog_copy.edit("items/shuanggongshi.yaml", "LYT, XF, MZT, XWCB, ZSCQ, SW, JRB, CZT]\n  - code: penalty", "LYT, XF, MZT, XWCB, ZSCQ, SW, JRB, CZT, TJJ]\n  - code: penalty")
    use_catalog(catalog_copy.root)
    added = json.loads(run("sync", "--json"))
    assert added["items_added"] == 1 and CatalogItem.objects.get(code="licensing.tjj").active
    assert json.loads(run("sync", "--json"))["items_added"] == 0  # again: nothing new

    catalog_copy.cut("items/sectors.yaml", "  - code: social_org_assessment", "  - code: research_misconduct")  # no records, no list
    retired = json.loads(run("sync", "--json"))
    assert retired["items_retired"] == 1
    assert CatalogItem.objects.get(code="social_org_assessment").active is False  # kept, marked retired


def test_removing_an_item_that_has_records_is_refused_and_changes_nothing(ingest, penalty_row, catalog_copy, use_catalog):
    assert ingest([penalty_row()]).accepted == 1
    catalog_copy.edit("items/shuanggongshi.yaml", "    owners: [GSJ, ZJJ, SYJ, HBT, ZJT, JTT, WSJ, NW, SWT, WHT, JYT, GAT, RST, AJJ, SLT, GTT, LYT, XF, MZT, XWCB, ZSCQ, SW, JRB, CZT, TJJ, HG, SJT, RMYH]", "    owners: [ZJJ, SYJ, HBT, ZJT, JTT, WSJ, NW, SWT, WHT, JYT, GAT, RST, AJJ, SLT, GTT, LYT, XF, MZT, XWCB, ZSCQ, SW, JRB, CZT, TJJ, HG, SJT, RMYH]")
    # and a harmless change in the same edit, which must not be applied either
    catalog_copy.edit("items/sectors.yaml", "    name: 纳税信用等级评价结果", "    name: 纳税信用评价结果")
    before = snapshot()
    with pytest.raises(CatalogError) as exc:
        catalog_sync(catalog=load_catalog(catalog_copy.root))
    assert exc.value.code == "catalog_orphans"
    assert "信息项“行政处罚信息”（penalty.gsj）已从目录中删除，但仍有1条记录" in exc.value.message
    assert snapshot() == before

    use_catalog(catalog_copy.root)
    with pytest.raises(CommandError, match=r"penalty\.gsj"):
        run("sync")
    assert snapshot() == before


def test_removing_a_field_that_records_hold_values_for_is_refused(ingest, penalty_row, catalog_copy):
    assert ingest([penalty_row()]).accepted == 1  # the row has 罚款金额（万元）
    catalog_copy.cut("items/shuanggongshi.yaml", "      - {name: fine_amount,", "      - {name: confiscation_amount,")
    before = snapshot()
    with pytest.raises(CatalogError) as exc:
        catalog_sync(catalog=load_catalog(catalog_copy.root))
    assert "删除了字段“罚款金额（万元）”（fine_amount），但有1条记录含有该字段的值" in exc.value.message
    assert snapshot() == before


def test_removing_a_field_no_record_holds_is_allowed(ingest, penalty_row, catalog_copy):
    assert ingest([penalty_row()]).accepted == 1  # the row leaves 暂扣或吊销证照名称及编号 empty
    catalog_copy.cut("items/shuanggongshi.yaml", "      - {name: licence_affected,", "      - {use: decision_date, label: 处罚决定日期}")
    summary = catalog_sync(catalog=load_catalog(catalog_copy.root))
    assert summary["items_updated"] >= 27  # every penalty item
    names = [f["name"] for f in CatalogItem.objects.get(code="penalty.gsj").definition["fields"]]
    assert "licence_affected" not in names


def test_removing_a_department_that_has_records_is_refused(ingest, penalty_row, catalog_copy):
    assert ingest([penalty_row()], dept_code="220102-GSJ").accepted == 1
    # market regulation without county offices
    catalog_copy.edit("departments.yaml", 'city: "{region}市场监督管理局", county: "{region}市场监督管理局"}', 'city: "{region}市场监督管理局"}')
    with pytest.raises(CatalogError) as exc:
        catalog_sync(catalog=load_catalog(catalog_copy.root))
    assert "部门“长春市南关区市场监督管理局”（220102-GSJ）已从目录中删除，但仍有它报送的1条记录" in exc.value.message
    assert "220103-GSJ" not in exc.value.message  # departments with nothing stored may go
    assert Department.objects.get(code="220102-GSJ").active


def test_removing_departments_with_nothing_stored_deactivates_them(db, catalog_copy):
    catalog_copy.edit("departments.yaml", 'city: "{region}市场监督管理局", county: "{region}市场监督管理局"}', 'city: "{region}市场监督管理局"}')
    summary = catalog_sync(catalog=load_catalog(catalog_copy.root))
    assert summary["departments_retired"] == 60
    assert not Department.objects.get(code="220102-GSJ").active
    assert Department.objects.get(code="220100-GSJ").active


# ------------------------------------------------------------------ ingestion waits for sync
def test_an_item_changed_in_the_yaml_is_not_used_before_it_is_loaded(tmp_path, use_catalog, ingest, penalty_row):
    import shutil

    from django.conf import settings

    from xinyong.common.errors import XinyongError

    copy = tmp_path / "definitions"
    shutil.copytree(settings.XINYONG["CATALOG_DIR"], copy)
    path = copy / "items" / "shuanggongshi.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("label: 违法事实, type: text, required: true, max_length: 5000", "label: 违法事实, type: text, required: true, max_length: 4000"), encoding="utf-8")
    use_catalog(copy)
    with pytest.raises(XinyongError) as refused:
        ingest([penalty_row()])
    assert refused.value.code == "catalog_not_synced" and "catalog sync" in refused.value.message
    catalog_sync()
    assert ingest([penalty_row()]).accepted == 1
