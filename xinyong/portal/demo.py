"""What the demo province needs from the portal: a couple of records under objection (异议处理中),
so that the mark can be seen on credit files without filing objections first. Called by
`xinyong demo` after loading; sets the mark as the redress workflow does
(records.services.record_mark_objection: the flag and its change event).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from xinyong.records.models import Record
from xinyong.records.selectors import public_q
from xinyong.records.services import record_mark_objection

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
            .values_list("id", flat=True)[: count - already]
        )
        if not ids:
            return []
        now = timezone.now()
        for rid in ids:  # as the redress workflow sets it: the flag and its MOD event
            record_mark_objection(record=Record(pk=rid), flag=True, now=now)
        audit_log(
            actor=Actor.system("演示数据"),
            action="record.objection_mark",
            object_type="record",
            object_id=",".join(str(i) for i in ids),
            detail={"records": ids, "note": "演示：标注异议处理中"},
        )
    return ids
