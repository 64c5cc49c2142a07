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
Designated entries (`source="designation"`, issue 5's due process) are never touched here.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date, timedelta
from itertools import islice

from django.db import transaction
from django.db.models import BigIntegerField, Exists, Max, OuterRef, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from xinyong.catalog.registry import Catalog, ListRule, ListType, get_catalog
from xinyong.common import db
from xinyong.records import feed
from xinyong.records import selectors as record_selectors
from xinyong.records.models import ChangeEvent, FeedCursor, Record
from xinyong.security.services import Actor, audit_log

from .models import DerivationState, ListEntry

CONSUMER = "lists"  # the change-feed consumer of derived lists
CHUNK = 2000  # entries written per statement; subjects per query when following the feed

ENTRY_COLUMNS = [
    "id", "list_code", "subject_id", "status", "source", "basis_record_id", "basis_records",
    "designating_department_id", "authority_level", "legal_basis", "reason", "listed_on",
    "expires_on", "removed_on", "removal_reason", "market_exit", "rule", "individual",
    "created_at", "updated_at",
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
                 db.db_date(decided), db.db_date(until), None, "", False, label, kind == "individual", at, at)
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
        DerivationState.objects.update_or_create(pk=1, defaults={"rules_digest": rules_digest(catalog), "rebuilt_at": now, "rebuilt_seq": start_seq})
        cursor, _ = FeedCursor.objects.select_for_update().get_or_create(consumer=CONSUMER)
        if start_seq > cursor.seq:
            cursor.seq = start_seq
            cursor.save(update_fields=["seq", "updated_at"])
        summary = _summary(counts, day, rebuilt=True)
        audit_log(actor=actor or Actor.system("名单生成"), action="lists.rebuild", object_type="list", object_id="*", detail=summary)
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
        with transaction.atomic():
            for lt in lists:
                subjects = set().union(*(touched.get(r.item, set()) for r in lt.rules))
                for chunk in _chunks(sorted(subjects), CHUNK // 4):
                    counts += _reconcile(lt, day=day, now=now, catalog=catalog, subject_ids=chunk)
            feed.feed_advance(consumer=CONSUMER, last=events[-1])
    with transaction.atomic():
        counts["removed"] += _expire(day, now)
    return {**_summary(counts, day, rebuilt=False), "events": seen}


def _summary(counts: Counter, day: date, *, rebuilt: bool) -> dict:
    return {
        "rebuilt": rebuilt,
        "day": day.isoformat(),
        "added": counts["added"],
        "relisted": counts["relisted"],
        "updated": counts["updated"],
        "removed": counts["removed"],
        "listed": ListEntry.objects.filter(status="listed", source="rule").count() if rebuilt else None,
    }

