"""The measures catalog (联合奖惩措施清单): versioned YAML under `definitions/`, loaded and checked
against the catalog (lists, systems) and the evaluation models (models, grades).

- `national.yaml`: the national basic lists of measures; nothing else may be declared;
- `matters.yaml`: the matter types and which systems may check each (remit);
- `catalog.yaml`: for each trigger (a list, or grades of an evaluation model) × matter, the
  measures, the implementing systems and the legal basis.

A definition that cannot be applied the way it reads is refused at load with "file:line: reason"
(Chinese), the catalog's error type and style (`CatalogError` via `common.yamlconf`): an unknown
list, model, grade, matter, measure or system; a measure outside the national list or used in a
matter the national list does not allow it for; an incentive on a black list or a punishment on a
red list; an implementing system without the matter's remit; a missing legal basis; a trigger ×
matter declared twice; an unknown key. `docs/measures.md` describes the format.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock

from xinyong.catalog.registry import Catalog, get_catalog
from xinyong.common.errors import CatalogError
from xinyong.common.yamlconf import LDict, Recheck, load_yaml, spec_keys, spec_text, where

DEFAULT_DIR = Path(__file__).resolve().parent / "definitions"
FILES = ("national.yaml", "matters.yaml", "catalog.yaml")
KINDS = {"punishment": "失信惩戒", "incentive": "守信激励"}
# the measures a list of each kind may trigger (lists.yaml `kind`)
LIST_KIND_MEASURES = {"red": "incentive", "focus": "punishment", "black": "punishment", "sector": "punishment"}

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
MEASURE_KEYS = {"code", "name", "kind", "matters", "basis"}
MATTER_KEYS = {"code", "name", "description", "remit"}
TRIGGER_KEYS = {"list", "model", "grades", "legal_basis", "matters"}
RULE_KEYS = {"measures", "departments", "legal_basis"}


# ---------------------------------------------------------------- data classes
@dataclass(frozen=True)
class Measure:
    code: str
    name: str
    kind: str  # punishment | incentive
    matters: tuple[str, ...]
    basis: str
    source: str

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


@dataclass(frozen=True)
class Matter:
    code: str
    name: str
    description: str
    remit: frozenset | None  # None: every system
    source: str

    def in_remit(self, system: str) -> bool:
        return self.remit is None or system in self.remit


@dataclass(frozen=True)
class Trigger:
    kind: str  # list | grade
    list_code: str | None
    model: str | None
    grades: tuple[str, ...]
    name: str  # the list's or model's name
    source: str

    @property
    def key(self) -> str:
        return f"list:{self.list_code}" if self.kind == "list" else f"grade:{self.model}:{','.join(self.grades)}"


@dataclass(frozen=True)
class Rule:
    """Trigger × matter → measures, implementing systems, legal basis."""

    trigger: Trigger
    matter: str
    measures: tuple[str, ...]
    departments: tuple[str, ...]  # system codes
    legal_basis: str
    source: str


@dataclass
class MeasuresCatalog:
    version: str
    national_version: str
    editions: dict[str, str]
    digest: str
    measures: dict[str, Measure]
    matters: dict[str, Matter]
    rules: list[Rule]
    by_list: dict[tuple[str, str], list[Rule]] = field(default_factory=dict)  # (list, matter)
    by_grade: dict[tuple[str, str, str], list[Rule]] = field(default_factory=dict)  # (model, grade, matter)
    _relevant: dict[tuple[str, str], tuple[bool, bool]] = field(default_factory=dict, repr=False)

    @property
    def models(self) -> list[str]:
        """The evaluation models whose grades trigger measures."""
        return sorted({m for m, _, _ in self.by_grade})

    def rules_for(self, matter: str) -> list[Rule]:
        return [r for r in self.rules if r.matter == matter]

    def triggers_for(self, matter: str, system: str) -> tuple[frozenset[str], bool]:
        """(the lists, whether any grade) that can trigger a measure this system implements in
        this matter: a check reads only those memberships, and the grades only when they can
        matter."""
        key = (matter, system)
        hit = self._relevant.get(key)
        if hit is None:
            rules = [r for r in self.rules if r.matter == matter and system in r.departments]
            hit = (frozenset(r.trigger.list_code for r in rules if r.trigger.kind == "list"), any(r.trigger.kind == "grade" for r in rules))
            self._relevant[key] = hit
        return hit


# ---------------------------------------------------------------- helpers
def _codes(spec: LDict, key: str, what: str) -> list[str]:
    value = spec.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise CatalogError(f"{where(spec, key)}: {what}的 {key} 应为非空的编码列表，而不是 {value!r}")
    dup = next((v for i, v in enumerate(value) if v in value[:i]), None)
    if dup is not None:
        raise CatalogError(f"{where(spec, key)}: {what}的 {key} 中 {dup} 重复")
    return list(value)


def _top(data, fname: str, key: str, allowed: set[str]) -> list:
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise CatalogError(f"{fname}:1: 应有 {key}: [...]")
    unknown = sorted(set(map(str, data)) - allowed)
    if unknown:
        raise CatalogError(f"{where(data, unknown[0])}: 未知的键 {unknown}（可用: {', '.join(sorted(allowed))}）")
    if not isinstance(data.get("version"), str) or not data["version"].strip():
        raise CatalogError(f"{fname}:1: 缺少 version（如 \"2026.11\"，须加引号）")
    return data[key]


# ---------------------------------------------------------------- the three files
def _load_national(data, fname: str) -> tuple[str, dict[str, str], dict[str, Measure]]:
    items = _top(data, fname, "measures", {"version", "editions", "measures"})
    editions = data.get("editions") or {}
    if not isinstance(editions, dict) or set(editions) - set(KINDS):
        raise CatalogError(f"{where(data, 'editions')}: editions 应为 {{punishment: 清单名称, incentive: 文件名称}}")
    out: dict[str, Measure] = {}
    for index, spec in enumerate(items):
        if not isinstance(spec, dict):
            raise CatalogError(f"{where(items, index)}: 措施定义应为映射，而不是 {spec!r}")
        spec_keys(spec, MEASURE_KEYS, "措施定义")
        code = spec_text(spec, "code", "措施")
        if not _CODE.match(code):
            raise CatalogError(f"{where(spec, 'code')}: 措施编码 {code!r} 只能含小写字母、数字和下划线，以字母开头")
        if code in out:
            raise CatalogError(f"{where(spec, 'code')}: 重复的措施编码 {code}（已在 {out[code].source} 定义）")
        kind = spec_text(spec, "kind", f"措施 {code} ")
        if kind not in KINDS:
            raise CatalogError(f"{where(spec, 'kind')}: 措施 {code} 的 kind 应为 punishment（失信惩戒）或 incentive（守信激励），而不是 {kind!r}")
        out[code] = Measure(
            code=code, name=spec_text(spec, "name", f"措施 {code} "), kind=kind,
            matters=tuple(_codes(spec, "matters", f"措施 {code} ")), basis=spec_text(spec, "basis", f"措施 {code} "),
            source=where(spec),
        )
    return str(data["version"]), {k: str(v) for k, v in editions.items()}, out


def _load_matters(data, fname: str, catalog: Catalog) -> dict[str, Matter]:
    items = _top(data, fname, "matters", {"version", "matters"})
    out: dict[str, Matter] = {}
    for index, spec in enumerate(items):
        if not isinstance(spec, dict):
            raise CatalogError(f"{where(items, index)}: 事项类型定义应为映射，而不是 {spec!r}")
        spec_keys(spec, MATTER_KEYS, "事项类型定义")
        code = spec_text(spec, "code", "事项类型")
        if not _CODE.match(code):
            raise CatalogError(f"{where(spec, 'code')}: 事项类型编码 {code!r} 只能含小写字母、数字和下划线，以字母开头")
        if code in out:
            raise CatalogError(f"{where(spec, 'code')}: 重复的事项类型 {code}（已在 {out[code].source} 定义）")
        remit_spec = spec.get("remit")
        if remit_spec == "all":
            remit = None
        else:
            systems = _codes(spec, "remit", f"事项类型 {code} ") if remit_spec is not None else None
            if systems is None:
                raise CatalogError(f"{where(spec)}: 事项类型 {code} 缺少 remit（all 或条线编码列表）")
            unknown = [s for s in systems if s not in catalog.systems]
            if unknown:
                raise CatalogError(f"{where(spec, 'remit')}: 事项类型 {code} 的 remit 中有未知的条线 {unknown}（见 departments.yaml）")
            remit = frozenset(systems)
        out[code] = Matter(code=code, name=spec_text(spec, "name", f"事项类型 {code} "), description=spec_text(spec, "description", f"事项类型 {code} ", required=False), remit=remit, source=where(spec))
    return out


def _trigger(spec: LDict, catalog: Catalog, models: dict) -> Trigger:
    if ("list" in spec) == ("model" in spec):
        raise CatalogError(f"{where(spec)}: 触发条件应有 list（名单）或 model + grades（评价等级）之一")
    if "list" in spec:
        if "grades" in spec:
            raise CatalogError(f"{where(spec, 'grades')}: 名单触发条件不能有 grades（grades 与 model 一起使用）")
        code = spec_text(spec, "list", "触发条件")
        lt = catalog.lists.get(code)
        if lt is None:
            raise CatalogError(f"{where(spec, 'list')}: 未知的名单 {code}（见 lists.yaml）")
        return Trigger("list", code, None, (), lt.name, where(spec))
    code = spec_text(spec, "model", "触发条件")
    model = models.get(code)
    if model is None:
        raise CatalogError(f"{where(spec, 'model')}: 未知的评价模型 {code}（见 evaluation/definitions）")
    grades = _codes(spec, "grades", f"评价模型 {code} 的触发条件")
    unknown = [g for g in grades if model.grade(g) is None]
    if unknown:
        raise CatalogError(f"{where(spec, 'grades')}: 评价模型 {code} 没有等级 {unknown}（可用: {', '.join(g.code for g in model.grades)}）")
    return Trigger("grade", None, code, tuple(grades), model.name, where(spec))


def _load_rules(data, fname: str, catalog: Catalog, models: dict, national: dict[str, Measure], matters: dict[str, Matter]) -> list[Rule]:
    items = _top(data, fname, "triggers", {"version", "triggers"})
    rules: list[Rule] = []
    seen: dict[tuple, str] = {}
    for index, spec in enumerate(items):
        if not isinstance(spec, dict):
            raise CatalogError(f"{where(items, index)}: 触发条件应为映射，而不是 {spec!r}")
        spec_keys(spec, TRIGGER_KEYS, "触发条件")
        trigger = _trigger(spec, catalog, models)
        default_basis = spec_text(spec, "legal_basis", "触发条件", required=False)
        per_matter = spec.get("matters")
        if not isinstance(per_matter, dict) or not per_matter:
            raise CatalogError(f"{where(spec, 'matters') if 'matters' in spec else where(spec)}: 触发条件应有 matters: {{事项类型: {{measures, departments}}}}")
        list_kind = catalog.lists[trigger.list_code].kind if trigger.list_code else None
        for matter_code, rule in per_matter.items():
            here = where(per_matter, matter_code)
            if matter_code not in matters:
                raise CatalogError(f"{here}: 未知的事项类型 {matter_code}（见 matters.yaml）")
            if not isinstance(rule, dict):
                raise CatalogError(f"{here}: 事项 {matter_code} 应为映射 {{measures, departments, legal_basis}}，而不是 {rule!r}")
            spec_keys(rule, RULE_KEYS, f"事项 {matter_code} ")
            measures = _codes(rule, "measures", f"事项 {matter_code} ")
            for code in measures:
                measure = national.get(code)
                if measure is None:
                    raise CatalogError(f"{where(rule, 'measures')}: 措施 {code} 不在全国基础清单中（national.yaml），不得设定")
                if matter_code not in measure.matters:
                    raise CatalogError(f"{where(rule, 'measures')}: 全国基础清单未规定在“{matters[matter_code].name}”中实施措施 {code}（可用事项: {', '.join(measure.matters)}）")
                if list_kind and LIST_KIND_MEASURES[list_kind] != measure.kind:
                    raise CatalogError(f"{where(rule, 'measures')}: 名单 {trigger.list_code}（{catalog.lists[trigger.list_code].kind_label}）不能触发{measure.kind_label}措施 {code}")
            departments = _codes(rule, "departments", f"事项 {matter_code} ")
            for system in departments:
                if system not in catalog.systems:
                    raise CatalogError(f"{where(rule, 'departments')}: 未知的条线 {system}（见 departments.yaml）")
                if not matters[matter_code].in_remit(system):
                    raise CatalogError(f"{where(rule, 'departments')}: 条线 {system} 没有“{matters[matter_code].name}”的核查职责（matters.yaml 的 remit）")
            basis = spec_text(rule, "legal_basis", f"事项 {matter_code} ", required=False) or default_basis
            if not basis:
                raise CatalogError(f"{here}: 事项 {matter_code} 缺少 legal_basis（法律依据），触发条件上也没有")
            keys = [(trigger.list_code, None, matter_code)] if trigger.kind == "list" else [(trigger.model, g, matter_code) for g in trigger.grades]
            for key in keys:
                if key in seen:
                    raise CatalogError(f"{here}: 同一触发条件和事项重复定义（已在 {seen[key]} 定义）")
                seen[key] = here
            rules.append(Rule(trigger, matter_code, tuple(measures), tuple(departments), basis, here))
    return rules


def load_measures(directory: Path | str | None = None, catalog: Catalog | None = None, models: dict | None = None) -> MeasuresCatalog:
    directory = Path(directory) if directory is not None else DEFAULT_DIR
    catalog = catalog if catalog is not None else get_catalog()
    if models is None:
        from xinyong.evaluation.loader import get_models

        models = get_models()
    raw = {name: load_yaml(directory / name, name=name) for name in FILES}
    national_version, editions, national = _load_national(raw["national.yaml"], "national.yaml")
    matters = _load_matters(raw["matters.yaml"], "matters.yaml", catalog)
    for m in national.values():
        unknown = [c for c in m.matters if c not in matters]
        if unknown:
            raise CatalogError(f"{m.source}: 措施 {m.code} 的 matters 中有未知的事项类型 {unknown}（见 matters.yaml）")
    rules = _load_rules(raw["catalog.yaml"], "catalog.yaml", catalog, models, national, matters)
    digest = hashlib.sha256(b"".join((directory / n).read_bytes() for n in FILES)).hexdigest()
    result = MeasuresCatalog(
        version=str(raw["catalog.yaml"]["version"]), national_version=national_version, editions=editions,
        digest=digest, measures=national, matters=matters, rules=rules,
    )
    for rule in rules:
        if rule.trigger.kind == "list":
            result.by_list.setdefault((rule.trigger.list_code, rule.matter), []).append(rule)
        else:
            for grade in rule.trigger.grades:
                result.by_grade.setdefault((rule.trigger.model, grade, rule.matter), []).append(rule)
    return result


# ---------------------------------------------------------------- access
_lock = Lock()
_cache: dict[str, tuple[tuple, MeasuresCatalog]] = {}


def _stamp(directory: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.yaml")))


# The check path calls get_measures() on every request: looking at the definition files (and the
# catalog's and the models' files) costs about 2 ms, more than a whole check, so they are looked
# at again only every few seconds per process; a changed file takes effect within that time.
_recheck = Recheck()


def get_measures() -> MeasuresCatalog:
    """The loaded measures catalog; reloaded when one of its files, the catalog or the models
    change (looked at every few seconds at most: `Recheck`)."""
    key = str(DEFAULT_DIR)
    hit = _cache.get(key)
    if hit is not None and not _recheck.due(key):
        return hit[1]
    from xinyong.evaluation.loader import get_models

    models = get_models()
    catalog = get_catalog()
    stamp = (_stamp(DEFAULT_DIR), catalog.digest, id(models))
    with _lock:
        hit = _cache.get(key)
        if not (hit and hit[0] == stamp):
            hit = (stamp, load_measures(DEFAULT_DIR, catalog, models))
            _cache[key] = hit
        _recheck.done(key)
        return hit[1]
