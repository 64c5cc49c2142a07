"""Evaluation models: versioned YAML under `definitions/` (one model per file), loaded and checked
against the catalog as a whole.

A model that cannot be evaluated the way it reads is refused at load with "file:line: reason"
(Chinese), the catalog's error type and style (`CatalogError`, via `common.yamlconf`): an unknown
item, field, value, severity, list, model or grade; an item that never applies to the model's
subject kinds or is never disclosed to it; points, decay or bounds that do not parse; grade
thresholds that overlap or leave a gap; a cycle among models; duplicate codes; a rule that can
never count; an unknown key. `docs/evaluation.md` describes the format; `compile.py` turns the
loaded models into the engines' tables (`compiled.py`); `reference.py` defines what they mean.
"""

from __future__ import annotations

import fnmatch
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from threading import Lock

from django.conf import settings

from xinyong.catalog.registry import DISCLOSURES, SUBJECT_KINDS, Catalog, Item, get_catalog
from xinyong.common.errors import CatalogError
from xinyong.common.yamlconf import LDict, LList, Recheck, load_yaml, spec_keys, spec_text, where

from .compiled import COUNT_MODES, LEVEL_RANK

DEFAULT_DIR = Path(__file__).resolve().parent / "definitions"
LEVEL_NAMES = {"county": "县级", "city": "市级", "province": "省级", "national": "国家级"}
DEFAULT_RECOGNITION = {"positive": "city", "negative": "county"}  # 吉政发〔2014〕40号 §四(八)

MODEL_KEYS = {
    "code", "name", "version", "legal_basis", "description", "subject_kinds", "disclosures",
    "scale", "base", "recognition", "dimensions", "grades", "overrides",
}
DIMENSION_KEYS = {"code", "name", "description", "min", "max", "indicators"}
INDICATOR_KEYS = {"code", "name", "description", "items", "when", "points", "decay", "count", "min", "max", "min_level"}
GRADE_KEYS = {"code", "name", "from", "to", "description"}
OVERRIDE_KEYS = {"list", "model", "grades", "set", "at_most", "reason"}

_CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
_PART = re.compile(r"^[a-z][a-z0-9_]*$")


# ---------------------------------------------------------------- data classes
@dataclass(frozen=True)
class ItemRef:
    """A concrete catalog item an indicator counts (patterns already expanded)."""

    code: str
    nature: str  # the catalog item's nature: basic/positive/negative/warning


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    items: tuple[str, ...]  # as written: codes or patterns
    resolved: tuple[ItemRef, ...]  # the concrete items, in the order written
    when: str | None  # the enum field the points depend on; None: by severity or a flat number
    points: tuple[tuple[str | None, int], ...]  # (value or severity, milli-points); (None, p): any
    decay: tuple[int, ...] | None  # % by year of age; None: no decay
    count: str  # each | latest
    min_milli: int | None
    max_milli: int | None
    min_level: str | None  # overrides the model's recognition rule (a level name or "any")
    description: str
    source: str  # file:line

    @property
    def by_severity(self) -> bool:
        return self.when is None and self.points[0][0] is not None


@dataclass(frozen=True)
class Dimension:
    code: str
    name: str
    min_milli: int | None
    max_milli: int | None
    indicators: tuple[Indicator, ...]
    description: str
    source: str


@dataclass(frozen=True)
class Grade:
    code: str
    name: str
    from_milli: int
    to_milli: int
    description: str
    source: str


@dataclass(frozen=True)
class Override:
    list_code: str | None
    model: str | None
    grades: tuple[str, ...]  # with model: the grades under it that trigger the override
    action: str  # set | at_most
    grade: str
    reason: str
    source: str


@dataclass(frozen=True)
class Model:
    code: str
    name: str
    version: str
    legal_basis: str
    description: str
    subject_kinds: tuple[str, ...]
    disclosures: tuple[str, ...]
    min_milli: int
    max_milli: int
    base_milli: int
    recognition: tuple[tuple[str, str], ...]  # (nature, level name)
    dimensions: tuple[Dimension, ...]
    grades: tuple[Grade, ...]  # best first
    overrides: tuple[Override, ...]
    file: str
    source: str

    @property
    def indicators(self) -> list[Indicator]:
        return [i for d in self.dimensions for i in d.indicators]

    @property
    def depends_on(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o.model for o in self.overrides if o.model))

    def min_level_of(self, indicator: Indicator, item: ItemRef) -> int:
        """The rank the recognizing authority must reach for a record of `item` to count."""
        if indicator.min_level is not None:
            return LEVEL_RANK.get(indicator.min_level, 0)
        level = dict(self.recognition).get(item.nature)
        return LEVEL_RANK[level] if level else 0

    def rule_specs(self) -> list[tuple[Indicator, str, str | None, str | None, str | None, int, int]]:
        """Every rule in file order: (indicator, item, severity, field, value, min_level, points_milli).
        A record counts under the first rule it matches (see reference.py)."""
        out = []
        for ind in self.indicators:
            for item in ind.resolved:
                level = self.min_level_of(ind, item)
                for key, milli in ind.points:
                    if ind.when is not None:
                        out.append((ind, item.code, None, ind.when, key, level, milli))
                    else:
                        out.append((ind, item.code, key, None, None, level, milli))
        return out

    def grade(self, code: str) -> Grade | None:
        return next((g for g in self.grades if g.code == code), None)

    def as_dict(self) -> dict:
        def pts(m: int | None):
            return None if m is None else points_text(m)

        return {
            "code": self.code, "name": self.name, "version": self.version, "legal_basis": self.legal_basis,
            "description": self.description, "subject_kinds": list(self.subject_kinds),
            "disclosures": list(self.disclosures), "scale": {"min": pts(self.min_milli), "max": pts(self.max_milli)},
            "base": pts(self.base_milli), "recognition": dict(self.recognition), "source": self.source,
            "depends_on": list(self.depends_on),
            "dimensions": [
                {
                    "code": d.code, "name": d.name, "min": pts(d.min_milli), "max": pts(d.max_milli),
                    "indicators": [
                        {
                            "code": i.code, "name": i.name, "items": list(i.items),
                            "resolved": [r.code for r in i.resolved], "when": i.when,
                            "points": {("*" if k is None else k): pts(v) for k, v in i.points},
                            "decay": None if i.decay is None else list(i.decay), "count": i.count,
                            "min": pts(i.min_milli), "max": pts(i.max_milli), "min_level": i.min_level,
                        }
                        for i in d.indicators
                    ],
                }
                for d in self.dimensions
            ],
            "grades": [{"code": g.code, "name": g.name, "from": pts(g.from_milli), "to": pts(g.to_milli)} for g in self.grades],
            "overrides": [
                {"list": o.list_code, "model": o.model, "grades": list(o.grades), o.action: o.grade, "reason": o.reason}
                for o in self.overrides
            ],
        }


def points_text(milli: int) -> str:
    """Milli-points as written in a model file: 40, -12.5."""
    value = Decimal(milli) / 1000
    return str(value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize())


# ---------------------------------------------------------------- small parsers
def _at(obj, key=None) -> str:
    return where(obj, key)


def _milli(value, here: str, what: str) -> int:
    """A number with at most one decimal place, as milli-points."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CatalogError(f"{here}: {what} 应为数字（最多一位小数），而不是 {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise CatalogError(f"{here}: {what} 应为有限的数字，而不是 {value!r}")
    try:
        d = Decimal(str(value))
    except InvalidOperation:  # pragma: no cover - str() of an int/float always parses
        raise CatalogError(f"{here}: {what} 无法解析：{value!r}") from None
    if d != d.quantize(Decimal("0.1")):
        raise CatalogError(f"{here}: {what} 最多一位小数，而不是 {value!r}")
    if abs(d) > 1_000_000:
        raise CatalogError(f"{here}: {what} 超出允许范围（绝对值不超过 1000000）：{value!r}")
    return int(d * 1000)


def _mapping(value, here: str, what: str) -> LDict:
    if not isinstance(value, dict):
        raise CatalogError(f"{here}: {what}应为映射，而不是 {value!r}")
    return value


def _sequence(value, here: str, what: str) -> LList:
    if not isinstance(value, list):
        raise CatalogError(f"{here}: {what}应为列表，而不是 {value!r}")
    return value


def _entry_at(seq, index: int, entry) -> str:
    return _at(entry) if isinstance(entry, (LDict, LList)) else _at(seq, index)


def _bounds(spec: LDict, what: str) -> tuple[int | None, int | None]:
    low = _milli(spec["min"], _at(spec, "min"), f"{what}的下限 min") if spec.get("min") is not None else None
    high = _milli(spec["max"], _at(spec, "max"), f"{what}的上限 max") if spec.get("max") is not None else None
    if low is not None and high is not None and low > high:
        raise CatalogError(f"{_at(spec, 'max')}: {what}的上限 max {points_text(high)} 小于下限 min {points_text(low)}")
    # a total without any record is 0 and is not clamped: bounds must contain 0 to mean one thing
    if low is not None and low > 0:
        raise CatalogError(f"{_at(spec, 'min')}: {what}的下限 min 不能大于 0（没有记录时合计为 0）")
    if high is not None and high < 0:
        raise CatalogError(f"{_at(spec, 'max')}: {what}的上限 max 不能小于 0（没有记录时合计为 0）")
    return low, high


# ---------------------------------------------------------------- items
def _possible_disclosures(item: Item) -> set[str]:
    out = {item.disclosure, *(r.disclosure for r in item.disclosure_rules)}
    f = item.field_map.get(item.roles.get("disclosure", ""))
    if f is not None:
        out |= set(dict(f.map).values())
    return out & set(DISCLOSURES)


def _resolve_items(spec: LDict, model_kinds: tuple[str, ...], disclosures: tuple[str, ...], catalog: Catalog, what: str) -> tuple[tuple[str, ...], tuple[ItemRef, ...]]:
    entries = _sequence(spec.get("items"), _at(spec, "items"), f"{what}的 items ")
    if not entries:
        raise CatalogError(f"{_at(spec, 'items')}: {what}的 items 不能为空")
    written: list[str] = []
    resolved: dict[str, tuple[ItemRef, str]] = {}
    kinds = set(model_kinds)
    for index, entry in enumerate(entries):
        here = _entry_at(entries, index, entry)
        if not isinstance(entry, str) or not entry.strip():
            raise CatalogError(f"{here}: {what}的信息项应为信息项编码或模式（如 penalty.*），而不是 {entry!r}")
        entry = entry.strip()
        written.append(entry)
        is_pattern = any(c in entry for c in "*?[")
        if is_pattern:
            codes = [c for c in catalog.items if fnmatch.fnmatchcase(c, entry)]
            if not codes:
                raise CatalogError(f"{here}: {what}的模式 {entry!r} 匹配不到目录中的任何信息项")
            applicable = [c for c in codes if kinds & set(catalog.items[c].subject_kinds)]
            if not applicable:
                raise CatalogError(f"{here}: {what}的模式 {entry!r} 匹配的信息项都不适用于本模型的主体类型 {list(model_kinds)}")
            codes = applicable
        else:
            item = catalog.items.get(entry)
            if item is None:
                raise CatalogError(f"{here}: {what}引用了目录中不存在的信息项 {entry!r}")
            if not kinds & set(item.subject_kinds):
                raise CatalogError(
                    f"{here}: 信息项 {entry}（{item.name}）不适用于本模型的主体类型 {list(model_kinds)}（适用于 {list(item.subject_kinds)}）"
                )
            codes = [entry]
        for code in codes:
            if code in resolved:
                if is_pattern:
                    continue  # a pattern may overlap what is already listed
                raise CatalogError(f"{here}: {what}重复列出信息项 {code}（已由 {resolved[code][1]!r} 包含）")
            item = catalog.items[code]
            if not _possible_disclosures(item) & set(disclosures):
                if not is_pattern:
                    raise CatalogError(
                        f"{here}: 信息项 {code} 的记录为{DISCLOSURES[item.disclosure]}，本模型只使用 {list(disclosures)} 的记录，永远不会计分"
                    )
                continue
            resolved[code] = (ItemRef(code, item.nature), entry)
    if not resolved:
        raise CatalogError(f"{_at(spec, 'items')}: {what}的信息项都不会向本模型披露（disclosures: {list(disclosures)}）")
    return tuple(written), tuple(ref for ref, _ in resolved.values())


# ---------------------------------------------------------------- indicators
def _indicator(spec, model_kinds, disclosures, catalog: Catalog, here: str) -> Indicator:
    spec = _mapping(spec, here, "指标定义")
    spec_keys(spec, INDICATOR_KEYS, "指标定义")
    code = spec.get("code")
    if not isinstance(code, str) or not _PART.match(code):
        raise CatalogError(f"{_at(spec, 'code') if 'code' in spec else here}: 指标编码 {code!r} 应为小写英文标识符")
    what = f"指标 {code} "
    name = spec_text(spec, "name", what, here=here)
    written, resolved = _resolve_items(spec, model_kinds, disclosures, catalog, what)

    when = spec.get("when")
    points_spec = spec.get("points")
    if points_spec is None:
        raise CatalogError(f"{here}: {what}缺少 points")
    points_at = _at(spec, "points")
    points: list[tuple[str | None, int]] = []
    if when is not None:
        if not isinstance(when, str):
            raise CatalogError(f"{_at(spec, 'when')}: {what}的 when 应为字段名，而不是 {when!r}")
        choices: set[str] | None = None
        for ref in resolved:
            f = catalog.items[ref.code].field_map.get(when)
            if f is None:
                raise CatalogError(f"{_at(spec, 'when')}: 信息项 {ref.code} 没有字段 {when!r}（{what}按该字段给分）")
            if f.type != "enum":
                raise CatalogError(f"{_at(spec, 'when')}: 信息项 {ref.code} 的字段 {when} 不是枚举字段，不能按取值给分")
            choices = set(f.choices) if choices is None else choices & set(f.choices)
        if not isinstance(points_spec, dict) or not points_spec:
            raise CatalogError(f"{points_at}: {what}按字段 {when} 给分，points 应为 {{取值: 分值}} 映射")
        for key, value in points_spec.items():
            key_at = _at(points_spec, key)
            if str(key) not in (choices or set()):
                raise CatalogError(f"{key_at}: 字段 {when} 没有取值 {key!r}（可选: {sorted(choices or ())}）")
            points.append((str(key), _milli(value, key_at, f"{what}取值 {key} 的分值")))
    elif isinstance(points_spec, dict):
        if not points_spec:
            raise CatalogError(f"{points_at}: {what}的 points 不能为空")
        for ref in resolved:
            item = catalog.items[ref.code]
            if "severity" not in item.roles:
                raise CatalogError(f"{points_at}: 信息项 {ref.code} 没有失信严重程度字段，不能按严重程度给分（可写一个分值，或用 when 指定字段）")
        for key, value in points_spec.items():
            key_at = _at(points_spec, key)
            for ref in resolved:
                item = catalog.items[ref.code]
                severities = item.field_map[item.roles["severity"]].choices
                if str(key) not in severities:
                    raise CatalogError(f"{key_at}: 未知的严重程度 {key!r}（信息项 {ref.code} 的严重程度: {list(severities)}）")
            points.append((str(key), _milli(value, key_at, f"{what}严重程度 {key} 的分值")))
    else:
        points.append((None, _milli(points_spec, points_at, f"{what}的分值 points")))

    for ref in resolved:
        for key, milli in points:
            label = "" if key is None else f"（{key}）"
            if ref.nature == "negative" and milli > 0:
                raise CatalogError(f"{_at(points_spec, key) if key is not None else points_at}: 信息项 {ref.code} 是不良信息，不能加分{label}")
            if ref.nature == "positive" and milli < 0:
                raise CatalogError(f"{_at(points_spec, key) if key is not None else points_at}: 信息项 {ref.code} 是良好信息，不能减分{label}")

    decay = None
    if spec.get("decay") is not None:
        d_at = _at(spec, "decay")
        raw = _sequence(spec["decay"], d_at, f"{what}的衰减 decay ")
        if not raw:
            raise CatalogError(f"{d_at}: {what}的衰减 decay 不能为空（不衰减时省略 decay）")
        out = []
        for n, pct in enumerate(raw):
            if isinstance(pct, bool) or not isinstance(pct, int) or not 0 <= pct <= 100:
                raise CatalogError(f"{d_at}: {what}第{n + 1}年的衰减比例应为 0 至 100 的整数（百分比），而不是 {pct!r}")
            if out and pct > out[-1]:
                raise CatalogError(f"{d_at}: {what}的衰减比例不能随年份增加（第{n}年 {out[-1]}%，第{n + 1}年 {pct}%）")
            out.append(pct)
        decay = tuple(out)

    count = spec.get("count", "each")
    if count not in COUNT_MODES:
        raise CatalogError(f"{_at(spec, 'count')}: {what}的 count 应为 each（每条记录）或 latest（只计最新一条），而不是 {count!r}")
    low, high = _bounds(spec, what)
    min_level = spec.get("min_level")
    if min_level is not None and min_level not in LEVEL_RANK and min_level != "any":
        raise CatalogError(f"{_at(spec, 'min_level')}: {what}的 min_level {min_level!r} 应为 {', '.join(LEVEL_RANK)} 或 any")
    return Indicator(
        code=code, name=name, items=written, resolved=resolved, when=when, points=tuple(points),
        decay=decay, count=count, min_milli=low, max_milli=high, min_level=min_level,
        description=spec_text(spec, "description", what, required=False, here=here), source=here,
    )


# ---------------------------------------------------------------- one model file
def _grades(spec: LDict, low: int, high: int) -> tuple[Grade, ...]:
    entries = _sequence(spec.get("grades"), _at(spec, "grades") if "grades" in spec else _at(spec), "等级 grades ")
    if not entries:
        raise CatalogError(f"{_at(spec, 'grades')}: 模型至少要有一个等级")
    grades: list[Grade] = []
    for index, g in enumerate(entries):
        here = _entry_at(entries, index, g)
        g = _mapping(g, here, "等级定义")
        spec_keys(g, GRADE_KEYS, "等级定义")
        code = g.get("code")
        if not isinstance(code, str) or not code.strip() or len(code) > 20 or any(c.isspace() for c in code):
            raise CatalogError(f"{here}: 等级编码 {code!r} 应为不含空格的文字（不超过20个字符）")
        if any(x.code == code for x in grades):
            raise CatalogError(f"{here}: 重复的等级编码 {code}")
        name = spec_text(g, "name", f"等级 {code} ", here=here)
        for key in ("from", "to"):
            if g.get(key) is None:
                raise CatalogError(f"{here}: 等级 {code} 缺少 {key}")
        start = _milli(g["from"], _at(g, "from"), f"等级 {code} 的下界 from")
        end = _milli(g["to"], _at(g, "to"), f"等级 {code} 的上界 to")
        if start >= end:
            raise CatalogError(f"{here}: 等级 {code} 的区间 [{points_text(start)}, {points_text(end)}) 为空（from 应小于 to）")
        grades.append(Grade(code, name, start, end, spec_text(g, "description", "", required=False, here=here), here))
    # best first: from the top of the scale down, each grade starting where the next one ends
    if grades[0].to_milli != high:
        gap = "以上" if grades[0].to_milli < high else "超出了评分范围"
        raise CatalogError(
            f"{grades[0].source}: 最优等级 {grades[0].code} 的上界 {points_text(grades[0].to_milli)} 应等于评分上限 {points_text(high)}"
            f"（{points_text(grades[0].to_milli)}{gap}）"
        )
    for upper, lower in zip(grades, grades[1:], strict=False):
        if lower.from_milli >= upper.from_milli:
            raise CatalogError(f"{lower.source}: 等级应从优到差、分数从高到低排列（{lower.code} 的下界不低于 {upper.code} 的下界）")
    for upper, lower in zip(grades, grades[1:], strict=False):
        if lower.to_milli > upper.from_milli:
            raise CatalogError(
                f"{lower.source}: 等级 {lower.code} 与 {upper.code} 的区间重叠：[{points_text(upper.from_milli)}, {points_text(lower.to_milli)})"
            )
        if lower.to_milli < upper.from_milli:
            raise CatalogError(
                f"{lower.source}: 等级 {lower.code} 与 {upper.code} 之间缺少区间：[{points_text(lower.to_milli)}, {points_text(upper.from_milli)}) 没有等级"
            )
    if grades[-1].from_milli != low:
        raise CatalogError(
            f"{grades[-1].source}: 最差等级 {grades[-1].code} 的下界 {points_text(grades[-1].from_milli)} 应等于评分下限 {points_text(low)}"
        )
    return tuple(grades)


def _overrides(spec: LDict, grades: tuple[Grade, ...], catalog: Catalog) -> tuple[Override, ...]:
    if spec.get("overrides") is None:
        return ()
    entries = _sequence(spec["overrides"], _at(spec, "overrides"), "overrides ")
    own = {g.code for g in grades}
    out = []
    for index, o in enumerate(entries):
        here = _entry_at(entries, index, o)
        o = _mapping(o, here, "调整规则（override）")
        spec_keys(o, OVERRIDE_KEYS, "调整规则（override）")
        if ("list" in o) == ("model" in o):
            raise CatalogError(f"{here}: 调整规则应写 list（名单）或 model（另一模型的等级）二者之一")
        if ("set" in o) == ("at_most" in o):
            raise CatalogError(f"{here}: 调整规则应写 set（直接定为某等级）或 at_most（最高为某等级）二者之一")
        action = "set" if "set" in o else "at_most"
        grade = o[action]
        if not isinstance(grade, str) or grade not in own:
            raise CatalogError(f"{_at(o, action)}: 调整规则的等级 {grade!r} 不是本模型的等级（可用: {', '.join(g.code for g in grades)}）")
        reason = spec_text(o, "reason", "调整规则", here=here)
        list_code = model = None
        dep_grades: tuple[str, ...] = ()
        if "list" in o:
            if "grades" in o:
                raise CatalogError(f"{_at(o, 'grades')}: 按名单调整时不用 grades")
            list_code = o["list"]
            if not isinstance(list_code, str) or list_code not in catalog.lists:
                raise CatalogError(f"{_at(o, 'list')}: 目录中没有名单 {list_code!r}（可用: {', '.join(catalog.lists)}）")
        else:
            model = o["model"]
            if not isinstance(model, str) or not _CODE.match(model):
                raise CatalogError(f"{_at(o, 'model')}: 模型编码 {model!r} 无效")
            raw = o.get("grades")
            if not isinstance(raw, list) or not raw or not all(isinstance(g, str) for g in raw):
                raise CatalogError(f"{_at(o, 'grades') if 'grades' in o else here}: 按模型 {model} 的等级调整时，grades 应为该模型等级编码的列表")
            if len(set(raw)) != len(raw):
                raise CatalogError(f"{_at(o, 'grades')}: grades 中有重复的等级")
            dep_grades = tuple(raw)
        out.append(Override(list_code, model, dep_grades, action, grade, reason, here))
    return tuple(out)


def parse_model(data, catalog: Catalog, fname: str) -> Model:
    """One model file's content (as loaded by `load_yaml`), checked on its own against the catalog."""
    if not isinstance(data, dict):
        raise CatalogError(f"{fname}:1: 模型文件应为映射（code、name、dimensions、grades ...）")
    here = _at(data)
    spec_keys(data, MODEL_KEYS, "模型定义")
    code = data.get("code")
    if not isinstance(code, str) or not _CODE.match(code) or len(code) > 40:
        raise CatalogError(f"{_at(data, 'code') if 'code' in data else here}: 模型编码 {code!r} 应为小写英文标识符（可用点分隔，不超过40个字符）")
    what = f"模型 {code} "
    name = spec_text(data, "name", what, here=here)
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise CatalogError(
            f"{_at(data, 'version') if 'version' in data else here}: {what}的 version 应为带引号的文字（如 \"2026.1\"），而不是 {version!r}"
        )
    legal_basis = spec_text(data, "legal_basis", what, here=here)
    kinds_spec = _sequence(data.get("subject_kinds"), _at(data, "subject_kinds") if "subject_kinds" in data else here, f"{what}的 subject_kinds ")
    if not kinds_spec:
        raise CatalogError(f"{_at(data, 'subject_kinds')}: {what}的 subject_kinds 不能为空")
    bad = [k for k in kinds_spec if k not in SUBJECT_KINDS]
    if bad:
        raise CatalogError(f"{_at(data, 'subject_kinds')}: 未知的主体类型 {bad}（可用: {', '.join(SUBJECT_KINDS)}）")
    if len(set(kinds_spec)) != len(kinds_spec):
        raise CatalogError(f"{_at(data, 'subject_kinds')}: subject_kinds 中有重复")
    kinds = tuple(kinds_spec)
    disclosures = ("public", "authorized")
    if data.get("disclosures") is not None:
        ds = _sequence(data["disclosures"], _at(data, "disclosures"), "disclosures ")
        bad = [d for d in ds if d not in DISCLOSURES]
        if not ds or bad:
            raise CatalogError(f"{_at(data, 'disclosures')}: disclosures 应为 {', '.join(DISCLOSURES)} 中的一个或多个，而不是 {list(ds)}")
        disclosures = tuple(dict.fromkeys(ds))

    scale = _mapping(data.get("scale"), _at(data, "scale") if "scale" in data else here, "评分范围 scale ")
    spec_keys(scale, {"min", "max"}, "评分范围 scale ")
    for key in ("min", "max"):
        if scale.get(key) is None:
            raise CatalogError(f"{_at(scale)}: 评分范围 scale 缺少 {key}")
    low = _milli(scale["min"], _at(scale, "min"), "评分下限 scale.min")
    high = _milli(scale["max"], _at(scale, "max"), "评分上限 scale.max")
    if low >= high:
        raise CatalogError(f"{_at(scale)}: 评分范围 scale 的 min 应小于 max")
    if data.get("base") is None:
        raise CatalogError(f"{here}: {what}缺少基础分 base")
    base = _milli(data["base"], _at(data, "base"), "基础分 base")
    if not low <= base <= high:
        raise CatalogError(f"{_at(data, 'base')}: 基础分 {points_text(base)} 不在评分范围 [{points_text(low)}, {points_text(high)}] 内")

    recognition = dict(DEFAULT_RECOGNITION)
    if data.get("recognition") is not None:
        rec = _mapping(data["recognition"], _at(data, "recognition"), "认定机关级别规则 recognition ")
        spec_keys(rec, {"positive", "negative", "warning", "basic"}, "认定机关级别规则 recognition ")
        for nature, level in rec.items():
            if level is not None and level not in LEVEL_RANK and level != "any":
                raise CatalogError(f"{_at(rec, nature)}: 认定机关级别 {level!r} 应为 {', '.join(LEVEL_RANK)} 或 any")
            recognition[str(nature)] = level
    recognition = {k: v for k, v in recognition.items() if v not in (None, "any")}

    dims_spec = _sequence(data.get("dimensions"), _at(data, "dimensions") if "dimensions" in data else here, f"{what}的 dimensions ")
    if not dims_spec:
        raise CatalogError(f"{_at(data, 'dimensions')}: {what}至少要有一个维度")
    dimensions: list[Dimension] = []
    indicator_at: dict[str, str] = {}
    for index, d in enumerate(dims_spec):
        d_here = _entry_at(dims_spec, index, d)
        d = _mapping(d, d_here, "维度定义")
        spec_keys(d, DIMENSION_KEYS, "维度定义")
        d_code = d.get("code")
        if not isinstance(d_code, str) or not _PART.match(d_code):
            raise CatalogError(f"{d_here}: 维度编码 {d_code!r} 应为小写英文标识符")
        if any(x.code == d_code for x in dimensions):
            raise CatalogError(f"{_at(d, 'code')}: 重复的维度编码 {d_code}")
        d_name = spec_text(d, "name", f"维度 {d_code} ", here=d_here)
        d_low, d_high = _bounds(d, f"维度 {d_code} ")
        inds_spec = _sequence(d.get("indicators"), _at(d, "indicators") if "indicators" in d else d_here, f"维度 {d_code} 的 indicators ")
        if not inds_spec:
            raise CatalogError(f"{_at(d, 'indicators')}: 维度 {d_code} 至少要有一个指标")
        indicators = []
        for i_index, i_spec in enumerate(inds_spec):
            ind = _indicator(i_spec, kinds, disclosures, catalog, _entry_at(inds_spec, i_index, i_spec))
            if ind.code in indicator_at:
                raise CatalogError(f"{_at(i_spec, 'code')}: 重复的指标编码 {ind.code}（已在 {indicator_at[ind.code]} 定义）")
            indicator_at[ind.code] = ind.source
            indicators.append(ind)
        dimensions.append(Dimension(d_code, d_name, d_low, d_high, tuple(indicators), spec_text(d, "description", "", required=False, here=d_here), d_here))

    grades = _grades(data, low, high)
    model = Model(
        code=code, name=name, version=version.strip(), legal_basis=legal_basis,
        description=spec_text(data, "description", what, required=False, here=here), subject_kinds=kinds,
        disclosures=disclosures, min_milli=low, max_milli=high, base_milli=base,
        recognition=tuple(recognition.items()), dimensions=tuple(dimensions), grades=grades,
        overrides=_overrides(data, grades, catalog), file=fname, source=here,
    )
    _check_dead_rules(model)
    return model


def _check_dead_rules(model: Model) -> None:
    """A record counts under the first rule it matches: a rule that every record it could match
    already matches earlier is a mistake (an item listed under two indicators, say)."""
    specs = model.rule_specs()
    for n, (ind, item, severity, field, value, level, _) in enumerate(specs):
        for e_ind, e_item, e_sev, e_field, e_value, e_level, _ in specs[:n]:
            if (
                e_item == item
                and (e_sev is None or e_sev == severity)
                and (e_field is None or (e_field == field and e_value == value))
                and e_level <= level
            ):
                what = "" if severity is None and value is None else f"（{severity or value}）"
                raise CatalogError(
                    f"{ind.source}: 指标 {ind.code} 中信息项 {item}{what} 的记录永远不会计入本指标："
                    f"已先计入指标 {e_ind.code}（{e_ind.source}）"
                )


# ---------------------------------------------------------------- the whole set
def load_models(directory: Path | str | None = None, catalog: Catalog | None = None) -> dict[str, Model]:
    """Every model file of `directory` (default: the shipped definitions), checked against the
    catalog and against each other. Returns the models by code, in code order."""
    directory = Path(directory) if directory is not None else DEFAULT_DIR
    catalog = catalog if catalog is not None else get_catalog()
    models: dict[str, Model] = {}
    for path in sorted(directory.glob("*.yaml")):
        fname = path.name
        model = parse_model(load_yaml(path, name=fname), catalog, fname)
        if model.code in models:
            raise CatalogError(f"{model.source}: 重复的模型编码 {model.code}（已在 {models[model.code].source} 定义）")
        models[model.code] = model
    for model in models.values():
        for o in model.overrides:
            if o.model is None:
                continue
            dep = models.get(o.model)
            if dep is None:
                raise CatalogError(f"{o.source}: 调整规则引用了不存在的模型 {o.model!r}（可用: {', '.join(models) or '无'}）")
            bad = [g for g in o.grades if dep.grade(g) is None]
            if bad:
                raise CatalogError(f"{o.source}: 模型 {dep.code} 没有等级 {bad}（可用: {', '.join(g.code for g in dep.grades)}）")
            if not set(dep.subject_kinds) & set(model.subject_kinds):
                raise CatalogError(f"{o.source}: 模型 {dep.code} 不评价本模型的任何主体类型，该调整规则永远不会适用")
    _check_cycles(models)
    return dict(sorted(models.items()))


def _check_cycles(models: dict[str, Model]) -> None:
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(code: str, path: list[str]) -> None:
        state[code] = 1
        for o in models[code].overrides:
            if o.model is None:
                continue
            if state.get(o.model) == 1:
                cycle = [*path[path.index(o.model):], o.model] if o.model in path else [code, o.model]
                raise CatalogError(f"{o.source}: 模型之间循环引用：{' → '.join(cycle)}")
            if o.model not in state:
                visit(o.model, [*path, o.model])
        state[code] = 2

    for code in models:
        if code not in state:
            visit(code, [code])


# ---------------------------------------------------------------- access
_lock = Lock()
_cache: dict[str, tuple[tuple, dict[str, Model]]] = {}


def models_dir() -> Path:
    return Path(settings.XINYONG.get("EVALUATION_MODELS_DIR") or DEFAULT_DIR)


def _stamp(directory: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.yaml")))


_recheck = Recheck()


def get_models() -> dict[str, Model]:
    """The loaded models by code; reloaded when a model file or the catalog changes (the files
    looked at every few seconds at most: `Recheck`)."""
    directory = models_dir()
    catalog = get_catalog()
    key = str(directory)
    hit = _cache.get(key)
    if hit is not None and hit[0][1] == catalog.digest and not _recheck.due(key):
        return hit[1]
    stamp = (_stamp(directory), catalog.digest)
    with _lock:
        hit = _cache.get(key)
        if not (hit and hit[0] == stamp):
            hit = (stamp, load_models(directory, catalog))
            _cache[key] = hit
        _recheck.done(key)
        return hit[1]
