"""Credit repair rules (definitions/repair.yaml) and the eligibility of a record for repair.

    e = repair_eligibility(record=record, day=date(2026, 11, 3))
    e.eligible          # False
    e.reasons           # every unmet condition, in Chinese, with its source

Conditions checked here (from the record and the platform's data): the record is active and of a
repairable kind; it is not in a category excluded by law (`no_repair`); the minimum publication
period has ended (`Record.repair_from`, publication.yaml); no other repair of it is open; the
subject is within the repeated-repair limit. The conditions the applicant meets in the form —
obligations fulfilled (declared, with materials) and the credit commitment signed — are listed
as `to_declare` and checked by `repair_apply`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from xinyong.catalog.registry import get_catalog
from xinyong.common.errors import CatalogError
from xinyong.common.yamlconf import load_yaml

REPAIR_FILE = Path(__file__).resolve().parent / "definitions" / "repair.yaml"


@dataclass(frozen=True)
class NoRepair:
    kinds: frozenset[str]
    items: frozenset[str]
    severities: frozenset[str]
    systems: frozenset[str]
    reason: str
    basis: str

    def matches(self, item, record) -> bool:
        if not ((item.kind in self.kinds) or (item.code in self.items)):
            return False
        if self.severities and record.severity not in self.severities:
            return False
        return not (self.systems and record.department.system not in self.systems)


@dataclass(frozen=True)
class RepairRules:
    version: str
    kinds: frozenset[str]
    items: frozenset[str]
    no_repair: tuple[NoRepair, ...]
    window_months: int
    max_repairs: int
    repeat_basis: str
    commitment: str
    commitment_basis: str


def _strs(value, where: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogError(f"{where}: 应为字符串列表")
    return frozenset(value)


def load_repair_rules(path: Path | str = REPAIR_FILE) -> RepairRules:
    data = load_yaml(Path(path))
    name = Path(path).name
    try:
        rep = data["repairable"]
        limit = data["repeat_limit"]
        rules = tuple(
            NoRepair(_strs(r.get("kinds"), r.where()), _strs(r.get("items"), r.where()), _strs(r.get("severities"), r.where()), _strs(r.get("systems"), r.where()), str(r["reason"]), str(r.get("basis", "")))
            for r in data.get("no_repair") or []
        )
        window, most = limit["window_months"], limit["max_repairs"]
        if not (isinstance(window, int) and window >= 0 and isinstance(most, int) and most >= 0):
            raise CatalogError(f"{limit.where()}: window_months 与 max_repairs 应为非负整数")
        return RepairRules(
            str(data.get("version", "")), _strs(rep.get("kinds"), rep.where()), _strs(rep.get("items"), rep.where()), rules,
            window, most, str(limit.get("basis", "")), str(data["commitment"]).strip(), str(data.get("commitment_basis", "")),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise CatalogError(f"{name}: 信用修复规则不完整（{exc}）") from None


@lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int) -> RepairRules:
    return load_repair_rules(path)


def repair_rules() -> RepairRules:
    return _cached(str(REPAIR_FILE), REPAIR_FILE.stat().st_mtime_ns)


@dataclass
class Eligibility:
    eligible: bool
    reasons: list[str] = field(default_factory=list)  # unmet conditions
    met: list[str] = field(default_factory=list)  # conditions met (shown as a checklist)
    to_declare: list[str] = field(default_factory=list)  # what the form asks


def repair_eligibility(*, record, day: date) -> Eligibility:
    """Every condition of repair for this record on `day`, met or not (not a bare no)."""
    from xinyong.cases.models import Case
    from xinyong.sanctions.services import add_months

    rules = repair_rules()
    item = get_catalog().item(record.item_code)
    reasons: list[str] = []
    met: list[str] = []
    if record.status != "active":
        reasons.append("该记录已撤销或已修复，无需申请信用修复")
    excluded = [r for r in rules.no_repair if item is not None and r.matches(item, record)]
    repairable = item is not None and item.nature == "negative" and (item.kind in rules.kinds or item.code in rules.items)
    for r in excluded:
        reasons.append(f"{r.reason}（{r.basis}）")
    if not excluded:
        if not repairable:
            reasons.append("该类信息不属于可申请信用修复的失信信息")
        else:
            met.append("属于可申请信用修复的失信信息，且不属于法定不予修复的类别")
    if repairable and not excluded:
        if record.repair_from is None:
            reasons.append("该记录没有最短公示期，不适用信用修复")
        elif record.publish_until is not None and day > record.publish_until:
            reasons.append(f"公示期已于 {record.publish_until.isoformat()} 届满，该信息已停止公示，无需申请信用修复")
        elif day < record.repair_from:
            reasons.append(f"最短公示期尚未届满：{record.repair_from.isoformat()} 起方可申请信用修复（{record.publication_rule or '公示期限规定'}）")
        else:
            met.append(f"最短公示期已届满（{record.repair_from.isoformat()} 起可申请）")
    if Case.objects.filter(kind="repair", is_open=True, records=record).exists():
        reasons.append("该记录已有一件信用修复申请正在办理，办结前不能重复申请")
    if rules.max_repairs:
        since = add_months(day, -rules.window_months) if rules.window_months else date.min
        done = Case.objects.filter(kind="repair", state="repaired", subject_id=record.subject_id, closed_on__gt=since).count()
        if done >= rules.max_repairs:
            reasons.append(f"近{rules.window_months}个月内已信用修复 {done} 次，达到 {rules.max_repairs} 次的上限（{rules.repeat_basis}）")
        else:
            met.append(f"近{rules.window_months}个月内信用修复 {done} 次，未超过 {rules.max_repairs} 次")
    to_declare = ["已纠正失信行为、履行法定义务，并提交相关证明材料（申请时填写并上传）", f"签署信用承诺书（{rules.commitment_basis}）"]
    return Eligibility(not reasons, reasons, met, to_declare)
