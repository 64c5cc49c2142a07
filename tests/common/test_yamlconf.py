"""The shared checks of definition files (common/yamlconf.py): each refusal says the file and
the line of what is wrong, whichever loader (evaluation models, measures, commitment templates)
asks."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinyong.common.errors import CatalogError
from xinyong.common.yamlconf import load_yaml, spec_keys, spec_text

DOC = """\
name: "  环境信用评价  "
blank: ""
count: 3
nested:
  code: a
  colour: red
"""


def _doc():
    return load_yaml(Path("demo.yaml"), text=DOC, name="demo.yaml")


def test_a_text_is_stripped_and_an_optional_one_may_be_absent():
    doc = _doc()
    assert spec_text(doc, "name", "模型") == "环境信用评价"
    assert spec_text(doc, "description", "模型", required=False) == ""
    assert spec_text(doc, "blank", "模型", required=False) == ""


def test_a_missing_text_is_refused_at_the_mapping_or_where_the_caller_says():
    doc = _doc()
    with pytest.raises(CatalogError, match=r"^demo\.yaml:1: 模型缺少 description$"):
        spec_text(doc, "description", "模型")
    with pytest.raises(CatalogError, match=r"^models/x\.yaml:7: 模型缺少 blank$"):
        spec_text(doc, "blank", "模型", here="models/x.yaml:7")


def test_a_text_that_is_not_text_is_refused_at_its_own_line():
    with pytest.raises(CatalogError, match=r"^demo\.yaml:3: 模型的 count 应为文字，而不是 3$"):
        spec_text(_doc(), "count", "模型")


def test_an_unknown_key_is_refused_at_its_line_with_the_allowed_ones():
    nested = _doc()["nested"]
    spec_keys(nested, {"code", "colour"}, "事项")
    with pytest.raises(CatalogError, match=r"^demo\.yaml:6: 事项中有未知的键 \['colour'\]（可用: code, name）$"):
        spec_keys(nested, {"code", "name"}, "事项")


@given(st.one_of(st.lists(st.text()), st.text(), st.integers(), st.none()))
def test_what_is_not_a_mapping_is_refused_as_such(value):
    with pytest.raises(CatalogError, match="应为映射"):
        spec_keys(value, {"code"}, "事项")


def test_a_date_that_does_not_exist_is_refused_with_its_file_and_line():
    with pytest.raises(CatalogError) as caught:
        load_yaml("calendar.yaml", text="years:\n  2029:\n    off: [2029-01-01, 2029-02-30]\n")
    assert caught.value.message.startswith("calendar.yaml:3: ") and "2029-02-30 不存在" in caught.value.message
