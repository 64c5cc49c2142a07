"""Ingestion benchmark (issue #2): N licensing/penalty rows through the whole pipeline, on SQLite
and on PostgreSQL, against a raw bulk load of the same rows into the same table measured in the
same run (executemany on SQLite, COPY on PostgreSQL).

    .venv/bin/python bench/ingest.py                      # 1,000,000 rows, both databases, 3 runs
    .venv/bin/python bench/ingest.py --rows 100000 --db sqlite --repeat 1

Each measurement runs in a fresh child process on a fresh database; the figure printed is the
median over the runs, with peak RSS of the child (getrusage of the child process). Only the
ingestion itself is timed (not migrations, not file generation).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PENALTY_HEADERS = [
    "行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", "行政处罚决定书文号", "违法行为类型",
    "违法事实", "处罚依据", "处罚类别", "处罚内容", "罚款金额（万元）", "处罚决定日期", "失信严重程度",
    "处罚机关", "处罚机关统一社会信用代码", "数据来源单位", "数据来源单位统一社会信用代码",
]
LICENSING_HEADERS = [
    "行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", "行政许可决定文书名称", "行政许可决定文书号",
    "许可类别", "许可证书名称", "许可编号", "许可内容", "许可决定日期", "有效期自", "有效期至", "当前状态",
    "许可机关", "许可机关统一社会信用代码", "数据来源单位", "数据来源单位统一社会信用代码",
]
AUTHORITY = ("长春市市场监督管理局", "11220100MB1957950T")
ROOTS = "华信 宏达 恒通 鑫源 长青 吉顺 瑞丰 金桥 天宇 北方 松江 龙华 博远 兴隆 嘉禾 东升 新元 康泰 盛世 永安".split()
TRADES = "商贸 科技 建筑工程 食品 物流 农业发展 汽车销售 医药 餐饮管理 装饰工程 印刷 环保科技".split()
FACTS = [
    "当事人在其经营场所销售不符合食品安全标准的食品，货值金额{n}元",
    "当事人未按规定公示年度报告，经责令限期改正逾期未改正",
    "当事人在网络平台发布虚假广告，宣传内容与实际不符，广告费用{n}元",
    "当事人未取得许可从事经营活动，违法所得{n}元",
]


def generate(path: Path, rows: int, seed: int, kind: str) -> None:
    from xinyong.demo.codes import make_uscc

    rng = random.Random(seed)
    subjects = []
    districts = ["220102", "220103", "220104", "220105", "220106", "220112", "220113", "220122", "220182", "220183", "220184"]
    for i in range(max(1000, rows // 5)):
        name = f"长春市{rng.choice(ROOTS)}{rng.choice(TRADES)}有限公司{'' if i < 20 else f'第{i}分公司'}"
        subjects.append((name, make_uscc(rng, region=rng.choice(districts)), rng.choice("王李张刘陈杨赵黄周吴") + rng.choice("伟芳娜敏静丽强磊军洋")))
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        if kind == "penalty":
            w.writerow(PENALTY_HEADERS)
            for i in range(rows):
                name, code, rep = subjects[rng.randrange(len(subjects))]
                day = f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}"
                sev = rng.choices(("轻微", "一般", "严重"), (1, 7, 2))[0]
                fine = rng.randint(1, 500) / 10
                w.writerow([name, "法人及非法人组织", code, rep, f"长市监罚〔2026〕{i + 1}号", "违反市场监管法规", rng.choice(FACTS).format(n=rng.randint(100, 90000)),
                            "《中华人民共和国行政处罚法》第二十八条", "罚款", f"罚款人民币{fine}万元", fine, day, sev, AUTHORITY[0], AUTHORITY[1], AUTHORITY[0], AUTHORITY[1]])
        else:
            w.writerow(LICENSING_HEADERS)
            for i in range(rows):
                name, code, rep = subjects[rng.randrange(len(subjects))]
                day = f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}"
                w.writerow([name, "法人及非法人组织", code, rep, "食品经营许可决定书", f"长市监许〔2026〕{i + 1}号", "普通", "食品经营许可证", f"JY1220102{i:08d}",
                            "食品销售经营者（含网络经营）", day, day, f"{int(day[:4]) + 5}{day[4:]}", "有效", AUTHORITY[0], AUTHORITY[1], AUTHORITY[0], AUTHORITY[1]])


# ------------------------------------------------------------------ child processes
def _setup_django(var_dir: str, database_url: str | None) -> None:
    os.environ["XINYONG_VAR_DIR"] = var_dir
    os.environ["XINYONG_LOG_LEVEL"] = "WARNING"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinyong.settings.base")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from xinyong.catalog.services import catalog_sync

    catalog_sync()


def child_pipeline(args) -> dict:
    _setup_django(args.var_dir, args.database_url)
    from xinyong.ingestion.services import batch_submit, get_department
    from xinyong.security.services import Actor

    dept = get_department("220100-GSJ")
    total = accepted = 0
    start = time.perf_counter()
    for item, path in zip(args.items.split(","), args.files.split(","), strict=True):
        batch = batch_submit(department=dept, item_code=item, path=Path(path), filename=Path(path).name, door="cli", actor=Actor.system("bench"), copy=False, background=False)
        assert batch.status == "succeeded", batch.summary()
        total += batch.total_rows
        accepted += batch.accepted
    elapsed = time.perf_counter() - start
    return {"rows": total, "accepted": accepted, "seconds": elapsed}


def child_raw(args) -> dict:
    """The same rows, inserted into records_record with the database's own bulk path and no
    validation: subjects created beforehand, JSON of the row as it stands."""
    _setup_django(args.var_dir, args.database_url)
    from django.db import transaction
    from django.utils import timezone

    from xinyong.catalog.models import Department
    from xinyong.common import db
    from xinyong.ingestion.pipeline import RECORD_COLUMNS
    from xinyong.records.models import Record
    from xinyong.subjects.models import Subject

    dept = Department.objects.get(code="220100-GSJ")
    now = db.db_datetime(timezone.now())
    files = list(zip(args.items.split(","), args.files.split(","), strict=True))
    codes = {}
    for _, path in files:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            for row in reader:
                codes.setdefault(row[2], row[0])
    created = Subject.objects.bulk_create([Subject(kind="enterprise", uscc=c, name=n, name_key=n) for c, n in codes.items()], batch_size=5000)
    subject_ids = {s.uscc: s.id for s in created}
    inserted = 0
    timed = 0.0
    next_id = 1
    for item, path in files:
        doc_col = 4 if item.startswith("penalty") else 5
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            chunk = []

            def flush(chunk):
                nonlocal timed, inserted
                t = time.perf_counter()
                with transaction.atomic():
                    db.insert_rows(Record, RECORD_COLUMNS, chunk)
                timed += time.perf_counter() - t
                inserted += len(chunk)

            for n, row in enumerate(reader, start=2):
                day = row[11] if item.startswith("penalty") else row[10]
                chunk.append((next_id, item, dept.id, subject_ids[row[2]], None, n, f"raw-{item}-{n}", "0" * 32, row[doc_col], day, None, None, "", "city", "public",
                              day, None, None, "", None, None, "active", 1, json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False), now, now, False))
                next_id += 1
                if len(chunk) >= 50_000:
                    flush(chunk)
                    chunk = []
            if chunk:
                flush(chunk)
    return {"rows": inserted, "seconds": timed}


# ------------------------------------------------------------------ parent
def run_child(mode: str, items: str, files: str, database_url: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="xinyong-bench-") as var_dir:
        cmd = [sys.executable, __file__, "--child", mode, "--items", items, "--files", files, "--var-dir", var_dir]
        if database_url:
            cmd += ["--database-url", database_url]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            raise SystemExit(f"child {mode} failed ({status}): {out}")
        result = json.loads(out.strip().splitlines()[-1])
        result["peak_rss_mb"] = usage.ru_maxrss / 1024
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2014)
    parser.add_argument("--child")
    parser.add_argument("--items")
    parser.add_argument("--files")
    parser.add_argument("--var-dir")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if args.child:
        result = child_pipeline(args) if args.child == "pipeline" else child_raw(args)
        print(json.dumps(result))
        return

    data_dir = ROOT / "var" / "bench"
    data_dir.mkdir(parents=True, exist_ok=True)
    half = args.rows // 2
    files = []
    for kind, n in (("licensing", args.rows - half), ("penalty", half)):
        path = data_dir / f"{kind}-{n}-{args.seed}.csv"
        if not path.exists():
            t = time.perf_counter()
            generate(path, n, args.seed + len(kind), kind)
            print(f"generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        files.append(str(path))
    items = "licensing.gsj,penalty.gsj"
    file_arg = ",".join(files)
    size_mb = sum(Path(f).stat().st_size for f in files) / 1e6
    print(f"# ingestion benchmark: {args.rows:,} rows ({size_mb:.0f} MB of CSV), median of {args.repeat} run(s), {os.cpu_count()} CPUs")
    print("| database | pipeline rows/s | raw load rows/s | ratio | pipeline peak RSS | runs (pipeline s) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for dbname in args.db.split(","):
        pipe, raw = [], []
        server = None
        if dbname == "postgresql":
            from pgserver import create_database, postgres_server

            server = postgres_server()
            base = server.__enter__()
        try:
            for i in range(args.repeat):
                url = create_database(base, f"bench_p{i}") if server else None
                pipe.append(run_child("pipeline", items, file_arg, url))
                url = create_database(base, f"bench_r{i}") if server else None
                raw.append(run_child("raw", items, file_arg, url))
                print(f"  {dbname} run {i + 1}: pipeline {pipe[-1]['rows'] / pipe[-1]['seconds']:,.0f} rows/s, raw {raw[-1]['rows'] / raw[-1]['seconds']:,.0f} rows/s", file=sys.stderr)
        finally:
            if server:
                server.__exit__(None, None, None)
        p_rate = statistics.median(r["rows"] / r["seconds"] for r in pipe)
        r_rate = statistics.median(r["rows"] / r["seconds"] for r in raw)
        rss = max(r["peak_rss_mb"] for r in pipe)
        accepted = pipe[0]["accepted"]
        runs = ", ".join(f"{r['seconds']:.1f}" for r in pipe)
        print(f"| {dbname} | {p_rate:,.0f} | {r_rate:,.0f} | {p_rate / r_rate:.2f} | {rss:,.0f} MB | {runs} (accepted {accepted:,}) |")


if __name__ == "__main__":
    main()
