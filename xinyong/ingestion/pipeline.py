"""The ingestion pipeline: one path for the CLI, the web upload and the API.

    read (stream) → map headers → validate rows (catalog) → resolve subjects → dedupe →
    store records + change feed (one transaction per batch) → error file, summary, audit

A batch is atomic: it is processed in one database transaction, so a crash or a file-level
failure half-way leaves nothing stored. Resubmitting a file, or a record with the same source
record id, stores nothing twice (the row counts as unchanged).
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import multiprocessing
import os
import pickle
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import orjson
from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from xinyong.catalog.registry import Catalog, Item, get_catalog
from xinyong.common import db
from xinyong.common import errors as errors_module
from xinyong.common.calendar import calendar
from xinyong.common.crypto import encrypt, lookup_hash
from xinyong.common.errors import FileRejected, XinyongError
from xinyong.common.masking import mask_value
from xinyong.common.normalize import normalize_code, normalize_name
from xinyong.records import feed
from xinyong.records.models import Record, RecordHistory
from xinyong.records.publication import (
    PeriodError,
    authority_level_for,
    disclosure_for,
    publication_for,
    reporting_deadline,
)
from xinyong.records.services import UPDATABLE, records_withdraw, snapshot
from xinyong.records.services import jsonable as _jsonable
from xinyong.subjects.models import KIND_CHOICES, Subject, SubjectName
from xinyong.subjects.services import SubjectRef, SubjectResolver

from .errorfile import ErrorFileWriter
from .models import Batch, BatchError, ReviewItem
from .readers import RowProblem, open_table
from .validation import RowValidator

log = logging.getLogger("xinyong.ingestion")
KIND_LABELS = dict(KIND_CHOICES)
LEGACY_ROLES = ("reg_no", "org_code", "tax_no", "institution_no", "social_org_no")
RECORD_COLUMNS = [
    "id", "item_code", "department_id", "subject_id", "batch_id", "row_no", "source_id",
    "content_hash", "document_no", "decided_on", "valid_from", "valid_until", "severity",
    "authority_level", "disclosure", "publish_from", "publish_until", "repair_from",
    "publication_rule", "report_deadline", "on_time", "status", "version", "data",
    "received_at", "updated_at", "under_objection",
]
STORED_COLUMNS = RECORD_COLUMNS[8:24]  # document_no … data: what _record_columns gives
EVENT_COLUMNS = feed.FEED_COLUMNS  # kept for callers of the bulk path


def progress_path(batch: Batch) -> Path:
    return batch.folder / "progress.json"


def read_progress(batch: Batch) -> dict:
    try:
        return json.loads(progress_path(batch).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _json_default(value):
    if isinstance(value, Decimal):
        return _jsonable(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dumps_values(values: dict) -> bytes:
    """Record values as JSON (dates as YYYY-MM-DD, decimals as text), keys in the order given:
    the stored payload, and the canonical form its content hash is taken of."""
    return orjson.dumps(values, default=_json_default)


@dataclass(slots=True)
class _Row:
    row_no: int
    raw: dict
    values: dict
    ref: SubjectRef
    source_id: str
    content_hash: str
    reason: str = ""
    canon: bytes = b""  # the values as JSON (field order), before masking
    cols: tuple | None = None  # the record's STORED_COLUMNS, when it is to be stored
    period_error: str = ""  # the row's own publication end date breaks the rules

    @classmethod
    def from_wire(cls, wire: tuple) -> _Row:
        row_no, ref, source_id, content_hash, reason, cols, period_error, values = wire
        return cls(row_no, None, values, SubjectRef(*ref), source_id, content_hash, reason, b"", cols, period_error)


class BatchRun:
    """Processes one batch. Construct, then `run()` inside a transaction."""

    def __init__(self, batch: Batch, *, catalog: Catalog | None = None, on_progress: Callable[[dict], None] | None = None):
        self.batch = batch
        self.catalog = catalog or get_catalog()
        self.item: Item = self.catalog.items[batch.item_code]
        self.department = batch.department
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.calendar = calendar()
        self.validator = RowValidator(self.item, today=self.today, mode=batch.mode, regions=set(self.catalog.regions))
        self.resolver = SubjectResolver(source=f"batch:{batch.id}")
        self.errors = ErrorFileWriter(batch.folder / "errors.csv.enc")  # encrypted (errorfile.py)
        self.on_progress = on_progress
        self.counts = {"total": 0, "accepted": 0, "rejected": 0, "unchanged": 0, "to_review": 0}
        self.stored_errors: list[BatchError] = []
        self.seen: dict[str, int] = {}
        self.headers: list[str] = []
        self._enc_cache: dict[str, str] = {}
        roles = self.item.roles
        self.f_name = roles["subject_name"]
        self.f_category = roles.get("subject_category")
        self.f_uscc = roles.get("uscc")
        self.f_id = roles.get("id_number")
        self.f_source = roles.get("source_id")
        self.f_doc = roles.get("document_no")
        self.f_decided = roles["decided_on"]
        self.f_valid_from = roles.get("valid_from")
        self.f_valid_until = roles.get("valid_until")
        self.f_severity = roles.get("severity")
        self.legacy = [(r, roles[r]) for r in LEGACY_ROLES if r in roles]
        self.sensitive = [(f.name, f.sensitive) for f in self.item.fields if f.sensitive]
        self._sensitive_names = frozenset(name for name, _ in self.sensitive)
        self.field_order = [f.name for f in self.item.fields]
        self.key_fields = self.item.key_fields
        self.kind_hint = None
        if self.item.kind == "registration" and len(self.item.subject_kinds) == 1:
            self.kind_hint = self.item.subject_kinds[0]
        self.db_now = db.db_datetime(self.now)
        # memos of per-batch pure functions of a few cells (a batch has few distinct dates)
        rule_set = self.catalog.rule_sets[self.item.publication]
        pub_roles = {rule_set.start_role, rule_set.select_by, rule_set.by, "publication_end", *(v.until_field for v in rule_set.versions)}
        self._pub_fields = tuple(roles[r] for r in sorted(r for r in pub_roles if r) if r in roles)
        self._pub_memo: dict[tuple, object] = {}
        self._deadline_memo: dict[date, date | None] = {}
        self._constant_disclosure = self.item.disclosure if not self.item.disclosure_rules and "disclosure" not in roles else None
        self._constant_level = self.department.level if "authority_level" not in roles else None
        self._db_date = db.DateAdapter()
        self._first_load: bool | None = None
        self.max_errors = settings.XINYONG["MAX_STORED_ERRORS"]
        self.chunk_rows = settings.XINYONG["CHUNK_ROWS"]
        self._last_progress = 0.0

    # ------------------------------------------------------------------ driver
    def run(self, path: Path) -> None:
        with _fewer_collections():
            self._run(path)

    def _run(self, path: Path) -> None:
        table = open_table(path, filename=self.batch.filename, max_cell_chars=settings.XINYONG["MAX_CELL_CHARS"])
        self.batch.format = table.format
        self.batch.encoding = table.encoding
        parallel = use_helper_process(path)
        stream = _forked(self, table) if parallel else self._prepared_stream(table, wire=False)
        for kind, payload in stream:
            if kind == "headers":
                self.headers = payload
                if parallel and table.format in ("csv", "xlsx"):
                    self.validator.map_headers(payload)  # to rebuild rows for the error file
            elif kind == "chunk":
                items, last_row = payload
                self._process(items)
                self._progress(last_row)
            elif kind == "end":
                self.validator.unknown_columns = payload
        # the change feed, in three statements, just before the batch commits (feed.py)
        feed.append_batch(batch_id=self.batch.id, at=self.db_now, subject_events=self.item.kind == "registration")
        self._progress(None, final=True)
        if self.validator.unknown_columns:
            self.batch.warnings = [f"未识别的列已忽略：{'、'.join(self.validator.unknown_columns[:20])}"]

    def _prepared_stream(self, table, *, wire: bool):
        """Read and prepare the rows (everything that does not need the database), in chunks:
        ("headers", [...]), ("chunk", (items, last row number))..., ("end", unknown columns).
        Runs in this process, or in a helper process for large files (see _forked)."""
        chunk: list = []
        first = True
        row_no = None
        for row_no, raw in table.rows():
            if first:
                first = False
                if table.format in ("csv", "xlsx"):
                    self._check_header(table.headers)
                    self.headers = table.headers
                else:
                    self.headers = [f.label for f in self.validator.fields]
                yield "headers", self.headers
            item = self._prepare(row_no, raw)
            chunk.append(self._to_wire(item) if wire and item.__class__ is _Row else item)
            if len(chunk) >= self.chunk_rows:
                yield "chunk", (chunk, row_no)
                chunk = []
        if chunk:
            yield "chunk", (chunk, row_no)
        yield "end", self.validator.unknown_columns

    def _check_header(self, headers: list[str]) -> None:
        missing = self.validator.map_headers(headers)
        if missing:
            raise FileRejected(
                f"缺少必填列：{'、'.join(missing)}（可下载该信息项的模板核对表头）",
                code="missing_columns",
                fields={"columns": missing},
            )
        if self.batch.mode == "withdraw" and not self.validator.withdraw_reason_header:
            raise FileRejected("撤销时须有“撤销原因”列", code="missing_columns", fields={"columns": ["撤销原因"]})
        known = [h for h in headers if h]
        if known and not self.validator._mapping:
            raise FileRejected("表头中没有任何可识别的列，请确认所选信息项与文件一致", code="no_known_columns")

    def _progress(self, row_no, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._last_progress < 0.5:
            return
        self._last_progress = now
        state = {**self.counts, "row": row_no, "final": final, "at": timezone.now().isoformat()}
        path = progress_path(self.batch)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        os.replace(tmp, path)
        if self.on_progress:
            self.on_progress(state)

    # ------------------------------------------------------------------ rows
    def _reject(self, row_no: int, raw: dict | None, errors: list[tuple[str, str]]) -> None:
        self.counts["rejected"] += 1
        if raw is not None and self.batch.format in ("json", "ndjson"):
            extracted = self.validator.extract(raw)
            raw = {self.item.field_map[k].label: v for k, v in extracted.items()}
        self.errors.write(row_no, raw, errors, self.headers)
        if len(self.stored_errors) < self.max_errors:
            for label, msg in errors[:5]:
                self.stored_errors.append(BatchError(batch=self.batch, row_no=row_no, field=label[:100], message=msg[:500]))

    def _prepare(self, row_no: int, raw):
        """A row validated and made ready to store (an _Row), or ("rejected", row, raw, errors).
        Pure: no database, no side effect but this run's duplicate detection and memos."""
        if isinstance(raw, RowProblem):
            return ("rejected", row_no, None, [("", raw.message)])
        values, errors = self.validator.validate(raw)
        reason = ""
        if self.batch.mode == "withdraw":
            reason = str(raw.get(self.validator.withdraw_reason_header) or "").strip()
            if not reason:
                errors.append(("撤销原因", "必填项“撤销原因”为空"))
            elif len(reason) > 500:
                errors.append(("撤销原因", "撤销原因超过500个字符"))
        if errors:
            return ("rejected", row_no, raw, errors)
        ref = SubjectRef(
            name=values.get(self.f_name, ""),
            category=values.get(self.f_category) if self.f_category else None,
            uscc=values.get(self.f_uscc) if self.f_uscc else None,
            id_number=values.get(self.f_id) if self.f_id else None,
            id_type=values.get("id_type"),
            legacy=[(scheme, normalize_code(values[f])) for scheme, f in self.legacy if values.get(f)],
            kind_hint=self.kind_hint,
        )
        if ref.category == "自然人":
            ref.uscc = None
        source_id = values.get(self.f_source) if self.f_source else None
        if not source_id:
            key = "\x1f".join([self.item.code, ref.key(lookup_hash)] + [str(_jsonable(values.get(k, ""))) for k in self.key_fields])
            source_id = "k:" + hashlib.blake2b(key.encode("utf-8"), digest_size=15).hexdigest()
        first = self.seen.get(source_id)
        if first is not None:
            return ("rejected", row_no, raw, [("", f"与第{first}行是同一条记录（重复）")])
        self.seen[source_id] = row_no
        canon = dumps_values(values)
        row = _Row(row_no, raw, values, ref, source_id, hashlib.blake2b(canon, digest_size=16).hexdigest(), reason, canon)
        if self.batch.mode != "withdraw":
            try:
                row.cols = self._record_columns(row)
            except _RowRejected as exc:
                row.period_error = str(exc)
        return row

    def _to_wire(self, row: _Row) -> tuple:
        """A prepared row as plain values for the pipe to the writing process: what it needs to
        store the row, without the copies (raw cells, canonical JSON) it does not. The values are
        kept where the writer reads them: registrations, rows without a code (review queue),
        rows with sensitive fields, rows already known to be refused."""
        values = row.values
        keep = (
            self.item.kind == "registration"
            or not (row.ref.uscc or row.ref.id_number)
            or row.period_error
            or (self.sensitive and not self._sensitive_names.isdisjoint(values))
        )
        ref = row.ref
        return (row.row_no, (ref.name, ref.category, ref.uscc, ref.id_number, ref.id_type, ref.legacy, ref.kind_hint),
                row.source_id, row.content_hash, row.reason, row.cols, row.period_error, values if keep else None)

    def _row_raw(self, row: _Row) -> dict:
        """The row as the operator sent it, for the error file; rebuilt from its values (by
        column header) when it came from the helper process without its raw cells."""
        if row.raw is not None:
            return row.raw
        values = row.values if row.values is not None else orjson.loads(row.cols[-1])
        if self.batch.format in ("csv", "xlsx"):
            return {h: str(_jsonable(values[f])) for h, f in self.validator._mapping if f in values}
        return {self.item.field_map[k].name: v for k, v in values.items() if k in self.item.field_map}

    def _process(self, items: list) -> None:
        rows: list[_Row] = []
        for item in items:
            self.counts["total"] += 1
            if item.__class__ is tuple:
                self._reject(item[1], item[2], item[3])
            else:
                rows.append(item)
        if not rows:
            return
        resolutions = self.resolver.resolve([r.ref for r in rows])
        existing = self._existing([r.source_id for r in rows])
        inserts, updates, withdrawals, reviews = [], [], [], []
        mode = self.batch.mode
        for row, res in zip(rows, resolutions, strict=True):
            if res.subject_id is None and not res.pending:
                if mode != "submit":
                    self._reject(row.row_no, self._row_raw(row), [("", "未找到要" + ("更正" if mode == "correct" else "撤销") + "的记录")])
                    continue
                reviews.append((row, res))
                continue
            if res.kind not in self.item.subject_kinds:
                self._reject(row.row_no, self._row_raw(row), [("", f"信息项“{self.item.name}”不适用于{KIND_LABELS.get(res.kind, res.kind)}")])
                continue
            ex = existing.get(row.source_id)
            if mode == "submit":
                if ex is None:
                    inserts.append((row, res))
                elif ex["status"] == "withdrawn":
                    self._reject(row.row_no, self._row_raw(row), [("", "该记录已被撤销，不能再次报送；如确需恢复，请联系信用中心")])
                elif ex["content_hash"] == row.content_hash:
                    self.counts["unchanged"] += 1
                else:
                    self._reject(row.row_no, self._row_raw(row), [("", "该记录已报送过且内容不同；如需修改，请以“更正”方式报送")])
            elif mode == "correct":
                if ex is None:
                    self._reject(row.row_no, self._row_raw(row), [("", "未找到要更正的记录（按" + "、".join(self.item.field_map[k].label for k in self.key_fields) + "匹配）")])
                elif ex["status"] != "active":
                    self._reject(row.row_no, self._row_raw(row), [("", "该记录已撤销或已修复，不能更正")])
                elif ex["content_hash"] == row.content_hash:
                    self.counts["unchanged"] += 1
                else:
                    updates.append((row, res, ex))
            else:  # withdraw
                if ex is None:
                    self._reject(row.row_no, self._row_raw(row), [("", "未找到要撤销的记录")])
                elif ex["status"] == "withdrawn":
                    self.counts["unchanged"] += 1
                else:
                    withdrawals.append((row, ex))
        # the stored rows' columns (a row whose publication period breaks the rules is rejected
        # here), then their subjects: only rows that are stored create subjects
        ready_inserts, ready_updates = [], []
        for group, ready in ((inserts, ready_inserts), (updates, ready_updates)):
            for entry in group:
                row = entry[0]
                if row.period_error:
                    self._reject(row.row_no, self._row_raw(row), [("公示截止期", row.period_error)])
                    continue
                ready.append((*entry, row.cols))
        stored = [(e[0], e[1]) for e in ready_inserts] + [(e[0], e[1]) for e in ready_updates]
        if stored:
            for (_row, res), subject_id in zip(stored, self.resolver.commit([row.ref for row, _ in stored]), strict=True):
                if res.subject_id is None:
                    res.subject_id = subject_id
        self._insert_prepared([(row, res.subject_id, cols) for row, res, cols in ready_inserts])
        self._write_updates(ready_updates)
        self._write_withdrawals(withdrawals)
        if self.item.kind == "registration":
            self._apply_registrations([(row, res.subject_id) for row, res in stored])
        self._write_reviews(reviews)

    def _existing(self, source_ids: list[str]) -> dict[str, dict]:
        """Stored records of this item and department among these source record ids. A first
        load of an item by a department has none: no look-up (rows repeated within the file are
        caught earlier, by `seen`)."""
        if self._first_load is None:
            self._first_load = not Record.objects.filter(item_code=self.item.code, department_id=self.department.id).exists()
        if self._first_load:
            return {}
        out = {}
        for i in range(0, len(source_ids), 2000):
            part = source_ids[i : i + 2000]
            for r in Record.objects.filter(item_code=self.item.code, department_id=self.department.id, source_id__in=part).values(
                "id", "source_id", "content_hash", "status", "version", "subject_id"
            ):
                out[r["source_id"]] = r
        return out

    # ------------------------------------------------------------------ writes
    def _record_columns(self, row: _Row) -> tuple:
        values = row.values
        item = self.item
        key = tuple(map(values.get, self._pub_fields))
        pub = self._pub_memo.get(key)
        if pub is None:
            try:
                pub = publication_for(item, values, self.catalog)
            except PeriodError as exc:
                pub = str(exc)
            self._pub_memo[key] = pub
        if pub.__class__ is str:
            raise _RowRejected(pub)
        decided = values[self.f_decided]
        try:
            deadline = self._deadline_memo[decided]
        except KeyError:
            deadline = self._deadline_memo[decided] = reporting_deadline(item, decided, self.calendar)
        data_json = None
        if self.sensitive and not self._sensitive_names.isdisjoint(values):
            data = dict(values)
            enc = {}
            for name, kind in self.sensitive:
                value = values.get(name)
                if value:
                    token = self._enc_cache.get(value)
                    if token is None:
                        token = self._enc_cache[value] = encrypt(str(value))
                    enc[name] = token
                    data[name] = mask_value(kind, value)
            data["_enc"] = enc
            data_json = dumps_values(data).decode()
        else:
            data_json = (row.canon or dumps_values(values)).decode()
        valid_until = values.get(self.f_valid_until) if self.f_valid_until else None
        valid_from = values.get(self.f_valid_from) if self.f_valid_from else None
        d = self._db_date
        # STORED_COLUMNS of the record, dates in database form
        return (
            str(values.get(self.f_doc, ""))[:100] if self.f_doc else "",
            d[decided],
            d[valid_from] if valid_from.__class__ is date else None,
            d[valid_until] if valid_until.__class__ is date else None,
            values.get(self.f_severity, "") if self.f_severity else "",
            self._constant_level or authority_level_for(item, values, self.department.level),
            self._constant_disclosure or disclosure_for(item, values),
            d[pub.publish_from], d[pub.publish_until], d[pub.repair_from], pub.rule,
            d[deadline], (self.today <= deadline) if deadline else None,
            "active", 1, data_json,
        )

    def _insert_prepared(self, prepared: list, *, received_at=None) -> list[int]:
        if not prepared:
            return []
        ids = db.allocate_ids(Record, len(prepared))
        rows = []
        batch_id, dept_id, code, now = self.batch.id, self.department.id, self.item.code, self.db_now
        received = db.db_datetime(received_at) if received_at else now
        for rid, (row, subject_id, c) in zip(ids, prepared, strict=True):
            rows.append((rid, code, dept_id, subject_id, batch_id, row.row_no, row.source_id, row.content_hash, *c, received, now, False))
        db.insert_rows(Record, RECORD_COLUMNS, rows)
        self.counts["accepted"] += len(rows)
        return ids  # their ADD events: feed.append_batch at the end of the batch

    def insert_reviewed(self, *, row_no: int, values: dict, source_id: str, content_hash: str, subject_id: int, received_at) -> int:
        """Store one row of this batch that waited in the review queue, for the subject an operator
        chose: the same columns, lineage (batch, row) and ADD event as rows stored by `run()`. The
        reporting deadline is judged on `received_at` (when the department sent it), not today.
        Raises InvalidInput when the row can no longer be stored (e.g. its publication period)."""
        from xinyong.common.errors import InvalidInput

        self.today = timezone.localdate(received_at)
        row = _Row(row_no, {}, values, SubjectRef(name=""), source_id, content_hash)
        try:
            cols = self._record_columns(row)
        except _RowRejected as exc:
            raise InvalidInput(str(exc), code="period_error") from exc
        [record_id] = self._insert_prepared([(row, subject_id, cols)], received_at=received_at)
        events = [(self.db_now, "record", record_id, subject_id, self.item.code, "ADD", self.batch.id)]
        if self.item.kind == "registration":
            self._apply_registrations([(row, subject_id)])
            events.append((self.db_now, "subject", subject_id, subject_id, self.item.code, "MOD", self.batch.id))
        feed.append_rows(events)
        return record_id

    def _write_updates(self, updates: list) -> None:
        if not updates:
            return
        current = Record.objects.in_bulk([ex["id"] for _, _, ex, _ in updates])
        histories, changed = [], []
        for row, res, ex, cols in updates:
            record = current[ex["id"]]
            subject_id = res.subject_id
            histories.append(RecordHistory(record=record, version=record.version, action="correct", state=snapshot(record), batch=self.batch, actor_label=self.batch.actor_label))
            for name, value in zip(STORED_COLUMNS, cols, strict=True):
                if name == "data":
                    record.data = orjson.loads(value)
                elif name not in ("status", "version"):
                    setattr(record, name, value)
            record.subject_id = subject_id
            record.content_hash = row.content_hash
            record.version += 1
            record.batch = self.batch
            record.row_no = row.row_no
            record.updated_at = self.now
            changed.append(record)
        RecordHistory.objects.bulk_create(histories)
        Record.objects.bulk_update(changed, [*UPDATABLE, "subject_id", "content_hash", "version", "batch", "row_no", "updated_at"])
        self.counts["accepted"] += len(changed)

    def _write_withdrawals(self, withdrawals: list) -> None:
        if not withdrawals:
            return
        current = Record.objects.in_bulk([ex["id"] for _, ex in withdrawals])
        records = [current[ex["id"]] for _, ex in withdrawals]
        reasons = [row.reason for row, _ in withdrawals]
        self.counts["accepted"] += records_withdraw(records=records, reasons=reasons, actor_label=self.batch.actor_label, batch=self.batch, now=self.now)

    def _apply_registrations(self, registrations: list) -> None:
        """A registration record updates its subject: name (the old one goes to the name
        history), status, legal representative, industry, date of establishment, kind."""
        if not registrations:
            return
        roles = self.item.roles
        current = {}
        ids = list({sid for _, sid in registrations})
        for i in range(0, len(ids), 2000):
            for sid, name, name_key, kind, status, legal_rep, industry in Subject.objects.filter(id__in=ids[i : i + 2000]).values_list("id", "name", "name_key", "kind", "status", "legal_rep", "industry"):
                current[sid] = [name, name_key, kind, status, legal_rep, None, industry]
        names, closed = [], []
        source = f"batch:{self.batch.id}"
        for row, sid in registrations:
            s = current[sid]
            v = row.values
            name = v.get(roles["subject_name"], "")[:200]
            if name and s[0] != name:
                key = normalize_name(name)[:200]
                if key != s[1]:
                    closed.append(sid)
                    names.append((sid, name, key, self.today, None, source))
                s[0], s[1] = name, key
            s[3] = v.get(roles.get("subject_status", ""), "") or s[3]
            s[4] = (v.get("legal_rep") or s[4] or "")[:50]
            s[6] = v.get(roles.get("subject_industry", ""), "") or s[6]
            s[5] = v.get(roles["decided_on"])
            s[2] = self.kind_hint or s[2]
        if closed:
            SubjectName.objects.filter(subject_id__in=closed, valid_to__isnull=True).update(valid_to=self.today)
        d = self._db_date
        db.insert_rows(SubjectName, ["subject_id", "name", "name_key", "valid_from", "valid_to", "source"], [(n[0], n[1], n[2], d[n[3]], None, n[5]) for n in names])
        db.update_rows(
            Subject,
            ["name", "name_key", "kind", "status", "legal_rep", "industry", "registered_on", "registered", "updated_at"],
            [(s[0], s[1], s[2], s[3], s[4], s[6], d[s[5]], True, self.db_now, sid) for sid, s in current.items()],
        )

    def _write_reviews(self, reviews: list) -> None:
        if not reviews:
            return
        items = []
        for row, res in reviews:
            payload = {"values": {k: _jsonable(v) for k, v in row.values.items()}, "source_id": row.source_id, "content_hash": row.content_hash}
            if self.sensitive:
                payload["values"] = {k: (mask_value(dict(self.sensitive)[k], v) if k in dict(self.sensitive) else v) for k, v in payload["values"].items()}
                payload["_enc"] = {k: encrypt(str(row.values[k])) for k, _ in self.sensitive if row.values.get(k)}
            items.append(ReviewItem(batch=self.batch, row_no=row.row_no, subject_name=row.ref.name[:200], name_key=normalize_name(row.ref.name)[:200], reason=res.review_reason or "", candidates=res.candidates, payload=payload))
        ReviewItem.objects.bulk_create(items)
        self.counts["to_review"] += len(items)


class _RowRejected(Exception):
    pass


@contextmanager
def _fewer_collections():
    """A batch allocates millions of short-lived containers (rows, values): the cyclic garbage
    collector's default (a young collection every 700 allocations, full ones as the heap grows)
    costs a fifth of the run. Collect young objects every 50,000 allocations for the batch; what
    exists before it is frozen out of the full collections. Reference cycles are still freed."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


# ---------------------------------------------------------------------- helper process
def use_helper_process(path: Path) -> bool:
    """Large files are read and validated in a helper process while this one writes to the
    database: two cores, two halves of the work. Needs fork (Linux)."""
    threshold = settings.XINYONG["PARALLEL_MIN_BYTES"]
    if threshold < 0 or (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return False
    try:
        return path.stat().st_size >= threshold
    except OSError:
        return False


def _forked(run: BatchRun, table):
    """The prepared stream of `run`, produced by a forked process and sent over a pipe. The
    pipe holds at most one chunk: the reader never runs far ahead of the writer (memory stays
    bounded). A failure over there (a bad file, a crash) is raised here, inside the batch's
    transaction, so nothing is stored."""
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_produce, args=(run, table, sender), daemon=True, name=f"xinyong-batch-{run.batch.id}")
    process.start()
    sender.close()
    try:
        while True:
            try:
                kind, payload = pickle.loads(receiver.recv_bytes())  # noqa: S301 — our own child process
            except EOFError:
                raise XinyongError("读取文件的进程意外退出，本批次未保存任何数据，请重新提交", code="internal_error") from None
            if kind == "failed":
                name, message, code, fields = payload
                raise getattr(errors_module, name, XinyongError)(message, code=code, fields=fields)
            if kind == "crashed":
                log.error("batch reader crashed", extra={"batch": run.batch.id, "traceback": payload})
                raise XinyongError("读取文件时发生内部错误，本批次未保存任何数据；请联系信用中心", code="internal_error")
            if kind == "chunk":
                items, last = payload
                payload = ([_Row.from_wire(i) if i[0] != "rejected" else i for i in items], last)
            yield kind, payload
            if kind == "end":
                return
    finally:
        receiver.close()
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join()


def _produce(run: BatchRun, table, sender) -> None:
    """In the helper process: read, validate, prepare; never touches the database."""
    try:
        for message in run._prepared_stream(table, wire=True):
            sender.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
    except XinyongError as exc:
        sender.send_bytes(pickle.dumps(("failed", (type(exc).__name__, exc.message, exc.code, exc.fields))))
    except BaseException:  # noqa: BLE001 — reported to the parent, which fails the batch
        import traceback

        sender.send_bytes(pickle.dumps(("crashed", traceback.format_exc())))
    finally:
        sender.close()


# ---------------------------------------------------------------------- entry points
def batch_process(batch: Batch, *, on_progress: Callable[[dict], None] | None = None) -> Batch:
    """Run a queued batch to the end: succeeded (with row errors, maybe) or failed (nothing stored)."""
    from xinyong.security.services import Actor, audit_log

    batch.status = "running"
    batch.started_at = timezone.now()
    batch.save(update_fields=["status", "started_at"])
    run = BatchRun(batch, on_progress=on_progress)
    path = batch.source_path
    try:
        with transaction.atomic():
            run.run(path)
            BatchError.objects.bulk_create(run.stored_errors)
            _finish(batch, run, "succeeded")
    except XinyongError as exc:
        run.errors.discard()
        _finish(batch, run, "failed", message=exc.message, code=exc.code, keep_counts=False)
    except IntegrityError as exc:
        run.errors.discard()
        log.warning("batch conflict", extra={"batch": batch.id, "error": str(exc)})
        _finish(batch, run, "failed", message="与同时进行的另一批次报送了相同记录，本批次未保存任何数据，请稍后重新提交", code="conflict", keep_counts=False)
    except (DatabaseError, OSError, MemoryError) as exc:
        run.errors.discard()
        log.exception("batch failed", extra={"batch": batch.id})
        _finish(batch, run, "failed", message=f"处理中断（{type(exc).__name__}），本批次未保存任何数据，请重新提交；如多次失败请联系信用中心", code="internal_error", keep_counts=False)
    finally:
        _cleanup_upload(batch)
    actor = Actor(type="key" if batch.api_key_id else "user" if batch.created_by_id else "system", label=batch.actor_label or "系统", user_id=batch.created_by_id, key_id=batch.api_key_id, department_id=batch.department_id)
    audit_log(actor=actor, action=f"batch.{batch.mode}", object_type="batch", object_id=batch.id, detail=batch.summary())
    return batch


def _finish(batch: Batch, run: BatchRun, status: str, *, message: str = "", code: str = "", keep_counts: bool = True) -> None:
    batch.status = status
    batch.finished_at = timezone.now()
    counts = run.counts
    batch.total_rows = counts["total"]
    if keep_counts:
        batch.accepted, batch.rejected = counts["accepted"], counts["rejected"]
        batch.unchanged, batch.to_review = counts["unchanged"], counts["to_review"]
        path = run.errors.close()
        batch.error_file = path.name if path else ""  # in the batch's folder (Batch.error_path)
    else:
        batch.accepted = batch.unchanged = batch.to_review = 0
        batch.rejected = 0
        batch.error_file = ""
    batch.message = message
    batch.error_code = code
    batch.save()
    state = {**counts, "final": True, "status": status}
    path = progress_path(batch)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state), encoding="utf-8")


def _cleanup_upload(batch: Batch) -> None:
    """The uploaded file holds personal data: it is not kept once processed (its hash is)."""
    try:
        p = batch.source_path
        if p.is_file() and batch.folder in p.parents:
            p.unlink()
    except OSError:
        log.warning("could not remove upload", extra={"batch": batch.id})

