"""Building and maintaining the search index (models.py explains its tables).

Two ways in, the same rows out:
- `index_rebuild` — from scratch, in bulk: entries and exact keys are computed here a chunk of
  subjects at a time and written with the database's bulk path; the bigram postings are then
  produced by one INSERT … SELECT inside the database (a recursive CTE of positions, the same SQL
  on SQLite and PostgreSQL), sorted in index order, and the bigram counts by one GROUP BY.
- `index_subjects` — a few subjects at a time, from the change feed: the subjects' rows are
  computed again and compared with what the index holds; only the differences are written
  (a new penalty changes nothing in the index; a new name changes its keys and bigrams).

`postings_of` is the Python twin of the SQL that generates the postings: a test checks that both
give the same rows for awkward names. Who is indexed: every organization, and an individual only
while one of their records of an item that publishes individuals' names is public
(`records.selectors.public_q` and `person_name_items`, the rule of `subject_is_public`).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from xinyong.common import db
from xinyong.common.normalize import normalize_code
from xinyong.records import selectors as record_selectors
from xinyong.records.models import Record
from xinyong.subjects.models import Subject, SubjectIdentifier, SubjectName

from .models import (
    FORMER_OFFSET,
    KEY_CODE,
    KEY_FORMER,
    KEY_NAME,
    SearchEntry,
    SearchGram,
    SearchGramCount,
    SearchKey,
)

log = logging.getLogger("xinyong.search")

ENTRY_COLUMNS = ["subject_id", "kind", "name", "keys", "codes", "code", "former_names", "region", "status", "public_id", "visible_until", "indexed_at"]
KEY_COLUMNS = ["key", "kind", "subject_id"]
GRAM_COLUMNS = ["gram", "pos", "subject_id"]
MAX_KEY = 200  # name keys are at most 200 characters (Subject.name_key)
_SUBJECT_FIELDS = ("id", "kind", "name", "name_key", "uscc", "id_masked", "region", "status", "public_id")


def conf(name: str):
    return settings.XINYONG["SEARCH"][name]


# ---------------------------------------------------------------------------- postings
def postings_of(keys: Sequence[str]) -> dict[str, int]:
    """The bigrams of a subject's name keys (current first) → their first position; a bigram
    found only in a former name gets FORMER_OFFSET + its position there."""
    out: dict[str, int] = {}
    for n, key in enumerate(keys):
        base = 0 if n == 0 else FORMER_OFFSET
        for i in range(len(key) - 1):
            gram, pos = key[i : i + 2], base + i
            if pos < out.get(gram, 32767):
                out[gram] = pos
    return out


# SQL twin of postings_of, run on SearchKey rows (kind 1: current name, 2: former names)
_POSTINGS_SQL = f"""
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {MAX_KEY})
INSERT INTO {SearchGram._meta.db_table} (gram, pos, subject_id)
SELECT gram, MIN(pos), subject_id FROM (
    SELECT substr(k.key, n.i, 2) AS gram,
           (CASE WHEN k.kind = {KEY_NAME} THEN 0 ELSE {FORMER_OFFSET} END) + n.i - 1 AS pos,
           k.subject_id AS subject_id
    FROM {SearchKey._meta.db_table} k JOIN n ON n.i < length(k.key)
    WHERE k.kind IN ({KEY_NAME}, {KEY_FORMER})
) t
GROUP BY gram, subject_id
ORDER BY gram, MIN(pos), subject_id
"""  # noqa: S608 — constants only


# ---------------------------------------------------------------------------- visibility
def published_people(subject_ids: Iterable[int] | None = None, *, day: date | None = None) -> dict[int, date | None]:
    """Individuals the law publishes on `day` → the last day of that publication (None: no end).

    Their public records of name-publishing items all contain `day`, so the union of their
    windows is one stretch: it ends at the latest end among them, or never if one has none."""
    day = day or record_selectors.today()
    records = Record.objects.filter(record_selectors.public_q(day), item_code__in=record_selectors.person_name_items(), subject__kind="individual")
    if subject_ids is not None:
        records = records.filter(subject_id__in=list(subject_ids))
    out: dict[int, date | None] = {}
    for sid, until in records.values_list("subject_id", "publish_until").iterator(chunk_size=5000):
        if sid not in out:
            out[sid] = until
        elif out[sid] is not None and (until is None or until > out[sid]):
            out[sid] = until
    return out


# ---------------------------------------------------------------------------- rows
class Rows:
    """Index rows computed for a set of subjects: entries, keys, postings (as sets of tuples)."""

    def __init__(self):
        self.entries: dict[int, tuple] = {}
        self.keys: set[tuple] = set()
        self.grams: set[tuple] = set()


def compute_rows(subjects: list[tuple], *, visible_until: dict[int, date | None], now, with_grams: bool = True) -> Rows:
    """Rows for subjects given as tuples of _SUBJECT_FIELDS (only those that are searchable)."""
    rows = Rows()
    if not subjects:
        return rows
    ids = [s[0] for s in subjects]
    names: dict[int, list[tuple[str, str]]] = {}
    codes: dict[int, list[str]] = {}
    for chunk in _chunks(ids, 2000):
        for sid, name, key in SubjectName.objects.filter(subject_id__in=chunk).order_by("subject_id", "valid_from", "id").values_list("subject_id", "name", "name_key"):
            names.setdefault(sid, []).append((name, key))
        for sid, value in SubjectIdentifier.objects.filter(subject_id__in=chunk).order_by("subject_id", "id").values_list("subject_id", "value"):
            codes.setdefault(sid, []).append(value)
    stamp = db.db_datetime(now)
    for sid, kind, name, name_key, uscc, id_masked, region, status, public_id in subjects:
        person = kind == "individual"
        keys = [(name_key or "")[:MAX_KEY]]  # "" when the name has no usable key: found by code only
        former: list[str] = []
        for old_name, old_key in names.get(sid, ()):
            old_key = (old_key or "")[:MAX_KEY]
            if old_key and old_key not in keys:
                keys.append(old_key)
                former.append(old_name)
        all_codes: list[str] = []
        for value in ([uscc] if uscc else []) + codes.get(sid, []):
            c = normalize_code(value)[:40]
            if c and c not in all_codes:
                all_codes.append(c)
        rows.entries[sid] = (
            sid, kind, name, "\n".join(keys), " ".join(all_codes), (id_masked if person else uscc) or "",
            "\n".join(former), region or "", status or "", db.db_uuid(public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))),
            db.db_date(visible_until.get(sid)) if person else None, stamp,
        )
        rows.keys.update((c, KEY_CODE, sid) for c in all_codes)
        if keys[0]:
            rows.keys.add((keys[0], KEY_NAME, sid))
        rows.keys.update((k, KEY_FORMER, sid) for k in keys[1:])
        if with_grams:
            rows.grams.update((g, p, sid) for g, p in postings_of(keys).items())
    return rows


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


# ---------------------------------------------------------------------------- rebuild
def index_rebuild(*, day: date | None = None, progress=None) -> dict:
    """Rebuild the whole index from the subjects, in one transaction (readers keep the old
    index until it commits). Returns counts and the feed position it is current to."""
    from xinyong.records.models import ChangeEvent, FeedCursor

    day = day or record_selectors.today()
    started = time.monotonic()
    now = timezone.now()
    chunk = conf("REBUILD_CHUNK")
    counts = {"organizations": 0, "individuals": 0, "keys": 0}
    with transaction.atomic():
        # the consumer's lock: a concurrent update waits (PostgreSQL; SQLite serializes writers)
        FeedCursor.objects.select_for_update().get_or_create(consumer=conf("CONSUMER"))
        # the feed position the rebuilt index is current to: events after it are applied later
        # (idempotently), those before it are reflected by what we read below
        upto = ChangeEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        _clear()
        last = 0
        fields = list(_SUBJECT_FIELDS)
        while True:
            subjects = list(Subject.objects.filter(id__gt=last).exclude(kind="individual").order_by("id").values_list(*fields)[:chunk])
            if not subjects:
                break
            last = subjects[-1][0]
            _write(compute_rows(subjects, visible_until={}, now=now, with_grams=False), counts)
            counts["organizations"] += len(subjects)
            if progress:
                progress(counts["organizations"])
        people = published_people(day=day)
        for ids in _chunks(sorted(people), chunk):
            subjects = list(Subject.objects.filter(id__in=ids, kind="individual").order_by("id").values_list(*fields))
            _write(compute_rows(subjects, visible_until=people, now=now, with_grams=False), counts)
            counts["individuals"] += len(subjects)
        with connection.cursor() as cur:
            cur.execute(_POSTINGS_SQL)
            cur.execute(f"INSERT INTO {SearchGramCount._meta.db_table} (gram, n) SELECT gram, COUNT(*) FROM {SearchGram._meta.db_table} GROUP BY gram")  # noqa: S608
            cur.execute(f"SELECT COUNT(*) FROM {SearchGram._meta.db_table}")  # noqa: S608
            counts["postings"] = cur.fetchone()[0]
        _set_position(upto)
    _analyze()
    counts.update(feed_position=upto, seconds=round(time.monotonic() - started, 1))
    log.info("search index rebuilt", extra=counts)
    return counts


def _clear() -> None:
    tables = [m._meta.db_table for m in (SearchGram, SearchGramCount, SearchKey, SearchEntry)]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("TRUNCATE " + ", ".join(tables))
        else:
            for t in tables:
                cur.execute(f"DELETE FROM {t}")  # noqa: S608 — SQLite truncates a table deleted without WHERE


def _write(rows: Rows, counts: dict) -> None:
    db.insert_rows(SearchEntry, ENTRY_COLUMNS, list(rows.entries.values()))
    db.insert_rows(SearchKey, KEY_COLUMNS, sorted(rows.keys))
    counts["keys"] += len(rows.keys)


def _analyze() -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL also sets its visibility map, so
    that postings are read by index-only scans)."""
    tables = [m._meta.db_table for m in (SearchGram, SearchGramCount, SearchKey, SearchEntry)]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            if connection.in_atomic_block:
                cur.execute("ANALYZE " + ", ".join(tables))
            else:
                cur.execute("VACUUM (ANALYZE) " + ", ".join(tables))
        else:
            for t in tables:
                cur.execute(f"ANALYZE {t}")  # noqa: S608


def _set_position(seq: int) -> None:
    from xinyong.records.models import FeedCursor

    cursor, _ = FeedCursor.objects.select_for_update().get_or_create(consumer=conf("CONSUMER"))
    if seq > cursor.seq:
        cursor.seq = seq
        cursor.save(update_fields=["seq", "updated_at"])


# ---------------------------------------------------------------------------- incremental
def index_subjects(subject_ids: Iterable[int], *, day: date | None = None) -> dict:
    """Bring these subjects' index rows up to date (in the caller's transaction): add, change or
    remove them. Idempotent."""
    ids = sorted({int(i) for i in subject_ids})
    stats = {"subjects": len(ids), "changed": 0, "removed": 0}
    if not ids:
        return stats
    day = day or record_selectors.today()
    now = timezone.now()
    subjects = []
    people: dict[int, date | None] = {}
    for chunk in _chunks(ids, 2000):
        found = list(Subject.objects.filter(id__in=chunk).values_list(*_SUBJECT_FIELDS))
        persons = [s[0] for s in found if s[1] == "individual"]
        published = published_people(persons, day=day) if persons else {}
        people.update(published)
        subjects += [s for s in found if s[1] != "individual" or s[0] in published]
    new = compute_rows(subjects, visible_until=people, now=now)
    old = _current_rows(ids)
    gone = set(old.entries) - set(new.entries)
    changed = [sid for sid, row in new.entries.items() if sid not in old.entries or old.entries[sid][1:-1] != _comparable(row)[1:-1]]
    stats["removed"], stats["changed"] = len(gone), len(changed)
    with connection.cursor() as cur:
        for chunk in _chunks(sorted(gone | set(changed)), 500):
            marks = ", ".join(["%s"] * len(chunk))
            cur.execute(f"DELETE FROM {SearchEntry._meta.db_table} WHERE subject_id IN ({marks})", chunk)  # noqa: S608
        _delete_pk(cur, SearchKey, KEY_COLUMNS, old.keys - new.keys)
        removed_grams = old.grams - new.grams
        _delete_pk(cur, SearchGram, GRAM_COLUMNS, removed_grams)
    db.insert_rows(SearchEntry, ENTRY_COLUMNS, [new.entries[sid] for sid in changed])
    db.insert_rows(SearchKey, KEY_COLUMNS, sorted(new.keys - old.keys))
    added_grams = new.grams - old.grams
    db.insert_rows(SearchGram, GRAM_COLUMNS, sorted(added_grams))
    _count_grams(added_grams, removed_grams)
    return stats


def _comparable(row: tuple) -> tuple:
    """An entry row as read back from the database (dates and UUIDs in Python form)."""
    out = list(row)
    if isinstance(out[9], str):
        out[9] = uuid.UUID(out[9])
    if isinstance(out[10], str):
        out[10] = date.fromisoformat(out[10])
    return tuple(out)


def _current_rows(ids: list[int]) -> Rows:
    """What the index holds now for these subjects (keys and postings are derived from the
    entry's stored keys and codes, exactly as they were written)."""
    rows = Rows()
    for chunk in _chunks(ids, 2000):
        for row in SearchEntry.objects.filter(subject_id__in=chunk).values_list(*ENTRY_COLUMNS):
            sid, keys, codes = row[0], row[3].split("\n"), row[4].split()
            rows.entries[sid] = row
            rows.keys.update((c, KEY_CODE, sid) for c in codes)
            if keys[0]:
                rows.keys.add((keys[0], KEY_NAME, sid))
            rows.keys.update((k, KEY_FORMER, sid) for k in keys[1:])
            rows.grams.update((g, p, sid) for g, p in postings_of(keys).items())
    return rows


def _delete_pk(cur, model, columns: list[str], rows: set[tuple]) -> None:
    if rows:
        where = " AND ".join(f'"{c}" = %s' for c in columns)
        cur.executemany(f"DELETE FROM {model._meta.db_table} WHERE {where}", sorted(rows))  # noqa: S608


def _count_grams(added: set[tuple], removed: set[tuple]) -> None:
    delta: dict[str, int] = {}
    for g, _, _ in added:
        delta[g] = delta.get(g, 0) + 1
    for g, _, _ in removed:
        delta[g] = delta.get(g, 0) - 1
    rows = sorted((g, d) for g, d in delta.items() if d)
    if rows:
        table = SearchGramCount._meta.db_table
        with connection.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {table} (gram, n) VALUES (%s, %s) ON CONFLICT (gram) DO UPDATE SET n = {table}.n + excluded.n",  # noqa: S608
                rows,
            )


# ---------------------------------------------------------------------------- the feed
def index_follow_feed(*, day: date | None = None, budget_seconds: float | None = None) -> dict:
    """Apply the change feed's pending events to the index, a chunk of events per transaction
    (index rows and the cursor move together), until none is left or the time budget is spent.
    A consumer that has never run (cursor 0) rebuilds instead of replaying the whole feed."""
    from xinyong.records import feed
    from xinyong.records.models import FeedCursor

    consumer = conf("CONSUMER")
    if feed.feed_position(consumer) == 0:
        summary = index_rebuild(day=day)
        return {"rebuilt": True, **summary}
    budget = conf("UPDATE_SECONDS") if budget_seconds is None else budget_seconds
    started = time.monotonic()
    totals = {"rebuilt": False, "events": 0, "subjects": 0, "changed": 0, "removed": 0}
    while time.monotonic() - started < budget:
        with transaction.atomic():
            FeedCursor.objects.select_for_update().get_or_create(consumer=consumer)
            events = feed.feed_pending(consumer=consumer, limit=conf("UPDATE_CHUNK"))
            if not events:
                break
            stats = index_subjects({e.subject_id for e in events}, day=day)
            feed.feed_advance(consumer=consumer, last=events[-1])
        totals["events"] += len(events)
        for k in ("subjects", "changed", "removed"):
            totals[k] += stats[k]
    totals["feed_position"] = feed.feed_position(consumer)
    return totals


def index_stats() -> dict:
    from xinyong.records import feed
    from xinyong.records.models import ChangeEvent

    return {
        "entries": SearchEntry.objects.count(),
        "organizations": SearchEntry.objects.exclude(kind="individual").count(),
        "individuals": SearchEntry.objects.filter(kind="individual").count(),
        "keys": SearchKey.objects.count(),
        "postings": SearchGram.objects.count(),
        "grams": SearchGramCount.objects.count(),
        "feed_position": feed.feed_position(conf("CONSUMER")),
        "feed_latest": ChangeEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0,
    }
