"""Departments and levels (issue 2 item 2): every department the plan names as lead or partner,
the 9 cities/prefectures and 长白山, every county-level division with its GB/T 2260 code, and
each department with a level, a region and a parent of the same system one level up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import stdnum.cn

from xinyong.catalog.models import Department, Region

# The lead and partner departments the plan names (吉政发〔2014〕40号, seed text: every
# "（牵头部门:…，配合部门:…）" and "（…按职责分工负责）"), and those issue 2 adds.
PLAN_DEPARTMENTS = [
    "省发展改革委", "省教育厅", "省科技厅", "省公安厅", "省民政厅", "省司法厅", "省环保厅", "省统计局",
    "省工商局", "省质监局", "省金融办", "人民银行长春中心支行", "省法院", "省检察院", "省农委", "省文化厅",
    "省林业厅", "省新闻出版广电局", "省委宣传部", "省税务局",
]
# the sectors the plan asks to apply joint punishment (§四(八)): 发展改革、财政、金融、环境保护、
# 住房城乡建设、交通运输、商务、税务、质检、安全监管、海关、知识产权
SECTOR_SYSTEMS = ["FGW", "CZT", "JRB", "HBT", "ZJT", "JTT", "SWT", "SW", "ZJJ", "AJJ", "HG", "ZSCQ"]
SEED = Path("/work/shared/seed/000_8d9032dbc20a1041.txt")

CITIES = {
    "220100": "长春市", "220200": "吉林市", "220300": "四平市", "220400": "辽源市", "220500": "通化市",
    "220600": "白山市", "220700": "松原市", "220800": "白城市", "222400": "延边朝鲜族自治州",
}


def current_jilin_divisions() -> dict[str, str]:
    """Jilin's current county-level and prefecture-level divisions, from the GB/T 2260 data that
    python-stdnum ships (entries whose last name has no end year; 市辖区 placeholders left out)."""
    path = Path(stdnum.cn.__file__).parent / "loc.dat"
    out: dict[str, str] = {}
    province = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith(" "):
            province = line.split()[0]
            continue
        if province != "22":
            continue
        code, rest = line.split(None, 1)
        last = re.findall(r'(?:\[(\d*)-(\d*)\])?([^,"]+)', rest.split("=", 1)[1].strip('"'))[-1]
        if last[1] or last[2] == "市辖区":
            continue  # no longer exists
        out["22" + code] = last[2]
    return out


def test_every_department_the_plan_names_exists(catalog):
    provincial = {d.short_name: d for d in catalog.departments.values() if d.level == "province"}
    missing = [name for name in PLAN_DEPARTMENTS if name not in provincial]
    assert not missing
    for system in SECTOR_SYSTEMS:
        assert f"220000-{system}" in catalog.departments


@pytest.mark.skipif(not SEED.exists(), reason="the plan's text is not in this checkout")
def test_departments_named_in_the_plan_text(catalog):
    text = SEED.read_text(encoding="utf-8")
    named: set[str] = set()
    for group in re.findall(r"[(（]([^()（）]*(?:牵头部门|按职责分工负责)[^()（）]*)[)）]", text):
        group = re.sub(r"(牵头部门|配合部门)[:：]|按职责分工负责", "", group)
        named.update(n.strip() for n in re.split(r"[、,，]", group) if n.strip())
    named -= {"省直各部门", "省直相关部门", "各行业协会及商会"}
    assert len(named) >= 15
    provincial = {d.short_name for d in catalog.departments.values() if d.level == "province"}
    assert named <= provincial, named - provincial


def test_the_tax_bureaus(catalog):
    tax = catalog.departments["220000-SW"]
    assert "国税" in tax.name and "地税" in tax.name  # the 2018 merger of the two bureaus the plan knew
    assert catalog.departments["220100-SW"].name == "国家税务总局长春市税务局"
    assert catalog.departments["222401-SW"].name == "国家税务总局延吉市税务局"


def test_cities_prefectures_and_changbaishan(catalog):
    cities = {r.code: r.name for r in catalog.regions.values() if r.level == "city"}
    assert cities == {**CITIES, "229900": "长白山保护开发区管理委员会"}
    assert catalog.regions["229900"].gb2260 is False  # a functional zone, no GB/T 2260 code
    assert catalog.departments["229900-GSJ"].level == "city"


def test_every_current_division_with_its_gb2260_code(catalog):
    expected = current_jilin_divisions()
    listed = {r.code: r.name for r in catalog.regions.values() if r.gb2260}
    assert listed == expected
    counties = [r for r in catalog.regions.values() if r.level == "county"]
    assert len(counties) == 60  # 21 districts, 20 county-level cities, 16 counties, 3 autonomous counties
    for r in counties:
        assert re.fullmatch(r"22\d{4}", r.code)
        assert catalog.regions[r.parent].level == "city" and r.code[:4] == r.parent[:4]


def test_each_department_has_a_level_a_region_and_a_parent_one_level_up(catalog):
    for d in catalog.departments.values():
        region = catalog.regions[d.region]
        assert d.level == region.level, d.code
        if d.level == "province":
            assert d.parent is None
            continue
        parent = catalog.departments[d.parent]
        assert parent.system == d.system, d.code
        assert parent.level == {"city": "province", "county": "city"}[d.level], d.code
        assert parent.region == region.parent, d.code


@pytest.mark.parametrize("system", ["GSJ", "FY", "SW", "GAT", "HBT", "TJJ", "FGW"])
def test_systems_with_county_offices_have_one_in_every_county(catalog, system):
    counties = [r.code for r in catalog.regions.values() if r.level == "county"]
    cities = [r.code for r in catalog.regions.values() if r.level == "city"]
    for code in counties + cities:
        assert f"{code}-{system}" in catalog.departments


def test_department_names(catalog):
    assert catalog.departments["220000-GSJ"].short_name == "省工商局"
    assert catalog.departments["220000-GSJ"].name == "吉林省市场监督管理厅"  # the present name
    assert catalog.departments["220100-GSJ"].name == "长春市市场监督管理局"
    assert catalog.departments["220102-FY"].name == "长春市南关区人民法院"  # districts carry their city
    assert catalog.departments["220182-GSJ"].name == "榆树市市场监督管理局"
    assert catalog.departments["222400-FY"].name == "延边朝鲜族自治州中级人民法院"


def test_departments_in_the_database_mirror_the_registry(db, catalog):
    # the session's `catalog sync` loaded them
    assert Department.objects.filter(active=True).count() == len(catalog.departments)
    assert Region.objects.count() == len(catalog.regions)
    d = Department.objects.select_related("region", "parent").get(code="220102-GSJ")
    assert (d.level, d.region.name, d.parent.code, d.parent.parent.code) == ("county", "南关区", "220100-GSJ", "220000-GSJ")
    assert Department.objects.filter(level="county", parent__isnull=True).count() == 0


def test_no_office_where_a_system_has_none(catalog):
    # 人民银行长春中心支行 served 长春 itself; 长白山 has no branch
    assert "220100-RMYH" not in catalog.departments and "229900-RMYH" not in catalog.departments
    assert catalog.departments["220200-RMYH"].name == "人民银行吉林市中心支行"
    assert catalog.departments["220000-RMYH"].short_name == "人民银行长春中心支行"
