"""Writes on list entries: derivation of entries from records by the rules of lists.yaml.

A list with `rules` has an entry per qualifying record (`ListEntry.basis_record`,
`source="rule"`): listed on the record's decision date, until the end of its publication period
(`expires_on`, none when the record has no end). A record qualifies while it is active (not
withdrawn, not repaired), inside its publication period, disclosed at least as openly as the list
(`records.selectors.in_period_q`), matches the rule's `when` and — with `latest_by` — is its
subject's latest record of the item by that field.

    lists_rebuild()          # every derived list, in bulk: set-up, or after the rules changed
    lists_update()           # follow the change feed (consumer "lists"): what the job runs

Both reconcile the same way (`_reconcile`), for all subjects or for the subjects whose records
changed: a qualifying record without an entry gets one (ADD); a removed entry whose record
qualifies again is listed again (ADD); a listed entry whose record changed (dates, department) is
brought up to date (MOD); a listed entry whose record no longer qualifies is removed (DEL) with
the date and the reason in Chinese (撤销, 信用修复, 公示期满, 更正, a newer rating...). Running either
twice changes nothing. Entries are never deleted: a removed entry stays, with its reason, for the
authorities and for the history of the subject.

Every change of an entry is written to the change feed (entity "list_entry", empty item code) in
the same transaction, for the exchange with the national platform and the search index.
Designated entries (`source="designation"`) follow the due process of the second half of this
module (entry_propose ... entry_remove); the derivation never touches them, but the same job
removes them when their term ends or when none of their basis records is in force any more
(`designations_sweep`).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date, timedelta
from itertools import islice

from django.db import connection, transaction
from django.db.models import BigIntegerField, Exists, Max, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from xinyong.catalog.registry import Catalog, ListRule, ListType, get_catalog
from xinyong.common import db
from xinyong.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from xinyong.records import feed
from xinyong.records import selectors as record_selectors
from xinyong.records.models import ChangeEvent, FeedCursor, Record
from xinyong.security.services import Actor, audit_log

from .models import REMOVAL_KIND_CHOICES, DerivationState, ListEntry

CONSUMER = "lists"  # the change-feed consumer of derived lists
CHUNK = 2000  # entries written per statement; subjects per query when following the feed

ENTRY_COLUMNS = [
    "id", "list_code", "subject_id", "status", "source", "basis_record_id", "basis_records",
    "designating_department_id", "authority_level", "legal_basis", "reason", "listed_on",
    "expires_on", "removed_on", "removal_reason", "market_exit", "rule", "individual",
    "created_at", "updated_at",
    # the due process of designated entries: empty in derived ones (raw inserts get no defaults)
    "notice", "statement", "statement_reply", "decision_no", "measures", "removal_terms", "remedies",
    "persons", "warning_exemption", "removal_kind",
]


# ---------------------------------------------------------------------- the rules
def derived_lists(catalog: Catalog | None = None) -> list[ListType]:
    return [lt for lt in (catalog or get_catalog()).lists.values() if lt.rules]


def rules_digest(catalog: Catalog | None = None) -> str:
    """A digest of everything that decides which records are on which list: when it changes, the
    next update rebuilds every derived list."""
    payload = [[lt.code, lt.disclosure, [r.key for r in lt.rules]] for lt in derived_lists(catalog)]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def rule_label(lt: ListType, rule: ListRule) -> str:
    """What an entry keeps of the rule that listed it: the rule and the version of lists.yaml."""
    return f"{rule.key}@{lt.version}"[:200]


def _number(field: str):
    return Cast(KT(f"data__{field}"), BigIntegerField())


def qualifying_records(lt: ListType, rule: ListRule, day: date) -> QuerySet[Record]:
    """The records that `rule` puts on list `lt` on `day`."""
    disclosures = ("public",) if lt.is_public else ("public", "authorized")
    qs = Record.objects.filter(record_selectors.in_period_q(day, disclosures=disclosures), item_code=rule.item)
    for name, values in rule.when:  # single-choice enum fields: JSON strings
        qs = qs.filter(**{f"data__{name}__in": sorted(values)})
    if rule.latest_by:
        newer = (
            Record.objects.filter(item_code=rule.item, subject_id=OuterRef("subject_id"), status="active")
            .annotate(_n=_number(rule.latest_by))
            .filter(_n__gt=OuterRef("_latest"))
        )
        qs = qs.annotate(_latest=_number(rule.latest_by)).filter(~Exists(newer))
    return qs


# ---------------------------------------------------------------------- reconciling
def _chunks(iterable, size: int):
    it = iter(iterable)
    while chunk := list(islice(it, size)):
        yield chunk


def _write_events(rows: list[tuple[int, int, str]], now) -> None:
    """Change-feed events of entries: (entry id, subject id, op)."""
    at = db.db_datetime(now)
    feed.append_rows([(at, "list_entry", eid, sid, "", op, None) for eid, sid, op in rows])


def _insert_missing(lt: ListType, rule: ListRule, qs: QuerySet[Record], now, counts: Counter) -> None:
    missing = qs.filter(~Exists(ListEntry.objects.filter(list_code=lt.code, basis_record_id=OuterRef("pk"))))
    rows = missing.values_list("id", "subject_id", "department_id", "authority_level", "decided_on", "publish_until", "subject__kind").order_by("id")
    at = db.db_datetime(now)
    basis = db.db_json([])
    label = rule_label(lt, rule)
    reason = f"依据名单规则自动列入（{lt.name}）"
    for chunk in _chunks(rows.iterator(chunk_size=CHUNK), CHUNK):
        ids = db.allocate_ids(ListEntry, len(chunk))
        db.insert_rows(
            ListEntry,
            ENTRY_COLUMNS,
            [
                (eid, lt.code, sid, "listed", "rule", rid, basis, dept, level, lt.legal_basis, reason,
                 db.db_date(decided), db.db_date(until), None, "", False, label, kind == "individual", at, at,
                 "", "", "", "", "", "", "", basis, "", "")
                for eid, (rid, sid, dept, level, decided, until, kind) in zip(ids, chunk, strict=True)
            ],
        )
        _write_events([(eid, row[1], "ADD") for eid, row in zip(ids, chunk, strict=True)], now)
        counts["added"] += len(chunk)


def _reason(entry: dict, lt: ListType, day: date, catalog: Catalog) -> tuple[str, date]:
    """Why a listed entry's record no longer qualifies, and from which day (Chinese, for people)."""
    status = entry["basis_record__status"]
    until = entry["basis_record__publish_until"]
    start = entry["basis_record__publish_from"]
    if status == "withdrawn":
        return "依据的信用记录已被报送部门撤销", day
    if status == "repaired":
        return "信用修复：依据的信用记录已停止公示", day
    if until is not None and until < day:
        return f"公示期满（公示截止{until.isoformat()}）", min(until + timedelta(days=1), day)
    if start is None or start > day:
        return "依据的信用记录不在公示期内", day
    allowed = ("public",) if lt.is_public else ("public", "authorized")
    if entry["basis_record__disclosure"] not in allowed:
        return "依据的信用记录已不再公开", day
    record = Record.objects.only("item_code", "subject_id", "data").get(pk=entry["basis_record_id"])
    data = record.data or {}
    for rule in lt.rules:
        if rule.item != record.item_code:
            continue
        item = catalog.items.get(rule.item)
        for name, values in rule.when:
            if str(data.get(name, "")) not in values:
                label = item.field_map[name].label if item and name in item.field_map else name
                return f"依据的信用记录经更正后不再符合列入条件（{label}：{data.get(name, '')}）", day
        if rule.latest_by:
            label = item.field_map[rule.latest_by].label if item and rule.latest_by in item.field_map else rule.latest_by
            return f"已有{label}更新的{item.name if item else '记录'}，本记录不再作为列入依据", day
    return "依据的信用记录已不符合列入条件", day


def _reconcile(lt: ListType, *, day: date, now, catalog: Catalog, subject_ids=None) -> Counter:
    """Bring the rule entries of list `lt` in line with the records, for every subject or for
    `subject_ids`. One transaction is the caller's."""
    counts: Counter = Counter()
    rules = list(lt.rules)
    querysets = [qualifying_records(lt, rule, day) for rule in rules]
    if subject_ids is not None:
        querysets = [qs.filter(subject_id__in=subject_ids) for qs in querysets]
    for rule, qs in zip(rules, querysets, strict=True):
        _insert_missing(lt, rule, qs, now, counts)

    # the entries that were there already: listed again, refreshed, or removed
    existing = ListEntry.objects.filter(list_code=lt.code, source="rule", basis_record__isnull=False)
    if subject_ids is not None:
        existing = existing.filter(subject_id__in=subject_ids)
    flags = {f"_q{i}": Exists(qs.filter(pk=OuterRef("basis_record_id"))) for i, qs in enumerate(querysets)}
    rows = existing.annotate(**flags).values(
        "id", "subject_id", "status", "listed_on", "expires_on", "designating_department_id", "authority_level", "rule",
        "basis_record_id", "basis_record__status", "basis_record__decided_on", "basis_record__publish_from",
        "basis_record__publish_until", "basis_record__disclosure", "basis_record__department_id",
        "basis_record__authority_level", *flags,
    ).order_by("id")
    changed: list[ListEntry] = []
    events: list[tuple[int, int, str]] = []
    fields = ["status", "listed_on", "expires_on", "designating_department_id", "authority_level", "rule", "removed_on", "removal_reason", "updated_at"]
    for e in rows.iterator(chunk_size=CHUNK):
        hit = next((i for i in range(len(rules)) if e[f"_q{i}"]), None)
        entry = ListEntry(
            id=e["id"], status=e["status"], listed_on=e["listed_on"], expires_on=e["expires_on"],
            designating_department_id=e["designating_department_id"], authority_level=e["authority_level"], rule=e["rule"],
            removed_on=None, removal_reason="", updated_at=now,
        )
        if hit is not None:
            fresh = (e["basis_record__decided_on"], e["basis_record__publish_until"], e["basis_record__department_id"], e["basis_record__authority_level"], rule_label(lt, rules[hit]))
            current = (e["listed_on"], e["expires_on"], e["designating_department_id"], e["authority_level"], e["rule"])
            if e["status"] == "listed" and fresh == current:
                continue
            op = "MOD" if e["status"] == "listed" else "ADD"
            counts["updated" if op == "MOD" else "relisted"] += 1
            entry.status = "listed"
            entry.listed_on, entry.expires_on, entry.designating_department_id, entry.authority_level, entry.rule = fresh
        else:
            if e["status"] != "listed":
                continue
            op = "DEL"
            counts["removed"] += 1
            entry.status = "removed"
            entry.removal_reason, entry.removed_on = _reason(e, lt, day, catalog)
        changed.append(entry)
        events.append((e["id"], e["subject_id"], op))
        if len(changed) >= CHUNK:
            ListEntry.objects.bulk_update(changed, fields)
            _write_events(events, now)
            changed, events = [], []
    if changed:
        ListEntry.objects.bulk_update(changed, fields)
        _write_events(events, now)
    return counts


def _remove(entries: QuerySet[ListEntry], *, reason, now) -> int:
    """Remove listed entries; `reason(entry) -> (text, removed_on)`."""
    done = 0
    for chunk in _chunks(entries.order_by("id").only("id", "subject_id", "expires_on").iterator(chunk_size=CHUNK), CHUNK):
        for entry in chunk:
            entry.status = "removed"
            entry.removal_reason, entry.removed_on = reason(entry)
            entry.updated_at = now
        ListEntry.objects.bulk_update(chunk, ["status", "removal_reason", "removed_on", "updated_at"])
        _write_events([(e.id, e.subject_id, "DEL") for e in chunk], now)
        done += len(chunk)
    return done


def _expire(day: date, now) -> int:
    """Derived entries whose record's publication ended before `day`: removed, from the day after
    the end. (Public pages stop showing them on that day by date alone, before this runs.)"""
    ended = ListEntry.objects.filter(status="listed", source="rule", expires_on__lt=day)
    return _remove(ended, reason=lambda e: (f"公示期满（公示截止{e.expires_on.isoformat()}）", e.expires_on + timedelta(days=1)), now=now)


def _retire_orphans(catalog: Catalog, day: date, now) -> int:
    """Derived entries of lists that no longer have rules (removed from lists.yaml)."""
    live = [lt.code for lt in derived_lists(catalog)]
    orphans = ListEntry.objects.filter(status="listed", source="rule").exclude(list_code__in=live)
    return _remove(orphans, reason=lambda e: ("名单的列入规则已从目录中取消", day), now=now)


# ---------------------------------------------------------------------- entry points
def lists_rebuild(*, day: date | None = None, actor: Actor | None = None) -> dict:
    """Reconcile every derived list with every record, in bulk; then follow the feed from where
    the rebuild started. Run at set-up (the job does it on its first run), after a change of the
    rules in lists.yaml (the job notices), or by hand: `xinyong lists rebuild`."""
    catalog = get_catalog()
    day = day or record_selectors.today()
    now = timezone.now()
    # events up to here are reflected in what the rebuild reads; later ones will be replayed
    # (idempotently) by the next update
    start_seq = ChangeEvent.objects.aggregate(m=Max("seq"))["m"] or 0
    counts: Counter = Counter()
    for lt in derived_lists(catalog):
        with transaction.atomic():
            counts += _reconcile(lt, day=day, now=now, catalog=catalog)
    with transaction.atomic():
        counts["removed"] += _retire_orphans(catalog, day, now) + _expire(day, now)
        counts["designations_ended"] += designations_sweep(day=day)
        DerivationState.objects.update_or_create(pk=1, defaults={"rules_digest": rules_digest(catalog), "rebuilt_at": now, "rebuilt_seq": start_seq})
        cursor, _ = FeedCursor.objects.select_for_update().get_or_create(consumer=CONSUMER)
        if start_seq > cursor.seq:
            cursor.seq = start_seq
            cursor.save(update_fields=["seq", "updated_at"])
        summary = _summary(counts, day, rebuilt=True)
        audit_log(actor=actor or Actor.system("名单生成"), action="lists.rebuild", object_type="list", object_id="*", detail=summary)
    # fresh planner statistics after the bulk change: without them SQLite reads a subject's entries
    # (credit file) through the (status, list_code) index, every listed entry, instead of by subject
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {ListEntry._meta.db_table}")  # noqa: S608
    return summary


def lists_update(*, day: date | None = None, limit: int = 5000, max_events: int = 200_000) -> dict:
    """Follow the change feed: reconcile the derived lists for the subjects whose records of a
    rule's item changed, then remove the entries whose publication ended. The first run on a
    database (and the first after the rules changed) is a rebuild instead of a replay of every
    event. At most `max_events` events per run: the rest is left for the next run."""
    catalog = get_catalog()
    state = DerivationState.objects.filter(pk=1).first()
    if state is None or state.rules_digest != rules_digest(catalog):
        return lists_rebuild(day=day)
    day = day or record_selectors.today()
    now = timezone.now()
    lists = derived_lists(catalog)
    rule_items = {r.item for lt in lists for r in lt.rules}
    counts: Counter = Counter()
    seen = 0
    while seen < max_events:
        events = feed.feed_pending(consumer=CONSUMER, limit=limit)
        if not events:
            break
        seen += len(events)
        touched: dict[str, set[int]] = {}
        for e in events:
            if e.entity == "record" and e.item_code in rule_items:
                touched.setdefault(e.item_code, set()).add(e.subject_id)
        # designated entries resting on records: any item's record may be a basis record
        record_subjects = sorted({e.subject_id for e in events if e.entity == "record"})
        with transaction.atomic():
            for lt in lists:
                subjects = set().union(*(touched.get(r.item, set()) for r in lt.rules))
                for chunk in _chunks(sorted(subjects), CHUNK // 4):
                    counts += _reconcile(lt, day=day, now=now, catalog=catalog, subject_ids=chunk)
            for chunk in _chunks(record_subjects, CHUNK // 4):
                counts["designations_ended"] += _basis_lost(day, chunk, Actor.system("名单条目定时任务"))
            feed.feed_advance(consumer=CONSUMER, last=events[-1])
    with transaction.atomic():
        counts["removed"] += _expire(day, now)
        counts["designations_ended"] += _expire_designations(day, Actor.system("名单条目定时任务"))
    return {**_summary(counts, day, rebuilt=False), "events": seen}


def _summary(counts: Counter, day: date, *, rebuilt: bool) -> dict:
    return {
        "rebuilt": rebuilt,
        "day": day.isoformat(),
        "added": counts["added"],
        "relisted": counts["relisted"],
        "updated": counts["updated"],
        "removed": counts["removed"],
        "designations_ended": counts["designations_ended"],  # designated entries expired or left without basis
        "listed": ListEntry.objects.filter(status="listed", source="rule").count() if rebuilt else None,
    }



# ====================================================================== designation (due process)
# A designated list (lists.yaml without `rules`) gets its entries from an authority, step by step:
#
#     entry_propose    → proposed   拟列入: designating department, its level, legal basis (required),
#                                   basis records, reason; warning before punishment checked here
#     entry_notify     → notified   告知: the notice (facts, reasons, basis, rights) and the statement
#                                   period, `statement_days` working days (common/calendar.py)
#     entry_statement    notified   the subject's statement (陈述申辩), once, within the period
#     entry_decide     → listed     决定: reasons, basis, measures, removal conditions, remedies;
#                                   listed_on, expires_on (the list's `duration_months`)
#     entry_drop       → dropped    不予列入: the authority ends the procedure without listing
#     entry_remove     → removed    repair (信用修复) or revocation (撤销) by the authority; expiry and
#                                   the loss of every basis record by the lists.update job
#                                   (designations_sweep)
#
# Only the designating department acts on an entry (credit-centre staff may act for it:
# `on_behalf=True`, recorded in the step and the audit entry). Each step is one transaction:
# the entry, its timeline (ListEntryStep), an audit entry and a change-feed event.

OPEN_STATUSES = ("proposed", "notified", "listed")
STEP_LABELS = {"propose": "拟列入", "notify": "告知", "statement": "记录陈述申辩", "decide": "作出列入决定", "drop": "终止列入程序", "remove": "移出"}
# the statuses each step starts from
STEP_FROM = {"notify": ("proposed",), "statement": ("notified",), "decide": ("notified",), "drop": ("proposed", "notified"), "remove": ("listed",)}
MANUAL_REMOVALS = ("repair", "revocation")


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has no such day)."""
    import calendar as _cal

    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, _cal.monthrange(year, month)[1]))


def term_end(lt: ListType, listed_on: date, term_months: int | None = None) -> date | None:
    """The last day on the list: listed_on + the term (at most the list's duration) − 1 day."""
    months = term_months or lt.duration_months
    if months is None:
        return None
    return add_months(listed_on, months) - timedelta(days=1)


def designated_list(code: str) -> ListType:
    lt = get_catalog().lists.get(code or "")
    if lt is None:
        raise NotFound(f"未知的名单“{code}”", code="unknown_list", fields={"list_code": "未知的名单"})
    if lt.derived:
        raise InvalidInput(f"{lt.name}依据信用记录自动列入和移出，不能由部门认定", code="derived_list", fields={"list_code": "该名单不由部门认定"})
    return lt


def may_designate(lt: ListType, department) -> bool:
    """Whether `department` (catalog.models.Department) designates entries of the list."""
    if not department.active:
        return False
    if lt.designator_kind:
        return department.kind == lt.designator_kind
    return department.system == lt.sector


def _today(day: date | None) -> date:
    return day or record_selectors.today()


def _step(entry: ListEntry, *, step: str, op: str, actor: Actor, department, on_behalf: bool, on: date, note: str = "", detail: dict | None = None) -> None:
    """The timeline row, the audit entry and the change-feed event of one step (the caller's
    transaction)."""
    from .models import ListEntryStep

    ListEntryStep.objects.create(entry=entry, step=step, on=on, actor=actor.label[:150], department=department, on_behalf=on_behalf, note=note)
    audit_log(
        actor=actor,
        action=f"list_entry.{step}",
        object_type="list_entry",
        object_id=entry.id,
        subject_id=entry.subject_id,
        purpose="信用中心代为办理" if on_behalf else "",
        detail={
            "list": entry.list_code, "status": entry.status, "on": on.isoformat(),
            "department": department.code if department is not None else "", "on_behalf": on_behalf,
            **(detail or {}),
        },
    )
    feed.append([ChangeEvent(at=timezone.now(), entity="list_entry", entity_id=entry.id, subject_id=entry.subject_id, item_code="", op=op)])


def _locked(entry_id: int) -> ListEntry:
    entry = ListEntry.objects.select_for_update(of=("self",)).select_related("designating_department", "subject").filter(pk=entry_id, source="designation").first()
    if entry is None:
        raise NotFound("名单条目不存在", code="unknown_entry")
    return entry


def _check_actor(entry: ListEntry, *, step: str, department, on_behalf: bool) -> None:
    """Only the designating department moves an entry along (staff: on its behalf)."""
    if department is None or department.id != entry.designating_department_id:
        owner = entry.designating_department.name if entry.designating_department else "认定机关"
        raise Forbidden(
            f"该名单条目由{owner}认定，只有认定机关（或信用中心代为办理）可以{STEP_LABELS[step]}。",
            code="not_designator",
        )


def _check_state(entry: ListEntry, step: str) -> None:
    if entry.status not in STEP_FROM[step]:
        if step == "notify" and entry.status == "notified":
            message = f"该条目已于{entry.notified_on.isoformat()}告知，不能重复告知。"
        elif step == "decide" and entry.status == "listed":
            message = f"该条目已于{entry.listed_on.isoformat()}作出列入决定，不能重复决定。"
        elif step == "remove" and entry.status == "removed":
            message = f"该条目已于{entry.removed_on.isoformat()}移出，不能重复移出。"
        else:
            message = f"该条目当前状态为“{entry.get_status_display()}”，不能{STEP_LABELS[step]}。"
        raise Conflict(message, code="invalid_transition")


def _not_before(day: date, earlier: date | None, what: str) -> None:
    if earlier is not None and day < earlier:
        raise InvalidInput(f"办理日期{day.isoformat()}早于{what}（{earlier.isoformat()}）", code="date_order", fields={"day": "日期早于上一环节"})


def warning_entry_for(lt: ListType, subject_id: int, day: date) -> ListEntry | None:
    """The subject's entry on the focus list `lt.warning_first` that satisfies warning before
    punishment: listed there (now or before) on or before `day`, derived or designated."""
    if not lt.warning_first:
        return None
    return (
        ListEntry.objects.filter(list_code=lt.warning_first, subject_id=subject_id, status__in=("listed", "removed"), listed_on__lte=day)
        .order_by("-listed_on", "-id")
        .first()
    )


@transaction.atomic
def entry_propose(
    *,
    actor: Actor,
    list_code: str,
    subject,
    department,
    legal_basis: str,
    reason: str,
    basis_record_ids: list[int] | tuple = (),
    persons: list[dict] | tuple = (),
    warning_exemption: str = "",
    on_behalf: bool = False,
    day: date | None = None,
) -> ListEntry:
    """拟列入: start the due process for `subject` on a designated list."""
    lt = designated_list(list_code)
    day = _today(day)
    if department is None or not may_designate(lt, department):
        who = "行业协会商会" if lt.designator_kind == "association" else f"{get_catalog().systems[lt.sector].name}部门"
        raise Forbidden(f"{lt.name}由{who}认定，{department.name if department else '您'}不能拟列入。", code="not_designator")
    legal_basis, reason = (legal_basis or "").strip(), (reason or "").strip()
    errors = {}
    if not legal_basis:
        errors["legal_basis"] = "须写明列入的法律依据（法律、法规、规章或规范性文件的名称及条款）"
    if not reason:
        errors["reason"] = "须写明拟列入的事实和理由"
    if errors:
        raise InvalidInput("拟列入名单须写明法律依据和事实理由。" if len(errors) == 2 else next(iter(errors.values())), code="legal_basis_required" if "legal_basis" in errors else "reason_required", fields=errors)
    if ListEntry.objects.filter(list_code=lt.code, subject=subject, status__in=OPEN_STATUSES).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=day)).exists():
        raise Conflict(f"该主体已在{lt.name}中，或正在办理列入程序。", code="already_open")
    # basis records: the subject's records in force
    ids = sorted({int(i) for i in basis_record_ids})
    records = {r.id: r for r in Record.objects.filter(pk__in=ids)}
    for rid in ids:
        r = records.get(rid)
        if r is None or r.subject_id != subject.id:
            raise InvalidInput(f"依据记录 {rid} 不存在或不属于该主体", code="bad_basis_record", fields={"basis_records": f"记录 {rid} 不存在或不属于该主体"})
        if r.status != "active":
            raise InvalidInput(f"依据记录 {rid} 已{r.get_status_display()}，不能作为列入依据", code="bad_basis_record", fields={"basis_records": f"记录 {rid} 已{r.get_status_display()}"})
    # the legal representative and responsible persons of an entity (serious dishonesty lists)
    persons = [{"role": str(p.get("role", "")).strip()[:20], "name": str(p.get("name", "")).strip()[:50]} for p in persons if str(p.get("name", "")).strip()]
    if lt.record_persons and not subject.is_individual and not any(p["role"] == "法定代表人" for p in persons):
        raise InvalidInput(f"列入{lt.name}须同时记录该单位的法定代表人（负责人）", code="persons_required", fields={"persons": "须填写法定代表人（负责人）姓名"})
    # warning before punishment (先警示后惩戒)
    warning = warning_entry_for(lt, subject.id, day)
    warning_exemption = (warning_exemption or "").strip()
    if lt.warning_first and warning is None and not warning_exemption:
        focus = get_catalog().lists[lt.warning_first]
        raise InvalidInput(
            f"先警示后惩戒：该主体未曾列入{focus.name}，不能直接列入{lt.name}。请先将其列入{focus.name}，或写明法律规定可以直接列入的依据。",
            code="warning_first",
            fields={"warning_exemption": f"未曾列入{focus.name}：须写明免予先行警示的法律依据"},
        )
    entry = ListEntry.objects.create(
        list_code=lt.code,
        subject=subject,
        status="proposed",
        source="designation",
        basis_records=ids,
        designating_department=department,
        authority_level=department.level,
        legal_basis=legal_basis,
        reason=reason,
        individual=subject.is_individual,
        proposed_on=day,
        persons=persons,
        warning_entry=warning,
        warning_exemption="" if warning is not None else warning_exemption,
        rule=f"designation@{lt.version}"[:200],
    )
    _step(entry, step="propose", op="ADD", actor=actor, department=department, on_behalf=on_behalf, on=day, note=reason,
          detail={"legal_basis": legal_basis, "basis_records": ids, "warning_entry": warning.id if warning else None, "warning_exemption": entry.warning_exemption})
    return entry


def notice_text(entry: ListEntry, lt: ListType, due: date) -> str:
    """The notice (告知书): facts and reasons, basis, basis records, the subject's rights."""
    docs = list(Record.objects.filter(pk__in=entry.basis_records).values_list("document_no", flat=True))
    lines = [
        f"{entry.subject.name}：",
        f"本机关拟将你（单位）列入{lt.name}。",
        f"事实和理由：{entry.reason}",
        f"依据：{entry.legal_basis}",
    ]
    if docs:
        lines.append("依据的信用记录：" + "；".join(d or "（无文书号）" for d in docs))
    lines.append(
        f"你（单位）有权进行陈述和申辩。请于{due.isoformat()}前（告知之日起{lt.statement_days}个工作日内）向本机关提出；"
        "逾期未提出的，视为放弃陈述和申辩的权利。本机关将对你（单位）提出的事实、理由和证据进行核实。"
    )
    return "\n".join(lines)


@transaction.atomic
def entry_notify(*, actor: Actor, entry_id: int, department, notice: str = "", on_behalf: bool = False, day: date | None = None) -> ListEntry:
    """告知: send the notice; the statement period runs `statement_days` working days from `day`."""
    from xinyong.common.calendar import calendar

    entry = _locked(entry_id)
    _check_actor(entry, step="notify", department=department, on_behalf=on_behalf)
    _check_state(entry, "notify")
    day = _today(day)
    _not_before(day, entry.proposed_on, "拟列入日期")
    lt = designated_list(entry.list_code)
    entry.status = "notified"
    entry.notified_on = day
    entry.statement_due = calendar().add_working_days(day, lt.statement_days)
    entry.notice = (notice or "").strip() or notice_text(entry, lt, entry.statement_due)
    entry.save(update_fields=["status", "notified_on", "statement_due", "notice", "updated_at"])
    _step(entry, step="notify", op="MOD", actor=actor, department=department, on_behalf=on_behalf, on=day,
          note=f"陈述申辩期至{entry.statement_due.isoformat()}", detail={"statement_due": entry.statement_due.isoformat()})
    return entry


@transaction.atomic
def entry_statement(*, actor: Actor, entry_id: int, department, statement: str, on_behalf: bool = False, day: date | None = None) -> ListEntry:
    """The subject's statement (陈述申辩), recorded by the authority, within the period."""
    entry = _locked(entry_id)
    _check_actor(entry, step="statement", department=department, on_behalf=on_behalf)
    _check_state(entry, "statement")
    day = _today(day)
    statement = (statement or "").strip()
    if not statement:
        raise InvalidInput("须填写当事人陈述申辩的内容", code="statement_required", fields={"statement": "须填写陈述申辩内容"})
    if entry.statement_on is not None:
        raise Conflict(f"当事人的陈述申辩已于{entry.statement_on.isoformat()}记录，不能重复记录。", code="statement_recorded")
    _not_before(day, entry.notified_on, "告知日期")
    if day > entry.statement_due:
        raise InvalidInput(f"陈述申辩期已于{entry.statement_due.isoformat()}届满，不能再记录陈述申辩。", code="statement_late", fields={"statement": "陈述申辩期已届满"})
    entry.statement, entry.statement_on = statement, day
    entry.save(update_fields=["statement", "statement_on", "updated_at"])
    _step(entry, step="statement", op="MOD", actor=actor, department=department, on_behalf=on_behalf, on=day, note=statement)
    return entry


@transaction.atomic
def entry_decide(
    *,
    actor: Actor,
    entry_id: int,
    department,
    decision_no: str,
    measures: str,
    removal_terms: str,
    remedies: str,
    statement_reply: str = "",
    market_exit: bool = False,
    term_months: int | None = None,
    on_behalf: bool = False,
    day: date | None = None,
) -> ListEntry:
    """决定: list and publish the entry. The decision states the reasons and basis (from the
    proposal), the measures, the removal conditions and procedure, and the remedies."""
    entry = _locked(entry_id)
    _check_actor(entry, step="decide", department=department, on_behalf=on_behalf)
    _check_state(entry, "decide")
    day = _today(day)
    lt = designated_list(entry.list_code)
    _not_before(day, entry.notified_on, "告知日期")
    if entry.statement_on is None and day <= entry.statement_due:
        raise Conflict(
            f"陈述申辩期至{entry.statement_due.isoformat()}（{lt.statement_days}个工作日）届满前，当事人未提出陈述申辩的，不能作出列入决定。",
            code="statement_period",
        )
    values = {"decision_no": (decision_no or "").strip(), "measures": (measures or "").strip(), "removal_terms": (removal_terms or "").strip(), "remedies": (remedies or "").strip()}
    labels = {"decision_no": "列入决定文书号", "measures": "惩戒或激励措施", "removal_terms": "移出条件和程序", "remedies": "救济途径"}
    missing = {k: f"须填写{labels[k]}" for k, v in values.items() if not v}
    statement_reply = (statement_reply or "").strip()
    if entry.statement_on is not None and not statement_reply:
        missing["statement_reply"] = "当事人提出了陈述申辩：须写明核实及采纳情况"
    if missing:
        raise InvalidInput("列入决定内容不完整：" + "；".join(missing.values()), code="decision_incomplete", fields=missing)
    if market_exit and not lt.market_exit:
        raise InvalidInput(f"{lt.name}没有市场退出措施", code="no_market_exit", fields={"market_exit": "该名单没有市场退出措施"})
    if term_months is not None and (term_months < 1 or (lt.duration_months is not None and term_months > lt.duration_months)):
        limit = f"1至{lt.duration_months}" if lt.duration_months is not None else "不小于1"
        raise InvalidInput(f"列入期限应为{limit}个月", code="bad_term", fields={"term_months": f"应为{limit}个月"})
    for key, value in values.items():
        setattr(entry, key, value)
    entry.statement_reply = statement_reply
    entry.market_exit = bool(market_exit)
    entry.status = "listed"
    entry.listed_on = day
    entry.expires_on = term_end(lt, day, term_months)
    entry.save(update_fields=[*values, "statement_reply", "market_exit", "status", "listed_on", "expires_on", "updated_at"])
    _step(entry, step="decide", op="MOD", actor=actor, department=department, on_behalf=on_behalf, on=day,
          note=f"{values['decision_no']}；有效期至{entry.expires_on.isoformat() if entry.expires_on else '移出之日'}",
          detail={"decision_no": values["decision_no"], "expires_on": entry.expires_on.isoformat() if entry.expires_on else None, "market_exit": entry.market_exit})
    return entry


@transaction.atomic
def entry_drop(*, actor: Actor, entry_id: int, department, reason: str, on_behalf: bool = False, day: date | None = None) -> ListEntry:
    """不予列入: end the procedure without listing (e.g. the statement was accepted)."""
    entry = _locked(entry_id)
    _check_actor(entry, step="drop", department=department, on_behalf=on_behalf)
    _check_state(entry, "drop")
    day = _today(day)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("须写明不予列入的理由", code="reason_required", fields={"reason": "须写明理由"})
    _not_before(day, entry.notified_on or entry.proposed_on, "上一环节")
    entry.status, entry.removed_on, entry.removal_reason = "dropped", day, reason[:500]
    entry.save(update_fields=["status", "removed_on", "removal_reason", "updated_at"])
    _step(entry, step="drop", op="DEL", actor=actor, department=department, on_behalf=on_behalf, on=day, note=reason)
    return entry


@transaction.atomic
def entry_remove(*, actor: Actor, entry_id: int, department, kind: str, reason: str, on_behalf: bool = False, day: date | None = None) -> ListEntry:
    """移出 by the designating department: repair (信用修复; after `repair_after_months` on the
    list where the list says so) or revocation of the listing decision (撤销)."""
    entry = _locked(entry_id)
    _check_actor(entry, step="remove", department=department, on_behalf=on_behalf)
    _check_state(entry, "remove")
    day = _today(day)
    if kind not in MANUAL_REMOVALS:
        raise InvalidInput("移出方式应为信用修复或撤销列入决定", code="bad_removal_kind", fields={"kind": "应为 repair 或 revocation"})
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("须写明移出的理由", code="reason_required", fields={"reason": "须写明理由"})
    _not_before(day, entry.listed_on, "列入日期")
    lt = designated_list(entry.list_code)
    if kind == "repair" and lt.repair_after_months:
        earliest = add_months(entry.listed_on, lt.repair_after_months)
        if day < earliest:
            raise Conflict(
                f"{lt.name}列入满{lt.repair_after_months}个月（{earliest.isoformat()}起）方可信用修复提前移出。",
                code="repair_too_early",
            )
    label = dict(REMOVAL_KIND_CHOICES)[kind]
    entry.status, entry.removed_on, entry.removal_kind = "removed", day, kind
    entry.removal_reason = f"{label}：{reason}"[:500]
    entry.save(update_fields=["status", "removed_on", "removal_kind", "removal_reason", "updated_at"])
    _step(entry, step="remove", op="DEL", actor=actor, department=department, on_behalf=on_behalf, on=day, note=entry.removal_reason, detail={"kind": kind})
    return entry


def designations_sweep(*, day: date, subject_ids=None, actor: Actor | None = None) -> int:
    """What the lists.update job does to designated entries (the caller's transaction):
    listed entries past their term are removed the day after it (期满移出); open entries none of
    whose basis records is still in force (withdrawn, repaired) are removed, or dropped if not
    listed yet. `subject_ids`: only these subjects' basis records are looked at."""
    actor = actor or Actor.system("名单条目定时任务")
    return _expire_designations(day, actor) + _basis_lost(day, subject_ids, actor)


def _expire_designations(day: date, actor: Actor) -> int:
    done = 0
    expired = ListEntry.objects.select_for_update().filter(source="designation", status="listed", expires_on__lt=day).order_by("id")
    for entry in expired:
        on = entry.expires_on + timedelta(days=1)
        entry.status, entry.removed_on, entry.removal_kind = "removed", on, "expiry"
        entry.removal_reason = f"期满移出（有效期至{entry.expires_on.isoformat()}）"
        entry.save(update_fields=["status", "removed_on", "removal_kind", "removal_reason", "updated_at"])
        _step(entry, step="remove", op="DEL", actor=actor, department=None, on_behalf=False, on=on, note=entry.removal_reason, detail={"kind": "expiry"})
        done += 1
    return done


def _basis_lost(day: date, subject_ids, actor: Actor) -> int:
    done = 0
    open_entries = ListEntry.objects.select_for_update().filter(source="designation", status__in=OPEN_STATUSES).exclude(basis_records=[])
    if subject_ids is not None:
        open_entries = open_entries.filter(subject_id__in=list(subject_ids))
    for entry in open_entries.order_by("id"):
        statuses = dict(Record.objects.filter(pk__in=entry.basis_records).values_list("id", "status"))
        if any(s == "active" for s in statuses.values()):
            continue
        what = "、".join(sorted({"已撤销" if s == "withdrawn" else "已信用修复" if s == "repaired" else "不存在" for s in statuses.values()} or {"不存在"}))
        if entry.status == "listed":
            entry.status, entry.removal_kind, step, op = "removed", "basis", "remove", "DEL"
            entry.removal_reason = f"依据的信用记录{what}，移出名单"
        else:
            entry.status, step, op = "dropped", "drop", "DEL"
            entry.removal_reason = f"依据的信用记录{what}，终止列入程序"
        entry.removed_on = day
        entry.save(update_fields=["status", "removed_on", "removal_kind", "removal_reason", "updated_at"])
        _step(entry, step=step, op=op, actor=actor, department=None, on_behalf=False, on=day, note=entry.removal_reason, detail={"kind": "basis", "basis_records": statuses})
        done += 1
    return done


# ====================================================================== scheduled decisions
def entries_decide_scheduled(
    *,
    actor: Actor,
    list_code: str,
    department,
    subjects: QuerySet,
    legal_basis: str,
    reason: str,
    decision_no: str,
    measures: str,
    removal_terms: str,
    remedies: str,
    rule: str,
    day: date,
) -> int:
    """列入 by a scheduled decision, in bulk: where the law lists without notice and statement
    (经营异常名录 for a missing annual report, 《企业经营异常名录管理暂行办法》第四条), one decision of
    `department` lists every subject of `subjects` (a Subject queryset) that is not already on the
    list or in its procedure. The entries are ordinary designated entries, listed on `day`, each
    with a "decide" step and an ADD event in the change feed; the decision itself gets one audit
    entry (count, rule, decision number). Set-based: three INSERT ... SELECT statements, whatever
    the number of subjects. `rule` is the lineage kept on each entry (e.g.
    "annual_report:2025@2026.11"). The caller's transaction, or one of its own. Returns the number
    of entries listed."""
    lt = designated_list(list_code)
    if lt.warning_first:
        raise InvalidInput(f"{lt.name}须先警示后惩戒，不能以定时决定直接列入", code="warning_first")
    if department is None or not may_designate(lt, department):
        raise Forbidden(f"{lt.name}不由{department.name if department else '该部门'}认定", code="not_designator")
    values = {"legal_basis": legal_basis, "reason": reason, "decision_no": decision_no, "measures": measures, "removal_terms": removal_terms, "remedies": remedies}
    values = {k: (v or "").strip() for k, v in values.items()}
    missing = [k for k, v in values.items() if not v]
    if missing:
        raise InvalidInput("定时列入决定须写明法律依据、事实理由、文书号、措施、移出条件和救济途径", code="decision_incomplete", fields=dict.fromkeys(missing, "必填"))
    rule = rule[:200]
    now = timezone.now()
    open_here = ListEntry.objects.filter(list_code=lt.code, subject_id=OuterRef("pk"), status__in=OPEN_STATUSES).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=day))
    candidates = subjects.filter(~Exists(open_here)).values("id", "kind").order_by()
    select_sql, select_params = candidates.query.sql_with_params()
    at, on, expires = db.db_datetime(now), db.db_date(day), db.db_date(term_end(lt, day))
    empty_json = "CAST('[]' AS jsonb)" if connection.vendor == "postgresql" else "'[]'"
    table, steps = db.table(ListEntry), "sanctions_listentrystep"
    marker = "list_code = %s AND rule = %s AND designating_department_id = %s AND created_at = %s"
    marker_params = [lt.code, rule, department.id, at]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f'INSERT INTO "{table}" (list_code, subject_id, status, source, basis_record_id, basis_records,'  # noqa: S608
            " designating_department_id, authority_level, legal_basis, reason, listed_on, expires_on, removed_on,"
            " removal_reason, market_exit, rule, individual, proposed_on, notified_on, notice, statement_due,"
            " statement, statement_on, statement_reply, decision_no, measures, removal_terms, remedies, persons,"
            " warning_entry_id, warning_exemption, removal_kind, created_at, updated_at)"
            f" SELECT %s, t.id, 'listed', 'designation', NULL, {empty_json}, %s, %s, %s, %s, %s, %s, NULL, '', %s, %s,"
            f" CASE WHEN t.kind = 'individual' THEN %s ELSE %s END, %s, NULL, '', NULL, '', NULL, '', %s, %s, %s, %s, {empty_json},"
            f" NULL, '', '', %s, %s FROM ({select_sql}) t ORDER BY t.id",
            [lt.code, department.id, department.level, values["legal_basis"], values["reason"], on, expires, False, rule,
             True, False, on, values["decision_no"], values["measures"], values["removal_terms"], values["remedies"], at, at, *select_params],
        )
        count = cur.rowcount
        if count:
            note = f"{values['decision_no']}；定时列入决定（无陈述申辩期）"
            cur.execute(
                f'INSERT INTO "{steps}" (entry_id, step, "on", at, actor, department_id, on_behalf, note)'  # noqa: S608
                f' SELECT id, %s, %s, %s, %s, %s, %s, %s FROM "{table}" WHERE {marker} ORDER BY id',
                ["decide", on, at, actor.label[:150], department.id, False, note, *marker_params],
            )
            feed.append_select(f"SELECT %s, 'list_entry', id, subject_id, '', 'ADD', NULL FROM \"{table}\" WHERE {marker} ORDER BY id", [at, *marker_params])  # noqa: S608
            audit_log(
                actor=actor, action="list_entry.decide_scheduled", object_type="list_decision", object_id=values["decision_no"],
                detail={"list": lt.code, "department": department.code, "listed": count, "rule": rule, "on": day.isoformat(), "legal_basis": values["legal_basis"]},
            )
    return count
