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

from xinyong.common.calendar import load_calendar
from xinyong.common.errors import CatalogError
from xinyong.common.yamlconf import LDict, LList, Recheck, load_yaml, where

FIELD_TYPES = {
    "text", "string", "enum", "date", "decimal", "integer", "year", "uscc", "id_number",
    "region_code", "commitment_code",
}
ROLES = {
    "subject_name", "subject_category", "uscc", "id_number", "reg_no", "org_code", "tax_no",
    "institution_no", "social_org_no", "document_no", "decided_on", "valid_from", "valid_until",
    "severity", "source_id", "publication_end", "authority_level", "disclosure", "subject_status",
    "subject_industry",
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
LIST_KINDS = {"red": "守信激励", "focus": "重点关注", "black": "严重失信主体名单", "sector": "行业名单"}
DISCLOSURES = {"public": "公开", "authorized": "授权查询", "internal": "内部"}
LEVELS = {"province": "省级", "city": "市级", "county": "县级"}
SENSITIVE_KINDS = {"id_number", "person_name", "phone"}
FIELD_KEYS = {
    "name", "use", "label", "type", "required", "max_length", "choices", "multi", "min", "max",
    "decimals", "not_future", "not_before", "allow", "role", "sensitive", "public", "aliases",
    "help", "pattern", "pattern_message", "map",
}
SYSTEM_KEYS = {"code", "name", "province", "now", "city", "county", "role", "no_office"}
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
    source: str = ""  # file:line of the rule, for messages


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


@dataclass(frozen=True)
class ListRule:
    """How a list derives entries from records (lists.yaml): records of `item` matching `when`,
    and, with `latest_by`, only each subject's latest record by that field."""

    item: str
    when: tuple[tuple[str, frozenset], ...] = ()
    latest_by: str | None = None
    source: str = ""  # file:line

    @property
    def key(self) -> str:
        """A stable text for the rule, kept with each entry it derives (lineage)."""
        conds = ";".join(f"{k}={','.join(sorted(v))}" for k, v in self.when)
        return self.item + (f"[{conds}]" if conds else "") + (f"/latest:{self.latest_by}" if self.latest_by else "")


@dataclass(frozen=True)
class ListType:
    """A list of joint rewards and punishments (red, focus, black, sector)."""

    code: str
    name: str
    kind: str
    sector: str
    disclosure: str
    person_names: bool
    legal_basis: str
    description: str
    rules: tuple[ListRule, ...]
    version: str
    source: str
    # designated lists (no rules): the due process of sanctions.services
    duration_months: int | None = None  # an entry's longest term from its listing (None: until removed)
    statement_days: int = 5  # working days for the subject's statement after the notice (告知)
    warning_first: str | None = None  # a focus list the subject must have been on first (先警示后惩戒)
    market_exit: bool = False  # a listing may carry market exit (市场退出)
    record_persons: bool = False  # legal representative and responsible persons recorded with the entity
    repair_after_months: int | None = None  # early removal by repair only after this many months listed
    designator_kind: str | None = None  # departments of this kind designate (associations), else the sector's

    @property
    def kind_label(self) -> str:
        return LIST_KINDS[self.kind]

    @property
    def disclosure_label(self) -> str:
        return DISCLOSURES[self.disclosure]

    @property
    def is_public(self) -> bool:
        return self.disclosure == "public"

    @property
    def derived(self) -> bool:
        """Entries derived from records by rules (else designated by an authority)."""
        return bool(self.rules)

    def as_dict(self) -> dict:
        return {
            "code": self.code, "name": self.name, "kind": self.kind, "kind_label": self.kind_label,
            "sector": self.sector, "disclosure": self.disclosure, "person_names": self.person_names,
            "legal_basis": self.legal_basis, "description": self.description,
            "rules": [
                {"item": r.item, "when": {k: sorted(v) for k, v in r.when}, "latest_by": r.latest_by}
                for r in self.rules
            ],
            "duration_months": self.duration_months, "statement_days": self.statement_days,
            "warning_first": self.warning_first, "market_exit": self.market_exit,
            "record_persons": self.record_persons, "repair_after_months": self.repair_after_months,
            "designator_kind": self.designator_kind,
        }


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
    lists: dict[str, ListType] = field(default_factory=dict)  # lists.yaml

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
            "lists": [lt.as_dict() for lt in self.lists.values()],
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


def _entry_where(entries, index: int, fallback: str) -> str:
    return entries.where(index) if isinstance(entries, LList) else fallback


def _expand_fields(entries, library, groups, where_, _seen: tuple = ()) -> list[FieldDef]:
    out: list[FieldDef] = []
    if not isinstance(entries, list):
        raise CatalogError(f"{where_}: 字段列表应为列表")
    for index, entry in enumerate(entries):
        here = where(entry) if isinstance(entry, LDict) else _entry_where(entries, index, where_)
        if isinstance(entry, str) and entry.startswith("$"):
            group = groups.get(entry[1:])
            if group is None:
                raise CatalogError(f"{here}: 未定义的字段组 {entry!r}（fields.yaml 的 groups 中没有 {entry[1:]}）")
            if entry in _seen:
                raise CatalogError(f"{here}: 字段组 {entry!r} 循环引用")
            out.extend(_expand_fields(group, library, groups, here, (*_seen, entry)))
        elif isinstance(entry, str):
            if entry not in library:
                raise CatalogError(f"{here}: 未定义的共享字段 {entry!r}（fields.yaml 的 fields 中没有它；自定义字段须写 name、label、type）")
            out.append(_field({"use": entry}, library, here))
        elif isinstance(entry, dict):
            out.append(_field(entry, library, here))
        else:
            raise CatalogError(f"{here}: 无法识别的字段条目 {entry!r}")
    return out


def _row_rules(entries, shared: dict, where_: str) -> list[RowRule]:
    rules: list[RowRule] = []
    if entries is None:
        return rules
    if not isinstance(entries, list):
        raise CatalogError(f"{where_}: row_rules 应为列表")
    for index, entry in enumerate(entries):
        if isinstance(entry, str) and entry.startswith("$"):
            if entry[1:] not in shared:
                raise CatalogError(f"{_entry_where(entries, index, where_)}: 未定义的行规则组 {entry!r}")
            rules.extend(_row_rules(shared[entry[1:]], {}, where_))
            continue
        here = where(entry) if isinstance(entry, LDict) else _entry_where(entries, index, where_)
        if not isinstance(entry, dict) or "when" not in entry:
            raise CatalogError(f"{here}: 行规则须有 when")
        unknown = set(entry) - {"when", "require", "require_any", "message"}
        if unknown:
            raise CatalogError(f"{here}: 行规则中有未知的键 {sorted(unknown)}")
        if not entry.get("require") and not entry.get("require_any"):
            raise CatalogError(f"{here}: 行规则须有 require 或 require_any")
        rules.append(
            RowRule(
                when=_cond(entry["when"], here),
                require=tuple(entry.get("require") or ()),
                require_any=tuple(entry.get("require_any") or ()),
                message=str(entry.get("message", "")),
                source=here,
            )
        )
    return rules


_PERIOD_KEYS = {"publish", "min", "max"}
_VERSION_KEYS = {"effective_from", "basis", "periods", "until_field", "default"}
_RULE_SET_KEYS = {"title", "select_by", "from", "by", "versions"}
_REFERENCE_DAYS = (date(2001, 1, 31), date(2003, 8, 31), date(2004, 2, 29))


def _period(spec, here: str) -> Period:
    if spec is None:
        return Period()
    if not isinstance(spec, dict):
        raise CatalogError(f"{here}: 公示期限应写作 {{publish: true/false, min: 3M, max: 1Y}}")
    pw = where(spec) if isinstance(spec, LDict) else here
    unknown = set(spec) - _PERIOD_KEYS
    if unknown:
        raise CatalogError(f"{pw}: 公示期限中有未知的键 {sorted(unknown)}（可用: publish, min, max）")
    publish = spec.get("publish", True)
    if not isinstance(publish, bool):
        raise CatalogError(f"{pw}: publish 应为 true 或 false")
    period = Period(
        publish=publish,
        min=Duration.parse(spec["min"], where(spec, "min")) if spec.get("min") is not None else None,
        max=Duration.parse(spec["max"], where(spec, "max")) if spec.get("max") is not None else None,
    )
    # months are not a fixed number of days: compare on days where month ends differ
    if period.min and period.max and any(period.min.after(d) > period.max.after(d) for d in _REFERENCE_DAYS):
        raise CatalogError(f"{pw}: 最短公示期 {period.min} 长于最长公示期 {period.max}")
    return period


def _load_rule_sets(data, fname) -> dict[str, RuleSet]:
    if not isinstance(data, dict) or not isinstance(data.get("rule_sets"), dict) or not data["rule_sets"]:
        raise CatalogError(f"{fname}:1: 应有 rule_sets: {{规则编码: {{title, versions: [...]}}}}")
    out: dict[str, RuleSet] = {}
    for code, spec in data["rule_sets"].items():
        here = f"{fname}:{data['rule_sets'].key_lines.get(code, 0)}"
        if not isinstance(spec, dict):
            raise CatalogError(f"{here}: 公示规则 {code} 应为映射")
        unknown = set(spec) - _RULE_SET_KEYS
        if unknown:
            raise CatalogError(f"{here}: 公示规则 {code} 中有未知的键 {sorted(unknown)}")
        for key in ("select_by", "from", "by"):
            role = spec.get(key)
            if role is not None and role not in ROLES:
                raise CatalogError(f"{where(spec, key)}: 公示规则 {code} 的 {key} {role!r} 不是已知的字段用途")
        versions = []
        for v in spec.get("versions") or []:
            vw = where(v)
            if not isinstance(v, dict):
                raise CatalogError(f"{here}: 公示规则 {code} 的版本应为映射")
            unknown = set(v) - _VERSION_KEYS
            if unknown:
                raise CatalogError(f"{vw}: 公示规则版本中有未知的键 {sorted(unknown)}")
            eff = v.get("effective_from")
            if not isinstance(eff, date):
                raise CatalogError(f"{vw}: effective_from 应写作 YYYY-MM-DD")
            if not v.get("basis"):
                raise CatalogError(f"{vw}: 公示规则 {code} 的版本 {eff} 缺少依据 basis")
            periods = {}
            for sev, p in (v.get("periods") or {}).items():
                periods[str(sev)] = _period(p, where(v["periods"], sev))
            until_field = v.get("until_field")
            if until_field is not None and until_field not in ROLES:
                raise CatalogError(f"{where(v, 'until_field')}: until_field {until_field!r} 不是已知的字段用途")
            default = _period(v.get("default"), where(v, "default"))
            versions.append(RuleVersion(eff, str(v["basis"]), periods, until_field, default))
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
    rdata = load_yaml(directory / "regions.yaml", name="regions.yaml")
    if not isinstance(rdata, dict) or not isinstance(rdata.get("regions"), list):
        raise CatalogError("regions.yaml:1: 应有 regions: [行政区划...]")
    regions: dict[str, Region] = {}
    for r in rdata["regions"]:
        here = where(r)
        if not isinstance(r, dict):
            raise CatalogError(f"{here}: 行政区划条目应为映射")
        for key in ("code", "name", "level"):
            if not r.get(key):
                raise CatalogError(f"{here}: 行政区划缺少 {key}")
        code = str(r["code"])
        if not re.match(r"^22\d{4}$", code):
            raise CatalogError(f"{where(r, 'code')}: 行政区划代码 {code} 不是吉林省的 6 位代码")
        if code in regions:
            raise CatalogError(f"{where(r, 'code')}: 重复的行政区划代码 {code}")
        level = r["level"]
        if level not in LEVELS:
            raise CatalogError(f"{where(r, 'level')}: 未知的级别 {level!r}（应为 {sorted(LEVELS)}）")
        parent = r.get("parent")
        parent = None if parent is None else str(parent)
        expected_parent_level = {"province": None, "city": "province", "county": "city"}[level]
        if expected_parent_level is None:
            if parent is not None:
                raise CatalogError(f"{where(r, 'parent')}: 省级行政区划不应有上级")
        elif parent not in regions or regions[parent].level != expected_parent_level:
            raise CatalogError(f"{where(r, 'parent')}: {r['name']} 的上级 {parent!r} 应为此前列出的{LEVELS[expected_parent_level]}行政区划")
        regions[code] = Region(code, str(r["name"]), str(r.get("short", r["name"])), level, parent, bool(r.get("gb2260", True)))
    if "220000" not in regions:
        raise CatalogError("regions.yaml:1: 缺少吉林省（220000）")

    # systems and departments
    ddata = load_yaml(directory / "departments.yaml", name="departments.yaml")
    if not isinstance(ddata, dict) or not isinstance(ddata.get("systems"), list):
        raise CatalogError("departments.yaml:1: 应有 systems: [条线...]")
    systems: dict[str, System] = {}
    departments: dict[str, Department] = {}

    def add_dept(d: Department, here: str) -> None:
        if d.code in departments:
            raise CatalogError(f"{here}: 重复的部门编码 {d.code}")
        departments[d.code] = d

    for s in ddata["systems"]:
        here = where(s)
        if not isinstance(s, dict):
            raise CatalogError(f"{here}: 条线条目应为映射")
        unknown = set(s) - SYSTEM_KEYS
        if unknown:
            raise CatalogError(f"{here}: 条线定义中有未知的键 {sorted(unknown)}")
        for key in ("code", "name", "province"):
            if not s.get(key):
                raise CatalogError(f"{here}: 条线缺少 {key}")
        code = str(s["code"])
        if not re.match(r"^[A-Z]{2,6}$", code):
            raise CatalogError(f"{where(s, 'code')}: 条线编码 {code!r} 应为 2 至 6 个大写字母")
        if code in systems:
            raise CatalogError(f"{where(s, 'code')}: 重复的条线编码 {code}")
        for key in ("city", "county"):
            template = s.get(key)
            if template is not None and "{region}" not in str(template):
                raise CatalogError(f"{where(s, key)}: 部门名称模板 {template!r} 应含 {{region}}")
        if s.get("county") and not s.get("city"):
            raise CatalogError(f"{where(s, 'county')}: 条线 {code} 有县级部门而无市级部门")
        no_office = {str(c) for c in s.get("no_office") or ()}
        unknown_regions = sorted(no_office - set(regions))
        if unknown_regions:
            raise CatalogError(f"{where(s, 'no_office')}: no_office 中的行政区划 {unknown_regions} 未定义")
        system = System(code, str(s["name"]), str(s["province"]), str(s.get("now", "")), s.get("city"), s.get("county"), str(s.get("role", "")))
        systems[code] = system
        prov = f"220000-{code}"
        add_dept(Department(prov, system.now or system.province_name, system.province_name, code, "province", "220000", None, system.now), here)
        for region in regions.values():
            template = system.city if region.level == "city" else system.county if region.level == "county" else None
            if not template or region.code in no_office:
                continue
            parent = prov if region.level == "city" else f"{region.parent}-{code}"
            if parent not in departments:
                raise CatalogError(f"{where(s, 'no_office')}: 条线 {code} 在 {region.parent} 没有市级部门，其下的 {region.code} 也须列入 no_office")
            name = template.format(region=_region_name_for_dept(region, regions))
            add_dept(Department(f"{region.code}-{code}", name, name, code, region.level, region.code, parent), here)
    for e in ddata.get("extra") or []:
        here = where(e)
        for key in ("code", "name", "level", "region"):
            if not e.get(key):
                raise CatalogError(f"{here}: 部门缺少 {key}")
        if e["level"] not in LEVELS:
            raise CatalogError(f"{where(e, 'level')}: 未知的级别 {e['level']!r}")
        region = regions.get(str(e["region"]))
        if region is None or region.level != e["level"]:
            raise CatalogError(f"{where(e, 'region')}: 部门 {e['code']} 的行政区划 {e['region']!r} 不存在或与级别不符")
        if e.get("system") is not None and e["system"] not in systems:
            raise CatalogError(f"{where(e, 'system')}: 未定义的条线 {e['system']!r}")
        add_dept(
            Department(str(e["code"]), str(e["name"]), str(e.get("short", e["name"])), e.get("system"), e["level"], str(e["region"]), None, "", str(e.get("kind", "other"))),
            here,
        )
    credit_centre = str(ddata.get("credit_centre", "220000-FGW"))
    if credit_centre not in departments:
        raise CatalogError(f"{where(ddata, 'credit_centre')}: 信用中心 {credit_centre} 不是已定义的部门")

    # shared fields
    fdata = load_yaml(directory / "fields.yaml", name="fields.yaml")
    if not isinstance(fdata, dict):
        raise CatalogError("fields.yaml:1: 文件内容应为映射")
    library: dict[str, dict] = {}
    for name, spec in (fdata.get("fields") or {}).items():
        if not isinstance(spec, dict):
            raise CatalogError(f"{where(fdata['fields'], name)}: 共享字段 {name} 应为映射")
        spec = LDict(spec) if not isinstance(spec, LDict) else spec
        library[name] = {**spec, "name": name}
        _field({**spec, "name": name}, {}, where(spec))  # validate early
    groups = dict(fdata.get("groups") or {})
    shared_rules = dict(fdata.get("row_rules") or {})

    rule_sets = _load_rule_sets(load_yaml(directory / "publication.yaml", name="publication.yaml"), "publication.yaml")
    load_calendar(directory / "calendar.yaml", name="calendar.yaml")  # validated with the rest

    # items
    items: dict[str, Item] = {}
    for path in sorted((directory / "items").glob("*.yaml")):
        rel = path.relative_to(directory).as_posix()
        data = load_yaml(path, name=rel)
        if not isinstance(data, dict):
            raise CatalogError(f"{rel}:1: 文件内容应为映射")
        unknown = set(data) - {"version", "families", "items"}
        if unknown:
            raise CatalogError(f"{where(data, sorted(unknown)[0])}: 未知的键 {sorted(unknown)}（可用: version, families, items）")
        families = data.get("families") or []
        for index, fam in enumerate(families):
            if not isinstance(fam, dict) or not fam.get("code"):
                raise CatalogError(f"{where(families, index)}: 信息项族应为映射并有 code")
            owners = fam.get("owners") or []
            if not isinstance(owners, list) or not owners:
                raise CatalogError(f"{where(fam)}: 信息项族 {fam.get('code')} 须列出 owners")
            for owner in owners:
                spec = LDict({k: v for k, v in fam.items() if k != "owners"})
                spec.file, spec.line = fam.file, fam.line
                spec.key_lines = {**fam.key_lines, "owner": fam.key_lines.get("owners", fam.line)}
                spec["code"] = f"{fam['code']}.{str(owner).lower()}"
                spec["owner"] = owner
                spec["_family"] = fam["code"]
                _add_item_checked(items, spec, library, groups, shared_rules, systems, rule_sets)
        entries = data.get("items") or []
        for index, spec in enumerate(entries):
            if not isinstance(spec, dict):
                raise CatalogError(f"{where(entries, index)}: 信息项定义应为映射，而不是 {spec!r}")
            _add_item_checked(items, spec, library, groups, shared_rules, systems, rule_sets)
    if not items:
        raise CatalogError("items/:0: 目录中没有任何信息项")
    lists = _load_lists(directory / "lists.yaml", items, systems)

    return Catalog(
        version=str(fdata.get("version", "")),
        digest=digest.hexdigest()[:16],
        regions=regions,
        systems=systems,
        departments=departments,
        items=items,
        rule_sets=rule_sets,
        credit_centre=credit_centre,
        files=[p.relative_to(directory).as_posix() for p in files],
        lists=lists,
    )


def _add_item_checked(items, spec, *args) -> None:
    """_add_item, with any slip the explicit checks did not foresee still reported by file and line."""
    try:
        _add_item(items, spec, *args)
    except CatalogError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CatalogError(f"{where(spec)}: 信息项 {spec.get('code')!r} 的定义无法解析（{exc!r}）") from exc


def _check_condition(cond, fmap: dict[str, FieldDef], here: str, what: str) -> None:
    """A condition names enum fields (single-valued) and values among their choices."""
    for name, allowed in cond:
        f = fmap.get(name)
        if f is None:
            raise CatalogError(f"{here}: {what}引用了不存在的字段 {name!r}")
        if f.type != "enum" or f.multi:
            raise CatalogError(f"{here}: {what}的条件字段 {name} 应为单选枚举字段")
        bad = sorted(allowed - set(f.choices))
        if bad:
            raise CatalogError(f"{here}: {what}的条件取值 {bad} 不在字段 {name} 的可选值 {list(f.choices)} 中")


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
        raise CatalogError(f"{here}: 重复的信息项编码 {code}（已在 {items[code].source} 定义）")
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
    if not isinstance(spec["subject_kinds"], list):
        raise CatalogError(f"{where(spec, 'subject_kinds')}: 信息项 {code} 的 subject_kinds 应为列表")
    kinds = tuple(spec["subject_kinds"])
    bad = set(kinds) - set(SUBJECT_KINDS)
    if bad:
        raise CatalogError(f"{where(spec, 'subject_kinds')}: 未知的主体类型 {sorted(bad)}（可用: {', '.join(SUBJECT_KINDS)}）")
    if spec["publication"] not in rule_sets:
        raise CatalogError(f"{where(spec, 'publication')}: 未定义的公示规则 {spec['publication']!r}（可用: {', '.join(rule_sets)}）")
    levels = tuple(spec.get("levels") or LEVELS)
    if set(levels) - set(LEVELS):
        raise CatalogError(f"{where(spec, 'levels')}: 未知的级别 {levels}")
    if not isinstance(spec["fields"], list):
        raise CatalogError(f"{where(spec, 'fields')}: 信息项 {code} 的 fields 应为列表")
    fields = _expand_fields(spec["fields"], library, groups, where(spec, "fields"))
    names = [f.name for f in fields]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise CatalogError(f"{where(spec, 'fields')}: 信息项 {code} 的字段重复: {sorted(dup)}")
    fmap = {f.name: f for f in fields}
    roles = [f.role for f in fields if f.role]
    dup_roles = {r for r in roles if roles.count(r) > 1}
    if dup_roles:
        raise CatalogError(f"{where(spec, 'fields')}: 信息项 {code} 中多个字段承担同一用途: {sorted(dup_roles)}")
    for needed in ("subject_name", "decided_on"):
        if needed not in roles:
            raise CatalogError(f"{where(spec, 'fields')}: 信息项 {code} 须有承担 {needed} 用途的字段")
    if "uscc" not in roles and "id_number" not in roles:
        raise CatalogError(f"{where(spec, 'fields')}: 信息项 {code} 须有统一社会信用代码或证件号码字段")
    if next(f for f in fields if f.role == "decided_on").type != "date":
        raise CatalogError(f"{where(spec, 'fields')}: 信息项 {code} 的决定日期字段应为 date 类型")
    for f in fields:
        if f.not_before and f.not_before not in fmap:
            raise CatalogError(f"{where(spec, 'fields')}: 字段 {f.name} 的 not_before 引用了不存在的字段 {f.not_before}")
        if f.required_when:
            _check_condition(f.required_when, fmap, where(spec, "fields"), f"字段 {f.name} 的 required 条件")
    if not isinstance(spec["key_fields"], list):
        raise CatalogError(f"{where(spec, 'key_fields')}: 信息项 {code} 的 key_fields 应为列表")
    key_fields = tuple(spec["key_fields"])
    for k in key_fields:
        if k not in fmap:
            raise CatalogError(f"{where(spec, 'key_fields')}: 信息项 {code} 的关键字段 {k!r} 不存在")
    rules_at = where(spec, "row_rules")
    row_rules = [
        # shared rules name every legacy code; an item keeps those it has
        RowRule(r.when, r.require, tuple(f for f in r.require_any if f in fmap), r.message, r.source)
        for r in _row_rules(spec.get("row_rules"), shared_rules, rules_at)
    ]
    for r in row_rules:
        at = r.source if r.source.startswith(str(getattr(spec, "file", ""))) else rules_at
        _check_condition(r.when, fmap, at, f"信息项 {code} 的行规则")
        for f in list(r.require) + list(r.require_any):
            if f not in fmap:
                raise CatalogError(f"{at}: 信息项 {code} 的行规则引用了不存在的字段 {f!r}")
        if r.require_any == () and not r.require:
            raise CatalogError(f"{at}: 信息项 {code} 的行规则 require_any 中的字段本信息项都没有")
    rs = rule_sets[spec["publication"]]
    pub_at = where(spec, "publication")
    if rs.by:
        if rs.by not in roles:
            raise CatalogError(f"{pub_at}: 公示规则 {rs.code} 按 {rs.by} 区分期限，但信息项 {code} 没有该字段")
        by_field = next(f for f in fields if f.role == rs.by)
        if not by_field.required:
            raise CatalogError(f"{pub_at}: 公示规则 {rs.code} 按字段 {by_field.name} 区分期限，该字段应为必填")
        for v in rs.versions:
            missing = [c for c in by_field.choices if c not in v.periods]
            if missing:
                raise CatalogError(
                    f"{pub_at}: 公示规则 {rs.code}（{v.effective_from} 版）没有为 {by_field.label} 的取值 {missing} 规定期限"
                )
    for v in rs.versions:
        if v.until_field and v.until_field not in roles and not v.default.max:
            raise CatalogError(
                f"{pub_at}: 公示规则 {rs.code} 以 {v.until_field} 为截止日期且没有默认期限，但信息项 {code} 没有该用途的字段（将无限期公示）"
            )
    drules = []
    for r in spec.get("disclosure_rules") or []:
        if r.get("disclosure") not in DISCLOSURES:
            raise CatalogError(f"{where(r)}: 公开属性 {r.get('disclosure')!r} 无效")
        cond = _cond(r.get("when"), where(r))
        _check_condition(cond, fmap, where(r), "公开规则")
        drules.append(DisclosureRule(cond, r["disclosure"], str(r.get("basis", ""))))
    deadline = spec.get("reporting_deadline")
    deadline_days = None
    if deadline is not None:
        dw = where(spec, "reporting_deadline")
        if not isinstance(deadline, dict) or set(deadline) - {"working_days", "from"}:
            raise CatalogError(f"{dw}: reporting_deadline 应写作 {{working_days: 7, from: decided_on}}")
        days = deadline.get("working_days")
        if not isinstance(days, int) or isinstance(days, bool) or not 0 < days <= 365:
            raise CatalogError(f"{dw}: 报送时限 working_days 应为 1 至 365 的整数")
        if deadline.get("from", "decided_on") != "decided_on":
            raise CatalogError(f"{dw}: 报送时限目前只能自决定日期（decided_on）起算")
        deadline_days = days
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
        reporting_deadline_days=deadline_days,
        legal_basis=str(spec["legal_basis"]),
        key_fields=key_fields,
        fields=tuple(fields),
        row_rules=tuple(row_rules),
        public_person_name=bool(spec.get("public_person_name", False)),
        source=here,
    )


# ---------------------------------------------------------------- lists (lists.yaml)
_LIST_KEYS = {
    "code", "name", "kind", "sector", "disclosure", "person_names", "legal_basis", "description", "rules",
    "duration_months", "statement_days", "warning_first", "market_exit", "record_persons", "repair_after_months",
    "designator_kind",
}
_LIST_DESIGNATION_KEYS = ("duration_months", "statement_days", "warning_first", "market_exit", "record_persons", "repair_after_months", "designator_kind")
_LIST_RULE_KEYS = {"item", "when", "latest_by"}
_LIST_DISCLOSURES = ("public", "authorized")


def _can_be_public(item: Item) -> bool:
    if item.disclosure == "public" or any(r.disclosure == "public" for r in item.disclosure_rules):
        return True
    f = item.field_map.get(item.roles.get("disclosure", ""))
    return bool(f and "public" in dict(f.map).values())


def _load_lists(path: Path, items: dict[str, Item], systems: dict[str, System]) -> dict[str, ListType]:
    """The list types, checked against the items their rules name (a catalog without lists.yaml
    has no lists)."""
    if not path.exists():
        return {}
    fname = "lists.yaml"
    data = load_yaml(path, name=fname)
    if not isinstance(data, dict) or not isinstance(data.get("lists"), list):
        raise CatalogError(f"{fname}:1: 应有 lists: [名单...]")
    unknown = set(data) - {"version", "lists", "statement_days"}
    if unknown:
        raise CatalogError(f"{where(data, sorted(unknown)[0])}: 未知的键 {sorted(unknown)}（可用: version, statement_days, lists）")
    version = str(data.get("version", ""))
    default_statement_days = _list_int(data, "statement_days", 5, "lists.yaml", minimum=1)
    out: dict[str, ListType] = {}
    for index, spec in enumerate(data["lists"]):
        if not isinstance(spec, dict):
            raise CatalogError(f"{where(data['lists'], index)}: 名单定义应为映射，而不是 {spec!r}")
        here = where(spec)
        unknown = set(spec) - _LIST_KEYS
        if unknown:
            raise CatalogError(f"{where(spec, sorted(unknown)[0])}: 名单定义中有未知的键 {sorted(unknown)}（可用: {', '.join(sorted(_LIST_KEYS))}）")
        code = spec.get("code")
        if not code or not re.match(r"^[a-z][a-z0-9_]{1,39}$", str(code)):
            raise CatalogError(f"{where(spec, 'code')}: 名单编码 {code!r} 应为小写英文标识符（不超过40个字符）")
        code = str(code)
        if code in out:
            raise CatalogError(f"{where(spec, 'code')}: 重复的名单编码 {code}（已在 {out[code].source} 定义）")
        for key in ("name", "kind", "sector", "disclosure", "legal_basis"):
            if not spec.get(key):
                raise CatalogError(f"{here}: 名单 {code} 缺少 {key}")
        if spec["kind"] not in LIST_KINDS:
            raise CatalogError(f"{where(spec, 'kind')}: 名单 {code} 的类别 {spec['kind']!r} 应为 {', '.join(LIST_KINDS)}")
        if spec["disclosure"] not in _LIST_DISCLOSURES:
            raise CatalogError(f"{where(spec, 'disclosure')}: 名单 {code} 的公开属性 {spec['disclosure']!r} 应为 {', '.join(_LIST_DISCLOSURES)}")
        if str(spec["sector"]) not in systems:
            raise CatalogError(f"{where(spec, 'sector')}: 名单 {code} 的条线 {spec['sector']!r} 未定义（departments.yaml 的 systems）")
        person_names = spec.get("person_names", False)
        if not isinstance(person_names, bool):
            raise CatalogError(f"{where(spec, 'person_names')}: person_names 应为 true 或 false")
        rules_spec = spec.get("rules")
        if rules_spec is None:
            rules_spec = []
        if not isinstance(rules_spec, list):
            raise CatalogError(f"{where(spec, 'rules')}: 名单 {code} 的 rules 应为列表")
        rules = []
        for r_index, r in enumerate(rules_spec):
            rw = where(r) if isinstance(r, LDict) else _entry_where(rules_spec, r_index, where(spec, "rules"))
            if not isinstance(r, dict):
                raise CatalogError(f"{rw}: 名单规则应为映射，如 {{item: tax_rating, when: {{grade: [A]}}}}")
            unknown = set(r) - _LIST_RULE_KEYS
            if unknown:
                raise CatalogError(f"{where(r, sorted(unknown)[0])}: 名单规则中有未知的键 {sorted(unknown)}（可用: item, when, latest_by）")
            item = items.get(str(r.get("item", "")))
            if item is None:
                raise CatalogError(f"{where(r, 'item')}: 名单 {code} 的规则引用了不存在的信息项 {r.get('item')!r}")
            when = _cond(r["when"], where(r, "when")) if "when" in r else ()
            _check_condition(when, item.field_map, where(r, "when"), f"名单 {code} 的规则")
            latest_by = r.get("latest_by")
            if latest_by is not None:
                f = item.field_map.get(str(latest_by))
                if f is None:
                    raise CatalogError(f"{where(r, 'latest_by')}: 名单 {code} 的规则 latest_by 引用了信息项 {item.code} 中不存在的字段 {latest_by!r}")
                if f.type not in ("year", "integer"):
                    raise CatalogError(f"{where(r, 'latest_by')}: latest_by 字段 {f.name} 应为 year 或 integer 类型，而不是 {f.type}")
                latest_by = f.name
            if person_names and not item.public_person_name:
                raise CatalogError(f"{where(spec, 'person_names')}: 名单 {code} 公开自然人姓名，但信息项 {item.code} 不公开自然人姓名（public_person_name）")
            if spec["disclosure"] == "public" and not _can_be_public(item):
                raise CatalogError(f"{where(r, 'item')}: 公开名单 {code} 引用的信息项 {item.code} 不会有公开的记录（公开属性 {DISCLOSURES[item.disclosure]}）")
            rules.append(ListRule(item.code, when, latest_by, rw))
        if person_names and not rules:
            raise CatalogError(f"{where(spec, 'person_names')}: 名单 {code} 没有依据记录的规则，不能公开自然人姓名")
        if rules:
            extra = [k for k in _LIST_DESIGNATION_KEYS if k in spec]
            if extra:
                raise CatalogError(f"{where(spec, extra[0])}: 名单 {code} 依据规则自动列入，{extra[0]} 只用于认定机关认定的名单")
        for key in ("market_exit", "record_persons"):
            if not isinstance(spec.get(key, False), bool):
                raise CatalogError(f"{where(spec, key)}: {key} 应为 true 或 false")
        designator_kind = spec.get("designator_kind")
        if designator_kind is not None and designator_kind not in ("association",):
            raise CatalogError(f"{where(spec, 'designator_kind')}: 名单 {code} 的 designator_kind {designator_kind!r} 应为 association")
        out[code] = ListType(
            code=code,
            name=str(spec["name"]),
            kind=str(spec["kind"]),
            sector=str(spec["sector"]),
            disclosure=str(spec["disclosure"]),
            person_names=person_names,
            legal_basis=str(spec["legal_basis"]),
            description=str(spec.get("description", "")),
            rules=tuple(rules),
            version=version,
            source=here,
            duration_months=_list_int(spec, "duration_months", None, code, minimum=1),
            statement_days=_list_int(spec, "statement_days", default_statement_days, code, minimum=1),
            warning_first=str(spec["warning_first"]) if spec.get("warning_first") else None,
            market_exit=spec.get("market_exit", False),
            record_persons=spec.get("record_persons", False),
            repair_after_months=_list_int(spec, "repair_after_months", None, code, minimum=0),
            designator_kind=str(designator_kind) if designator_kind else None,
        )
    for lt in out.values():
        if lt.warning_first is None:
            continue
        focus = out.get(lt.warning_first)
        if focus is None or focus.kind != "focus":
            raise CatalogError(f"{lt.source}: 名单 {lt.code} 的 warning_first 应为一个重点关注名单（kind: focus）的编码，而不是 {lt.warning_first!r}")
    return out


def _list_int(spec, key: str, default, label: str, *, minimum: int):
    """An optional whole number of lists.yaml (days, months)."""
    if spec.get(key) is None:
        return default
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise CatalogError(f"{where(spec, key)}: {label} 的 {key} 应为不小于 {minimum} 的整数，而不是 {value!r}")
    return value


# ---------------------------------------------------------------- access
_lock = Lock()
_cache: dict[str, tuple[tuple, Catalog]] = {}


def _stamp(directory: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.rglob("*.yaml")))


_recheck = Recheck()


def get_catalog() -> Catalog:
    """The loaded catalog; reloaded when a definition file changes (looked at every few seconds
    at most: `Recheck`)."""
    key = str(settings.XINYONG["CATALOG_DIR"])
    hit = _cache.get(key)
    if hit is not None and not _recheck.due(key):
        return hit[1]
    directory = Path(key)
    stamp = _stamp(directory)
    with _lock:
        hit = _cache.get(key)
        if not (hit and hit[0] == stamp):
            hit = (stamp, load_catalog(directory))
            _cache[key] = hit
        _recheck.done(key)
        return hit[1]
