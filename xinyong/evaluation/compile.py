"""Loaded models → the engines' tables (`compiled.Compiled`).

Item patterns are already expanded by the loader (`Indicator.resolved`); here each (item, points
entry) becomes a `RuleRow` numbered in file order, with `min_level` derived from the item's nature
and the model's recognition rule (or the indicator's own `min_level`), and each model gets its
stage: 0 when it depends on no other model, else one more than its deepest dependency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from xinyong.common.errors import CatalogError

from .compiled import (
    Compiled,
    DecayRow,
    DimensionRow,
    DisclosureRow,
    GradeRow,
    IndicatorRow,
    KindRow,
    ModelRow,
    OverrideRow,
    RuleRow,
)
from .loader import Model


def stages(models: Mapping[str, Model]) -> dict[str, int]:
    """Each model's stage. Every model an override names must be among `models` (a set evaluated
    together); the loader has refused cycles already."""
    out: dict[str, int] = {}

    def stage(code: str, seen: tuple[str, ...]) -> int:
        if code in out:
            return out[code]
        model = models[code]
        deepest = -1
        for o in model.overrides:
            if o.model is None:
                continue
            if o.model not in models:
                raise CatalogError(f"{o.source}: 模型 {code} 依赖的模型 {o.model} 不在一起评价的模型中")
            if o.model in seen:
                raise CatalogError(f"{o.source}: 模型之间循环引用：{' → '.join([*seen, o.model])}")
            deepest = max(deepest, stage(o.model, (*seen, o.model)))
        out[code] = deepest + 1
        return out[code]

    for code in models:
        stage(code, (code,))
    return out


def compile_models(models: Mapping[str, Model] | Iterable[Model]) -> Compiled:
    """The tables of a set of models evaluated together (in code order)."""
    by_code = dict(models) if isinstance(models, Mapping) else {m.code: m for m in models}
    by_code = dict(sorted(by_code.items()))
    stage_of = stages(by_code)
    c = Compiled([], [], [], [], [], [], [], [], [])
    for code, m in by_code.items():
        c.models.append(ModelRow(code, m.version, stage_of[code], m.base_milli, m.min_milli, m.max_milli))
        c.kinds.extend(KindRow(code, k) for k in m.subject_kinds)
        c.disclosures.extend(DisclosureRow(code, d) for d in m.disclosures)
        for d in m.dimensions:
            c.dimensions.append(DimensionRow(code, d.code, d.min_milli, d.max_milli))
            for i in d.indicators:
                c.indicators.append(IndicatorRow(code, d.code, i.code, i.count, i.min_milli, i.max_milli, i.decay is not None))
                c.decay.extend(DecayRow(code, i.code, year, pct) for year, pct in enumerate(i.decay or ()))
        for rule_no, (ind, item, severity, field, value, level, milli) in enumerate(m.rule_specs(), start=1):
            c.rules.append(RuleRow(code, rule_no, ind.code, item, severity, field, value, level, milli))
        for rank, g in enumerate(m.grades, start=1):
            c.grades.append(GradeRow(code, g.code, g.name, rank, g.from_milli, g.to_milli))
        for seq, o in enumerate(m.overrides, start=1):
            if o.list_code is not None:
                c.overrides.append(OverrideRow(code, seq, o.list_code, None, None, o.action, o.grade, o.reason))
            else:
                c.overrides.extend(OverrideRow(code, seq, None, o.model, g, o.action, o.grade, o.reason) for g in o.grades)
    return c
