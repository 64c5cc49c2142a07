"""The audit chain: canonical form of an entry, its hash, signed checkpoints, and verification.

Canonical form (version 1; docs/security.md, "Audit chain", says the same for third parties).
An entry is the JSON object

    {"v": 1, "seq": 17, "at": "2026-11-29T21:01:41.123456Z", "actor_type": "key",
     "actor_user": null, "actor_key": 3, "actor_label": "长春市监局/案件系统", "department": 12,
     "action": "batch.submit", "object_type": "batch", "object_id": "…", "subject_id": null,
     "purpose": "", "detail": {…}, "ip": "10.0.0.7", "prev_hash": "<64 hex>"}

serialized with keys sorted (at every level), no whitespace (separators "," and ":"), non-ASCII
characters as themselves (not \\u escapes), UTF-8 encoded. `at` is UTC with microseconds and a
final "Z"; ids are integers or null; `detail` holds only JSON values, and a number with an
integral value is written as an integer (2.0 → 2). The entry's `hash` is the lower-case hex
SHA-256 of those bytes; `prev_hash` is the hash of the entry seq - 1, or 64 zeros for seq 1.

A checkpoint is signed (Ed25519) over the canonical form of
{"v": 1, "type": "xinyong-audit-checkpoint", "seq": N, "hash": "<hash of entry N>", "at": "…Z"}.
The signing key is outside the database (XINYONG_AUDIT_SIGNING_KEY or the key file
audit_signing.key); its public key verifies checkpoints, exports and backup manifests.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

VERSION = 1
GENESIS = "0" * 64
ENTRY_FIELDS = (
    "v", "seq", "at", "actor_type", "actor_user", "actor_key", "actor_label", "department", "action",
    "object_type", "object_id", "subject_id", "purpose", "detail", "ip", "prev_hash",
)
# model field (values()) → canonical name
DB_FIELDS = {
    "seq": "seq", "at": "at", "actor_type": "actor_type", "actor_user_id": "actor_user", "actor_key_id": "actor_key",
    "actor_label": "actor_label", "department_id": "department", "action": "action", "object_type": "object_type",
    "object_id": "object_id", "subject_id": "subject_id", "purpose": "purpose", "detail": "detail", "ip": "ip",
    "prev_hash": "prev_hash",
}


# ------------------------------------------------------------------ canonical form
def normalize_json(value):
    """The JSON value as the database gives it back: string keys, lists, integral floats as ints."""
    if isinstance(value, dict):
        return {str(k): normalize_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalize_json(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def canonical_bytes(obj: dict) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def format_at(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def clean_ip(ip: str | None) -> str | None:
    """The address as PostgreSQL's inet gives it back (compressed IPv6), or None if not one."""
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(str(ip).strip()))
    except ValueError:
        return None


def entry_record(row: dict) -> dict:
    """The canonical record (without `hash`) of an AuditEntry given as a dict of model fields."""
    rec = {name: row[f] for f, name in DB_FIELDS.items()}
    rec["v"] = VERSION
    rec["at"] = format_at(row["at"]) if isinstance(row["at"], datetime) else row["at"]
    rec["detail"] = normalize_json(row["detail"] if row["detail"] is not None else {})
    rec["ip"] = clean_ip(row["ip"])
    return rec


def entry_hash(record: dict) -> str:
    return hashlib.sha256(canonical_bytes({k: record.get(k) for k in ENTRY_FIELDS})).hexdigest()


# ------------------------------------------------------------------ signing key (outside the database)
def _private_from(text: str) -> Ed25519PrivateKey:
    raw = base64.urlsafe_b64decode(text.strip())  # accepts the standard alphabet too
    if len(raw) != 32:
        raise ValueError("the audit signing key must be 32 bytes (base64)")
    return Ed25519PrivateKey.from_private_bytes(raw)


@lru_cache(maxsize=4)
def _signing_key(text: str) -> Ed25519PrivateKey:
    return _private_from(text)


def signing_key() -> Ed25519PrivateKey:
    return _signing_key(settings.AUDIT_SIGNING_KEY)


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_text(key: Ed25519PublicKey | None = None) -> str:
    return base64.b64encode(public_bytes(key or signing_key().public_key())).decode("ascii")


def key_fingerprint(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_bytes(key)).hexdigest()[:16]


def trusted_keys(extra: Iterable[str] = ()) -> dict[str, Ed25519PublicKey]:
    """fingerprint → public key: the current signing key's, the retired ones still trusted
    (XINYONG_AUDIT_TRUSTED_KEYS), and any given (base64)."""
    keys = [signing_key().public_key()]
    for text in [*settings.AUDIT_TRUSTED_KEYS, *extra]:
        keys.append(Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip())))
    return {key_fingerprint(k): k for k in keys}


def sign(message: dict) -> tuple[str, str]:
    """(key fingerprint, hex signature) of the canonical form of `message`."""
    key = signing_key()
    return key_fingerprint(key.public_key()), key.sign(canonical_bytes(message)).hex()


def signature_valid(message: dict, key_id: str, signature: str, keys: dict[str, Ed25519PublicKey]) -> bool:
    key = keys.get(key_id)
    if key is None:
        return False
    try:
        key.verify(bytes.fromhex(signature), canonical_bytes(message))
    except (InvalidSignature, ValueError):
        return False
    return True


def checkpoint_message(*, seq: int, hash: str, at: str) -> dict:  # noqa: A002 (the field's name)
    return {"v": VERSION, "type": "xinyong-audit-checkpoint", "seq": seq, "hash": hash, "at": at}


# ------------------------------------------------------------------ verification
@dataclass
class Problem:
    code: str  # altered / link_broken / missing / inserted / reordered / checkpoint_forged / checkpoint_mismatch / checkpoint_beyond_head
    message: str  # Chinese, for people
    entry_id: int | None = None
    seq: int | None = None
    checkpoint_id: int | None = None
    expected: str | None = None
    found: str | None = None
    fields: list[str] | None = None  # the fields that differ from an earlier export (audit verify --against)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Report:
    entries: int = 0
    checkpoints: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "ok": self.ok, "entries": self.entries, "checkpoints": self.checkpoints, "head_seq": self.head_seq,
            "head_hash": self.head_hash, "problems": [p.as_dict() for p in self.problems], "truncated": self.truncated,
        }


def verify(records: Iterator[tuple[int | None, dict, str]], checkpoints: list[dict], keys: dict[str, Ed25519PublicKey], *, max_problems: int = 100) -> Report:
    """Walk the chain in seq order. `records` yields (entry id or None, canonical record, stored
    hash) ordered by seq, then id; `checkpoints` are dicts with id, seq, hash, at, key_id,
    signature. Every problem says where (entry id and seq) and what differs."""
    report = Report()

    def problem(p: Problem) -> None:
        if len(report.problems) < max_problems:
            report.problems.append(p)
        else:
            report.truncated = True

    hashes_at: dict[int, str] = {}
    wanted = {c["seq"] for c in checkpoints}
    prev_hash, expected_seq, last_id, shifted = GENESIS, 1, None, False
    for entry_id, rec, stored in records:
        report.entries += 1
        seq = rec["seq"]
        where = f"审计日志第{entry_id}条（序号{seq}）" if entry_id is not None else f"序号{seq}的条目"
        if seq is None:
            problem(Problem("inserted", f"{where}不在哈希链中（没有序号）：被插入", entry_id))
            continue
        if seq < expected_seq:
            problem(Problem("inserted", f"{where}：序号{seq}重复（此前已有该序号的条目）——插入或复制的条目", entry_id, seq))
            continue
        if seq > expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
            problem(Problem("missing", f"序号{missing}的条目缺失（被删除），缺口在{where}之前", entry_id, seq, expected=str(expected_seq), found=str(seq)))
        if entry_id is not None and last_id is not None and entry_id < last_id:
            problem(Problem("reordered", f"{where}：顺序被改动（它排在第{last_id}条之后，编号却更小：条目被调序或插入）", entry_id, seq, expected=f"> {last_id}", found=str(entry_id)))
        actual = entry_hash(rec)
        if actual != stored and entry_hash({**rec, "seq": seq - 1}) == stored:
            # an intact entry moved one position up: something was inserted before it
            if not shifted:
                before = f"第{last_id}条" if last_id is not None else "前一条"
                problem(Problem("inserted", f"序号{seq - 1}处的条目（{before}）是插入的：其后的条目（从{where}起）序号被整体后移", last_id, seq - 1))
            shifted = True
        elif actual != stored:
            shifted = False
            problem(Problem("altered", f"{where}的内容与其哈希不符：被改动（存储的哈希 {stored[:16]}…，按内容计算为 {actual[:16]}…）", entry_id, seq, expected=stored, found=actual))
        else:
            shifted = False
        if rec["prev_hash"] != prev_hash:
            problem(Problem("link_broken", f"{where}记录的前一条哈希 {str(rec['prev_hash'])[:16]}… 与前一条的实际哈希 {prev_hash[:16]}… 不符：前一条被改动后重新计算了哈希，或其间有条目被删除、插入", entry_id, seq, expected=prev_hash, found=rec["prev_hash"]))
        prev_hash = stored
        expected_seq = seq + 1
        last_id = entry_id if entry_id is not None else last_id
        report.head_seq, report.head_hash = seq, stored
        if seq in wanted:
            hashes_at[seq] = actual
    for cp in checkpoints:
        report.checkpoints += 1
        where = f"检查点{cp.get('id', '')}（序号{cp['seq']}）"
        message = checkpoint_message(seq=cp["seq"], hash=cp["hash"], at=cp["at"])
        if not signature_valid(message, cp["key_id"], cp["signature"], keys):
            known = cp["key_id"] in keys
            reason = "签名无效" if known else f"签名密钥 {cp['key_id']} 不受信任"
            problem(Problem("checkpoint_forged", f"{where}{reason}：检查点是伪造或被改动的", seq=cp["seq"], checkpoint_id=cp.get("id")))
            continue
        if cp["seq"] > report.head_seq:
            problem(Problem("checkpoint_beyond_head", f"{where}已签名确认链长至序号{cp['seq']}，现在只到{report.head_seq}：末尾的条目被删除", seq=cp["seq"], checkpoint_id=cp.get("id"), expected=str(cp["seq"]), found=str(report.head_seq)))
        elif hashes_at.get(cp["seq"]) != cp["hash"]:
            problem(Problem("checkpoint_mismatch", f"{where}签名确认的哈希与序号{cp['seq']}条目现在的哈希不符：此前的链被改写", seq=cp["seq"], checkpoint_id=cp.get("id"), expected=cp["hash"], found=hashes_at.get(cp["seq"])))
    return report
