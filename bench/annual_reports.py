"""Annual report listing benchmark (issue 5, Deliver 6): the abnormal operations listing job on
N enterprises, of which a share has not filed the 2025 report.

    DATABASE_URL=sqlite:////tmp/ar-bench.sqlite3 .venv/bin/python bench/annual_reports.py --enterprises 100000
    DATABASE_URL=postgres://... .venv/bin/python bench/annual_reports.py --enterprises 100000

Use a throwaway database: it migrates it, loads the catalog, adds the enterprises and their
reports (not timed), then times `abnormal_list_missing(day=2026-07-14)` (the day the 2025
window closes) and its rerun (which must list nobody).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--filed", type=float, default=0.7, help="share that filed the 2025 report")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinyong.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from xinyong.annualreports import services
    from xinyong.annualreports.models import AnnualReport
    from xinyong.catalog.services import catalog_sync
    from xinyong.demo.codes import make_uscc
    from xinyong.sanctions.models import ListEntry, ListEntryStep
    from xinyong.subjects.models import Subject

    call_command("migrate", verbosity=0)
    catalog_sync()
    rng = random.Random(654)
    regions = ["220102", "220103", "220104", "220105", "220106", "220202", "220302", "220402", "220502", "220602", "220702", "220802", "222401"]
    have = Subject.objects.filter(kind="enterprise").count()
    t0 = time.perf_counter()
    for start in range(have, args.enterprises, 10_000):
        batch = []
        for i in range(start, min(start + 10_000, args.enterprises)):
            region = regions[i % len(regions)]
            batch.append(Subject(kind="enterprise", uscc=make_uscc(rng, region=region), name=f"基准企业{i}有限公司", name_key=f"基准企业{i}", region=region,
                                 status="存续", registered_on=date(2015 + i % 10, 1 + i % 12, 1), registered=True, legal_rep="张三"))
        Subject.objects.bulk_create(batch, batch_size=2000, ignore_conflicts=True)
    ids = list(Subject.objects.filter(kind="enterprise").exclude(annual_reports__year=2025).values_list("id", flat=True))
    filers = [i for i in ids if rng.random() < args.filed] if AnnualReport.objects.filter(year=2025).count() == 0 else []
    from django.utils import timezone

    now = timezone.now()
    AnnualReport.objects.bulk_create(
        [AnnualReport(subject_id=i, year=2025, filed_on=date(2026, 5, 6), filed_at=now, door="portal", filed_by="bench", address="长春市", phone="13912345678", business_status="open") for i in filers],
        batch_size=5000,
    )
    print(f"setup {time.perf_counter() - t0:.1f}s: {Subject.objects.filter(kind='enterprise').count()} enterprises, {AnnualReport.objects.filter(year=2025).count()} filed 2025 ({connection.vendor})")
    ListEntry.objects.filter(list_code="abnormal_operations").count()
    t = time.perf_counter()
    first = services.abnormal_list_missing(day=date(2026, 7, 14))
    t1 = time.perf_counter() - t
    t = time.perf_counter()
    again = services.abnormal_list_missing(day=date(2026, 7, 14))
    t2 = time.perf_counter() - t
    steps = ListEntryStep.objects.filter(entry__list_code="abnormal_operations").count()
    print(f"first run: listed {first['listed']} in {t1:.2f}s ({len(first['departments'])} departments); steps {steps}")
    print(f"rerun: listed {again['listed']} in {t2:.2f}s")


if __name__ == "__main__":
    main()
