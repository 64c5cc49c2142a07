"""The templates file: every matter type of the measures catalog has a template, and mistakes are
refused at load with the file, the line and the reason."""

from __future__ import annotations

import pytest
from django.core import checks

from xinyong.commitments.templates import (
    TEMPLATES_FILE,
    check_templates,
    get_templates,
    load_templates,
)
from xinyong.common.errors import CatalogError
from xinyong.measures.loader import get_measures

pytestmark = pytest.mark.django_db

GOOD = """version: "1"
templates:
  - code: t.one
    matter: licensing
    kind: approval_substitute
    name: 测试承诺书
    legal_basis: 国办发〔2019〕35号
    validity_months: 12
    text: "{subject_name}（{subject_code}）承诺，办件{case_no}。"
    breach: {item: commitment_breach, severity: 一般}
"""


def test_every_matter_type_has_a_template_and_the_shipped_file_loads():
    templates = get_templates()
    assert set(get_measures().matters) <= {t.matter for t in templates.templates.values()}
    assert {t.kind for t in templates.templates.values()} >= {"approval_substitute", "incomplete_materials", "certification_substitute", "repair"}
    assert check_templates() == []


@pytest.mark.parametrize(("change", "where", "reason"), [
    (("matter: licensing", "matter: nothing"), "templates.yaml:4", "事项类型 nothing 未定义"),
    (("kind: approval_substitute", "kind: promise"), "templates.yaml:5", "kind 应为"),
    (("办件{case_no}", "办件{case}"), "templates.yaml:9", "未知的占位符 ['case']"),
    (("办件{case_no}", "办件"), "templates.yaml:9", "缺少占位符 ['case_no']"),
    (("validity_months: 12", "validity_months: -1"), "templates.yaml:8", "validity_months"),
    (("severity: 一般", "severity: 很严重"), "templates.yaml:10", "breach.severity"),
    (("item: commitment_breach", "item: honour"), "templates.yaml:10", "应为不良信息"),
    (("severity: 一般}", "severity: 一般, focus_list: env_warning, focus_basis: x}"), "templates.yaml:10", "由部门认定的重点关注名单"),
    (("severity: 一般}", "severity: 一般, focus_list: abnormal_operations}"), "templates.yaml:10", "须写明 focus_basis"),
    (("name: 测试承诺书", "name: 测试承诺书\n    colour: red"), "templates.yaml:7", "未知的键 ['colour']"),
])
def test_a_mistake_is_refused_with_file_line_and_reason(change, where, reason):
    text = GOOD.replace(*change)
    with pytest.raises(CatalogError) as exc:
        load_templates(TEMPLATES_FILE, text=text)
    assert exc.value.message.startswith(where) and reason in exc.value.message, exc.value.message


def test_the_good_example_loads_and_a_duplicate_code_is_refused():
    loaded = load_templates(TEMPLATES_FILE, text=GOOD)
    assert loaded.templates["t.one"].validity_label == "12个月"
    with pytest.raises(CatalogError, match="重复的承诺书范本 t.one"):
        load_templates(TEMPLATES_FILE, text=GOOD + GOOD.split("templates:\n", 1)[1])


def test_the_system_check_reports_a_broken_file(monkeypatch, tmp_path):
    from xinyong.commitments import templates

    broken = tmp_path / "templates.yaml"
    broken.write_text(GOOD.replace("kind: approval_substitute", "kind: x"), encoding="utf-8")
    monkeypatch.setattr(templates, "TEMPLATES_FILE", broken)
    templates._cache.clear()
    errors = check_templates()
    templates._cache.clear()
    assert [e.id for e in errors] == ["commitments.E001"] and isinstance(errors[0], checks.Error)
