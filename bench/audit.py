"""Cost of the audit chain (issue 7): `audit_log` appends under the chain's lock (a head lookup, a
SHA-256, and on PostgreSQL an advisory lock) instead of one plain INSERT. Measured on a fresh
database, SQLite by default or the one DATABASE_URL names (give an empty database: it is
migrated, and written to):

    .venv/bin/python bench/audit.py                       # SQLite in a temporary folder, 10,000 appends
    DATABASE_URL=postgres://u:p@host/db .venv/bin/python bench/audit.py --n 10000

Figures, each over --n calls, one transaction per call (as a web request or a batch writes it):
- **plain insert**: the same row saved with a precomputed seq and hash (what an unchained log costs);
- **audit_log**: the chained append;
- **audit_log, 8 threads** (PostgreSQL only): concurrent writers serialized on the chain's lock;
- **verify**: `audit verify` over everything written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="xinyong-bench-audit-")
    os.environ.setdefault("XINYONG_VAR_DIR", work)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{work}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinyong.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from xinyong.security import chain
    from xinyong.security.models import AuditEntry
    from xinyong.security.selectors import audit_verify
    from xinyong.security.services import Actor, audit_log

    call_command("migrate", verbosity=0)
    actor = Actor("key", "长春市监局/案件系统", department_id=None, ip="10.1.2.3")
    detail = {"item": "penalty.gsj", "accepted": 1200, "rejected": 3, "unchanged": 0, "to_review": 0}
    results = {"database": connection.vendor, "n": args.n}

    start = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    t0 = time.perf_counter()
    for i in range(args.n):
        with transaction.atomic():
            AuditEntry(at=timezone.now(), actor_type="key", actor_label=actor.label, action="batch.submit", object_type="batch",
                       object_id=str(i), detail=detail, ip=actor.ip, seq=10**12 + start + i, prev_hash=chain.GENESIS, hash=chain.GENESIS).save()
    plain = time.perf_counter() - t0
    results["plain_insert_us"] = round(plain / args.n * 1e6)
    # the plain rows are not part of a chain: keep them apart from what verify walks
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE security_auditentry DISABLE TRIGGER USER")
        cur.execute("DELETE FROM security_auditentry WHERE seq >= %s", [10**12])
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE security_auditentry ENABLE TRIGGER USER")

    t0 = time.perf_counter()
    for i in range(args.n):
        audit_log(actor=actor, action="batch.submit", object_type="batch", object_id=i, detail=detail)
    chained = time.perf_counter() - t0
    results["audit_log_us"] = round(chained / args.n * 1e6)
    results["overhead_us"] = results["audit_log_us"] - results["plain_insert_us"]

    if connection.vendor == "postgresql":
        per_thread = args.n // 8

        def writer():
            try:
                for i in range(per_thread):
                    audit_log(actor=actor, action="batch.submit", object_type="batch", object_id=i, detail=detail)
            finally:
                connection.close()

        threads = [threading.Thread(target=writer) for _ in range(8)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        results["audit_log_8_threads_per_s"] = round(per_thread * 8 / elapsed)

    t0 = time.perf_counter()
    report = audit_verify()
    results["verify_s"] = round(time.perf_counter() - t0, 2)
    results["verify_entries"] = report.entries
    results["verify_ok"] = report.ok
    results["load_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
