"""The shipped evaluation models load against the shipped catalog, compile, are documented, and
the `xinyong evaluate` command shows and checks them."""

from __future__ import annotations

import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from xinyong.catalog.registry import get_catalog
from xinyong.evaluation.compile import compile_models
from xinyong.evaluation.compiled import LEVEL_RANK
from xinyong.evaluation.loader import get_models, load_models
from xinyong.evaluation.loader import points_text as _text

from .model_fixtures import SHIPPED

DOC = Path(__file__).resolve().parents[2] / "docs" / "evaluation.md"
EXPECTED = {
    "baseline.enterprise", "environmental", "statistics", "social_organization", "research_integrity",
    "credit_service_agency",
}


@pytest.fixture(scope="module")
def shipped():
    return load_models(SHIPPED, get_catalog())


def test_the_six_models_load_and_compile(shipped):
    assert set(shipped) == EXPECTED
    compiled = compile_models(shipped)
    assert {m.model for m in compiled.models} == EXPECTED
    stage = {m.model: m.stage for m in compiled.models}
    # the baseline looks at the environmental grade, so it runs after it
    assert stage["baseline.enterprise"] > stage["environmental"] == 0
    for model in shipped.values():
        assert model.legal_basis and model.name and model.version
        rules = [r for r in compiled.rules if r.model == model.code]
        assert sorted(r.rule_no for r in rules) == list(range(1, len(rules) + 1))
        grades = [g for g in compiled.grades if g.model == model.code]
        assert grades[0].to_milli == model.max_milli and grades[-1].from_milli == model.min_milli


def test_the_baseline_follows_the_plan(shipped):
    """Honours from city level up, negative information from county level up; a serious penalty
    weighs more than a general one; grades A 优 / B 良 / C 中 / D 差."""
    rules = [r for r in compile_models(shipped).rules if r.model == "baseline.enterprise"]
    catalog = get_catalog()
    for r in rules:
        nature = catalog.items[r.item_code].nature
        expected = {"positive": LEVEL_RANK["city"], "negative": LEVEL_RANK["county"]}.get(nature, 0)
        assert r.min_level == expected, r
    penalty = {r.severity: r.points_milli for r in rules if r.item_code == "penalty.gsj"}
    assert penalty["严重"] < penalty["一般"] < 0
    base = shipped["baseline.enterprise"]
    assert [(g.code, g.name) for g in base.grades] == [("A", "优"), ("B", "良"), ("C", "中"), ("D", "差")]
    assert [o.list_code or o.model for o in base.overrides][:3] == ["dishonest_debtors", "serious_violation", "environmental"]
    assert [(g.code, g.name) for g in shipped["environmental"].grades] == [
        ("环保诚信企业", "诚信（绿牌）"), ("环保良好企业", "良好（蓝牌）"), ("环保警示企业", "警示（黄牌）"), ("环保不良企业", "不良（红牌）"),
    ]
    assert shipped["research_integrity"].subject_kinds == ("individual",)


def test_every_shipped_model_is_in_the_documentation(shipped):
    doc = DOC.read_text(encoding="utf-8")
    for model in shipped.values():
        assert f"### `{model.code}` — {model.name}" in doc, model.code
        # the documented scale, base and thresholds are those of the file
        scale = f"Scale {_text(model.min_milli)}–{_text(model.max_milli)}, base {_text(model.base_milli)}."
        grades = "; ".join(
            f"{g.code}（{g.name}）[{_text(g.from_milli)}, {_text(g.to_milli)}{']' if g.to_milli == model.max_milli else ')'}" for g in model.grades
        )
        section = doc.split(f"### `{model.code}`", 1)[1].split("\n### ", 1)[0]
        assert scale in section and f"Grades: {grades}." in section, model.code
        for ind in model.indicators:
            assert f"| {ind.name} | {', '.join(f'`{i}`' for i in ind.items)} |" in section, (model.code, ind.code)


def test_get_models_is_cached_and_reloads_when_a_file_changes(tmp_path, settings):
    directory = tmp_path / "models"
    shutil.copytree(SHIPPED, directory)
    settings.XINYONG = {**settings.XINYONG, "EVALUATION_MODELS_DIR": str(directory)}
    first = get_models()
    assert get_models() is first
    path = directory / "statistics.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("name: 企业统计信用评价", "name: 企业统计信用评价（修订）"), encoding="utf-8")
    again = get_models()
    assert again is not first and again["statistics"].name == "企业统计信用评价（修订）"


def test_the_evaluate_command_lists_and_checks(tmp_path, settings):
    out = StringIO()
    call_command("evaluate", "check", stdout=out)
    assert "评价模型有效：6 个模型" in out.getvalue()
    out = StringIO()
    call_command("evaluate", "models", stdout=out)
    assert "baseline.enterprise" in out.getvalue() and "A 优 / B 良 / C 中 / D 差" in out.getvalue()
    out = StringIO()
    call_command("evaluate", "models", "--json", stdout=out)
    data = json.loads(out.getvalue())
    baseline = next(m for m in data["models"] if m["code"] == "baseline.enterprise")
    penalty = next(i for d in baseline["dimensions"] for i in d["indicators"] if i["code"] == "penalty")
    assert penalty["points"] == {"严重": "-150", "一般": "-50", "轻微": "-10"} and penalty["decay"] == [100, 60, 30]
    # a broken file: the command says where
    directory = tmp_path / "models"
    shutil.copytree(SHIPPED, directory)
    path = directory / "statistics.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("items: [stats_rating]", "items: [stat_rating]"), encoding="utf-8")
    settings.XINYONG = {**settings.XINYONG, "EVALUATION_MODELS_DIR": str(directory)}
    with pytest.raises(CommandError, match=r"^statistics\.yaml:\d+: .*不存在的信息项 'stat_rating'"):
        call_command("evaluate", "check", stdout=StringIO())


def test_definition_files_are_looked_at_again_only_after_the_recheck_interval(tmp_path, settings):
    directory = tmp_path / "models"
    shutil.copytree(SHIPPED, directory)
    settings.XINYONG = {**settings.XINYONG, "EVALUATION_MODELS_DIR": str(directory), "DEFINITIONS_RECHECK_SECONDS": 3600}
    first = get_models()
    path = directory / "statistics.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("name: 企业统计信用评价", "name: 企业统计信用评价（修订）"), encoding="utf-8")
    assert get_models() is first  # inside the interval: the files are not looked at
    settings.XINYONG = {**settings.XINYONG, "DEFINITIONS_RECHECK_SECONDS": 0}
    assert get_models()["statistics"].name == "企业统计信用评价（修订）"
