"""Reads of the audit trail: verification of the chain, the export for a third party, and who
looked at a subject's non-public data."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

from django.db.models import QuerySet
from django.utils import timezone

from . import chain
from .models import AuditCheckpoint, AuditEntry

# the last part of the action of a read of non-public data (audit_log's docstring)
READ_ACTION_REGEX = r"\.(view|read|query|export)$"
EXPORT_FORMAT = "xinyong-audit-export"
_ROW_FIELDS = ("id", "hash", *chain.DB_FIELDS)


def queries_about(subject) -> QuerySet[AuditEntry]:
    """Reads of this subject's non-public data by staff and department systems, newest first:
    each with actor_label, department (name), purpose and at."""
    subject_id = getattr(subject, "pk", subject)
    return (
        AuditEntry.objects.filter(subject_id=subject_id, action__regex=READ_ACTION_REGEX, actor_type__in=("user", "key"))
        .select_related("department")
        .only("at", "actor_label", "actor_type", "department__name", "department__short_name", "purpose", "action", "object_type")
        .order_by("-at", "-id")
    )


def _db_records(chunk: int = 5000) -> Iterator[tuple[int, dict, str]]:
    rows = AuditEntry.objects.order_by("seq", "id").values(*_ROW_FIELDS)
    for row in rows.iterator(chunk_size=chunk):
        yield row["id"], chain.entry_record(row), row["hash"]


def _db_checkpoints() -> list[dict]:
    return [
        {**cp, "at": chain.format_at(cp["at"])}
        for cp in AuditCheckpoint.objects.order_by("seq", "id").values("id", "seq", "hash", "at", "key_id", "signature")
    ]


def audit_verify(*, extra_keys=(), against: Path | None = None) -> chain.Report:
    """Verify the chain and the checkpoints in the database. With `against` (an earlier export),
    each altered entry also says which fields differ from the exported copy, and how."""
    report = chain.verify(_db_records(), _db_checkpoints(), chain.trusted_keys(extra_keys))
    if against is not None and not report.ok:
        _compare_with_export(report, Path(against))
    return report


def _show(value) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "…"


def _compare_with_export(report: chain.Report, path: Path) -> None:
    ids = {p.entry_id for p in report.problems if p.code in ("altered", "link_broken") and p.entry_id is not None}
    if not ids:
        return
    exported = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                if row.get("type") == "entry" and row.get("id") in ids:
                    exported[row["id"]] = row
    current = {row["id"]: chain.entry_record(row) for row in AuditEntry.objects.filter(id__in=ids).values(*_ROW_FIELDS)}
    for problem in report.problems:
        old, now = exported.get(problem.entry_id), current.get(problem.entry_id)
        if problem.code not in ("altered", "link_broken") or old is None or now is None:
            continue
        diffs = [k for k in chain.ENTRY_FIELDS if old.get(k) != now.get(k)]
        problem.fields = diffs
        if diffs:
            problem.message += "；与导出文件相比：" + "；".join(f"{k} 由 {_show(old.get(k))} 变为 {_show(now.get(k))}" for k in diffs)
        else:
            problem.message += "；与导出文件中的这一条相同"


def audit_export(path: Path) -> dict:
    """Write the chain and its checkpoints as JSON Lines for a third party: a header (format,
    public keys), one line per entry (its canonical record plus `id` and `hash`), one per
    checkpoint. Returns the header with the counts."""
    keys = chain.trusted_keys()
    header = {
        "type": "header", "format": EXPORT_FORMAT, "v": chain.VERSION,
        "public_keys": {fp: chain.public_key_text(k) for fp, k in keys.items()},
        "canonical_form": "docs/security.md, Audit chain",
    }
    entries = checkpoints = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(header, ensure_ascii=False) + "\n")
        for entry_id, rec, stored in _db_records():
            fh.write(json.dumps({"type": "entry", "id": entry_id, **rec, "hash": stored}, ensure_ascii=False, sort_keys=True) + "\n")
            entries += 1
        for cp in _db_checkpoints():
            fh.write(json.dumps({"type": "checkpoint", **cp}, ensure_ascii=False, sort_keys=True) + "\n")
            checkpoints += 1
    return {**header, "entries": entries, "checkpoints": checkpoints}


def verify_export(path: Path, *, public_keys=()) -> chain.Report:
    """Verify an export without the database. The keys that may sign checkpoints: the given
    base64 public keys, or else those named in the export's header (trust them only if you got
    the same from the credit centre by another way)."""
    with open(path, encoding="utf-8") as fh:
        lines = [json.loads(line) for line in fh if line.strip()]
    if not lines or lines[0].get("format") != EXPORT_FORMAT:
        raise ValueError("不是审计日志导出文件（缺少文件头）")
    texts = list(public_keys) or list(lines[0].get("public_keys", {}).values())
    keys = {}
    for text in texts:
        key = chain.Ed25519PublicKey.from_public_bytes(base64.b64decode(text))
        keys[chain.key_fingerprint(key)] = key
    entries = sorted((ln for ln in lines if ln.get("type") == "entry"), key=lambda ln: (ln.get("seq") or 0, ln.get("id") or 0))
    records = ((ln.get("id"), {k: ln.get(k) for k in chain.ENTRY_FIELDS}, ln.get("hash", "")) for ln in entries)
    checkpoints = [ln for ln in lines if ln.get("type") == "checkpoint"]
    return chain.verify(records, checkpoints, keys)


def operations_overview(*, alerts: int = 50, refusals: int = 30) -> dict:
    """What the operations page (/dept/security/) shows: recent alerts (new first), recent refused
    API requests and failed logins, the audit chain's head, last checkpoint and last scheduled
    verification, the last backup, and the working-day calendar's warning when it lacks a year
    (`common.calendar.WorkCalendar.coverage_note`)."""
    from xinyong.common.calendar import calendar

    from .models import Alert, ApiRequest

    head = AuditEntry.objects.order_by("-seq").values("seq", "hash", "at").first()
    verified = AuditEntry.objects.filter(action="audit.verify").order_by("-seq").values("at", "detail").first()
    backup = AuditEntry.objects.filter(action="backup.create").order_by("-seq").values("at", "object_id", "actor_label").first()
    restore = AuditEntry.objects.filter(action="backup.restore").order_by("-seq").values("at", "object_id", "actor_label").first()
    return {
        "alerts": list(Alert.objects.order_by("status", "-created_at", "-id")[:alerts]),
        "new_alerts": Alert.objects.filter(status="new").count(),
        "refusals": list(ApiRequest.objects.filter(status__gte=400).order_by("-at", "-id")[:refusals]),
        "login_failures": list(
            AuditEntry.objects.filter(action__in=("auth.login_failed", "auth.login_locked", "auth.2fa_failed")).order_by("-seq").values("at", "action", "ip", "detail")[:refusals]
        ),
        "chain_head": head,
        "checkpoint": AuditCheckpoint.objects.order_by("-seq").values("seq", "at", "key_id").first(),
        "verified": verified,
        "backup": backup,
        "restore": restore,
        "calendar_note": calendar().coverage_note(timezone.localdate()),
    }
