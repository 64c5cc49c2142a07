"""The tamper-evident audit log: append-only, hash-chained, with signed checkpoints. Every kind of
tampering issue 7 lists is tried the way an attacker with database access would (raw SQL), and
`xinyong audit verify` must catch it and say where."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from tests.security.conftest import raw, trigger_off
from xinyong.security import chain
from xinyong.security.models import AppendOnlyError, AuditCheckpoint, AuditEntry
from xinyong.security.selectors import audit_export, audit_verify, queries_about, verify_export
from xinyong.security.services import Actor, audit_checkpoint, audit_log


def verify_cli(*args) -> tuple[str, bool]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue() + str(exc), False
    return out.getvalue(), True


def codes(report) -> set[str]:
    return {p.code for p in report.problems}


# ------------------------------------------------------------------ the chain as written
def test_entries_are_chained_and_verify(entries):
    made = entries(4)
    rows = list(AuditEntry.objects.order_by("seq"))
    assert [r.seq for r in rows] == list(range(rows[0].seq, rows[0].seq + len(rows)))
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.prev_hash == before.hash
    last = AuditEntry.objects.get(pk=made[-1].pk)
    # the stored hash is the SHA-256 of the documented canonical form, recomputed by hand here
    canonical = {
        "v": 1, "seq": last.seq, "at": last.at.astimezone(chain.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_type": "user", "actor_user": None, "actor_key": None, "actor_label": "审计测试员",
        "department": last.department_id, "action": "record.view", "object_type": "record", "object_id": "4",
        "subject_id": 1004, "purpose": "测试查看", "detail": {"n": 4, "名称": "长春"}, "ip": "10.0.0.7",
        "prev_hash": last.prev_hash,
    }
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert last.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()
    report = audit_verify()
    assert report.ok and report.head_seq == last.seq and report.head_hash == last.hash
    out, ok = verify_cli()
    assert ok and "审计日志完整" in out


def test_detail_is_stored_as_it_will_read_back(entries, db):
    entry = audit_log(actor=Actor.system(), action="x.test", object_type="t", detail={1: (1.0, 2.5, True, None)}, subject_id=None)
    assert AuditEntry.objects.get(pk=entry.pk).detail == {"1": [1, 2.5, True, None]}
    assert audit_verify().ok


def test_the_orm_refuses_update_and_delete(entries):
    entry = entries(1)[0]
    entry.purpose = "改动"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(purpose="改动")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    cp = audit_checkpoint()
    with pytest.raises(AppendOnlyError):
        AuditCheckpoint.objects.filter(pk=cp.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).purpose == "测试查看"


def test_the_database_refuses_update_and_delete_on_postgresql(entries):
    """On PostgreSQL a trigger refuses even raw SQL; SQLite has no such trigger (the ORM refuses,
    and verify detects what raw SQL does)."""
    entry = entries(1)[0]
    if connection.vendor == "postgresql":
        from django.db import DatabaseError

        for sql in ("UPDATE security_auditentry SET purpose = 'x' WHERE id = %s", "DELETE FROM security_auditentry WHERE id = %s"):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
                cur.execute(sql, [entry.pk])
    else:
        with connection.cursor() as cur:
            cur.execute("UPDATE security_auditentry SET purpose = 'x' WHERE id = %s", [entry.pk])
        assert "altered" in codes(audit_verify())


def test_two_writers_cannot_fork_the_chain(entries):
    """A second entry claiming the same position is refused by the database (seq is unique)."""
    head = entries(1)[0]
    fork = AuditEntry(at=head.at, actor_type="system", actor_label="x", action="x", object_type="x", seq=head.seq, prev_hash=head.prev_hash, hash="f" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        fork.save()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serializes writing transactions (BEGIN IMMEDIATE): writers never race there")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_postgresql_keep_one_chain(catalog_loaded):
    errors = []

    def writer(n):
        try:
            for i in range(15):
                with transaction.atomic():
                    audit_log(actor=Actor.system(f"w{n}"), action="x.race", object_type="t", object_id=i)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert AuditEntry.objects.filter(action="x.race").count() == 60
    assert audit_verify().ok


# ------------------------------------------------------------------ every tampering kind
def test_an_altered_entry_is_found_with_its_id(entries):
    made = entries(5)
    target = made[2]
    raw("UPDATE security_auditentry SET purpose = %s WHERE id = %s", ["篡改的目的", target.pk])
    report = audit_verify()
    assert codes(report) == {"altered"}
    problem = report.problems[0]
    assert (problem.entry_id, problem.seq) == (target.pk, target.seq)
    assert problem.expected == target.hash and problem.found != target.hash
    out, ok = verify_cli()
    assert not ok and f"审计日志第{target.pk}条" in out and "被改动" in out


def test_verify_against_an_earlier_export_says_which_fields_differ(entries, tmp_path):
    made = entries(3)
    audit_export(tmp_path / "before.jsonl")
    raw("UPDATE security_auditentry SET purpose = %s, subject_id = %s WHERE id = %s", ["篡改的目的", 9, made[1].pk])
    report = audit_verify(against=tmp_path / "before.jsonl")
    altered = next(p for p in report.problems if p.code == "altered")
    assert altered.entry_id == made[1].pk and altered.fields == ["subject_id", "purpose"]
    out, ok = verify_cli("--against", str(tmp_path / "before.jsonl"))
    assert not ok and '与导出文件相比：subject_id 由 1002 变为 9；purpose 由 "测试查看" 变为 "篡改的目的"' in out


def test_an_altered_and_rehashed_entry_breaks_the_link_to_the_next(entries):
    made = entries(5)
    target = AuditEntry.objects.get(pk=made[1].pk)
    record = chain.entry_record({f: getattr(target, f) for f in chain.DB_FIELDS})
    record["actor_label"] = "另一个人"
    raw("UPDATE security_auditentry SET actor_label = %s, hash = %s WHERE id = %s", ["另一个人", chain.entry_hash(record), target.pk])
    report = audit_verify()
    assert codes(report) == {"link_broken"}
    assert report.problems[0].entry_id == made[2].pk


def test_a_removed_entry_is_found(entries):
    made = entries(5)
    raw("DELETE FROM security_auditentry WHERE id = %s", [made[2].pk])
    report = audit_verify()
    assert "missing" in codes(report)
    missing = next(p for p in report.problems if p.code == "missing")
    assert missing.entry_id == made[3].pk and missing.expected == str(made[2].seq)
    out, ok = verify_cli()
    assert not ok and f"序号{made[2].seq}的条目缺失" in out


def test_removing_the_tail_is_found_by_the_signed_checkpoint(entries):
    made = entries(4)
    audit_checkpoint()
    raw("DELETE FROM security_auditentry WHERE seq >= %s", [made[2].seq])
    report = audit_verify()
    assert codes(report) == {"checkpoint_beyond_head"}
    assert report.problems[0].seq == made[-1].seq


def _insert_forged(cur, *, at, seq: int, prev: str, detail: dict) -> tuple[int, str]:
    """Insert a forged entry at `seq` whose own hash and link are right (a careful attacker)."""
    forged = {"seq": seq, "at": at, "actor_type": "user", "actor_user_id": None, "actor_key_id": None, "actor_label": "x",
              "department_id": None, "action": "record.view", "object_type": "record", "object_id": "", "subject_id": None,
              "purpose": "伪造", "detail": detail, "ip": None, "prev_hash": prev}
    digest = chain.entry_hash(chain.entry_record(forged))
    cur.execute(
        "INSERT INTO security_auditentry (at, actor_type, actor_label, action, object_type, object_id, purpose, detail, seq, prev_hash, hash) "
        "VALUES (%s, 'user', 'x', 'record.view', 'record', '', '伪造', %s, %s, %s, %s)",
        [at, json.dumps(detail), seq, prev, digest],
    )
    cur.execute("SELECT id FROM security_auditentry WHERE seq = %s", [seq])
    return cur.fetchone()[0], digest


def _shift_up(cur, from_seq: int) -> None:
    ids = list(AuditEntry.objects.filter(seq__gte=from_seq).order_by("-seq").values_list("id", flat=True))
    for pk in ids:  # highest first: seq stays unique at every step
        cur.execute("UPDATE security_auditentry SET seq = seq + 1 WHERE id = %s", [pk])


def test_an_inserted_entry_is_found(entries):
    made = entries(5)
    with trigger_off(), connection.cursor() as cur:
        _shift_up(cur, made[2].seq)
        forged_id, _ = _insert_forged(cur, at=made[1].at, seq=made[2].seq, prev=made[1].hash, detail={"n": 0})
    report = audit_verify()
    inserted = [p for p in report.problems if p.code == "inserted"]
    assert len(inserted) == 1 and (inserted[0].entry_id, inserted[0].seq) == (forged_id, made[2].seq)
    assert "altered" not in codes(report)  # the shifted entries are recognized as intact, moved
    out, ok = verify_cli()
    assert not ok and f"第{forged_id}条" in out and "插入" in out


def test_an_entry_inserted_with_a_recomputed_chain_is_found_by_the_checkpoint(entries):
    """The attacker inserts an entry and recomputes every hash after it: the chain is consistent
    again, but the signed checkpoint no longer matches."""
    made = entries(4)
    audit_checkpoint()
    with trigger_off(), connection.cursor() as cur:
        _shift_up(cur, made[1].seq)
        _, prev = _insert_forged(cur, at=made[0].at, seq=made[1].seq, prev=made[0].hash, detail={})
        for row in AuditEntry.objects.filter(seq__gt=made[1].seq).order_by("seq").values("id", *chain.DB_FIELDS):
            row = {**row, "prev_hash": prev}
            prev = chain.entry_hash(chain.entry_record(row))
            cur.execute("UPDATE security_auditentry SET prev_hash = %s, hash = %s WHERE id = %s", [row["prev_hash"], prev, row["id"]])
    report = audit_verify()
    assert "checkpoint_mismatch" in codes(report)
    assert not codes(report) & {"altered", "link_broken", "inserted", "missing"}  # the chain itself is consistent


def test_reordered_entries_are_found(entries):
    made = entries(5)
    a, b = made[1], made[3]
    with trigger_off(), connection.cursor() as cur:  # swap their positions
        cur.execute("UPDATE security_auditentry SET seq = -1 WHERE id = %s", [a.pk])
        cur.execute("UPDATE security_auditentry SET seq = %s WHERE id = %s", [a.seq, b.pk])
        cur.execute("UPDATE security_auditentry SET seq = %s WHERE id = %s", [b.seq, a.pk])
    report = audit_verify()
    assert "reordered" in codes(report)
    assert a.pk in {p.entry_id for p in report.problems if p.code == "reordered"}
    assert {a.pk, b.pk} <= {p.entry_id for p in report.problems if p.code == "altered"}  # their position is in their hash
    out, ok = verify_cli()
    assert not ok and "顺序被改动" in out


def test_a_forged_checkpoint_is_found(entries):
    entries(3)
    real = audit_checkpoint()
    # a checkpoint for a rewritten chain, signed with a key the platform does not have
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = Ed25519PrivateKey.generate()
    message = chain.checkpoint_message(seq=real.seq, hash="a" * 64, at=chain.format_at(real.at))
    AuditCheckpoint.objects.create(at=real.at, seq=real.seq, hash="a" * 64, key_id=chain.key_fingerprint(other.public_key()), signature=other.sign(chain.canonical_bytes(message)).hex())
    # and the real checkpoint with its hash changed (signature no longer matches)
    raw("UPDATE security_auditcheckpoint SET hash = %s WHERE id = %s", ["b" * 64, real.pk])
    report = audit_verify()
    assert codes(report) == {"checkpoint_forged"}
    assert {p.checkpoint_id for p in report.problems} == {real.pk, real.pk + 1} or len(report.problems) == 2
    out, ok = verify_cli()
    assert not ok and "伪造" in out


def test_checkpoints_signed_by_a_retired_key_still_verify_when_trusted(entries, settings):
    entries(2)
    cp = audit_checkpoint()
    old_public = chain.public_key_text()
    settings.AUDIT_SIGNING_KEY = base64.b64encode(b"n" * 32).decode()
    assert codes(audit_verify()) == {"checkpoint_forged"}  # the old key is no longer trusted
    settings.AUDIT_TRUSTED_KEYS = [old_public]
    assert audit_verify().ok
    assert cp.key_id != chain.key_fingerprint(chain.signing_key().public_key())


def test_the_checkpoint_job_signs_only_when_the_chain_moved(entries):
    from xinyong.common.schedule import run_job

    entries(2)
    assert run_job("audit.checkpoint")["checkpoint"] == AuditEntry.objects.order_by("-seq").first().seq
    assert run_job("audit.checkpoint") == {"checkpoint": None}
    entries(1)
    assert run_job("audit.checkpoint")["checkpoint"] is not None
    assert audit_verify().ok


# ------------------------------------------------------------------ export for a third party
def test_the_export_verifies_without_the_database_and_shows_tampering(entries, tmp_path):
    entries(4)
    audit_checkpoint()
    path = tmp_path / "audit.jsonl"
    out = io.StringIO()
    call_command("audit", "export", str(path), stdout=out, stderr=io.StringIO())
    summary = json.loads(out.getvalue())
    assert summary["entries"] == AuditEntry.objects.count() and summary["checkpoints"] == 1
    public = chain.public_key_text()
    assert verify_export(path, public_keys=[public]).ok
    # a third party recomputes a hash with nothing but hashlib and json
    line = next(json.loads(ln) for ln in path.read_text(encoding="utf-8").splitlines() if '"entry"' in ln)
    body = {k: line[k] for k in chain.ENTRY_FIELDS}
    assert hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest() == line["hash"]
    # the same file with one entry altered
    lines = path.read_text(encoding="utf-8").splitlines()
    i = next(n for n, ln in enumerate(lines) if '"entry"' in ln and "测试查看" in ln)
    lines[i] = lines[i].replace("测试查看", "别的目的")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = verify_export(path, public_keys=[public])
    assert codes(report) == {"altered", "checkpoint_mismatch"} or codes(report) == {"altered"}
    out = io.StringIO()
    with pytest.raises(CommandError, match="校验失败"):
        call_command("audit", "verify-export", str(path), "--public-key", public, stdout=out)
    assert "[altered]" in out.getvalue()


def test_an_entry_duplicated_in_an_export_is_found(entries, tmp_path):
    entries(3)
    path = tmp_path / "audit.jsonl"
    audit_export(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    copy = json.loads(lines[-1])
    copy["id"] += 1000
    path.write_text("\n".join([*lines, json.dumps(copy, ensure_ascii=False)]) + "\n", encoding="utf-8")
    report = verify_export(path)
    assert codes(report) == {"inserted"} and report.problems[0].entry_id == copy["id"]


def test_export_from_the_service_names_the_public_key(entries, tmp_path):
    entries(1)
    header = audit_export(tmp_path / "a.jsonl")
    assert chain.public_key_text() in header["public_keys"].values()


# ------------------------------------------------------------------ who looked at a subject
def test_queries_about_a_subject_lists_reads_of_its_non_public_data(entries, dept):
    entries(2)  # subjects 1001, 1002
    actor = Actor("key", "长春市监局/案件系统", department_id=dept().pk)
    audit_log(actor=actor, action="subject.query", object_type="subject", object_id=1001, subject_id=1001, purpose="行政许可审查")
    audit_log(actor=actor, action="record.withdraw", object_type="record", object_id=9, subject_id=1001)  # a write, not a read
    audit_log(actor=Actor.system(), action="record.view", object_type="record", subject_id=1001)  # the platform itself
    found = list(queries_about(1001))
    assert [(e.action, e.actor_label, e.purpose) for e in found] == [
        ("subject.query", "长春市监局/案件系统", "行政许可审查"),
        ("record.view", "审计测试员", "测试查看"),
    ]
    assert found[0].department.short_name == dept().short_name and found[0].at
    assert list(queries_about(1002))[0].object_id == "2"
