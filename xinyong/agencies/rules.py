"""The registry's rules, from `definitions/agencies.yaml`: business types and who supervises
them, limits, the evaluation model and lists the credit file links to, complaint outcomes.

    rules().type("credit_rating").authority     # "RMYH"
    rules().has_remit(department, ["credit_rating"])

Checked when loaded: a bad definition is refused with file, line and reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from xinyong.common.errors import CatalogError
from xinyong.common.yamlconf import load_yaml

RULES_FILE = Path(__file__).resolve().parent / "definitions" / "agencies.yaml"
LICENCES = ("备案", "许可")


@dataclass(frozen=True)
class BusinessType:
    code: str
    name: str
    authority: str  # system code (departments.yaml)
    licence: str  # 备案 / 许可
    basis: str


@dataclass(frozen=True)
class Outcome:
    code: str
    label: str
    record: bool


@dataclass(frozen=True)
class AgencyRules:
    version: str
    types: dict[str, BusinessType]
    licence_no_max: int
    note_max: int
    key_staff_max: int
    evaluation_model: str
    lists: tuple[str, ...]
    outcomes: dict[str, Outcome]
    record_item: str

    def type(self, code: str) -> BusinessType:
        return self.types[code]

    def type_names(self, codes) -> list[str]:
        return [self.types[c].name if c in self.types else c for c in codes]

    @property
    def authorities(self) -> list[str]:
        return sorted({t.authority for t in self.types.values()})

    def has_remit(self, department, codes) -> bool:
        """Whether `department` supervises at least one of the business types `codes`."""
        return department is not None and department.active and any(self.types[c].authority == department.system for c in codes if c in self.types)

    def licence_kind(self, codes) -> str:
        """许可 when any of the types needs a licence, else 备案."""
        return "许可" if any(self.types[c].licence == "许可" for c in codes if c in self.types) else "备案"


def _fail(node, key, reason: str):
    where = node.where(key) if hasattr(node, "where") else RULES_FILE.name
    raise CatalogError(f"{where}: {reason}")


def load_rules(path: Path | str = RULES_FILE) -> AgencyRules:
    from xinyong.catalog.registry import get_catalog

    data = load_yaml(Path(path))
    if not isinstance(data, dict) or not isinstance(data.get("business_types"), list) or not data["business_types"]:
        raise CatalogError(f"{Path(path).name}:1: 应有 business_types: [业务类型, ...]")
    catalog = get_catalog()
    types: dict[str, BusinessType] = {}
    for spec in data["business_types"]:
        code = str(spec.get("code", ""))
        if not code or code in types:
            _fail(spec, "code", f"业务类型编码“{code}”为空或重复")
        if spec.get("authority") not in catalog.systems:
            _fail(spec, "authority", f"{code}: authority 应为 departments.yaml 中的条线编码")
        if spec.get("licence") not in LICENCES:
            _fail(spec, "licence", f"{code}: licence 应为 备案 或 许可")
        types[code] = BusinessType(code, str(spec.get("name") or code), spec["authority"], spec["licence"], str(spec.get("basis", "")))
    limits = data.get("limits") or {}
    for key in ("licence_no_max", "note_max", "key_staff_max"):
        if not isinstance(limits.get(key), int) or limits[key] < 1:
            _fail(limits, key, f"limits.{key} 应为正整数")
    lists = tuple(data.get("lists") or ())
    known_lists = getattr(catalog, "lists", None) or {}
    for code in lists:
        if code not in known_lists:
            _fail(data, "lists", f"未知的信用名单 {code}（lists.yaml）")
    complaints = data.get("complaints") or {}
    outcomes = {}
    for code, spec in (complaints.get("outcomes") or {}).items():
        outcomes[code] = Outcome(code, str(spec.get("label") or code), bool(spec.get("record")))
    if not outcomes:
        _fail(complaints, "outcomes", "complaints.outcomes 不能为空")
    return AgencyRules(
        version=str(data.get("version", "")), types=types, licence_no_max=limits["licence_no_max"], note_max=limits["note_max"],
        key_staff_max=limits["key_staff_max"], evaluation_model=str(data.get("evaluation_model") or ""), lists=lists,
        outcomes=outcomes, record_item=str(complaints.get("record_item") or ""),
    )


@lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int) -> AgencyRules:
    return load_rules(path)


def rules() -> AgencyRules:
    return _cached(str(RULES_FILE), RULES_FILE.stat().st_mtime_ns)
