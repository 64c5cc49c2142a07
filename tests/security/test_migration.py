"""Databases that existed before the chain: the migration chains their audit entries in the
order of their ids, and the chain verifies."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from xinyong.security.models import AuditEntry
from xinyong.security.selectors import audit_verify

BEFORE = ("security", "0002_audit_chain_signed_api")


def migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target or executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_entries_are_chained_by_the_migration(catalog_loaded):
    chained_before = AuditEntry.objects.count()
    migrate([BEFORE])
    try:
        with connection.cursor() as cur:
            for n in range(3):  # entries written by the code before the chain (no seq, no hash)
                cur.execute(
                    "INSERT INTO security_auditentry (at, actor_type, actor_label, action, object_type, object_id, purpose, detail, ip) "
                    "VALUES (%s, 'user', %s, 'record.view', 'record', %s, '旧的查看', %s, %s)",
                    [timezone.now(), f"老用户{n}", str(n), f'{{"n": {n}, "x": 1.0}}', "0:0:0:0:0:0:0:1"],
                )
    finally:
        migrate(None)
    rows = list(AuditEntry.objects.order_by("seq"))
    assert len(rows) == chained_before + 3
    assert [r.seq for r in rows] == list(range(rows[0].seq, rows[0].seq + len(rows)))
    assert [r.actor_label for r in rows[-3:]] == ["老用户0", "老用户1", "老用户2"]
    assert rows[-1].ip == "::1" and rows[-1].detail == {"n": 2, "x": 1}
    report = audit_verify()
    assert report.ok, report.as_dict()
