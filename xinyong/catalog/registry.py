"""The catalog registry: regions, departments, information items and publication rules, loaded
from the versioned YAML under `definitions/` and validated as a whole.

Everything here is immutable data. The database mirrors what was loaded (`catalog sync`) so that a
change that would orphan stored records can be refused; see services.catalog_sync.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from threading import Lock

from django.conf import settings

from xinyong.common.errors import CatalogError
from xinyong.common.yamlconf import LDict, load_yaml, where

FIELD_TYPES = {
    "text", "string", "enum", "date", "decimal", "integer", "year", "uscc", "id_number",
    "region_code", "commitment_code",
}
ROLES = {
    "subject_name", "subject_category", "uscc", "id_number", "reg_no", "org_code", "tax_no",
    "institution_no", "social_org_no", "document_no", "decided_on", "valid_from", "valid_until",
    "severity", "source_id", "publication_end", "authority_level", "disclosure", "subject_status",
}
LEGACY_ROLES = ("reg_no", "org_code", "tax_no", "institution_no", "social_org_no")
SUBJECT_KINDS = {
    "enterprise": "企业",
    "individual_business": "个体工商户",
    "public_institution": "事业单位",
    "social_organization": "社会组织",
    "credit_service_agency": "信用服务机构",
    "other_organization": "其他组织",
    "individual": "自然人",
}
NATURES = {"basic": "基础", "positive": "良好", "negative": "不良", "warning": "提示"}
DISCLOSURES = {"public": "公开", "authorized": "授权查询", "internal": "内部"}
LEVELS = {"province": "省级", "city": "市级", "county": "县级"}
SENSITIVE_KINDS = {"id_number", "person_name", "phone"}
FIELD_KEYS = {
    "name", "use", "label", "type", "required", "max_length", "choices", "multi", "min", "max",
    "decimals", "not_future", "not_before", "allow", "role", "sensitive", "public", "aliases",
    "help", "pattern", "pattern_message", "map",
}
ITEM_KEYS = {
    "code", "name", "kind", "owner", "owners", "levels", "nature", "disclosure",
    "disclosure_rules", "subject_kinds", "publication", "reporting_deadline", "legal_basis",
    "key_fields", "fields", "row_rules", "public_person_name", "description",
}


# ---------------------------------------------------------------- durations
_DURATION = re.compile(r"^(\d+)([DMY])$")


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: str  # D, M, Y

    @classmethod
    def parse(cls, text, where_: str) -> Duration:
        m = _DURATION.match(str(text).strip().upper())
        if not m:
            raise CatalogError(f"{where_}: 无法识别的期限 {text!r}（应如 3M、1Y、10D）")
        return cls(int(m.group(1)), m.group(2))

    def after(self, day: date) -> date:
        if self.unit == "D":
            return day + timedelta(days=self.amount)
        months = self.amount * (12 if self.unit == "Y" else 1)
        return add_months(day, months)

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    @property
    def chinese(self) -> str:
        return f"{self.amount}{ {'D': '日', 'M': '个月', 'Y': '年'}[self.unit] }"


def add_months(day: date, months: int) -> date:
    """Same day `months` later; the last day of the month when that day does not exist."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, d))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# ---------------------------------------------------------------- data classes
@dataclass(frozen=True)
class Region:
    code: str
    name: str
    short: str
    level: str
    parent: str | None
    gb2260: bool = True


@dataclass(frozen=True)
class System:
    code: str
    name: str
    province_name: str
    now: str
    city: str | None
    county: str | None
    role: str = ""


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    short_name: str
    system: str | None
    level: str
    region: str
    parent: str | None
    now: str = ""
    kind: str = "government"


@dataclass(frozen=True)
class FieldDef:
    name: str
    label: str
    type: str
    required: bool = False
    required_when: tuple[tuple[str, frozenset], ...] = ()
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    multi: bool = False
    min: object = None
    max: object = None
    decimals: int | None = None
    not_future: bool = False
    not_before: str | None = None
    allow: tuple[str, ...] = ()
    role: str | None = None
    sensitive: str | None = None
    public: bool = True
    aliases: tuple[str, ...] = ()
    help: str = ""
    pattern: str | None = None
    pattern_message: str | None = None
    map: tuple[tuple[str, str], ...] = ()

    @property
    def is_public(self) -> bool:
        return self.public and not self.sensitive


@dataclass(frozen=True)
class RowRule:
    when: tuple[tuple[str, frozenset], ...]
    require: tuple[str, ...] = ()
    require_any: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class DisclosureRule:
    when: tuple[tuple[str, frozenset], ...]
    disclosure: str
    basis: str = ""


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    kind: str
    family: str | None
    owner: str
    levels: tuple[str, ...]
    nature: str
    disclosure: str
    disclosure_rules: tuple[DisclosureRule, ...]
    subject_kinds: tuple[str, ...]
    publication: str
    reporting_deadline_days: int | None
    legal_basis: str
    key_fields: tuple[str, ...]
    fields: tuple[FieldDef, ...]
    row_rules: tuple[RowRule, ...]
    public_person_name: bool
    source: str

    @cached_property
    def field_map(self) -> dict[str, FieldDef]:
        return {f.name: f for f in self.fields}

    @cached_property
    def roles(self) -> dict[str, str]:
        """role → field name."""
        return {f.role: f.name for f in self.fields if f.role}

    @cached_property
    def headers(self) -> dict[str, str]:
        """Every accepted column header (label, aliases, name) → field name."""
        out: dict[str, str] = {}
        for f in self.fields:
            for h in (f.name, f.label, *f.aliases):
                out.setdefault(_header_key(h), f.name)
        return out

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "family": self.family,
            "owner": self.owner,
            "levels": list(self.levels),
            "nature": self.nature,
            "nature_label": NATURES[self.nature],
            "disclosure": self.disclosure,
            "disclosure_label": DISCLOSURES[self.disclosure],
            "disclosure_rules": [
                {"when": {k: sorted(v) for k, v in r.when}, "disclosure": r.disclosure, "basis": r.basis}
                for r in self.disclosure_rules
            ],
            "subject_kinds": list(self.subject_kinds),
            "publication": self.publication,
            "reporting_deadline_working_days": self.reporting_deadline_days,
            "legal_basis": self.legal_basis,
            "key_fields": list(self.key_fields),
            "public_person_name": self.public_person_name,
            "fields": [
                {
                    "name": f.name,
                    "label": f.label,
                    "type": f.type,
                    "required": f.required,
                    "required_when": {k: sorted(v) for k, v in f.required_when},
                    "max_length": f.max_length,
                    "choices": list(f.choices),
                    "multi": f.multi,
                    "min": None if f.min is None else str(f.min),
                    "max": None if f.max is None else str(f.max),
                    "role": f.role,
                    "sensitive": f.sensitive,
                    "public": f.is_public,
                    "aliases": list(f.aliases),
                    "help": f.help,
                }
                for f in self.fields
            ],
        }


@dataclass(frozen=True)
class Period:
    publish: bool = True
    min: Duration | None = None
    max: Duration | None = None


@dataclass(frozen=True)
class RuleVersion:
    effective_from: date
    basis: str
    periods: dict  # severity → Period
    until_field: str | None
    default: Period


@dataclass(frozen=True)
class RuleSet:
    code: str
    title: str
    select_by: str
    start_role: str
    by: str | None
    versions: tuple[RuleVersion, ...]  # newest first

    def version_for(self, day: date) -> RuleVersion:
        for v in self.versions:
            if day >= v.effective_from:
                return v
        return self.versions[-1]


@dataclass
class Catalog:
    version: str
    digest: str
    regions: dict[str, Region]
    systems: dict[str, System]
    departments: dict[str, Department]
    items: dict[str, Item]
    rule_sets: dict[str, RuleSet]
    credit_centre: str
    files: list[str] = field(default_factory=list)

    def item(self, code: str) -> Item | None:
        return self.items.get(code)

    def department(self, code: str) -> Department | None:
        return self.departments.get(code)

    def items_for_department(self, dept: Department) -> list[Item]:
        return [i for i in self.items.values() if i.owner == dept.system and dept.level in i.levels]

    def as_dict(self) -> dict:
        return {
            "version": self.version,
            "digest": self.digest,
            "items": [i.as_dict() for i in self.items.values()],
            "systems": [
                {"code": s.code, "name": s.name, "province": s.province_name, "now": s.now}
                for s in self.systems.values()
            ],
            "departments": len(self.departments),
            "regions": len(self.regions),
            "publication_rules": {
                code: {
                    "title": rs.title,
                    "versions": [
                        {
                            "effective_from": v.effective_from.isoformat(),
                            "basis": v.basis,
                            "periods": {
                                k: {"publish": p.publish, "min": str(p.min) if p.min else None, "max": str(p.max) if p.max else None}
                                for k, p in v.periods.items()
                            },
                            "until_field": v.until_field,
                        }
                        for v in rs.versions
                    ],
                }
                for code, rs in self.rule_sets.items()
            },
        }


def _header_key(text: str) -> str:
    import unicodedata

    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).casefold()


header_key = _header_key


# ---------------------------------------------------------------- loading
def _cond(spec, where_: str) -> tuple[tuple[str, frozenset], ...]:
    if not isinstance(spec, dict) or not spec:
        raise CatalogError(f"{where_}: 条件应为 {{字段: [取值...]}}")
    out = []
    for k, v in spec.items():
        values = v if isinstance(v, list) else [v]
        out.append((str(k), frozenset(str(x) for x in values)))
    return tuple(out)


def _field(spec: dict, library: dict[str, dict], where_: str) -> FieldDef:
    if "use" in spec:
        base = library.get(spec["use"])
        if base is None:
            raise CatalogError(f"{where_}: 未定义的共享字段 {spec['use']!r}")
        merged = dict(base)
        merged.update({k: v for k, v in spec.items() if k != "use"})
        merged.setdefault("name", spec["use"])
        spec = merged
    unknown = set(spec) - FIELD_KEYS
    if unknown:
        raise CatalogError(f"{where_}: 字段定义中有未知的键 {sorted(unknown)}")
    name = spec.get("name")
    if not name or not re.match(r"^[a-z][a-z0-9_]*$", str(name)):
        raise CatalogError(f"{where_}: 字段名 {name!r} 应为小写英文标识符")
    ftype = spec.get("type")
    if ftype not in FIELD_TYPES:
        raise CatalogError(f"{where_}: 字段 {name} 的类型 {ftype!r} 不受支持（可用: {', '.join(sorted(FIELD_TYPES))}）")
    if not spec.get("label"):
        raise CatalogError(f"{where_}: 字段 {name} 缺少中文名称 label")
    role = spec.get("role")
    if role is not None and role not in ROLES:
        raise CatalogError(f"{where_}: 字段 {name} 的用途 role {role!r} 不受支持")
    sensitive = spec.get("sensitive")
    if sensitive is not None and sensitive not in SENSITIVE_KINDS:
        raise CatalogError(f"{where_}: 字段 {name} 的 sensitive {sensitive!r} 不受支持")
    choices = tuple(str(c) for c in spec.get("choices") or ())
    if ftype == "enum" and not choices:
        raise CatalogError(f"{where_}: 枚举字段 {name} 缺少 choices")
    required = spec.get("required", False)
    required_when: tuple = ()
    if isinstance(required, dict):
        required_when, required = _cond(required, where_), False
    elif not isinstance(required, bool):
        raise CatalogError(f"{where_}: 字段 {name} 的 required 应为 true/false 或条件")
    max_length = spec.get("max_length")
    if max_length is not None and (not isinstance(max_length, int) or max_length <= 0):
        raise CatalogError(f"{where_}: 字段 {name} 的 max_length 应为正整数")
    if ftype in ("string", "text") and max_length is None:
        raise CatalogError(f"{where_}: 文本字段 {name} 须声明 max_length")
    pattern = spec.get("pattern")
    if pattern:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise CatalogError(f"{where_}: 字段 {name} 的 pattern 无效: {exc}") from exc
    mapping = spec.get("map") or {}
    if mapping and set(mapping.values()) - set(DISCLOSURES) and role == "disclosure":
        raise CatalogError(f"{where_}: 字段 {name} 的 map 取值应为 {sorted(DISCLOSURES)}")
    mn, mx = spec.get("min"), spec.get("max")
    if ftype == "date":
        for bound in (mn, mx):
            if bound is not None and not isinstance(bound, date):
                raise CatalogError(f"{where_}: 字段 {name} 的日期界限应写作 YYYY-MM-DD")
    elif (mn is not None or mx is not None) and ftype not in ("decimal", "integer", "year"):
        raise CatalogError(f"{where_}: 字段 {name} 的类型 {ftype} 不能设置 min/max")
    return FieldDef(
        name=str(name),
        label=str(spec["label"]),
        type=ftype,
        required=bool(required),
        required_when=required_when,
        max_length=max_length,
        choices=choices,
        multi=bool(spec.get("multi", False)),
        min=mn,
        max=mx,
        decimals=spec.get("decimals"),
        not_future=bool(spec.get("not_future", False)),
        not_before=spec.get("not_before"),
        allow=tuple(str(a) for a in spec.get("allow") or ()),
        role=role,
        sensitive=sensitive,
        public=bool(spec.get("public", True)),
        aliases=tuple(str(a) for a in spec.get("aliases") or ()),
        help=str(spec.get("help", "")),
        pattern=pattern,
        pattern_message=spec.get("pattern_message"),
        map=tuple((str(k), str(v)) for k, v in mapping.items()),
    )


def _expand_fields(entries, library, groups, where_) -> list[FieldDef]:
    out: list[FieldDef] = []
    for entry in entries or []:
        here = where(entry) if isinstance(entry, LDict) else where_
        if isinstance(entry, str) and entry.startswith("$"):
            group = groups.get(entry[1:])
            if group is None:
                raise CatalogError(f"{where_}: 未定义的字段组 {entry!r}")
            out.extend(_expand_fields(group, library, groups, where_))
        elif isinstance(entry, str):
            if entry not in library:
                raise CatalogError(f"{where_}: 未定义的共享字段 {entry!r}")
            out.append(_field({"use": entry}, library, where_))
        elif isinstance(entry, dict):
            out.append(_field(entry, library, here))
        else:
            raise CatalogError(f"{where_}: 无法识别的字段条目 {entry!r}")
    return out


def _row_rules(entries, shared: dict, where_: str) -> list[RowRule]:
    rules: list[RowRule] = []
    for entry in entries or []:
        if isinstance(entry, str) and entry.startswith("$"):
            if entry[1:] not in shared:
                raise CatalogError(f"{where_}: 未定义的行规则组 {entry!r}")
            rules.extend(_row_rules(shared[entry[1:]], shared, where_))
            continue
        here = where(entry)
        if not isinstance(entry, dict) or "when" not in entry:
            raise CatalogError(f"{here}: 行规则须有 when")
        rules.append(
            RowRule(
                when=_cond(entry["when"], here),
                require=tuple(entry.get("require") or ()),
                require_any=tuple(entry.get("require_any") or ()),
                message=str(entry.get("message", "")),
            )
        )
    return rules


def _load_rule_sets(data, fname) -> dict[str, RuleSet]:
    out: dict[str, RuleSet] = {}
    for code, spec in (data.get("rule_sets") or {}).items():
        here = where(spec)
        versions = []
        for v in spec.get("versions") or []:
            vw = where(v)
            eff = v.get("effective_from")
            if not isinstance(eff, date):
                raise CatalogError(f"{vw}: effective_from 应写作 YYYY-MM-DD")
            periods = {}
            for sev, p in (v.get("periods") or {}).items():
                pw = where(p) if isinstance(p, LDict) else vw
                period = Period(
                    publish=bool(p.get("publish", True)),
                    min=Duration.parse(p["min"], pw) if p.get("min") else None,
                    max=Duration.parse(p["max"], pw) if p.get("max") else None,
                )
                if period.min and period.max and period.min.after(date(2000, 1, 1)) > period.max.after(date(2000, 1, 1)):
                    raise CatalogError(f"{pw}: 最短公示期长于最长公示期")
                periods[str(sev)] = period
            d = v.get("default") or {}
            default = Period(
                publish=bool(d.get("publish", True)),
                min=Duration.parse(d["min"], vw) if d.get("min") else None,
                max=Duration.parse(d["max"], vw) if d.get("max") else None,
            )
            versions.append(RuleVersion(eff, str(v.get("basis", "")), periods, v.get("until_field"), default))
        if not versions:
            raise CatalogError(f"{here}: 公示规则 {code} 没有任何版本")
        versions.sort(key=lambda v: v.effective_from, reverse=True)
        if len({v.effective_from for v in versions}) != len(versions):
            raise CatalogError(f"{here}: 公示规则 {code} 有两个版本生效日期相同")
        out[str(code)] = RuleSet(
            code=str(code),
            title=str(spec.get("title", code)),
            select_by=str(spec.get("select_by", "decided_on")),
            start_role=str(spec.get("from", "decided_on")),
            by=spec.get("by"),
            versions=tuple(versions),
        )
    return out


def _region_name_for_dept(region: Region, regions: dict[str, Region]) -> str:
    if region.level == "county" and region.name.endswith("区") and region.parent:
        return regions[region.parent].name + region.name
    return region.name


def load_catalog(directory: Path | str | None = None) -> Catalog:
    directory = Path(directory or settings.XINYONG["CATALOG_DIR"])
    digest = hashlib.sha256()
    files = sorted(p for p in directory.rglob("*.yaml"))
    for p in files:
        digest.update(p.relative_to(directory).as_posix().encode())
        digest.update(p.read_bytes())

    # regions
    rdata = load_yaml(directory / "regions.yaml")
    regions: dict[str, Region] = {}
    for r in rdata["regions"]:
        code = str(r["code"])
        if not re.match(r"^22\d{4}$", code):
            raise CatalogError(f"{where(r)}: 行政区划代码 {code} 不是吉林省的 6 位代码")
        if code in regions:
            raise CatalogError(f"{where(r)}: 重复的行政区划代码 {code}")
        if r["level"] not in LEVELS:
            raise CatalogError(f"{where(r)}: 未知的级别 {r['level']!r}")
        regions[code] = Region(code, str(r["name"]), str(r.get("short", r["name"])), r["level"], r.get("parent"), bool(r.get("gb2260", True)))

    # systems and departments
    ddata = load_yaml(directory / "departments.yaml")
    systems: dict[str, System] = {}
    departments: dict[str, Department] = {}

    def add_dept(d: Department, here: str) -> None:
        if d.code in departments:
            raise CatalogError(f"{here}: 重复的部门编码 {d.code}")
        departments[d.code] = d

    for s in ddata["systems"]:
        code = str(s["code"])
        if code in systems:
            raise CatalogError(f"{where(s)}: 重复的条线编码 {code}")
        system = System(code, str(s["name"]), str(s["province"]), str(s.get("now", "")), s.get("city"), s.get("county"), str(s.get("role", "")))
        systems[code] = system
        prov = f"220000-{code}"
        add_dept(Department(prov, system.now or system.province_name, system.province_name, code, "province", "220000", None, system.now), where(s))
        for region in regions.values():
            template = system.city if region.level == "city" else system.county if region.level == "county" else None
            if not template:
                continue
            if region.level == "county" and not system.city:
                continue
            parent = prov if region.level == "city" else f"{region.parent}-{code}"
            if region.level == "county" and parent not in departments:
                parent = prov
            name = template.format(region=_region_name_for_dept(region, regions))
            add_dept(Department(f"{region.code}-{code}", name, name, code, region.level, region.code, parent), where(s))
    for e in ddata.get("extra") or []:
        add_dept(
            Department(str(e["code"]), str(e["name"]), str(e.get("short", e["name"])), e.get("system"), e["level"], str(e["region"]), None, "", str(e.get("kind", "other"))),
            where(e),
        )
    credit_centre = str(ddata.get("credit_centre", "220000-FGW"))
    if credit_centre not in departments:
        raise CatalogError(f"departments.yaml: 信用中心 {credit_centre} 不是已定义的部门")

    # shared fields
    fdata = load_yaml(directory / "fields.yaml")
    library: dict[str, dict] = {}
    for name, spec in (fdata.get("fields") or {}).items():
        spec = LDict(spec) if not isinstance(spec, LDict) else spec
        library[name] = {**spec, "name": name}
        _field({**spec, "name": name}, {}, where(spec))  # validate early
    groups = dict(fdata.get("groups") or {})
    shared_rules = dict(fdata.get("row_rules") or {})

    rule_sets = _load_rule_sets(load_yaml(directory / "publication.yaml"), "publication.yaml")

    # items
    items: dict[str, Item] = {}
    for path in sorted((directory / "items").glob("*.yaml")):
        data = load_yaml(path)
        if not isinstance(data, dict):
            raise CatalogError(f"{path.name}:1: 文件内容应为映射")
        for fam in data.get("families") or []:
            owners = fam.get("owners") or []
            if not owners:
                raise CatalogError(f"{where(fam)}: 信息项族 {fam.get('code')} 须列出 owners")
            for owner in owners:
                spec = LDict({k: v for k, v in fam.items() if k != "owners"})
                spec.file, spec.line, spec.key_lines = fam.file, fam.line, fam.key_lines
                spec["code"] = f"{fam['code']}.{str(owner).lower()}"
                spec["owner"] = owner
                spec["_family"] = fam["code"]
                _add_item(items, spec, library, groups, shared_rules, systems, rule_sets)
        for spec in data.get("items") or []:
            _add_item(items, spec, library, groups, shared_rules, systems, rule_sets)
    if not items:
        raise CatalogError("目录中没有任何信息项")

    return Catalog(
        version=str(load_yaml(directory / "fields.yaml").get("version", "")),
        digest=digest.hexdigest()[:16],
        regions=regions,
        systems=systems,
        departments=departments,
        items=items,
        rule_sets=rule_sets,
        credit_centre=credit_centre,
        files=[p.relative_to(directory).as_posix() for p in files],
    )


def _add_item(items, spec, library, groups, shared_rules, systems, rule_sets) -> None:
    here = where(spec)
    family = spec.pop("_family", None) if isinstance(spec, dict) else None
    unknown = set(spec) - ITEM_KEYS
    if unknown:
        raise CatalogError(f"{here}: 信息项定义中有未知的键 {sorted(unknown)}")
    code = spec.get("code")
    if not code or not re.match(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)?$", str(code)):
        raise CatalogError(f"{here}: 信息项编码 {code!r} 应为小写英文标识符")
    if code in items:
        raise CatalogError(f"{here}: 重复的信息项编码 {code}")
    for key in ("name", "kind", "owner", "nature", "disclosure", "subject_kinds", "publication", "legal_basis", "fields", "key_fields"):
        if not spec.get(key):
            raise CatalogError(f"{here}: 信息项 {code} 缺少 {key}")
    owner = str(spec["owner"])
    if owner not in systems:
        raise CatalogError(f"{where(spec, 'owner')}: 信息项 {code} 的责任条线 {owner!r} 未定义（一数一源须指定唯一责任部门）")
    if spec["nature"] not in NATURES:
        raise CatalogError(f"{where(spec, 'nature')}: 信息项 {code} 的性质 {spec['nature']!r} 应为 {sorted(NATURES)}")
    if spec["disclosure"] not in DISCLOSURES:
        raise CatalogError(f"{where(spec, 'disclosure')}: 信息项 {code} 的公开属性 {spec['disclosure']!r} 应为 {sorted(DISCLOSURES)}")
    kinds = tuple(spec["subject_kinds"])
    bad = set(kinds) - set(SUBJECT_KINDS)
    if bad:
        raise CatalogError(f"{where(spec, 'subject_kinds')}: 未知的主体类型 {sorted(bad)}")
    if spec["publication"] not in rule_sets:
        raise CatalogError(f"{where(spec, 'publication')}: 未定义的公示规则 {spec['publication']!r}")
    levels = tuple(spec.get("levels") or LEVELS)
    if set(levels) - set(LEVELS):
        raise CatalogError(f"{where(spec, 'levels')}: 未知的级别 {levels}")
    fields = _expand_fields(spec["fields"], library, groups, here)
    names = [f.name for f in fields]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise CatalogError(f"{here}: 信息项 {code} 的字段重复: {sorted(dup)}")
    fmap = {f.name: f for f in fields}
    roles = [f.role for f in fields if f.role]
    dup_roles = {r for r in roles if roles.count(r) > 1}
    if dup_roles:
        raise CatalogError(f"{here}: 信息项 {code} 中多个字段承担同一用途: {sorted(dup_roles)}")
    for needed in ("subject_name", "decided_on"):
        if needed not in roles:
            raise CatalogError(f"{here}: 信息项 {code} 须有承担 {needed} 用途的字段")
    if "uscc" not in roles and "id_number" not in roles:
        raise CatalogError(f"{here}: 信息项 {code} 须有统一社会信用代码或证件号码字段")
    for f in fields:
        if f.not_before and f.not_before not in fmap:
            raise CatalogError(f"{here}: 字段 {f.name} 的 not_before 引用了不存在的字段 {f.not_before}")
        for cond_field, _ in f.required_when:
            if cond_field not in fmap:
                raise CatalogError(f"{here}: 字段 {f.name} 的 required 条件引用了不存在的字段 {cond_field}")
    key_fields = tuple(spec["key_fields"])
    for k in key_fields:
        if k not in fmap:
            raise CatalogError(f"{where(spec, 'key_fields')}: 信息项 {code} 的关键字段 {k!r} 不存在")
    row_rules = [
        # shared rules name every legacy code; an item keeps those it has
        RowRule(r.when, r.require, tuple(f for f in r.require_any if f in fmap), r.message)
        for r in _row_rules(spec.get("row_rules"), shared_rules, here)
    ]
    for r in row_rules:
        for f in [k for k, _ in r.when] + list(r.require) + list(r.require_any):
            if f not in fmap:
                raise CatalogError(f"{here}: 信息项 {code} 的行规则引用了不存在的字段 {f!r}")
    rs = rule_sets[spec["publication"]]
    if rs.by and rs.by not in roles:
        raise CatalogError(f"{here}: 公示规则 {rs.code} 按 {rs.by} 区分期限，但信息项 {code} 没有该字段")
    drules = []
    for r in spec.get("disclosure_rules") or []:
        if r.get("disclosure") not in DISCLOSURES:
            raise CatalogError(f"{where(r)}: 公开属性 {r.get('disclosure')!r} 无效")
        cond = _cond(r.get("when"), where(r))
        for f, _ in cond:
            if f not in fmap:
                raise CatalogError(f"{where(r)}: 公开规则引用了不存在的字段 {f!r}")
        drules.append(DisclosureRule(cond, r["disclosure"], str(r.get("basis", ""))))
    deadline = spec.get("reporting_deadline")
    items[code] = Item(
        code=str(code),
        name=str(spec["name"]),
        kind=str(spec["kind"]),
        family=family,
        owner=owner,
        levels=levels,
        nature=spec["nature"],
        disclosure=spec["disclosure"],
        disclosure_rules=tuple(drules),
        subject_kinds=kinds,
        publication=spec["publication"],
        reporting_deadline_days=int(deadline["working_days"]) if deadline else None,
        legal_basis=str(spec["legal_basis"]),
        key_fields=key_fields,
        fields=tuple(fields),
        row_rules=tuple(row_rules),
        public_person_name=bool(spec.get("public_person_name", False)),
        source=here,
    )


# ---------------------------------------------------------------- access
_lock = Lock()
_cache: dict[str, tuple[tuple, Catalog]] = {}


def _stamp(directory: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.rglob("*.yaml")))


def get_catalog() -> Catalog:
    """The loaded catalog; reloaded when a definition file changes."""
    directory = Path(settings.XINYONG["CATALOG_DIR"])
    key = str(directory)
    stamp = _stamp(directory)
    with _lock:
        hit = _cache.get(key)
        if hit and hit[0] == stamp:
            return hit[1]
        catalog = load_catalog(directory)
        _cache[key] = (stamp, catalog)
        return catalog
