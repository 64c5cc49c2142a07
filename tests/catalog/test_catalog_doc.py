"""docs/catalog.md stays complete and true: every item of the registry has its row, equal to what
the YAML says, and every system is listed."""

from __future__ import annotations

from pathlib import Path

from xinyong.catalog.registry import DISCLOSURES, NATURES

DOC = Path(__file__).resolve().parents[2] / "docs" / "catalog.md"


def item_row(item, catalog) -> str:
    deadline = f"{item.reporting_deadline_days} 个工作日" if item.reporting_deadline_days else "—"
    owner = catalog.systems[item.owner].province_name
    return f"| `{item.code}` | {item.name} | {owner} | {NATURES[item.nature]} | {DISCLOSURES[item.disclosure]} | `{item.publication}` | {deadline} |"


def system_row(system) -> str:
    levels = "省" + ("·市" if system.city else "") + ("·县" if system.county else "")
    return f"| `{system.code}` | {system.name} | {system.province_name} | {system.now} | {levels} |"


def test_every_item_has_its_row(catalog):
    lines = set(DOC.read_text(encoding="utf-8").splitlines())
    missing = [item_row(i, catalog) for i in catalog.items.values() if item_row(i, catalog) not in lines]
    assert not missing, "docs/catalog.md lacks or has outdated rows; expected:\n" + "\n".join(missing)


def test_no_row_for_an_item_that_is_gone(catalog):
    rows = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| `") and line.count("|") == 8]
    codes = {line.split("`")[1] for line in rows}
    assert codes == set(catalog.items)


def test_every_system_is_listed(catalog):
    lines = set(DOC.read_text(encoding="utf-8").splitlines())
    missing = [system_row(s) for s in catalog.systems.values() if system_row(s) not in lines]
    assert not missing, "docs/catalog.md lacks or has outdated system rows; expected:\n" + "\n".join(missing)


def test_every_rule_set_and_file_is_documented(catalog):
    text = DOC.read_text(encoding="utf-8")
    for code in catalog.rule_sets:
        assert f"`{code}`" in text
    for name in ("regions.yaml", "departments.yaml", "fields.yaml", "publication.yaml", "calendar.yaml", "items/*.yaml"):
        assert f"`{name}`" in text
