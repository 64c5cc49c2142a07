"""Timing check of the search index (in process, no HTTP): N generated subjects
(`bench/data.py`), `xinyong search rebuild`, then each query of QUERIES run REPEAT times through
`search.selectors.search_subjects`, on SQLite and on PostgreSQL (a throwaway server, as
`bench/ingest.py` does). The formal benchmark with a load generator against the running server is
another script's job; this one tells whether the index itself stays inside the budget.

    .venv/bin/python bench/search_index.py                         # 1,000,000 subjects, both databases
    .venv/bin/python bench/search_index.py --subjects 100000 --db sqlite

Prints, per database: load and rebuild times, index size, and per query its matches and
p50/p95/max milliseconds; then the p95 over all queries.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (label, query, page)
QUERIES = [
    ("2 chars, ~5% of subjects", "通化", 1),
    ("2 chars, ~40% of subjects", "长春", 1),
    ("2 chars, page 40", "通化", 40),
    ("2 chars, rare", "鹿鸣", 1),
    ("2 chars, trade name", "华信", 1),
    ("4 chars", "华信商贸", 1),
    ("6 chars", "吉林省华信", 1),
    ("all grams common", "有限公司", 1),
    ("long, rare combination", "通化市鸭绿江医药有限公司", 1),
    ("nothing", "量子计算", 1),
    ("person's name", "王伟", 1),
    ("exact name", "{exact_name}", 1),
    ("USCC", "{uscc}", 1),
    ("USCC, full-width", "{uscc_fw}", 1),
    ("organization code", "{org_code}", 1),
    ("USCC, wrong check", "{uscc_bad}", 1),
]
REPEAT = 30


def child(n: int, out: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinyong.settings.base")
    import django

    django.setup()
    from django.core.management import call_command

    from bench.data import load_subjects
    from xinyong.catalog.services import catalog_sync
    from xinyong.search import indexer
    from xinyong.search.selectors import InvalidQuery, search_subjects
    from xinyong.subjects.models import Subject

    call_command("migrate", verbosity=0)
    catalog_sync()
    t0 = time.perf_counter()
    load_subjects(n)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    summary = indexer.index_rebuild()
    rebuild_s = time.perf_counter() - t0
    sample = Subject.objects.filter(kind="enterprise").order_by("id")[n // 3]
    uscc = sample.uscc
    values = {
        "exact_name": sample.name,
        "uscc": uscc,
        "uscc_fw": " ".join(uscc[i : i + 6] for i in range(0, 18, 6)).translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}),
        "org_code": uscc[8:16] + "-" + uscc[16],
        "uscc_bad": uscc[:17] + ("1" if uscc[17] != "1" else "2"),
    }
    rows = []
    for label, query, page in QUERIES:
        q = query.format(**values)
        times, total = [], None
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            try:
                res = search_subjects(q, page=page)
                total = res.total_label
            except InvalidQuery as exc:
                total = f"refused ({exc.code})"
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        rows.append({"label": label, "query": q, "page": page, "matches": total, "p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1], "max": times[-1], "all": times})
    every = sorted(t for r in rows for t in r.pop("all"))
    result = {"subjects": n, "load_s": load_s, "rebuild_s": rebuild_s, "index": summary, "queries": rows, "p95_all": every[int(len(every) * 0.95) - 1]}
    Path(out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


def run(db: str, n: int) -> dict:
    sys.path.insert(0, str(ROOT / "bench"))
    from pgserver import create_database, postgres_server

    with tempfile.TemporaryDirectory(prefix="xinyong-bench-search-") as folder:
        env = {**os.environ, "XINYONG_VAR_DIR": folder, "DJANGO_SETTINGS_MODULE": "xinyong.settings.base", "XINYONG_LOG_LEVEL": "WARNING"}
        env.pop("DATABASE_URL", None)
        out = os.path.join(folder, "result.json")
        if db == "postgresql":
            with postgres_server() as base:
                env["DATABASE_URL"] = create_database(base, "search")
                subprocess.run([sys.executable, __file__, "--child", str(n), out], env=env, check=True)
        else:
            subprocess.run([sys.executable, __file__, "--child", str(n), out], env=env, check=True)
        return json.loads(Path(out).read_text(encoding="utf-8"))


def report(db: str, r: dict) -> None:
    idx = r["index"]
    print(f"\n## {db}: {r['subjects']:,} subjects — load {r['load_s']:.0f} s, rebuild {r['rebuild_s']:.0f} s "
          f"({idx['organizations']:,} organizations, {idx['keys']:,} keys, {idx['postings']:,} postings)")
    print("| query | page | matches | p50 ms | p95 ms | max ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for q in r["queries"]:
        print(f"| {q['label']}: {q['query']} | {q['page']} | {q['matches']} | {q['p50']:.1f} | {q['p95']:.1f} | {q['max']:.1f} |")
    print(f"p95 over all {len(r['queries']) * REPEAT} searches: {r['p95_all']:.1f} ms")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(int(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    for db in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        report(db, run(db, args.subjects))


if __name__ == "__main__":
    main()
