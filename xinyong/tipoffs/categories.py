"""Tip-off categories (definitions/categories.yaml): what a reporter chooses, the catalog items a
confirmed tip-off of that kind becomes, and the systems whose departments verify it.

    category("market_fraud").items          # ("penalty.gsj",)
    suggested_departments(category, subject) # the departments the credit centre is offered

Checked when loaded: unknown items or systems are refused with the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from xinyong.catalog.registry import get_catalog
from xinyong.common.errors import CatalogError
from xinyong.common.yamlconf import load_yaml

CATEGORIES_FILE = Path(__file__).resolve().parent / "definitions" / "categories.yaml"
PROVINCE = "220000"


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    items: tuple[str, ...]
    systems: tuple[str, ...]


def _fail(node, key, reason: str):
    where = node.where(key) if hasattr(node, "where") else CATEGORIES_FILE.name
    raise CatalogError(f"{where}: {reason}")


def load_categories(path: Path | str = CATEGORIES_FILE) -> dict[str, Category]:
    data = load_yaml(Path(path))
    if not isinstance(data, dict) or not isinstance(data.get("categories"), list) or not data["categories"]:
        raise CatalogError(f"{Path(path).name}:1: 应有 categories: [举报类别, ...]")
    catalog = get_catalog()
    out: dict[str, Category] = {}
    for i, spec in enumerate(data["categories"]):
        code = str(spec.get("code") or "")
        if not code or code in out:
            _fail(data["categories"], i, f"类别编码“{code}”为空或重复")
        if not str(spec.get("label") or "").strip():
            _fail(spec, "label", f"{code}: 缺少 label")
        items = tuple(spec.get("items") or ())
        for item in items:
            if catalog.item(item) is None:
                _fail(spec, "items", f"{code}: 目录中没有信息项 {item}")
        systems = tuple(spec.get("systems") or ())
        for system in systems:
            if system not in catalog.systems:
                _fail(spec, "systems", f"{code}: 没有条线 {system}")
        out[code] = Category(code, str(spec["label"]).strip(), items, systems)
    return out


@lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int) -> dict[str, Category]:
    return load_categories(path)


def categories() -> dict[str, Category]:
    return _cached(str(CATEGORIES_FILE), CATEGORIES_FILE.stat().st_mtime_ns)


def category(code: str) -> Category | None:
    return categories().get(code or "")


def suggested_departments(cat: Category | None, subject) -> list:
    """For each system of the category: its department in the subject's city (市/州), else the
    provincial one (active departments only)."""
    from xinyong.catalog.models import Department

    if cat is None:
        return []
    region = (getattr(subject, "region", "") or "")[:6]
    city = region[:4] + "00" if len(region) == 6 else ""
    out = []
    for system in cat.systems:
        codes = [c for c in (f"{city}-{system}" if city and city != PROVINCE else "", f"{PROVINCE}-{system}") if c]
        found = {d.code: d for d in Department.objects.filter(code__in=codes, active=True)}
        dept = next((found[c] for c in codes if c in found), None)
        if dept is not None and dept not in out:
            out.append(dept)
    return out
