"""A mistake in an evaluation model file is refused when the models load, with the file, the line
and a Chinese reason (the catalog's style), so that whoever wrote it can find and fix it. Each
test makes one mistake in a small model that otherwise loads (`model_fixtures.SAMPLE`)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinyong.catalog.registry import get_catalog
from xinyong.evaluation.compile import compile_models
from xinyong.evaluation.loader import load_models

from .model_fixtures import OTHER, SAMPLE, dir_refusal, line_of, parse, refusal, replace, write


def test_the_sample_loads_and_compiles():
    model = parse(SAMPLE)
    assert model.code == "sample" and model.base_milli == 80_000
    compiled = compile_models([model])
    penalty_rules = [r for r in compiled.rules if r.indicator == "penalty"]
    assert {r.item_code for r in penalty_rules} == {c for c in get_catalog().items if c.startswith("penalty.")}
    assert {r.min_level for r in penalty_rules} == {1}  # negative: county level and up
    assert {r.min_level for r in compiled.rules if r.indicator == "honours"} == {2}  # positive: city and up
    assert {r.min_level for r in compiled.rules if r.indicator == "tax"} == {0}  # basic: any level


# ---------------------------------------------------------------- items, fields, values
@pytest.mark.parametrize(
    ("old", "new", "needle", "words"),
    [
        ("items: [tax_rating]", "items: [tax_ratings]", "tax_ratings", ["不存在的信息项 'tax_ratings'"]),
        ("items: [penalty.*]", "items: [fine.*]", "fine.*", ["模式 'fine.*'", "匹配不到"]),
        ("items: [tax_rating]", "items: [registration.mzt]", "registration.mzt", ["registration.mzt", "不适用于本模型的主体类型"]),
        ("items: [tax_rating]", "items: [traffic_violation]", "traffic_violation", ["不适用"]),
        ("items: [honour.*]", "items: [honour.gsj, honour.gsj]", "honour.gsj, honour.gsj", ["重复列出信息项 honour.gsj"]),
        ("items: [tax_rating]", "items: [42]", "items: [42]", ["应为信息项编码或模式"]),
        ("items: [tax_rating]", "items: []", "items: []", ["items 不能为空"]),
    ],
)
def test_bad_items(old, new, needle, words):
    text = replace(SAMPLE, old, new)
    file, line, reason = refusal(text)
    assert (file, line) == ("sample.yaml", line_of(text, needle))
    for w in words:
        assert w in reason


def test_pattern_matching_only_items_of_other_kinds_is_refused():
    text = replace(SAMPLE, "items: [tax_rating]", "items: [registration.m*]")
    file, line, reason = refusal(text)
    assert line == line_of(text, "registration.m*") and "都不适用于本模型的主体类型" in reason


def test_unknown_when_field():
    text = replace(SAMPLE, "when: grade", "when: grades")
    _, line, reason = refusal(text)
    assert line == line_of(text, "when: grades")
    assert "没有字段 'grades'" in reason and "tax_rating" in reason


def test_when_field_that_is_not_an_enum():
    text = replace(SAMPLE, "when: grade", "when: year")
    _, line, reason = refusal(text)
    assert line == line_of(text, "when: year") and "不是枚举字段" in reason


def test_unknown_value_of_the_when_field():
    text = replace(SAMPLE, "{A: 10, B: 5,", "{AA: 10, B: 5,")
    _, line, reason = refusal(text)
    assert line == line_of(text, "AA: 10")
    assert "没有取值 'AA'" in reason and "'M'" in reason  # names the choices


def test_when_with_a_flat_number_is_refused():
    text = replace(SAMPLE, "points: {A: 10, B: 5, M: 0, C: -10, D: -20}", "points: 10")
    _, line, reason = refusal(text)
    assert line == line_of(text, "points: 10") and "应为 {取值: 分值} 映射" in reason


def test_unknown_severity():
    text = replace(SAMPLE, "{严重: -30,", "{很严重: -30,")
    _, line, reason = refusal(text)
    assert line == line_of(text, "很严重")
    assert "未知的严重程度 '很严重'" in reason and "轻微" in reason


def test_severity_points_for_items_without_severity():
    text = replace(SAMPLE, "        points: 5\n", "        points: {严重: 5}\n")
    _, line, reason = refusal(text)
    assert line == line_of(text, "points: {严重: 5}") and "没有失信严重程度字段" in reason


def test_positive_points_for_negative_information():
    text = replace(SAMPLE, "一般: -10", "一般: 10")
    _, line, reason = refusal(text)
    assert line == line_of(text, "一般: 10") and "不良信息，不能加分" in reason


def test_negative_points_for_an_honour():
    text = replace(SAMPLE, "        points: 5\n", "        points: -5\n")
    _, line, reason = refusal(text)
    assert line == line_of(text, "points: -5") and "良好信息，不能减分" in reason


def test_item_never_disclosed_to_the_model():
    """Research misconduct is authorized-query information only; a model of public records
    would never count it."""
    text = replace(SAMPLE, "base: 80\n", "base: 80\ndisclosures: [public]\n")
    text = replace(text, "        points: 5\n", "        points: 5\n      - {code: misconduct, name: 科研失信, items: [research_misconduct], points: -5}\n")
    _, line, reason = refusal(text)
    assert line == line_of(text, "items: [research_misconduct]")
    assert "research_misconduct" in reason and "永远不会计分" in reason
    # a pattern silently leaves out what the model may not see, but not everything
    assert parse(replace(text, "items: [research_misconduct]", "items: [research_*, penalty.gsj]"))


def test_unknown_disclosure_class():
    text = replace(SAMPLE, "base: 80\n", "base: 80\ndisclosures: [public, secret]\n")
    _, line, reason = refusal(text)
    assert line == line_of(text, "disclosures:") and "secret" in reason


def test_unknown_subject_kind():
    text = replace(SAMPLE, "subject_kinds: [enterprise]", "subject_kinds: [enterprize]")
    _, line, reason = refusal(text)
    assert line == line_of(text, "subject_kinds:") and "未知的主体类型 ['enterprize']" in reason


def test_a_rule_that_can_never_count_is_refused():
    """An item under two indicators: its records all count under the first one."""
    text = replace(SAMPLE, "        points: 5\n", "        points: 5\n      - {code: more_tax, name: 纳税, items: [tax_rating], when: grade, points: {A: 1}}\n")
    _, line, reason = refusal(text)
    assert line == line_of(text, "code: more_tax")
    assert "永远不会计入本指标" in reason and "tax_rating（A）" in reason and "指标 tax（" in reason
    # a penalty under two indicators, by severity: the second one only gets what the first leaves
    text = replace(SAMPLE, "        points: 5\n", "        points: 5\n      - {code: serious, name: 严重处罚, items: [penalty.gsj], points: {严重: -40}}\n")
    _, line, reason = refusal(text)
    assert line == line_of(text, "code: serious") and "penalty.gsj（严重）" in reason
    text = replace(text, "{严重: -30, 一般: -10, 轻微: -3}", "{一般: -10, 轻微: -3}")
    assert parse(text)


def test_unknown_level():
    text = replace(SAMPLE, "base: 80\n", "base: 80\nrecognition: {positive: town, negative: county}\n")
    _, line, reason = refusal(text)
    assert line == line_of(text, "recognition:") and "'town'" in reason


# ---------------------------------------------------------------- lists, models, cycles
def test_unknown_list():
    text = replace(SAMPLE, "list: dishonest_debtors", "list: dishonest_debtor")
    _, line, reason = refusal(text)
    assert line == line_of(text, "list: dishonest_debtor")
    assert "没有名单 'dishonest_debtor'" in reason and "dishonest_debtors" in reason


def test_override_grade_not_of_the_model():
    text = replace(SAMPLE, "set: C,", "set: D,")
    _, line, reason = refusal(text)
    assert line == line_of(text, "set: D") and "'D' 不是本模型的等级" in reason


def test_override_with_both_list_and_model():
    text = replace(SAMPLE, "{list: dishonest_debtors,", "{list: dishonest_debtors, model: other, grades: [坏],")
    _, line, reason = refusal(text)
    assert line == line_of(text, "model: other") and "二者之一" in reason


def _with_dependency(text: str, model: str, grades: str) -> str:
    return text.rstrip("\n") + f"\n  - {{model: {model}, grades: {grades}, at_most: B, reason: 另一模型的等级}}\n"


def test_override_naming_an_unknown_model(tmp_path):
    sample = _with_dependency(SAMPLE, "others", "[坏]")
    file, line, reason = dir_refusal(write(tmp_path, {"sample.yaml": sample, "other.yaml": OTHER}))
    assert (file, line) == ("sample.yaml", line_of(sample, "model: others"))
    assert "不存在的模型 'others'" in reason


def test_override_naming_an_unknown_grade_of_the_other_model(tmp_path):
    sample = _with_dependency(SAMPLE, "other", "[差]")
    file, line, reason = dir_refusal(write(tmp_path, {"sample.yaml": sample, "other.yaml": OTHER}))
    assert (file, line) == ("sample.yaml", line_of(sample, "model: other"))
    assert "模型 other 没有等级 ['差']" in reason


def test_a_dependency_loads_and_runs_in_a_later_stage(tmp_path):
    sample = _with_dependency(SAMPLE, "other", "[坏]")
    models = load_models(write(tmp_path, {"sample.yaml": sample, "other.yaml": OTHER}), get_catalog())
    compiled = compile_models(models)
    assert {m.model: m.stage for m in compiled.models} == {"other": 0, "sample": 1}
    (row,) = [o for o in compiled.overrides if o.dep_model]
    assert (row.model, row.seq, row.dep_model, row.dep_grade, row.action, row.grade) == ("sample", 2, "other", "坏", "at_most", "B")


def test_a_cycle_among_models(tmp_path):
    sample = _with_dependency(SAMPLE, "other", "[坏]")
    other = OTHER + "overrides:\n  - {model: sample, grades: [C], set: 坏, reason: 循环}\n"
    file, line, reason = dir_refusal(write(tmp_path, {"sample.yaml": sample, "other.yaml": other}))
    assert "循环引用" in reason
    assert "other → sample → other" in reason or "sample → other → sample" in reason
    assert (file, line) in {("sample.yaml", line_of(sample, "model: other")), ("other.yaml", line_of(other, "model: sample"))}


def test_a_three_model_cycle(tmp_path):
    a = replace(OTHER, "code: other", "code: a") + "overrides:\n  - {model: b, grades: [好], at_most: 坏, reason: x}\n"
    b = replace(OTHER, "code: other", "code: b") + "overrides:\n  - {model: c, grades: [好], at_most: 坏, reason: x}\n"
    c = replace(OTHER, "code: other", "code: c") + "overrides:\n  - {model: a, grades: [好], at_most: 坏, reason: x}\n"
    file, line, reason = dir_refusal(write(tmp_path, {"a.yaml": a, "b.yaml": b, "c.yaml": c}))
    assert (file, line) == ("c.yaml", line_of(c, "model: a"))
    assert "a → b → c → a" in reason


def test_a_model_depending_on_itself(tmp_path):
    sample = _with_dependency(SAMPLE, "sample", "[C]")
    file, line, reason = dir_refusal(write(tmp_path, {"sample.yaml": sample}))
    assert (file, line) == ("sample.yaml", line_of(sample, "model: sample")) and "sample → sample" in reason


def test_duplicate_model_code_across_files(tmp_path):
    file, line, reason = dir_refusal(write(tmp_path, {"a.yaml": SAMPLE, "b.yaml": SAMPLE}))
    assert (file, line) == ("b.yaml", 1) and "重复的模型编码 sample" in reason and "a.yaml:1" in reason


# ---------------------------------------------------------------- grades
@pytest.mark.parametrize(
    ("old", "new", "needle", "words"),
    [
        ("{code: B, name: 良, from: 70, to: 90}", "{code: B, name: 良, from: 70, to: 95}", "code: B", ["区间重叠", "[90, 95)"]),
        ("{code: B, name: 良, from: 70, to: 90}", "{code: B, name: 良, from: 70, to: 85}", "code: B", ["缺少区间", "[85, 90)"]),
        ("{code: A, name: 优, from: 90, to: 100}", "{code: A, name: 优, from: 90, to: 99.5}", "code: A", ["上界 99.5 应等于评分上限 100"]),
        ("{code: A, name: 优, from: 90, to: 100}", "{code: A, name: 优, from: 90, to: 110}", "code: A", ["超出了评分范围"]),
        ("{code: C, name: 差, from: 0, to: 70}", "{code: C, name: 差, from: 10, to: 70}", "code: C", ["下界 10 应等于评分下限 0"]),
        ("{code: B, name: 良, from: 70, to: 90}", "{code: B, name: 良, from: 90, to: 90}", "code: B", ["为空"]),
        ("{code: B, name: 良, from: 70, to: 90}", "{code: A, name: 良, from: 70, to: 90}", "name: 良", ["重复的等级编码 A"]),
        ("{code: A, name: 优, from: 90, to: 100}", "{code: A, name: 优, from: 90, to: 100, colour: green}", "colour", ["未知的键 ['colour']"]),
        ("{code: C, name: 差, from: 0, to: 70}", "{code: C, name: 差, to: 70}", "code: C", ["缺少 from"]),
    ],
)
def test_bad_grades(old, new, needle, words):
    text = replace(SAMPLE, old, new)
    _, line, reason = refusal(text)
    assert line == line_of(text, needle), reason
    for w in words:
        assert w in reason


def test_grades_in_the_wrong_order():
    text = replace(
        SAMPLE,
        "  - {code: A, name: 优, from: 90, to: 100}\n  - {code: B, name: 良, from: 70, to: 90}\n  - {code: C, name: 差, from: 0, to: 70}\n",
        "  - {code: A, name: 优, from: 90, to: 100}\n  - {code: C, name: 差, from: 0, to: 70}\n  - {code: B, name: 良, from: 70, to: 90}\n",
    )
    _, line, reason = refusal(text)
    assert line == line_of(text, "code: B") and "从优到差" in reason


# ---------------------------------------------------------------- numbers that do not parse
@pytest.mark.parametrize(
    ("old", "new", "needle", "words"),
    [
        ("一般: -10", "一般: ten", "一般: ten", ["应为数字", "'ten'"]),
        ("一般: -10", "一般: -10.25", "一般: -10.25", ["最多一位小数"]),
        ("一般: -10", "一般: .nan", "一般: .nan", ["有限的数字"]),
        ("一般: -10", "一般: '-10'", "一般: '-10'", ["应为数字"]),
        ("        points: 5\n", "        points: true\n", "points: true", ["应为数字"]),
        ("decay: [100, 50]", "decay: [100, 120]", "decay:", ["第2年", "0 至 100 的整数"]),
        ("decay: [100, 50]", "decay: [50, 100]", "decay:", ["不能随年份增加（第1年 50%，第2年 100%）"]),
        ("decay: [100, 50]", "decay: [100, 50.5]", "decay:", ["0 至 100 的整数"]),
        ("decay: [100, 50]", "decay: [100, -1]", "decay:", ["0 至 100 的整数"]),
        ("decay: [100, 50]", "decay: [150]", "decay:", ["0 至 100 的整数"]),
        ("decay: [100, 50]", "decay: 100", "decay:", ["应为列表"]),
        ("decay: [100, 50]", "decay: []", "decay:", ["不能为空"]),
        ("        min: -60\n", "        min: lots\n", "min: lots", ["下限 min", "应为数字"]),
        ("        min: -60\n", "        min: -60\n        max: -70\n", "max: -70", ["上限 max -70 小于下限 min -60"]),
        ("    min: -80\n", "    min: -80.05\n", "min: -80.05", ["维度 supervision", "最多一位小数"]),
        ("    min: -80\n", "    min: 5\n", "min: 5", ["维度 supervision", "下限 min 不能大于 0"]),
        ("    name: 荣誉\n    max: 10", "    name: 荣誉\n    max: -10", "max: -10", ["维度 honours", "上限 max 不能小于 0"]),
        ("scale: {min: 0, max: 100}", "scale: {min: 0, max: 0}", "scale:", ["min 应小于 max"]),
        ("base: 80", "base: 120", "base: 120", ["不在评分范围 [0, 100] 内"]),
        ("base: 80", "base: '80'", "base: '80'", ["应为数字"]),
        ("{code: B, name: 良, from: 70, to: 90}", "{code: B, name: 良, from: 70, to: 9O}", "9O", ["上界 to", "应为数字"]),
        ("count: latest", "count: newest", "count: newest", ["each", "latest", "'newest'"]),
    ],
)
def test_numbers_that_do_not_parse(old, new, needle, words):
    text = replace(SAMPLE, old, new)
    _, line, reason = refusal(text)
    assert line == line_of(text, needle), reason
    for w in words:
        assert w in reason, reason


def test_an_unquoted_version_is_refused():
    """`version: 2026.10` would be read as the number 2026.1."""
    text = replace(SAMPLE, 'version: "1"', "version: 2026.10")
    _, line, reason = refusal(text)
    assert line == line_of(text, "version:") and "带引号" in reason


# ---------------------------------------------------------------- duplicates, unknown keys, syntax
@pytest.mark.parametrize(
    ("old", "new", "needle", "words"),
    [
        ("        points: {严重: -30,", "        pionts: {严重: -30,", "pionts", ["未知的键 ['pionts']"]),
        ("    name: 荣誉\n    max: 10", "    name: 荣誉\n    cap: 10", "cap: 10", ["未知的键 ['cap']"]),
        ("base: 80", "base: 80\nbais: 80", "bais", ["未知的键 ['bais']"]),
        ("scale: {min: 0, max: 100}", "scale: {min: 0, max: 100, step: 1}", "scale:", ["未知的键 ['step']"]),
        ("reason: 列入失信被执行人名单}", "reason: 列入失信被执行人名单, until: 2027}", "until", ["未知的键 ['until']"]),
        ("  - code: honours\n    name: 荣誉", "  - code: supervision\n    name: 荣誉", ("code: supervision", 2), ["重复的维度编码 supervision"]),
        ("      - code: tax\n", "      - code: penalty\n", ("code: penalty", 2), ["重复的指标编码 penalty"]),
        ("        count: latest\n", "        count: latest\n        count: each\n", "count: each", ["重复的键 'count'"]),
        ("code: sample", "code: Sample", "code: Sample", ["模型编码 'Sample'"]),
        ("      - code: tax\n", "      - code: Tax\n", "code: Tax", ["指标编码 'Tax'"]),
        ("        name: 纳税信用\n", "", "code: tax", ["指标 tax 缺少 name"]),
        ("legal_basis: 测试依据\n", "", "code: sample", ["缺少 legal_basis"]),
        ("        points: 5\n", "        points: [5\n", "points: [5", ["YAML 语法错误"]),
    ],
)
def test_duplicates_unknown_keys_and_syntax(old, new, needle, words):
    text = replace(SAMPLE, old, new)
    _, line, reason = refusal(text)
    expected = line_of(text, *needle) if isinstance(needle, tuple) else line_of(text, needle)
    assert line in ({expected, expected + 1} if "YAML" in words[0] else {expected}), reason
    for w in words:
        assert w in reason, reason


# ---------------------------------------------------------------- properties
LOW = st.integers(-1000, 1000)


@st.composite
def tilings(draw):
    """A scale [low, high] in tenths and grades that tile it exactly, best first."""
    low = draw(LOW) * 100  # milli-points, one decimal place
    high = low + draw(st.integers(1, 2000)) * 100
    inner = draw(st.lists(st.integers(low // 100 + 1, high // 100 - 1).map(lambda v: v * 100), unique=True, max_size=6)) if high - low > 100 else []
    cuts = sorted({low, high, *inner}, reverse=True)
    return low, high, list(zip(cuts[1:], cuts[:-1], strict=True))  # (from, to), best first


def _text(m: int) -> str:
    return str(Decimal(m) / 1000)


def _tiled(low: int, high: int, grades: list[tuple[int, int]]) -> str:
    text = replace(SAMPLE, "scale: {min: 0, max: 100}", f"scale: {{min: {_text(low)}, max: {_text(high)}}}")
    text = replace(text, "base: 80", f"base: {_text(low)}")
    head, _, tail = text.partition("grades:\n")
    lines = "".join(f"  - {{code: G{n}, name: 等级{n}, from: {_text(a)}, to: {_text(b)}}}\n" for n, (a, b) in enumerate(grades))
    return head + "grades:\n" + lines + "overrides:\n  - {list: dishonest_debtors, set: G0, reason: 测试}\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tilings())
def test_any_tiling_of_the_scale_loads(tiling):
    low, high, grades = tiling
    model = parse(_tiled(low, high, grades))
    assert [(g.from_milli, g.to_milli) for g in model.grades] == grades
    rows = compile_models([model]).grades
    assert [r.rank for r in rows] == list(range(1, len(grades) + 1))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tilings(), st.data())
def test_any_gap_or_overlap_is_refused_at_its_line(tiling, data):
    low, high, grades = tiling
    # move one boundary (a grade's `from` or `to`) by a non-zero amount of tenths
    index = data.draw(st.integers(0, len(grades) - 1))
    end = data.draw(st.sampled_from([0, 1]))
    delta = data.draw(st.integers(-50, 50).filter(bool)) * 100
    moved = list(grades)
    a, b = moved[index]
    moved[index] = (a + delta, b) if end == 0 else (a, b + delta)
    text = _tiled(low, high, moved)
    _, line, reason = refusal(text)
    assert "等级" in reason
    grade_lines = {line_of(text, f"code: G{n},") for n in range(len(grades))}
    assert line in grade_lines, reason


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 100), min_size=1, max_size=8))
def test_decay_loads_when_it_never_increases_and_is_refused_otherwise(pcts):
    text = replace(SAMPLE, "decay: [100, 50]", f"decay: {pcts}")
    if all(x >= y for x, y in zip(pcts, pcts[1:], strict=False)):
        rows = compile_models([parse(text)]).decay
        assert [(r.year, r.pct) for r in rows if r.indicator == "penalty"] == list(enumerate(pcts))
    else:
        _, line, reason = refusal(text)
        assert line == line_of(text, "decay:") and "随年份增加" in reason


@settings(max_examples=80, deadline=None)
@given(st.decimals(min_value=-999, max_value=0, places=2, allow_nan=False, allow_infinity=False))
def test_points_with_at_most_one_decimal_are_exact(value):
    text = replace(SAMPLE, "一般: -10", f"一般: {value}")
    if value == value.quantize(Decimal("0.1")):
        rules = [r for r in compile_models([parse(text)]).rules if r.indicator == "penalty" and r.severity == "一般"]
        assert {r.points_milli for r in rules} == {int(value * 1000)}
    else:
        _, line, reason = refusal(text)
        assert line == line_of(text, "一般:") and "最多一位小数" in reason
