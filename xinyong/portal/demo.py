"""What the demo province needs from the portal: a couple of records under objection (异议处理中),
so that the mark can be seen on credit files before the redress workflow (a later issue) sets it
the real way. Called by `xinyong demo` after loading; writes through nothing but this helper.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from xinyong.records import feed
from xinyong.records.models import ChangeEvent, Record
from xinyong.records.selectors import public_q

DEMO_OBJECTIONS = 2


def demo_objections_mark(*, count: int = DEMO_OBJECTIONS) -> list[int]:
    """Mark `count` public penalty records of organizations as under objection (the oldest ones by
    id: the same records for the same demo data), with their MOD events and an audit entry.
    Returns the ids marked; a second call marks nothing more once `count` are marked."""
    from xinyong.security.services import Actor, audit_log

    with transaction.atomic():
        already = Record.objects.filter(under_objection=True).count()
        if already >= count:
            return []
        ids = list(
            Record.objects.filter(public_q(), item_code__startswith="penalty.", under_objection=False)
            .exclude(subject__kind="individual")
            .order_by("id")
            .values_list("id", "subject_id", "item_code")[: count - already]
        )
        if not ids:
            return []
        now = timezone.now()
        Record.objects.filter(id__in=[i for i, _, _ in ids]).update(under_objection=True, updated_at=now)
        feed.append([ChangeEvent(at=now, entity="record", entity_id=rid, subject_id=sid, item_code=code, op="MOD") for rid, sid, code in ids])
        audit_log(
            actor=Actor.system("演示数据"),
            action="record.objection_mark",
            object_type="record",
            object_id=",".join(str(i) for i, _, _ in ids),
            detail={"records": [i for i, _, _ in ids], "note": "演示：标注异议处理中"},
        )
    return [i for i, _, _ in ids]
