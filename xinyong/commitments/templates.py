"""Commitment templates (信用承诺书范本): `definitions/templates.yaml`, loaded and checked against
the measures catalog's matter types, the catalog's items, systems and lists.

    t = get_templates().templates["licensing.approval"]
    t.render(subject_name=..., subject_code=..., matter=..., case_no=..., department=...)

A template that cannot be used the way it reads is refused at load with "templates.yaml:line:
reason" (`CatalogError`): an unknown key, matter, kind, system, breach item or list; a focus list
that is not a designated focus list; a placeholder that is not offered, or a required one
missing; a validity that is not a positive number of months; a template that no department could
accept (its systems do not own the breach item). The Django system check `commitments.E001` runs
the load when the server, the worker or a management command starts.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

from django.core import checks

from xinyong.catalog.registry import get_catalog
from xinyong.common.errors import CatalogError
from xinyong.common.yamlconf import load_yaml, spec_keys, spec_text, where

TEMPLATES_FILE = Path(__file__).resolve().parent / "definitions" / "templates.yaml"
FNAME = "templates.yaml"

# 国办发〔2019〕35号: the types of commitments; the labels are the catalog's 承诺类型 choices
KINDS = {
    "approval_substitute": "审批替代型",
    "incomplete_materials": "容缺受理型",
    "certification_substitute": "证明替代型",
    "repair": "信用修复型",
    "self_discipline": "行业自律型",
    "voluntary": "主动型",
    "other": "其他",
}
DISCLOSURES = {"public": "公开", "authorized": "有限公开", "internal": "不公开"}
PLACEHOLDERS = {"subject_name", "subject_code", "matter", "case_no", "department"}
REQUIRED_PLACEHOLDERS = {"subject_name", "subject_code", "case_no"}
TOP_KEYS = {"version", "matters", "templates"}
MATTER_KEYS = {"code", "name"}
TEMPLATE_KEYS = {"code", "matter", "kind", "name", "text", "legal_basis", "validity_months", "disclosure", "systems", "breach"}
BREACH_KEYS = {"item", "severity", "focus_list", "focus_basis"}


@dataclass(frozen=True)
class Breach:
    item: str  # the item family: the record is <item>.<system of the accepting department>
    severity: str
    focus_list: str | None
    focus_basis: str

    def as_dict(self) -> dict:
        return {"item": self.item, "severity": self.severity, "focus_list": self.focus_list, "focus_basis": self.focus_basis}


@dataclass(frozen=True)
class Template:
    code: str
    matter: str
    matter_name: str
    kind: str
    name: str
    text: str
    legal_basis: str
    validity_months: int | None
    disclosure: str
    systems: frozenset[str]  # systems whose departments accept it
    breach: Breach
    source: str

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def validity_label(self) -> str:
        return f"{self.validity_months}个月" if self.validity_months else "长期（至事项办结）"

    def accepts(self, department) -> bool:
        return department is not None and department.system in self.systems

    def render(self, **values: str) -> str:
        return self.text.format(**{k: values.get(k, "") for k in PLACEHOLDERS})


@dataclass(frozen=True)
class Templates:
    version: str
    matters: dict[str, str]  # code → name (those that have templates)
    templates: dict[str, Template]

    def for_matter(self, matter: str) -> list[Template]:
        return [t for t in self.templates.values() if t.matter == matter]

    def get(self, code: str) -> Template | None:
        return self.templates.get(code)


def _measure_matters() -> dict:
    from xinyong.measures.loader import get_measures

    return {code: m for code, m in get_measures().matters.items()}


def load_templates(path: Path | str = TEMPLATES_FILE, *, text: str | None = None) -> Templates:
    data = load_yaml(Path(path), text=text, name=FNAME)
    if not isinstance(data, dict) or not isinstance(data.get("templates"), list):
        raise CatalogError(f"{FNAME}:1: 应有 templates: [...]")
    spec_keys(data, TOP_KEYS, "承诺书范本文件")
    if not isinstance(data.get("version"), str) or not data["version"].strip():
        raise CatalogError(f"{FNAME}:1: 缺少 version（如 \"2026.11\"，须加引号）")
    catalog = get_catalog()
    measure_matters = _measure_matters()
    matters: dict[str, tuple[str, frozenset | None]] = {code: (m.name, m.remit) for code, m in measure_matters.items()}
    for spec in data.get("matters") or []:
        spec_keys(spec, MATTER_KEYS, "事项类型")
        code = spec_text(spec, "code", "事项类型")
        if code in matters:
            raise CatalogError(f"{where(spec, 'code')}: 事项类型 {code} 已在 measures/definitions/matters.yaml 或本文件定义")
        matters[code] = (spec_text(spec, "name", f"事项类型 {code} "), None)
    out: dict[str, Template] = {}
    for spec in data["templates"]:
        spec_keys(spec, TEMPLATE_KEYS, "承诺书范本")
        code = spec_text(spec, "code", "承诺书范本")
        what = f"承诺书范本 {code} "
        if code in out:
            raise CatalogError(f"{where(spec, 'code')}: 重复的承诺书范本 {code}（已在 {out[code].source} 定义）")
        matter = spec_text(spec, "matter", what)
        if matter not in matters:
            raise CatalogError(f"{where(spec, 'matter')}: {what}的事项类型 {matter} 未定义（见 measures/definitions/matters.yaml）")
        kind = spec_text(spec, "kind", what)
        if kind not in KINDS:
            raise CatalogError(f"{where(spec, 'kind')}: {what}的 kind 应为 {', '.join(KINDS)}，而不是 {kind!r}")
        body = spec_text(spec, "text", what)
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(body) if name is not None}
        except ValueError as exc:
            raise CatalogError(f"{where(spec, 'text')}: {what}的 text 中花括号不成对（{exc}）") from None
        unknown = sorted(used - PLACEHOLDERS)
        if unknown:
            raise CatalogError(f"{where(spec, 'text')}: {what}的 text 中有未知的占位符 {unknown}（可用: {', '.join(sorted(PLACEHOLDERS))}）")
        missing = sorted(REQUIRED_PLACEHOLDERS - used)
        if missing:
            raise CatalogError(f"{where(spec, 'text')}: {what}的 text 缺少占位符 {missing}")
        months = spec.get("validity_months")
        if months is not None and (not isinstance(months, int) or isinstance(months, bool) or months < 1):
            raise CatalogError(f"{where(spec, 'validity_months')}: {what}的 validity_months 应为不小于 1 的整数或 null，而不是 {months!r}")
        disclosure = spec_text(spec, "disclosure", what, required=False) or "public"
        if disclosure not in DISCLOSURES:
            raise CatalogError(f"{where(spec, 'disclosure')}: {what}的 disclosure 应为 public、authorized 或 internal，而不是 {disclosure!r}")
        # the breach
        bspec = spec.get("breach")
        if bspec is None:
            raise CatalogError(f"{where(spec)}: {what}缺少 breach（违背承诺的后果）")
        spec_keys(bspec, BREACH_KEYS, f"{what}的 breach ")
        family = spec_text(bspec, "item", f"{what}的 breach ")
        items = {i.owner: i for c, i in catalog.items.items() if c.startswith(f"{family}.")}
        if not items:
            raise CatalogError(f"{where(bspec, 'item')}: {what}的 breach.item {family} 不是目录中的信息项族（见 catalog/definitions/items）")
        sample = next(iter(items.values()))
        if sample.nature != "negative":
            raise CatalogError(f"{where(bspec, 'item')}: {what}的 breach.item {family} 应为不良信息（nature: negative）")
        severity = spec_text(bspec, "severity", f"{what}的 breach ")
        sev_field = next((f for f in sample.fields if f.role == "severity"), None)
        if sev_field is None or severity not in sev_field.choices:
            raise CatalogError(f"{where(bspec, 'severity')}: {what}的 breach.severity 应为 {', '.join(sev_field.choices) if sev_field else '（该信息项没有失信严重程度字段）'}，而不是 {severity!r}")
        focus = bspec.get("focus_list")
        focus_basis = spec_text(bspec, "focus_basis", f"{what}的 breach ", required=False)
        if focus is not None:
            lt = catalog.lists.get(str(focus))
            if lt is None:
                raise CatalogError(f"{where(bspec, 'focus_list')}: {what}的 breach.focus_list {focus} 不是已定义的名单（见 lists.yaml）")
            if lt.kind != "focus" or lt.derived:
                raise CatalogError(f"{where(bspec, 'focus_list')}: {what}的 breach.focus_list {focus} 应为由部门认定的重点关注名单（kind: focus，无 rules）")
            if not focus_basis:
                raise CatalogError(f"{where(bspec)}: {what}的 breach 有 focus_list，须写明 focus_basis（拟列入的法律依据）")
        # who accepts it
        remit = matters[matter][1]
        if "systems" in spec:
            systems_spec = spec.get("systems")
            if not isinstance(systems_spec, list) or not systems_spec or not all(isinstance(s, str) for s in systems_spec):
                raise CatalogError(f"{where(spec, 'systems')}: {what}的 systems 应为条线编码列表")
            bad = [s for s in systems_spec if s not in catalog.systems]
            if bad:
                raise CatalogError(f"{where(spec, 'systems')}: {what}的 systems 中有未知的条线 {bad}（见 departments.yaml）")
            outside = [s for s in systems_spec if remit is not None and s not in remit]
            if outside:
                raise CatalogError(f"{where(spec, 'systems')}: {what}的 systems 中 {outside} 没有事项类型 {matter} 的职责（remit）")
            systems = set(systems_spec)
        else:
            systems = set(remit) if remit is not None else set(catalog.systems)
        systems &= set(items)
        if not systems:
            raise CatalogError(f"{where(spec)}: {what}没有可以受理的部门：受理条线须同时是 {family} 的报送条线（一数一源）")
        out[code] = Template(
            code=code, matter=matter, matter_name=matters[matter][0], kind=kind, name=spec_text(spec, "name", what), text=body.strip(),
            legal_basis=spec_text(spec, "legal_basis", what), validity_months=months, disclosure=disclosure, systems=frozenset(systems),
            breach=Breach(item=family, severity=severity, focus_list=str(focus) if focus is not None else None, focus_basis=focus_basis),
            source=where(spec),
        )
    used_matters = {t.matter for t in out.values()}
    return Templates(version=str(data["version"]).strip(), matters={c: matters[c][0] for c in matters if c in used_matters}, templates=out)


_lock = Lock()
_cache: dict[str, tuple[tuple, Templates]] = {}


def get_templates() -> Templates:
    """The loaded templates; reloaded when the file, the catalog or the measures catalog change."""
    stat = TEMPLATES_FILE.stat()
    from xinyong.measures.loader import get_measures

    stamp = (stat.st_mtime_ns, stat.st_size, get_catalog().digest, get_measures().digest)
    with _lock:
        hit = _cache.get("t")
        if hit is None or hit[0] != stamp:
            hit = (stamp, load_templates(TEMPLATES_FILE))
            _cache["t"] = hit
        return hit[1]


@checks.register("xinyong")
def check_templates(app_configs=None, **kwargs):
    """At start-up (runserver, worker, migrate, check): the templates load."""
    try:
        get_templates()
    except CatalogError as exc:
        return [checks.Error(f"信用承诺书范本有误：{exc.message}", id="commitments.E001")]
    return []
