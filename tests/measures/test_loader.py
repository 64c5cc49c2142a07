"""The measures catalog as shipped loads, covers every matter type the plan names, and a mistake
is refused with "file:line: reason" in Chinese."""

from __future__ import annotations

import shutil

import pytest

from xinyong.common.errors import CatalogError
from xinyong.measures.loader import DEFAULT_DIR, load_measures

PLAN_MATTERS = {"日常监管", "行政许可", "资质等级评定", "招标采购", "资金扶持", "公共资源交易", "进出口管理", "评先评优", "定期检验"}


def test_the_shipped_catalog_covers_every_matter_and_only_national_measures(db):
    catalog = load_measures()
    assert PLAN_MATTERS <= {m.name for m in catalog.matters.values()}
    used = {m for r in catalog.rules for m in r.measures}
    assert used <= set(catalog.measures)
    assert {r.matter for r in catalog.rules} >= {m.code for m in catalog.matters.values() if m.name in PLAN_MATTERS}
    assert {r.trigger.kind for r in catalog.rules} == {"list", "grade"}
    assert all(r.legal_basis for r in catalog.rules)


@pytest.fixture
def defs(tmp_path):
    for p in DEFAULT_DIR.glob("*.yaml"):
        shutil.copy(p, tmp_path / p.name)

    def edit(name: str, old: str, new: str):
        path = tmp_path / name
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return tmp_path

    return edit


def line_of(path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if needle in line)


@pytest.mark.parametrize(
    ("name", "old", "new", "reason"),
    [
        ("catalog.yaml", "tendering: {measures: [procurement_limit, tendering_limit], departments: [FGW, CZT, ZJT, JTT, SLT, GZW]}",
         "tendering: {measures: [procurement_limit, blacklist_everything], departments: [FGW, CZT, ZJT, JTT, SLT, GZW]}", "不在全国基础清单中"),
        ("catalog.yaml", "awards: {measures: [honour_ban], departments: [FGW, RST, GSJ, XCB]}",
         "awards: {measures: [subsidy_limit], departments: [FGW, RST, GSJ, XCB]}", "全国基础清单未规定在“评先评优”中实施措施 subsidy_limit"),
        ("catalog.yaml", "licensing: {measures: [green_channel, tolerance_acceptance], departments: [FGW, GSJ, ZJT, SW]}",
         "licensing: {measures: [stricter_review], departments: [FGW, GSJ, ZJT, SW]}", "不能触发失信惩戒措施"),
        ("catalog.yaml", "import_export: {measures: [customs_strict], departments: [HG]}",
         "import_export: {measures: [customs_strict], departments: [GSJ]}", "条线 GSJ 没有“进出口管理”的核查职责"),
        ("catalog.yaml", "  - list: stats_serious", "  - list: stats_everything", "未知的名单 stats_everything"),
        ("catalog.yaml", "    grades: [D]\n    legal_basis: 《统计信用管理办法》", "    grades: [Z]\n    legal_basis: 《统计信用管理办法》", "没有等级 ['Z']"),
        ("catalog.yaml", "      periodic_inspection: {measures: [inspection_strict], departments: [ZJJ, GSJ]}",
         "      lottery: {measures: [inspection_strict], departments: [ZJJ, GSJ]}", "未知的事项类型 lottery"),
        ("catalog.yaml", "    legal_basis: 《科研失信行为调查处理规则》（国科发监〔2022〕221号）第二十三条\n", "", "缺少 legal_basis"),
        ("catalog.yaml", "      funding: {measures: [subsidy_limit], departments: [KJT, CZT]}",
         "      funding: {measures: [subsidy_limit], departments: [KJT, CZT], basis: x}", "未知的键 ['basis']"),
        ("matters.yaml", "remit: [HG, SWT]", "remit: [HG, XYZ]", "未知的条线 ['XYZ']"),
        ("national.yaml", "    kind: incentive\n    matters: [import_export]", "    kind: reward\n    matters: [import_export]", "kind 应为 punishment"),
    ],
)
def test_mistakes_are_refused_with_file_line_and_reason(db, defs, name, old, new, reason):
    directory = defs(name, old, new)
    with pytest.raises(CatalogError) as err:
        load_measures(directory)
    message = err.value.message
    assert reason in message, message
    assert message.startswith(f"{name}:") or message.split(":")[0] in {"catalog.yaml", "matters.yaml", "national.yaml"}, message
    assert int(message.split(":")[1]) > 0, message


def test_the_line_is_the_line_of_the_mistake(db, defs):
    directory = defs("catalog.yaml", "import_export: {measures: [customs_strict], departments: [HG]}", "import_export: {measures: [customs_strict], departments: [GSJ]}")
    with pytest.raises(CatalogError) as err:
        load_measures(directory)
    assert err.value.message.startswith(f"catalog.yaml:{line_of(directory / 'catalog.yaml', 'departments: [GSJ]}')}:")


def test_a_trigger_declared_twice_for_a_matter_is_refused(db, defs):
    directory = defs("catalog.yaml", "  - list: env_warning\n", "  - list: env_warning\n    legal_basis: 重复的定义\n    matters:\n      awards: {measures: [honour_ban], departments: [HBT]}\n  - list: env_warning\n")
    text = (directory / "catalog.yaml").read_text(encoding="utf-8")
    # the original env_warning entry keeps its matters; add daily_supervision to the first copy too
    (directory / "catalog.yaml").write_text(text.replace("awards: {measures: [honour_ban], departments: [HBT]}", "daily_supervision: {measures: [key_supervision], departments: [HBT]}", 1), encoding="utf-8")
    with pytest.raises(CatalogError, match="同一触发条件和事项重复定义"):
        load_measures(directory)


def test_the_fast_uscc_check_agrees_with_python_stdnum():
    import random

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from xinyong.demo.codes import make_uscc
    from xinyong.measures.services import _USCC_ALPHABET, fast_uscc
    from xinyong.subjects.identifiers import InvalidCode, clean_uscc

    def stdnum_ok(code: str) -> bool:
        try:
            return clean_uscc(code) == code
        except InvalidCode:
            return False

    rng = random.Random(5)
    valid = [make_uscc(rng, region="220102", prefix=p) for p in ("91", "92", "12", "51") for _ in range(50)]
    assert all(fast_uscc(c) == c for c in valid)

    @settings(max_examples=300, deadline=None)
    @given(st.sampled_from(valid), st.integers(0, 17), st.sampled_from(_USCC_ALPHABET + "IOZSVa-"))
    def agree(code, position, char):
        changed = code[:position] + char + code[position + 1 :]
        assert (fast_uscc(changed) is not None) == stdnum_ok(changed) or changed != changed.upper()

    agree()
