"""Audit entries: one for each action (who, what, when, why) and for each read of non-public data."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .models import ApiKey, AuditEntry

log = logging.getLogger("xinyong.audit")


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


def audit_log(*, actor: Actor, action: str, object_type: str, object_id="", subject_id=None, purpose: str = "", detail: dict | None = None) -> AuditEntry:
    entry = AuditEntry.objects.create(
        actor_type=actor.type,
        actor_user_id=actor.user_id,
        actor_key_id=actor.key_id,
        actor_label=actor.label[:150],
        department_id=actor.department_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        subject_id=subject_id,
        purpose=purpose[:200],
        detail=detail or {},
        ip=actor.ip,
    )
    log.info("audit", extra={"action": action, "object": f"{object_type}:{object_id}", "actor": actor.label})
    return entry
