"""Check API benchmark (issue #5, item 7): the joint rewards and punishments check (触发) of the
running server, with an external load generator (wrk), at 1,000,000 subjects, on SQLite and on
PostgreSQL, against a bare Django JSON endpoint (`/bench/bare`) served the same way and measured in
the same run; and one bulk check of 100,000 subjects.

    .venv/bin/python bench/check.py                     # both databases, 3 runs
    .venv/bin/python bench/check.py --db sqlite         # one database
    .venv/bin/python bench/check.py --db postgresql --database-url postgres://…/portal   # a restored copy
    .venv/bin/python bench/check.py --runs 1 --seconds 5                                  # a quick try

The data set is the portal benchmark's (bench/portal.py; cached under
var/bench/portal-<subjects>-<records>-<seed>/, built there when missing): 1,000,000 subjects,
10,000,000 records and the lists derived from them (about 290,000 list entries). Each run adds an
API key of the development and reform commission's system (发改委, the system with the most matters
in the measures catalog) with the check scope, its rate limit raised out of the way.

Requests: each one a real signed request (HMAC over method, path, body digest, timestamp and a
one-time nonce — docs/api.md), signed in advance by this script in the same run (the nonce store
refuses a request sent twice, so every request is unique); a random matter of the department's
remit; the subject a random organization (80 %) or one on a list that triggers measures for that
matter (20 %). The server does what it does in production for each: verify the signature, store
the nonce, the key's rate limit, find the subject, its active list entries and grades, answer, and
write the audit row of the check and the API request log.

The check's floors, measured the same way in the same runs with the same requests
(xinyong/common/bench.py): `/bench/floor/read` runs the check's first statement alone (the data
version, the subject and whether it has list entries or grades); `/bench/floor/write` runs it and
then the writes every check makes before it answers (the nonce, the Check row, the request log
line, through the check's own closing path); both through the check's own path in the
middleware. No signature, no validation, no measures: what a check costs on that database before
any of its own work.

Serving: as bench/portal.py (`xinyong serve --no-worker`: gunicorn, 2 × cores + 1 processes of one
thread). Load: wrk, one thread, at 2 connections (latency without queueing) and 8 (throughput);
the bare endpoint at the same connection counts. Figures: medians over the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import portal  # noqa: E402 — the portal benchmark's data set, server and wrk helpers

from xinyong.common.bench import FLOOR_PATHS  # noqa: E402
from xinyong.security.signing import sign_request  # noqa: E402

LUA = ROOT / "bench" / "check.lua"
CONNECTIONS = (2, 8)
SYSTEM = "FGW"  # 发改委: funding, awards, licensing, tendering, public trading
LISTED_SHARE = 0.2
BULK = 100_000
# the floor of a check on the database served (xinyong/common/bench.py): its first statement
# alone; that and the writes every check makes before answering (nonce, Check row, log line)
FLOORS = dict(zip(("floor_read", "floor_write"), FLOOR_PATHS, strict=True))


# ------------------------------------------------------------------ preparing (child, Django)
def child_prepare(args) -> None:
    import django

    django.setup()
    from django.db import connection

    from xinyong.catalog.models import Department
    from xinyong.measures.loader import get_measures
    from xinyong.security.keys import apikey_create
    from xinyong.security.services import Actor

    catalog = get_measures()
    department = Department.objects.filter(system=SYSTEM, level="province").order_by("code").first()
    if department is None:
        raise SystemExit(f"no department of the system {SYSTEM}")
    matters = [m.code for m in catalog.matters.values() if m.in_remit(department.system)]
    key, token = apikey_create(department=department, name=f"核查基准测试 {time.strftime('%Y%m%d%H%M%S')}", scopes=("check",), actor=Actor.system("基准测试"))
    key.rate_limit = "100000000/m"
    key.save(update_fields=["rate_limit"])
    triggering = sorted({lst for (lst, matter), rules in catalog.by_list.items() if matter in matters and any(department.system in r.departments for r in rules)})
    rng = random.Random(args.seed)
    with connection.cursor() as cur:
        marks = ", ".join(["%s"] * len(triggering))
        cur.execute(
            f"SELECT DISTINCT s.uscc FROM sanctions_listentry e JOIN subjects_subject s ON s.id = e.subject_id "  # noqa: S608
            f"WHERE e.status = 'listed' AND e.list_code IN ({marks}) AND s.uscc IS NOT NULL",
            triggering,
        )
        listed = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT MAX(id) FROM subjects_subject")
        top = cur.fetchone()[0]
        ids = rng.sample(range(1, top + 1), min(top, 250_000))
        orgs: list[str] = []
        for at in range(0, len(ids), 5000):
            part = ids[at : at + 5000]
            cur.execute(f"SELECT uscc FROM subjects_subject WHERE id IN ({', '.join(['%s'] * len(part))}) AND uscc IS NOT NULL", part)  # noqa: S608
            orgs += [r[0] for r in cur.fetchall()]
    out = Path(args.out)
    (out / "codes-random.txt").write_text("\n".join(orgs) + "\n", encoding="utf-8")
    (out / "codes-listed.txt").write_text("\n".join(listed) + "\n", encoding="utf-8")
    print(json.dumps({"token": token, "key_id": key.key_id, "department": department.code, "department_name": department.name,
                      "matters": matters, "lists": triggering, "listed": len(listed), "random": len(orgs)}, ensure_ascii=False))


# ------------------------------------------------------------------ requests (parent)
def signed_requests(path: Path, prep: dict, codes: tuple[list[str], list[str]], count: int, rng: random.Random) -> None:
    """Write `count` signed single-check requests (one per line) for check.lua."""
    orgs, listed = codes
    token = prep["token"]
    now = int(time.time())
    lines = []
    for n in range(count):
        code = rng.choice(listed) if listed and rng.random() < LISTED_SHARE else rng.choice(orgs)
        body = json.dumps({"matter": rng.choice(prep["matters"]), "case_no": f"BENCH-{now}-{n}", "uscc": code}, separators=(",", ":"))
        h = sign_request(token, "POST", "/api/v1/checks", body, timestamp=now)
        lines.append(f"{body}\t{h['X-Xinyong-Timestamp']}\t{h['X-Xinyong-Nonce']}\t{h['X-Xinyong-Signature']}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def wrk_check(url: str, requests_file: Path, key_id: str, connections: int, seconds: int, path: str | None = None) -> dict:
    return portal.wrk(url, [requests_file, key_id, *([path] if path else [])], connections, seconds, script=LUA)


def one_check(url: str, prep: dict, code: str) -> dict:
    body = json.dumps({"matter": prep["matters"][0], "case_no": "BENCH-PROBE", "uscc": code}).encode()
    return post(url, "/api/v1/checks", body, prep["token"])[1]


def post(url: str, path: str, body: bytes, token: str) -> tuple[float, dict]:
    headers = {**sign_request(token, "POST", path, body), "Content-Type": "application/json"}
    req = urllib.request.Request(url + path, data=body, headers=headers, method="POST")  # noqa: S310
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=120) as r:  # noqa: S310
            answer = json.loads(r.read())
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"{path}: HTTP {exc.code}: {exc.read()[:500]!r}") from None
    return time.perf_counter() - t, answer


def measure(url: str, folder: Path, prep: dict, codes, args) -> tuple[dict, list[dict]]:
    rng = random.Random(args.seed)
    bare_paths = folder / "paths-bare.txt"
    bare_paths.write_text("/bench/bare\n", encoding="utf-8")
    reqs = folder / "requests.txt"

    def run_check(c: int, seconds: int) -> dict:
        signed_requests(reqs, prep, codes, max(20_000, seconds * 6_000), rng)
        return wrk_check(url, reqs, prep["key_id"], c, seconds)

    def run_floor(path: str, c: int, seconds: int) -> dict:  # the same requests: the floors ignore the signature
        return wrk_check(url, reqs, prep["key_id"], c, seconds, path=path)

    portal.wrk(url, bare_paths, max(CONNECTIONS), args.warmup)  # warm-up
    run_check(max(CONNECTIONS), args.warmup)
    results: dict = {}
    for run in range(args.runs):
        for c in CONNECTIONS:
            for key in ("bare", "check", *FLOORS):
                r = portal.wrk(url, bare_paths, c, args.seconds) if key == "bare" else run_check(c, args.seconds) if key == "check" else run_floor(FLOORS[key], c, args.seconds)
                results.setdefault((key, c), []).append(r)
                print(f"  run {run + 1} {key} c={c}: {r['rps']:.1f} req/s, p99 {r['raw_p99'] / 1000:.1f} ms (wrk's corrected {r['p99'] / 1000:.1f}), errors {r['status_errors'] + r['socket_errors']} (load {portal.loadavg()})",
                      file=sys.stderr, flush=True)
    bulk = []
    orgs, listed = codes
    for run in range(args.runs):
        pick = random.Random(args.seed + run)
        chosen = pick.sample(listed, min(len(listed), BULK // 5))
        chosen += pick.sample(orgs, min(len(orgs), BULK - len(chosen)))
        chosen = list(dict.fromkeys(chosen))[:BULK]
        body = json.dumps({"matter": prep["matters"][0], "case_no": f"BENCH-BULK-{run}", "uscc": chosen}).encode()
        took, answer = post(url, "/api/v1/checks/bulk", body, prep["token"])
        bulk.append({"seconds": took, "subjects": len(chosen), "bytes": len(body), "answer": answer})
        print(f"  run {run + 1} bulk {len(chosen):,} subjects: {took:.2f} s", file=sys.stderr, flush=True)
    return results, bulk


def report(db: str, prep: dict, results: dict, bulk: list[dict], load_before: str, load_after: str, args, wrk_version: str) -> None:
    print(f"\n## {db}: {args.subjects:,} subjects, {args.records:,} records (the portal benchmark's data set)")
    print(f"department {prep['department']} {prep['department_name']} (system {SYSTEM}), matters {', '.join(prep['matters'])}; "
          f"lists that trigger its measures: {', '.join(prep['lists'])} ({prep['listed']:,} listed organizations); "
          f"requests: {int(LISTED_SHARE * 100)} % listed organizations, the rest random ones of {prep['random']:,}; each request signed, one-time nonce; "
          f"{wrk_version}, 1 thread; {args.runs} run(s) of {args.seconds} s per line after a {args.warmup} s warm-up; medians; "
          f"load average (1, 5, 15 min) before {load_before}, after {load_after}")
    labels = (("bare", "bare JSON (/bench/bare)"), ("check", "single check (POST /api/v1/checks)"),
              ("floor_read", f"floor: lookup only ({FLOORS['floor_read']})"), ("floor_write", f"floor: lookup + closing writes ({FLOORS['floor_write']})"))
    table = portal.print_table([(label, c, results[(key, c)]) for key, label in labels for c in CONNECTIONS])
    med = {(key, c): table[(label, c)] for key, label in labels for c in CONNECTIONS}
    for c in CONNECTIONS:
        bare = med[("bare", c)]["rps"]
        print(f"at {c} connections: check throughput / bare throughput {med[('check', c)]['rps'] / bare:.3f} (target ≥ 0.4), "
              f"check p99 {med[('check', c)]['raw_p99'] / 1000:.1f} ms (target ≤ 10 ms; wrk's corrected {med[('check', c)]['p99'] / 1000:.1f} ms); "
              f"floors / bare: lookup only {med[('floor_read', c)]['rps'] / bare:.3f}, lookup + closing writes {med[('floor_write', c)]['rps'] / bare:.3f}")
    secs = statistics.median(b["seconds"] for b in bulk)
    hits = bulk[0]["answer"]["with_measures"]
    each = ", ".join(f"{b['seconds']:.2f}" for b in bulk)
    print(f"bulk check (POST /api/v1/checks/bulk, JSON, {bulk[0]['subjects']:,} subjects, {bulk[0]['bytes'] / 1e6:.1f} MB): "
          f"median {secs:.2f} s over {len(bulk)} run(s) ({each}), "
          f"{hits:,} subjects with measures in the answer (target ≤ 5 s)")


def run_db(db: str, args, wrk_version: str) -> None:
    folder = portal.cache_dir(args)
    var_dir = folder / "var"
    server = None
    try:
        if db == "sqlite":
            if not (folder / "build-sqlite.json").exists():
                portal.run_db("sqlite", argparse.Namespace(**{**vars(args), "build_only": True, "fresh": False}), wrk_version)
            env = portal.child_env(var_dir, f"sqlite:///{var_dir / 'xinyong.sqlite3'}")
        else:
            from pgserver import create_database, postgres_server, restore_dump, vacuum_analyze

            if args.database_url:
                url = args.database_url
            else:
                dump = folder / "portal.pgdump"
                if not dump.exists():
                    raise SystemExit(f"{dump} missing: run bench/portal.py --db postgresql --build-only first")
                server = postgres_server()
                url = create_database(server.__enter__(), "portal")
                print(f"  restored in {restore_dump(url, dump):.0f} s", file=sys.stderr)
                vacuum_analyze(url)
            env = portal.child_env(var_dir, url)
        portal.xinyong(env, "migrate", "-v0")
        work = folder / f"check-{db}"
        work.mkdir(exist_ok=True)
        out = subprocess.run([sys.executable, __file__, "--child", "prepare", "--out", str(work), "--seed", str(args.seed)], env=env, check=True, text=True, stdout=subprocess.PIPE)
        prep = json.loads(out.stdout.strip().splitlines()[-1])
        codes = ((work / "codes-random.txt").read_text(encoding="utf-8").split(), (work / "codes-listed.txt").read_text(encoding="utf-8").split())
        proc, url_base = portal.serve(env)
        try:
            probe = one_check(url_base, prep, codes[1][0])  # a listed organization: measures with reasons
            if probe.get("clean"):
                print(f"  warning: the probe of a listed organization came back clean: {probe.get('conclusion')}", file=sys.stderr)
            load_before = portal.loadavg()
            results, bulk = measure(url_base, work, prep, codes, args)
            load_after = portal.loadavg()
        finally:
            portal.stop(proc)
        report(db, prep, results, bulk, load_before, load_after, args, wrk_version)
    finally:
        if server is not None:
            server.__exit__(None, None, None)


def main() -> None:
    parser = portal.load_arguments(__doc__)
    args = parser.parse_args()
    if args.child == "prepare":
        child_prepare(args)
        return
    dbs = [{"postgres": "postgresql", "both": "sqlite,postgresql"}.get(d, d) for d in args.db.split(",")]
    dbs = [d for x in dbs for d in x.split(",")]
    wrk_version = portal.ensure_wrk()
    from xinyong.common.management.commands.serve import default_workers

    print(f"# check API benchmark: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"server: xinyong serve (gunicorn, {default_workers()} workers × 1 thread), no background worker")
    for db in dbs:
        run_db(db, args, wrk_version)


if __name__ == "__main__":
    main()
