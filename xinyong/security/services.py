"""Audit entries: one for each action (who, what, when, why) and for each read of non-public data.

The entries form a hash chain (`chain.py`): `audit_log` appends under the chain's lock — on
PostgreSQL a transaction-level advisory lock, on SQLite the database's write lock (IMMEDIATE
transactions) — so that two writers never fork the chain; `seq` is unique besides. The lock is
held until the caller's transaction commits: call `audit_log` at the end of a long transaction,
not at its start. `audit_checkpoint` signs the head of the chain (job audit.checkpoint).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from . import chain
from .models import ApiKey, AuditCheckpoint, AuditEntry

log = logging.getLogger("xinyong.audit")
_LOCK_KEY = 7_366_2007  # the advisory lock of the audit chain (unlike the feed's and evaluation's)


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user, a department system's key, the platform itself, or the public."""

    type: str  # user / key / system / public
    label: str
    user_id: int | None = None
    key_id: int | None = None
    department_id: int | None = None
    ip: str | None = None

    @classmethod
    def system(cls, label: str = "系统") -> Actor:
        return cls("system", label)

    @classmethod
    def for_user(cls, user, *, ip: str | None = None) -> Actor:
        membership = getattr(user, "membership", None)
        return cls("user", user.get_username(), user_id=user.pk, department_id=membership.department_id if membership else None, ip=ip)

    @classmethod
    def for_key(cls, key: ApiKey, *, ip: str | None = None) -> Actor:
        return cls("key", f"{key.department.short_name}/{key.name}", key_id=key.pk, department_id=key.department_id, ip=ip)


_HEAD_SQL = f"SELECT seq, hash FROM {AuditEntry._meta.db_table} ORDER BY seq DESC LIMIT 1"


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def audit_log(*, actor: Actor, action: str, object_type: str, object_id="", subject_id=None, purpose: str = "", detail: dict | None = None) -> AuditEntry:
    """Append one entry to the audit chain.

    Reads of non-public data about a subject pass `subject_id` and a `purpose`, with an action
    ending in .view, .read, .query or .export (`selectors.queries_about` finds them).
    """
    entry = AuditEntry(
        actor_type=actor.type,
        actor_user_id=actor.user_id,
        actor_key_id=actor.key_id,
        actor_label=actor.label[:150],
        department_id=actor.department_id,
        action=action[:60],
        object_type=object_type[:40],
        object_id=str(object_id)[:64],
        subject_id=subject_id,
        purpose=(purpose or "")[:200],
        detail=chain.normalize_json(detail or {}),
        ip=chain.clean_ip(actor.ip),
    )
    with transaction.atomic():
        _lock_chain()
        with connection.cursor() as cur:  # raw SQL: this runs for every write, keep it cheap
            cur.execute(_HEAD_SQL)
            head = cur.fetchone()
        entry.seq, entry.prev_hash = (head[0] + 1, head[1]) if head else (1, chain.GENESIS)
        entry.at = timezone.now()
        entry.hash = chain.entry_hash(chain.entry_record(entry.__dict__))
        entry.save()
    log.info("audit", extra={"action": action, "object": f"{object_type}:{object_id}", "actor": actor.label})
    return entry


def audit_checkpoint(*, force: bool = False) -> AuditCheckpoint | None:
    """Sign the head of the chain, unless it has not moved since the last checkpoint."""
    head = AuditEntry.objects.order_by("-seq").values("seq", "hash").first()
    if head is None:
        return None
    last = AuditCheckpoint.objects.order_by("-seq").values_list("seq", flat=True).first()
    if last == head["seq"] and not force:
        return None
    now = timezone.now()
    key_id, signature = chain.sign(chain.checkpoint_message(seq=head["seq"], hash=head["hash"], at=chain.format_at(now)))
    return AuditCheckpoint.objects.create(at=now, seq=head["seq"], hash=head["hash"], key_id=key_id, signature=signature)
