"""Portal benchmark (issue #3): search and credit file pages of the running server, with an external
load generator (wrk), at 1,000,000 subjects and 10,000,000 records, on SQLite and on PostgreSQL,
against a bare Django JSON endpoint (`/bench/bare`) served the same way and measured in the same run.

    .venv/bin/python bench/portal.py                           # both databases, full size, 3 runs
    .venv/bin/python bench/portal.py --db sqlite               # one database
    .venv/bin/python bench/portal.py --db sqlite --build-only  # only generate (and cache) the data set
    .venv/bin/python bench/portal.py --subjects 20000 --records 200000 --runs 1 --seconds 5   # a quick try

The data set (`bench/data.py`: subjects, then records copied from the demo province's records
onto them, written with the database's bulk path; then `xinyong search rebuild` and `xinyong lists
rebuild`) is cached under var/bench/portal-<subjects>-<records>-<seed>/: the SQLite database
itself and a pg_dump (custom format) of the PostgreSQL one, with the keys they were encrypted
with. Later runs reuse it (restore on PostgreSQL); --fresh builds it again.

Serving: `xinyong serve --no-worker` (gunicorn with its defaults: 2 × cores + 1 processes of one thread, as in production, without
the background job process), with the rate limits raised out of the way and XINYONG_BENCH_ENDPOINTS=1.
Load: wrk (Debian's; installed with apt-get when missing), one thread, each request a random path
of a list (bench/portal.lua): the bare endpoint, searches (two-character fragments such as 通化 and
长春, longer names and parts of names, USCCs, names that match nothing), credit files of random
subjects (heavy ones and published individuals among them). Each endpoint is measured at 2
connections (one request in flight per server process: latency without queueing) and at 8
(every server thread busy: throughput), after a warm-up; the figures printed are medians over
the runs, with each run's requests per second.

Latency percentiles are each request's own (wrk's histogram with its coordinated-omission
correction undone, bench/portal.lua; they match the server's own timing of the same requests);
wrk's corrected figures are printed beside them: they add, for every response slower than twice
the mean interval, the waits a constant-rate client would have had — a model of open arrivals
at the measured rate, which these closed-loop runs are not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

LUA = ROOT / "bench" / "portal.lua"
CONNECTIONS = (2, 8)  # latency (one request per server process), throughput (every thread busy)
# (paths, label, connections); the heaviest files alone: reported, not part of a target
ENDPOINTS = [
    ("bare", "bare JSON (/bench/bare)", CONNECTIONS),
    ("search", "search (/search/?q=)", CONNECTIONS),
    ("file", "credit file (/subjects/…/)", CONNECTIONS),
    ("heavy", "credit file, heaviest subjects only", CONNECTIONS[:1]),
]
# search mix: (share, kind)
TWO_CHAR = ["通化", "长春", "吉林", "松原", "延边", "白山", "四平", "辽源", "白城", "梅河", "华信", "宏达", "恒通", "商贸", "科技", "王伟", "张敏", "鹿鸣", "医药", "合作"]
NOT_FOUND = ["量子计算", "火星贸易有限公司", "深海捕鲸", "北极熊乳业", "宇宙飞船制造", "喜马拉雅冲浪俱乐部", "银河系物流", "恐龙化石贸易"]


def cache_dir(args) -> Path:
    return ROOT / "var" / "bench" / f"portal-{args.subjects}-{args.records}-{args.seed}"


def child_env(var_dir: Path, database_url: str | None) -> dict:
    env = {**os.environ, "XINYONG_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "xinyong.settings.base", "XINYONG_LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def xinyong(env: dict, *args: str, capture: bool = False) -> str:
    proc = subprocess.run([sys.executable, "-m", "xinyong", *args], env=env, check=True, text=True, stdout=subprocess.PIPE if capture else subprocess.DEVNULL)
    return proc.stdout or ""


# ------------------------------------------------------------------ building the data set (child)
def child_build(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from bench.data import load_records, load_subjects, make_templates
    from xinyong.catalog.services import catalog_sync

    call_command("migrate", verbosity=0)
    catalog_sync()
    times = {}
    t = time.perf_counter()
    templates = make_templates(ROOT / "var" / "bench" / f"record-templates-{args.seed}.json", seed=args.seed)
    times["templates_s"] = time.perf_counter() - t
    t = time.perf_counter()
    load_subjects(args.subjects, seed=args.seed)
    times["subjects_s"] = time.perf_counter() - t
    t = time.perf_counter()

    def progress(n):
        print(f"  records: {n:,} ({time.perf_counter() - t:.0f} s)", file=sys.stderr, flush=True)

    counts = load_records(args.records, templates, seed=args.seed, progress=progress)
    times["records_s"] = time.perf_counter() - t
    print(json.dumps({"times": times, "counts": counts, "templates": len(templates)}))


def child_copy(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from bench.data import copy_from_sqlite
    from xinyong.catalog.services import catalog_sync

    call_command("migrate", verbosity=0)
    catalog_sync()
    t = time.perf_counter()

    def progress(table, n):
        if n % 1_000_000 == 0:
            print(f"  {table}: {n:,} ({time.perf_counter() - t:.0f} s)", file=sys.stderr, flush=True)

    copied = copy_from_sqlite(args.out, progress=progress)
    print(json.dumps({"copied": copied, "copy_s": time.perf_counter() - t}))


def build(db: str, args, env: dict, *, copy_from: Path | None = None) -> dict:
    """Generate the data set into the (empty) database of env — or copy it from the SQLite data
    set already built — then build the search index and the lists with their own commands."""
    started = time.perf_counter()
    folder = cache_dir(args)
    if copy_from is not None:
        out = subprocess.run([sys.executable, __file__, "--child", "copy", "--out", str(copy_from)], env=env, check=True, text=True, stdout=subprocess.PIPE)
        copied = json.loads(out.stdout.strip().splitlines()[-1])
        done = folder / "build-sqlite.json"  # the same counts (written when the SQLite build ends)
        sqlite_info = json.loads((done if done.exists() else folder / "records-sqlite.json").read_text(encoding="utf-8"))
        info = {"counts": sqlite_info["counts"], "times": {**sqlite_info["times"], "copy_s": copied["copy_s"]}, "copied_from_sqlite": True}
    else:
        out = subprocess.run([sys.executable, __file__, "--child", "build", "--subjects", str(args.subjects), "--records", str(args.records), "--seed", str(args.seed)],
                             env=env, check=True, text=True, stdout=subprocess.PIPE)
        info = json.loads(out.stdout.strip().splitlines()[-1])
        if db == "sqlite":  # subjects and records complete: PostgreSQL may copy them from here
            (folder / "records-sqlite.json").write_text(json.dumps(info), encoding="utf-8")
    t = time.perf_counter()
    xinyong(env, "migrate", "-v0")  # other work may have added migrations meanwhile
    info["search"] = json.loads(xinyong(env, "search", "rebuild", "--json", capture=True))
    info["times"]["search_rebuild_s"] = time.perf_counter() - t
    t = time.perf_counter()
    info["lists"] = json.loads(xinyong(env, "lists", "rebuild", "--json", capture=True))
    info["times"]["lists_rebuild_s"] = time.perf_counter() - t
    info["times"]["total_s"] = time.perf_counter() - started
    info["db"] = db
    return info


# ------------------------------------------------------------------ paths to request (child)
def child_sample(args) -> None:
    """Write the search and credit-file paths of this data set (random, fixed seed)."""
    import django

    django.setup()
    from django.db import connection

    rng = random.Random(args.seed)
    with connection.cursor() as cur:
        cur.execute("SELECT MAX(id) FROM subjects_subject")
        top = cur.fetchone()[0]
        ids = rng.sample(range(1, top + 1), min(top, 4000))
        marks = ", ".join(["%s"] * len(ids))
        cur.execute(f"SELECT id, kind, name, uscc FROM subjects_subject WHERE id IN ({marks}) AND kind <> 'individual'", ids)  # noqa: S608
        orgs = cur.fetchall()
        # the heaviest files: the subjects with the most records
        cur.execute("SELECT subject_id, COUNT(*) FROM records_record GROUP BY subject_id ORDER BY COUNT(*) DESC LIMIT 100")
        heavy = cur.fetchall()
        cur.execute(f"SELECT id, uscc FROM subjects_subject WHERE id IN ({', '.join(str(h[0]) for h in heavy)}) AND uscc IS NOT NULL")  # noqa: S608
        code_of = dict(cur.fetchall())
        heavy = [h for h in heavy if h[0] in code_of]  # organizations, heaviest first
        heavy_codes = [code_of[h[0]] for h in heavy]
        cur.execute("SELECT public_id FROM search_searchentry WHERE kind = 'individual' ORDER BY subject_id LIMIT 5000")
        people = [str(r[0]) for r in cur.fetchall()]
    people = [p if "-" in p else f"{p[:8]}-{p[8:12]}-{p[12:16]}-{p[16:20]}-{p[20:]}" for p in people]  # SQLite stores hex
    # random organizations, some of the heaviest files, published individuals (court lists)
    heavy_paths = [f"/subjects/{c}/" for c in heavy_codes[:50]]
    files = [f"/subjects/{uscc}/" for _, _, _, uscc in orgs[:940]]
    files += heavy_paths[:20]
    files += [f"/subjects/p/{p}/" for p in rng.sample(people, min(40, len(people)))]
    rng.shuffle(files)

    def search(q: str, page: int = 1) -> str:
        return f"/search/?q={quote(q)}" + (f"&page={page}" if page > 1 else "")

    queries = []
    for i in range(400):  # two characters
        queries.append(search(TWO_CHAR[i % len(TWO_CHAR)], page=1 if i % 10 else 2))
    for _, _, name, _ in orgs[:150]:  # whole names
        queries.append(search(name))
    for _, _, name, _ in orgs[150:250]:  # parts of names, 3 to 6 characters
        n = rng.randint(3, min(6, len(name)))
        at = rng.randrange(0, len(name) - n + 1)
        queries.append(search(name[at : at + n]))
    for _, _, _, uscc in orgs[250:450]:  # codes
        queries.append(search(uscc))
    for i in range(150):  # nothing found
        queries.append(search(NOT_FOUND[i % len(NOT_FOUND)]))
    rng.shuffle(queries)
    out = Path(args.out)
    (out / "paths-file.txt").write_text("\n".join(files) + "\n", encoding="utf-8")
    (out / "paths-search.txt").write_text("\n".join(queries) + "\n", encoding="utf-8")
    (out / "paths-heavy.txt").write_text("\n".join(heavy_paths) + "\n", encoding="utf-8")
    (out / "paths-bare.txt").write_text("/bench/bare\n", encoding="utf-8")
    print(json.dumps({"files": len(files), "heavy": min(20, len(heavy_paths)), "heavy_list": len(heavy_paths), "heaviest_records": heavy[0][1] if heavy else 0,
                      "heavy_least": heavy[min(49, len(heavy) - 1)][1] if heavy else 0, "people": min(40, len(people)), "queries": len(queries)}))


# ------------------------------------------------------------------ serving and measuring
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(env: dict):
    port = free_port()
    env = {**env, "XINYONG_BENCH_ENDPOINTS": "1", "XINYONG_RATE_SEARCH": "100000000/m", "XINYONG_RATE_FILE": "100000000/m"}
    proc = subprocess.Popen([sys.executable, "-m", "xinyong", "serve", "--port", str(port), "--no-worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            with urllib.request.urlopen(url + "/bench/bare", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the server did not start")


def stop(proc) -> None:
    proc.terminate()  # xinyong serve stops gunicorn
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def wrk(url: str, paths: Path | list, connections: int, seconds: int, *, script: Path = LUA) -> dict:
    """One wrk run of `script` (its arguments after `--`: the paths file, or a list); the summary
    line of bench/wrk_summary.lua, with req/s. Used by bench/check.py too."""
    args = [str(a) for a in (paths if isinstance(paths, list) else [paths])]
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url, "--", *args]
    out = subprocess.run(cmd, check=True, text=True, stdout=subprocess.PIPE, env={**os.environ, "WRK_CONNECTIONS": str(connections)}).stdout
    line = [x for x in out.splitlines() if x.startswith("{")][-1]
    r = json.loads(line)
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


def ensure_wrk() -> str:
    if not shutil.which("wrk"):
        print("installing wrk (apt-get install -y wrk)", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, stdout=subprocess.DEVNULL)
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update"], check=False, stdout=subprocess.DEVNULL)
            subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run(["wrk", "-v"], text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False).stdout
    return out.split("[")[0].strip()


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure(url: str, folder: Path, args) -> dict:
    """{(endpoint, connections): [run results]}"""
    for key, _, conns in ENDPOINTS:  # warm-up: caches, connections, the operating system's page cache
        wrk(url, folder / f"paths-{key}.txt", max(conns), args.warmup)
    results: dict = {}
    for run in range(args.runs):
        for key, _, conns in ENDPOINTS:
            for c in conns:
                r = wrk(url, folder / f"paths-{key}.txt", c, args.seconds)
                results.setdefault((key, c), []).append(r)
                print(f"  run {run + 1} {key} c={c}: {r['rps']:.1f} req/s, p95 {r['raw_p95'] / 1000:.1f} ms (wrk's corrected {r['p95'] / 1000:.1f}) (load {loadavg()})", file=sys.stderr, flush=True)
    return results


def report(db: str, info: dict, sample: dict, results: dict, load_before: str, load_after: str, args, wrk_version: str) -> None:
    c = info["counts"]
    t = info["times"]
    print(f"\n## {db}: {args.subjects:,} subjects, {c['records']:,} records")
    print(f"data set: {c['records']:,} records ({c['public_now']:,} public today), {c['registration']:,} registration records, "
          f"{c['people_with_records']:,} individuals with records, {c['heavy_subjects']} heavy subjects with {c['heavy_records']:,} records "
          f"(heaviest file: {sample['heaviest_records']:,} records); search index: {info['search']['organizations']:,} organizations, "
          f"{info['search']['individuals']:,} published individuals, {info['search']['postings']:,} postings; "
          f"lists: {info['lists'].get('listed', 0):,} derived entries")
    made = (f"copied from the SQLite data set with COPY {t['copy_s']:.0f} s" if info.get("copied_from_sqlite")
            else f"subjects {t['subjects_s']:.0f} s, records {t['records_s']:.0f} s" if "subjects_s" in t
            else f"subjects and records with their indexes {t['subjects_and_records_s']:.0f} s")
    print(f"build: {made}, search rebuild {t['search_rebuild_s']:.0f} s, lists rebuild {t['lists_rebuild_s']:.0f} s, total {t['total_s'] / 60:.1f} min"
          + (f"; restored from the cache (pg_restore) in {info['restore_s']:.0f} s" if info.get("restore_s") else ""))
    print(f"requests: {sample['files']} credit-file paths ({sample['heavy']} of the heaviest, {sample['people']} published individuals), {sample['queries']} search paths; "
          f"heaviest subjects only: the {sample['heavy_list']} files with the most records ({sample['heavy_least']:,} to {sample['heaviest_records']:,}); "
          f"{wrk_version}, 1 thread; {args.runs} run(s) of {args.seconds} s per line after a {args.warmup} s warm-up per endpoint; medians; "
          f"load average (1, 5, 15 min) before {load_before}, after {load_after}")
    med = print_table([(label, conn, results[(key, conn)]) for key, label, conns in ENDPOINTS for conn in conns])
    med = {(key, conn): med[(label, conn)] for key, label, conns in ENDPOINTS for conn in conns}
    top = max(CONNECTIONS)
    low = min(CONNECTIONS)
    ratio = med[("file", top)]["rps"] / med[("bare", top)]["rps"]
    print(f"credit-file throughput / bare endpoint throughput ({top} connections): {ratio:.3f} (target ≥ 0.05); "
          f"search p95 at {low} connections: {med[('search', low)]['raw_p95'] / 1000:.1f} ms, "
          f"credit file p95: {med[('file', low)]['raw_p95'] / 1000:.1f} ms (targets ≤ 50 ms); "
          f"with wrk's coordinated-omission correction: {med[('search', low)]['p95'] / 1000:.1f} ms and {med[('file', low)]['p95'] / 1000:.1f} ms")


def print_table(lines: list[tuple[str, int, list[dict]]]) -> dict:
    """The table of wrk runs (label, connections, runs): medians of the runs, each request's own
    latency percentiles and wrk's corrected ones beside them; {(label, connections): medians}."""
    print("| endpoint | connections | req/s | p50 ms | p95 ms | p99 ms | wrk's corrected p50 / p95 / p99 ms | errors | runs (req/s) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    med = {}
    for label, conn, rs in lines:
        m = {f: statistics.median(r[f] for r in rs) for f in ("rps", "raw_p50", "raw_p95", "raw_p99", "p50", "p95", "p99")}
        med[(label, conn)] = m
        errors = sum(r["status_errors"] + r["socket_errors"] for r in rs)
        runs = ", ".join(f"{r['rps']:.0f}" for r in rs)
        print(f"| {label} | {conn} | {m['rps']:,.1f} | {m['raw_p50'] / 1000:.1f} | {m['raw_p95'] / 1000:.1f} | {m['raw_p99'] / 1000:.1f} | "
              f"{m['p50'] / 1000:.1f} / {m['p95'] / 1000:.1f} / {m['p99'] / 1000:.1f} | {errors} | {runs} |")
    return med


def run_db(db: str, args, wrk_version: str) -> None:
    folder = cache_dir(args)
    var_dir = folder / "var"
    var_dir.mkdir(parents=True, exist_ok=True)
    info_path = folder / f"build-{db}.json"
    server = None
    try:
        if db == "sqlite":
            sqlite_file = var_dir / "xinyong.sqlite3"
            env = child_env(var_dir, f"sqlite:///{sqlite_file}")
            if not args.fresh and not info_path.exists() and sqlite_file.exists():
                raise SystemExit(f"{sqlite_file} exists but its build did not finish ({info_path.name} missing): --fresh builds it again")
            if args.fresh or not info_path.exists():
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
                info = build(db, args, env)
                info_path.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
            info = json.loads(info_path.read_text(encoding="utf-8"))
        else:
            from pgserver import (
                _bin,
                create_database,
                postgres_server,
                restore_dump,
                vacuum_analyze,
            )

            dump = folder / "portal.pgdump"
            if args.database_url:  # a database already holding this data set (e.g. a build's server still running)
                url = args.database_url
            else:
                server = postgres_server()
                base = server.__enter__()
                url = create_database(base, "portal")
            env = child_env(var_dir, url)
            if args.database_url:
                info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.exists() else json.loads((folder / "build-sqlite.json").read_text(encoding="utf-8"))
                info.setdefault("counts", {})
            elif args.fresh or not info_path.exists() or not dump.exists():
                sqlite_file = var_dir / "xinyong.sqlite3"
                # the same data set as on SQLite when it is built (copied with COPY), else generated
                same = sqlite_file.exists() and (folder / "records-sqlite.json").exists() and not args.fresh
                info = build(db, args, env, copy_from=sqlite_file if same else None)
                t = time.perf_counter()
                subprocess.run([_bin("pg_dump"), "-Fc", "-f", str(dump), url], check=True)
                info["times"]["dump_s"] = time.perf_counter() - t
                info_path.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
                info = json.loads(info_path.read_text(encoding="utf-8"))
            else:
                info = json.loads(info_path.read_text(encoding="utf-8"))
                info["restore_s"] = restore_dump(url, dump)
            if not args.database_url:
                vacuum_analyze(url)
        xinyong(env, "migrate", "-v0")  # the schema may have moved on since the data set was cached
        if args.build_only:
            t = info["times"]
            print(f"{db}: data set ready in {folder} ({info['counts']['records']:,} records; build {t['total_s'] / 60:.1f} min)")
            return
        sample_dir = folder / f"paths-{db}"
        sample_dir.mkdir(exist_ok=True)
        out = subprocess.run([sys.executable, __file__, "--child", "sample", "--out", str(sample_dir), "--seed", str(args.seed)], env=env, check=True, text=True, stdout=subprocess.PIPE)
        sample = json.loads(out.stdout.strip().splitlines()[-1])
        proc, url_base = serve(env)
        try:
            load_before = loadavg()
            results = measure(url_base, sample_dir, args)
            load_after = loadavg()
        finally:
            stop(proc)
        report(db, info, sample, results, load_before, load_after, args, wrk_version)
    finally:
        if server is not None:
            server.__exit__(None, None, None)


def load_arguments(doc: str) -> argparse.ArgumentParser:
    """The options every benchmark on the portal data set takes (bench/check.py too)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql, or both (comma separated)")
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=2014)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15, help="length of each measured wrk run")
    parser.add_argument("--warmup", type=int, default=10, help="warm-up per endpoint, seconds")
    parser.add_argument("--database-url", help="PostgreSQL: measure this database, already holding the data set, as it is")
    parser.add_argument("--child")
    parser.add_argument("--out")
    return parser


def main() -> None:
    parser = load_arguments(__doc__)
    parser.add_argument("--fresh", action="store_true", help="build the data set again even when cached")
    parser.add_argument("--reuse", action="store_true", help="(the default) use the cached data set when there is one")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    if args.child == "build":
        child_build(args)
        return
    if args.child == "copy":
        child_copy(args)
        return
    if args.child == "sample":
        child_sample(args)
        return
    dbs = [{"postgres": "postgresql", "both": "sqlite,postgresql"}.get(d, d) for d in args.db.split(",")]
    dbs = [d for x in dbs for d in x.split(",")]
    wrk_version = ensure_wrk() if not args.build_only else ""
    from xinyong.common.management.commands.serve import default_workers

    print(f"# portal benchmark: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"server: xinyong serve (gunicorn, {default_workers()} workers × 1 thread), rate limits raised, no background worker")
    for db in dbs:
        run_db(db, args, wrk_version)


if __name__ == "__main__":
    main()
