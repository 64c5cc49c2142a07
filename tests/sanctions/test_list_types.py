"""The designation keys of lists.yaml: the shipped list types, and what the loader refuses
(file:line and the reason in Chinese)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from xinyong.catalog.registry import get_catalog, load_catalog
from xinyong.common.errors import CatalogError

SHIPPED = Path(__file__).resolve().parents[2] / "xinyong" / "catalog" / "definitions"


def test_the_shipped_designated_lists():
    lists = get_catalog().lists
    kinds = {code: (lt.kind, lt.derived) for code, lt in lists.items()}
    # red, focus, black and the sector lists the issue names: IP, environment, statistics,
    # education and research, credit service agencies, associations' own lists
    for code in ("integrity_model", "abnormal_operations", "serious_violation", "ip_serious", "env_bad", "stats_serious",
                 "edu_focus", "edu_research_serious", "credit_agency_focus", "credit_agency_serious", "association_discipline"):
        assert code in kinds, code
    sv = lists["serious_violation"]
    assert (sv.duration_months, sv.warning_first, sv.market_exit, sv.record_persons, sv.repair_after_months) == (36, "abnormal_operations", True, True, 12)
    assert lists["edu_research_serious"].warning_first == "edu_focus" and lists["credit_agency_serious"].warning_first == "credit_agency_focus"
    assert lists["association_discipline"].designator_kind == "association"
    assert all(lt.legal_basis for lt in lists.values())
    assert all(lt.statement_days == 5 for lt in lists.values())  # the top-level default


def _copy(tmp_path) -> Path:
    root = tmp_path / "definitions"
    shutil.copytree(SHIPPED, root)
    return root


def _edit(root: Path, old: str, new: str) -> None:
    p = root / "lists.yaml"
    text = p.read_text(encoding="utf-8")
    assert old in text
    p.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("    warning_first: abnormal_operations\n", "    warning_first: integrity_model\n", "名单 serious_violation 的 warning_first 应为一个重点关注名单（kind: focus）的编码，而不是 'integrity_model'"),
        ("    duration_months: 36\n    warning_first", "    duration_months: 0\n    warning_first", "serious_violation 的 duration_months 应为不小于 1 的整数，而不是 0"),
        ("    rules:\n      - item: dishonest_debtor\n", "    duration_months: 24\n    rules:\n      - item: dishonest_debtor\n", "名单 dishonest_debtors 依据规则自动列入，duration_months 只用于认定机关认定的名单"),
        ("    designator_kind: association\n", "    designator_kind: club\n", "designator_kind 'club' 应为 association"),
        ("statement_days: 5  #", "statement_days: five  #", "lists.yaml 的 statement_days 应为不小于 1 的整数，而不是 'five'"),
    ],
)
def test_the_loader_refuses_bad_designation_keys(tmp_path, old, new, reason):
    root = _copy(tmp_path)
    _edit(root, old, new)
    with pytest.raises(CatalogError) as exc:
        load_catalog(root)
    assert exc.value.message.startswith("lists.yaml:") and reason in exc.value.message
