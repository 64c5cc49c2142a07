"""Bulk synthetic data for benchmarks: the subjects of a Jilin-sized province (1,000,000 and more),
written straight into the tables with the database's bulk path — not through the ingestion
pipeline, which `bench/ingest.py` measures. Names are built from the demo's tables
(`xinyong/demo/names.py`) and spread over the cities by population, so that a two-character
query such as 通化 matches tens of thousands of subjects at 1,000,000, as it would on the real
platform. Codes are valid (check characters) and nobody's.

    from bench.data import make_subjects, load_subjects
    for s in make_subjects(1000, seed=1): ...          # plain dicts, nothing written
    load_subjects(1_000_000, seed=2014)                 # inside a configured Django process

Same seed, same subjects.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator

KINDS = [  # (kind, USCC prefix, share): the demo province's mix
    ("enterprise", "91", 55),
    ("individual_business", "92", 17),
    ("other_organization", "93", 4),  # 农民专业合作社
    ("public_institution", "12", 5),
    ("social_organization", "51", 5),
    ("individual", "", 14),
]
FORMER_NAME_SHARE = 0.08  # organizations that were renamed once (曾用名)


def _places():
    from xinyong.catalog.registry import get_catalog
    from xinyong.demo import names as N

    regions = get_catalog().regions
    cities = [c for c in N.CITY_WEIGHTS if c != "229900"]
    counties = {c: [r for r in regions.values() if r.parent == c and r.level == "county"] for c in cities}
    return regions, cities, [N.CITY_WEIGHTS[c] for c in cities], counties


def make_subjects(n: int, *, seed: int = 2014) -> Iterator[dict]:
    """n subjects as dicts: kind, name, uscc or id_number, region, status, former_name."""
    from xinyong.demo import codes
    from xinyong.demo import names as N

    rng = random.Random(seed)
    regions, cities, weights, counties = _places()
    kinds = [k for k, _, _ in KINDS]
    prefixes = {k: p for k, p, _ in KINDS}
    kind_weights = [w for _, _, w in KINDS]
    surnames, surname_weights = zip(*N.SURNAMES, strict=True)
    used: set[str] = set()

    def person() -> str:
        return rng.choices(surnames, surname_weights)[0] + rng.choice(N.GIVEN_MALE + N.GIVEN_FEMALE) + (rng.choice(N.GIVEN_MALE + N.GIVEN_FEMALE) if rng.random() < 0.7 else "")

    def trade() -> str:
        return rng.choice(N.TRADE_NAMES) if rng.random() < 0.55 else rng.choice(N.TRADE_FIRST) + rng.choice(N.TRADE_SECOND)

    for _ in range(n):
        kind = rng.choices(kinds, kind_weights)[0]
        city = rng.choices(cities, weights)[0]
        county = rng.choice(counties[city])
        city_name = regions[city].name
        clabel = county.name if county.name.endswith(("县", "市")) else city_name + county.name
        status = ""
        former = ""
        if kind == "individual":
            while True:
                number = codes.make_id_number(rng, region=county.code)
                if number not in used:
                    used.add(number)
                    break
            yield {"kind": kind, "name": person(), "uscc": None, "id_number": number, "region": county.code, "status": "", "former_name": ""}
            continue
        if kind == "enterprise":
            industry = rng.choice(N.INDUSTRIES)[0]
            form = rng.choices([f for f, _ in N.LEGAL_FORMS], [w for _, w in N.LEGAL_FORMS])[0]
            where = rng.choices(["吉林省", regions[city].short, city_name, clabel], [2, 4, 2, 2])[0]
            name = f"{where}{trade()}{industry}{form}"
            if rng.random() < FORMER_NAME_SHARE:
                former = f"{where}{trade()}{industry}{form}"
            status = rng.choices(["存续", "在业", "吊销", "注销"], [88, 5, 3, 4])[0]
        elif kind == "individual_business":
            shop = rng.choice(N.SHOPS)[0]
            style = rng.random()
            owner = person()
            name = f"{clabel}{owner[0]}记{shop}" if style < 0.45 else f"{clabel}{owner}{shop}" if style < 0.75 else f"{clabel}{trade()}{shop}"
            status = rng.choices(["存续", "注销"], [90, 10])[0]
        elif kind == "other_organization":
            product = rng.choices([p for p, _ in N.COOP_PRODUCTS], [w for _, w in N.COOP_PRODUCTS])[0]
            name = f"{clabel}{rng.choice(N.VILLAGES)}{product}{'农民专业合作社' if rng.random() < 0.4 else '专业合作社'}"
            status = rng.choices(["存续", "注销"], [95, 5])[0]
        elif kind == "public_institution":
            pattern = rng.choice(N.INSTITUTIONS)[0]
            name = pattern.format(county=clabel, city=city_name, n=rng.randint(1, 60), street=rng.choice(N.COUNTY_STREETS)[:2], tn=trade())
            status = rng.choices(["正常", "注销"], [97, 3])[0]
        else:
            pattern = rng.choice(N.SOCIAL_ORGS)[0]
            name = pattern.format(place=rng.choice([clabel, city_name, "吉林省"]), trade=rng.choice(N.ASSOCIATION_TRADES), origin=rng.choice(N.ORIGIN_CHAMBERS), hobby=rng.choice(N.HOBBIES), tn=trade())
            status = rng.choices(["正常", "撤销", "注销"], [95, 2, 3])[0]
        while True:
            code = codes.make_uscc(rng, region=county.code, prefix=prefixes[kind])
            if code not in used:
                used.add(code)
                break
        yield {"kind": kind, "name": name, "uscc": code, "id_number": None, "region": county.code, "status": status, "former_name": former}


def load_subjects(n: int, *, seed: int = 2014, chunk: int = 20_000) -> int:
    """Insert n subjects (with their organization codes and former names) in bulk, in the
    current Django database. Returns the number inserted."""
    from django.db import transaction
    from django.utils import timezone

    from xinyong.common import db
    from xinyong.common.crypto import encrypt
    from xinyong.common.masking import mask_id_number
    from xinyong.common.normalize import normalize_name
    from xinyong.subjects import identifiers as ids
    from xinyong.subjects.models import Subject, SubjectIdentifier, SubjectName

    subject_cols = ["id", "public_id", "kind", "uscc", "id_hash", "id_encrypted", "id_masked", "name", "name_key", "region", "status", "legal_rep", "registered_on", "registered", "created_at", "updated_at"]
    stamp = db.db_datetime(timezone.now())
    done = 0
    batch: list[dict] = []

    def flush(rows: list[dict]) -> None:
        with transaction.atomic():
            sids = db.allocate_ids(Subject, len(rows))
            subjects, idents, names = [], [], []
            for sid, s in zip(sids, rows, strict=True):
                person = s["kind"] == "individual"
                number = s["id_number"]
                subjects.append((
                    sid, db.db_uuid(uuid.uuid4()), s["kind"], s["uscc"],
                    ids.id_lookup_hash(number) if person else None, encrypt(number) if person else "", mask_id_number(number) if person else "",
                    s["name"], normalize_name(s["name"])[:200], s["region"], s["status"], "", None, not person, stamp, stamp,
                ))
                if not person:
                    idents.append((sid, "org_code", ids.org_code_from_uscc(s["uscc"]), "bench", stamp))
                    if s["former_name"]:
                        names.append((sid, s["former_name"], normalize_name(s["former_name"])[:200], None, None, "bench"))
                    names.append((sid, s["name"], normalize_name(s["name"])[:200], None, None, "bench"))
            db.insert_rows(Subject, subject_cols, subjects)
            db.insert_rows(SubjectIdentifier, ["subject_id", "scheme", "value", "source", "created_at"], idents, ignore_conflicts=True)
            db.insert_rows(SubjectName, ["subject_id", "name", "name_key", "valid_from", "valid_to", "source"], names)

    for s in make_subjects(n, seed=seed):
        batch.append(s)
        if len(batch) >= chunk:
            flush(batch)
            done += len(batch)
            batch = []
    if batch:
        flush(batch)
        done += len(batch)
    return done


# ---------------------------------------------------------------------------- records
# Records are built from templates: the records of a small demo province (`xinyong demo`, the
# real pipeline with the catalog's rules: fields, publication windows, disclosure classes), each
# one copied onto many generated subjects with its dates moved by the same random number of days.
DATE_COLUMNS = ("decided_on", "valid_from", "valid_until", "publish_from", "publish_until", "repair_from", "report_deadline")
REGISTRATION_ITEM = {"social_organization": "registration.mzt", "public_institution": "registration.bb"}  # others: registration.gsj
HEAVY_SUBJECTS = 200  # organizations with hundreds of records (large groups, chains)
PERSON_SHARE = 0.35  # individuals with records (traffic, court lists, honours); the others have none
DATE_SPREAD_DAYS = 400  # a copy's dates are the template's moved back by 0..this many days


def make_templates(path, *, subjects: int = 3000, seed: int = 2014) -> list[dict]:
    """Record templates from a demo province generated by `xinyong demo` in a temporary folder
    (about 10,000 records for 3,000 subjects, 20 s), cached as JSON at `path`."""
    import json
    import os
    import sqlite3
    import subprocess
    import sys
    import tempfile
    from datetime import date
    from pathlib import Path

    path = Path(path)
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    as_of = date(2026, 1, 1)
    with tempfile.TemporaryDirectory(prefix="xinyong-bench-demo-") as folder:
        env = {**os.environ, "XINYONG_VAR_DIR": folder, "DJANGO_SETTINGS_MODULE": "xinyong.settings.base", "XINYONG_LOG_LEVEL": "WARNING"}
        env.pop("DATABASE_URL", None)
        cli = [sys.executable, "-m", "xinyong"]
        for args in (["migrate", "-v0"], ["catalog", "sync"], ["demo", "--subjects", str(subjects), "--seed", str(seed), "--as-of", as_of.isoformat(), "--no-progress"]):
            subprocess.run(cli + args, env=env, check=True, stdout=subprocess.DEVNULL)
        con = sqlite3.connect(os.path.join(folder, "xinyong.sqlite3"))
        cols = ", ".join(f"r.{c}" for c in DATE_COLUMNS)
        rows = con.execute(
            f"SELECT r.item_code, d.code, s.kind, r.data, r.document_no, r.severity, r.authority_level, r.disclosure,"  # noqa: S608
            f" r.publication_rule, r.status, r.under_objection, r.on_time, {cols}"
            " FROM records_record r JOIN subjects_subject s ON s.id = r.subject_id JOIN catalog_department d ON d.id = r.department_id ORDER BY r.id"
        ).fetchall()
        con.close()
    base = as_of.toordinal()
    out = []
    for item, dept, kind, data, doc, sev, level, disclosure, rule, status, objection, on_time, *dates in rows:
        payload = json.loads(data)
        payload.pop("_enc", None)  # encrypted with the demo's keys: never read by pages
        out.append({
            "item": item, "dept": dept, "kind": kind, "data": payload, "document_no": doc, "severity": sev,
            "authority_level": level, "disclosure": disclosure, "publication_rule": rule, "status": status,
            "under_objection": bool(objection), "on_time": None if on_time is None else bool(on_time),
            # days relative to the demo's reference day
            "dates": [None if d is None else date.fromisoformat(d).toordinal() - base for d in dates],
        })
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    return out


def load_records(n: int, templates: list[dict], *, seed: int = 2014, chunk: int = 50_000, progress=None) -> dict:
    """Insert about n records for the subjects already in the database (`load_subjects`), with
    the database's bulk path, in the current Django database: one registration record per
    organization, then the rest spread over organizations (a long tail, HEAVY_SUBJECTS with
    hundreds each) and over a share of the individuals (court lists, traffic, honours), in random
    subject order, as they would arrive over the years. Returns counts."""
    from datetime import date, timedelta

    import orjson
    from django.db import connection
    from django.utils import timezone

    from xinyong.catalog.models import Department
    from xinyong.catalog.registry import get_catalog
    from xinyong.common import db
    from xinyong.records.models import ChangeEvent, Record
    from xinyong.records.selectors import today

    RECORD_COLUMNS = [  # noqa: N806
        "id", "item_code", "department_id", "subject_id", "batch_id", "row_no", "source_id",
        "content_hash", "document_no", "decided_on", "valid_from", "valid_until", "severity",
        "authority_level", "disclosure", "publish_from", "publish_until", "repair_from",
        "publication_rule", "report_deadline", "on_time", "status", "version", "data",
        "received_at", "updated_at", "under_objection",
    ]
    rng = random.Random(seed)
    catalog = get_catalog()
    depts = dict(Department.objects.values_list("code", "id"))
    usable = [t for t in templates if t["item"] in catalog.items and t["dept"] in depts]
    registration = {k: [t for t in usable if t["item"] == item] for k, item in
                    [("enterprise", "registration.gsj"), ("individual_business", "registration.gsj"), ("other_organization", "registration.gsj"),
                     ("social_organization", REGISTRATION_ITEM["social_organization"]), ("public_institution", REGISTRATION_ITEM["public_institution"])]}
    org_pool = [t for t in usable if t["kind"] != "individual" and not t["item"].startswith("registration.")]
    person_pool = [t for t in usable if t["kind"] == "individual"]
    with connection.cursor() as cur:
        cur.execute("SELECT id, kind, name, uscc, id_masked FROM subjects_subject ORDER BY id")
        subjects = cur.fetchall()
    info = {sid: (kind, name, uscc, masked) for sid, kind, name, uscc, masked in subjects}
    orgs = [sid for sid, kind, *_ in subjects if kind != "individual"]
    people = [sid for sid, kind, *_ in subjects if kind == "individual"]

    # who gets which records: (subject id, template) pairs, shuffled
    pairs: list[tuple[int, int]] = []  # (subject id, index in its pool; -1 - i for registration)
    reg_index = {id(t): i for i, t in enumerate(usable)}
    for sid in orgs:
        pool = registration.get(info[sid][0]) or registration["enterprise"]
        pairs.append((sid, -1 - reg_index[id(rng.choice(pool))]))
    chosen_people = rng.sample(people, int(len(people) * PERSON_SHARE))
    for sid in chosen_people:
        for _ in range(1 + int(rng.expovariate(1.2))):
            pairs.append((sid, -1 - reg_index[id(rng.choice(person_pool))]))
    rest = max(0, n - len(pairs))
    heavy = set(rng.sample(orgs, min(HEAVY_SUBJECTS, len(orgs))))
    heavy_total = 0
    for sid in heavy:  # 150..1,500 records each
        k = int(150 * 10 ** rng.random())
        heavy_total += k
        pairs.extend((sid, rng.randrange(len(org_pool))) for _ in range(k))
    rest = max(0, rest - heavy_total)
    # a long tail: each organization's weight from a Pareto distribution (most have a few
    # records, some dozens)
    weights = [min(rng.paretovariate(1.6), 60.0) for _ in orgs]
    cum, acc = [], 0.0
    for w in weights:
        acc += w
        cum.append(acc)
    for start in range(0, rest, 1_000_000):
        k = min(1_000_000, rest - start)
        pairs.extend((sid, rng.randrange(len(org_pool))) for sid in rng.choices(orgs, cum_weights=cum, k=k))
    rng.shuffle(pairs)

    # bulk load: secondary indexes dropped first and built once at the end (as a restore does)
    vendor = connection.vendor
    name = Record._meta.db_table
    with connection.cursor() as cur:
        if vendor == "sqlite":
            cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL", [name])
        else:
            cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexdef NOT LIKE '%%UNIQUE%%'", [name])
        indexes = cur.fetchall()
        for index, _ in indexes:
            cur.execute(f'DROP INDEX "{index}"')
        if vendor == "sqlite":
            cur.execute("PRAGMA foreign_keys=OFF")
        else:
            cur.execute("SET session_replication_role = replica")  # no FK triggers during the load
    base = today().toordinal()
    stamp = db.db_datetime(timezone.now())
    iso: dict[int, object] = {}

    def day(o):
        v = iso.get(o)
        if v is None:
            v = iso[o] = db.db_date(date.fromordinal(o))
        return v

    dumps = orjson.dumps
    next_id = db.allocate_ids(Record, 1)[0]
    counts = {"records": 0, "public_now": 0, "registration": len(orgs), "people_with_records": len(chosen_people), "heavy_subjects": len(heavy), "heavy_records": heavy_total}
    rows = []
    now_o = today().toordinal()
    for sid, ti in pairs:
        t = usable[-1 - ti] if ti < 0 else org_pool[ti]
        kind, sname, uscc, masked = info[sid]
        data = dict(t["data"])
        roles = catalog.items[t["item"]].roles
        if "subject_name" in roles:
            data[roles["subject_name"]] = sname
        if kind == "individual":
            if "id_number" in roles:
                data[roles["id_number"]] = masked
        elif "uscc" in roles:
            data[roles["uscc"]] = uscc
        shift = base - rng.randrange(DATE_SPREAD_DAYS)
        d = [None if o is None else o + shift for o in t["dates"]]
        if d[0] > now_o:  # never decided in the future
            d = [None if o is None else o - (d[0] - now_o) for o in d]
        if t["disclosure"] == "public" and t["status"] == "active" and d[3] is not None and d[3] <= now_o and (d[4] is None or d[4] >= now_o):
            counts["public_now"] += 1
        rows.append((
            next_id, t["item"], depts[t["dept"]], sid, None, None, f"b{next_id:09d}", "0" * 32, t["document_no"],
            *(None if o is None else day(o) for o in d[:3]), t["severity"], t["authority_level"], t["disclosure"],
            *(None if o is None else day(o) for o in d[3:6]),
            t["publication_rule"], None if d[6] is None else day(d[6]), t["on_time"], t["status"], 1,
            dumps(data).decode(), stamp, stamp, t["under_objection"],
        ))
        next_id += 1
        if len(rows) >= chunk:
            _flush_records(rows, RECORD_COLUMNS)
            counts["records"] += len(rows)
            rows = []
            if progress:
                progress(counts["records"])
    if rows:
        _flush_records(rows, RECORD_COLUMNS)
        counts["records"] += len(rows)
    with connection.cursor() as cur:
        for _, sql in indexes:
            cur.execute(sql)
        if vendor == "sqlite":
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"UPDATE sqlite_sequence SET seq = {next_id - 1} WHERE name = '{name}'")  # noqa: S608
        else:
            cur.execute("SET session_replication_role = DEFAULT")
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {next_id - 1})")  # noqa: S608
    # one change-feed event, so that the portal has a "data as of" time
    ChangeEvent.objects.create(at=timezone.now() - timedelta(hours=1), entity="record", entity_id=next_id - 1, subject_id=pairs[-1][0] if pairs else 0, item_code="", op="ADD")
    return counts


def _flush_records(rows: list[tuple], columns: list[str]) -> None:
    from django.db import transaction

    from xinyong.common import db
    from xinyong.records.models import Record

    with transaction.atomic():
        db.insert_rows(Record, columns, rows)


# ---------------------------------------------------------------------------- same data, other database
COPIED_TABLES = ("subjects_subject", "subjects_subjectidentifier", "subjects_subjectname", "records_record", "records_changeevent")


def copy_from_sqlite(sqlite_path, *, chunk: int = 50_000, progress=None) -> dict:
    """Copy the generated data set (the tables `load_subjects` and `load_records` write) from a
    SQLite database into the current Django database (PostgreSQL, migrated and catalog synced)
    with COPY: the same subjects and records on both databases, in a fraction of the generation
    time. Departments are matched by code; secondary indexes of the records are dropped during
    the copy and built at the end. Returns rows copied per table."""
    import sqlite3

    from django.db import connection

    src = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    dept_code = dict(src.execute("SELECT id, code FROM catalog_department"))
    with connection.cursor() as cur:
        cur.execute("SELECT code, id FROM catalog_department")
        dept_id = dict(cur.fetchall())
    remap = {old: dept_id.get(code) for old, code in dept_code.items()}
    out = {}
    raw = connection.connection
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'records_record' AND indexdef NOT LIKE '%%UNIQUE%%'")
        indexes = cur.fetchall()
        for index, _ in indexes:
            cur.execute(f'DROP INDEX "{index}"')
    for name in COPIED_TABLES:
        src_cols = [r[1] for r in src.execute(f'PRAGMA table_info("{name}")')]
        with connection.cursor() as cur:
            cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s", [name])
            dst_cols = {r[0] for r in cur.fetchall()}
        cols = [c for c in src_cols if c in dst_cols]
        dept_at = cols.index("department_id") if name == "records_record" else -1
        quoted = ", ".join(f'"{c}"' for c in cols)
        n = 0
        rows = src.execute(f'SELECT {quoted} FROM "{name}" ORDER BY rowid')  # noqa: S608
        while True:
            batch = rows.fetchmany(chunk)
            if not batch:
                break
            with raw.cursor() as cur, cur.copy(f'COPY "{name}" ({quoted}) FROM STDIN') as copy:  # noqa: S608
                if dept_at >= 0:
                    for row in batch:
                        row = list(row)
                        row[dept_at] = remap[row[dept_at]]
                        copy.write_row(row)
                else:
                    for row in batch:
                        copy.write_row(row)
            raw.commit() if not raw.autocommit else None
            n += len(batch)
            if progress:
                progress(name, n)
        out[name] = n
        with connection.cursor() as cur:
            if "id" in cols or "seq" in cols:
                key = "id" if "id" in cols else "seq"
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{name}', '{key}'), (SELECT COALESCE(MAX({key}), 1) FROM \"{name}\"))")  # noqa: S608
    with connection.cursor() as cur:
        for _, sql in indexes:
            cur.execute(sql)
        cur.execute("SET session_replication_role = DEFAULT")
    src.close()
    return out


# ---------------------------------------------------------------------------- evaluation data (PostgreSQL)
# The evaluation benchmark (`bench/evaluate.py`) needs Jilin's volume — 3,500,000 subjects and
# 50,000,000 records — of the items the evaluation models read. Built inside PostgreSQL by
# INSERT ... SELECT over generate_series (no row crosses the wire: the database's fastest bulk
# path), pseudo-random by hashing the row number with the seed (same seed, same data). Record
# payloads hold the fields the models read (grades, statuses, fulfilment) and a short text, not
# a full 双公示 row: at 50M rows the full payloads (~1.2 kB each) would not fit the disk budget.

# (item class, share of the generic records in %, share of them on individuals)
EVAL_CLASSES = [
    ("licensing", 36.0, 0.0), ("penalty", 17.0, 0.0), ("commitment", 11.0, 0.0), ("tax_rating", 12.0, 0.0),
    ("env_rating", 1.5, 0.0), ("stats_rating", 1.5, 0.0), ("fire_safety", 1.0, 0.0), ("honour", 3.0, 0.0),
    ("enforcement", 5.0, 0.4), ("dishonest_debtor", 1.2, 0.4), ("ip_infringement", 0.3, 0.0),
    ("research_misconduct", 0.05, 1.0), ("other", 10.45, 0.15),
]
# kinds of the organizations, by share (the rest of the subjects, EVAL_PERSON_SHARE, are individuals)
EVAL_ORG_KINDS = [("enterprise", "91", 64.0), ("individual_business", "92", 20.0), ("other_organization", "93", 5.0),
                  ("public_institution", "12", 5.4), ("social_organization", "51", 5.5), ("credit_service_agency", "91", 0.1)]
EVAL_PERSON_SHARE = 0.14
# list memberships: (list code, share of the kinds' subjects, kinds)
EVAL_LISTS = [
    ("dishonest_debtors", 0.012, ("individual",)), ("dishonest_debtors", 0.005, ("enterprise", "individual_business")),
    ("abnormal_operations", 0.04, ("enterprise", "individual_business", "other_organization")),
    ("serious_violation", 0.003, ("enterprise", "individual_business", "other_organization", "social_organization")),
    ("env_bad", 0.002, ("enterprise",)), ("stats_serious", 0.001, ("enterprise",)),
    ("research_misconduct", 0.0002, ("individual",)), ("tax_a_grade", 0.02, ("enterprise",)),
]


def _u(expr: str, salt: int, seed: int) -> str:
    """SQL: a uniform number in [0, 1) from a hash of `expr` (an integer expression)."""
    return f"((hashint8(({expr})::bigint * 7919 + {salt * 1_000_003 + seed})::bigint & 2147483647)::float8 / 2147483648.0)"


def _pick(u: str, choices: list[tuple[str, float]]) -> str:
    """SQL: a CASE choosing a literal by cumulative weight of `u`."""
    total = sum(w for _, w in choices)
    acc, parts = 0.0, []
    for value, w in choices[:-1]:
        acc += w / total
        parts.append(f"WHEN {u} < {acc:.6f} THEN '{value}'")
    return f"(CASE {' '.join(parts)} ELSE '{choices[-1][0]}' END)"


def _fill_defaults(cur, table: str, given: dict[str, str]) -> tuple[str, str]:
    """(column list, select list) for an INSERT into `table`: the given expressions, and for any
    other NOT NULL column without a database default an empty value of its type."""
    cur.execute("SELECT column_name, data_type, is_nullable, coalesce(column_default, nullif(is_identity, 'NO')) FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position", [table])
    cols, exprs = [], []
    empty = {"boolean": "false", "jsonb": "'[]'::jsonb", "json": "'[]'::json", "integer": "0", "bigint": "0", "smallint": "0",
             "timestamp with time zone": "now()", "date": "CURRENT_DATE", "uuid": "gen_random_uuid()"}
    for name, dtype, nullable, default in cur.fetchall():
        if name in given:
            cols.append(f'"{name}"')
            exprs.append(given[name])
        elif nullable == "NO" and default is None:
            cols.append(f'"{name}"')
            exprs.append(empty.get(dtype, "''"))
    return ", ".join(cols), ", ".join(exprs)


def load_evaluation_data(subjects: int, records: int, *, seed: int = 2014, as_of=None, progress=None) -> dict:
    """Subjects of every kind the models evaluate, their records of the items the models read and
    their list memberships, in the current Django database (PostgreSQL, migrated, catalog
    synced), over the 4 years before `as_of` (default today). Secondary indexes of the records
    are dropped during the load and built at the end. Returns counts."""
    from datetime import date, timedelta

    from django.db import connection
    from django.utils import timezone

    from xinyong.catalog.models import Department
    from xinyong.catalog.registry import get_catalog
    from xinyong.records.models import ChangeEvent

    if connection.vendor != "postgresql":
        raise SystemExit("load_evaluation_data: PostgreSQL only")
    as_of = as_of or date.today()
    say = progress or (lambda *_: None)
    catalog = get_catalog()
    depts = list(Department.objects.values_list("id", "system", "code"))
    dept_of = {}
    for code, item in catalog.items.items():
        dept_of[code] = next((i for i, system, _ in depts if system == item.owner), depts[0][0])
    groups: dict[str, list[str]] = {cls: [] for cls, _, _ in EVAL_CLASSES}
    for code in sorted(catalog.items):
        family = code.split(".")[0]
        if family in ("licensing", "penalty", "commitment", "honour") and "." in code:
            groups[family].append(code)
        elif code in groups:
            groups[code].append(code)
    others = [c for c in sorted(catalog.items) if c.split(".")[0] not in ("licensing", "penalty", "commitment", "honour", "registration")
              and c not in groups and catalog.items[c].nature in ("basic", "warning", "negative", "positive")][:20]
    groups["other"] = others
    counts: dict[str, int] = {}
    n_org = subjects - int(subjects * EVAL_PERSON_SHARE)
    day0 = as_of.toordinal()
    as_of_sql = f"DATE '{as_of.isoformat()}'"
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SET max_parallel_workers_per_gather = 0")  # deterministic, and leaves a core
        # ---- subjects: organizations first (ids 1..n_org), then individuals
        u = lambda salt: f"u{salt}"  # noqa: E731  (columns of the inner query, computed once per row)
        org_kind = _pick(u(1), [(k, w) for k, _, w in EVAL_ORG_KINDS])
        prefix = {k: p for k, p, _ in EVAL_ORG_KINDS}
        regions = [r.code for r in catalog.regions.values() if r.level == "county"]
        region_arr = "(ARRAY[" + ",".join(f"'{r}'" for r in regions) + "])"
        industries = "(ARRAY['A','C','E','F','G','H','I','K','L','M','O','P','Q','R'])"
        cols, exprs = _fill_defaults(cur, "subjects_subject", {
            "id": "g", "public_id": "md5('s' || g)::uuid", "kind": "kind",
            "uscc": "CASE WHEN kind = 'individual' THEN NULL ELSE " + _pick_prefix(prefix) + " || lpad(g::text, 16, '0') END",
            "id_hash": "CASE WHEN kind = 'individual' THEN md5('p' || g) END",
            "id_masked": "CASE WHEN kind = 'individual' THEN '220***********' || lpad((g % 10000)::text, 4, '0') ELSE '' END",
            "name": "'评价基准主体' || g", "name_key": "'评价基准主体' || g",
            "region": f"{region_arr}[1 + floor({u(2)} * {len(regions)})::int]",
            "status": f"CASE WHEN kind = 'individual' THEN '' WHEN kind IN ('social_organization', 'public_institution') THEN {_pick(u(3), [('正常', 95), ('撤销', 2), ('注销', 3)])} ELSE {_pick(u(3), [('存续', 88), ('在业', 5), ('吊销', 3), ('注销', 4)])} END",
            "industry": f"CASE WHEN kind = 'individual' THEN '' ELSE {industries}[1 + floor({u(4)} * 14)::int] END",
            "registered": "kind <> 'individual'", "created_at": "now()", "updated_at": "now()",
        })
        say("subjects")
        us = ", ".join(f"{_u('g', k, seed)} AS u{k}" for k in (1, 2, 3, 4))
        saved = _drop_indexes(cur, "subjects_subject")
        cur.execute(  # OFFSET 0: the inner query is not flattened (each hash computed once)
            f"INSERT INTO subjects_subject ({cols}) SELECT {exprs} FROM (SELECT *, CASE WHEN g <= {n_org} THEN {org_kind} ELSE 'individual' END AS kind"  # noqa: S608
            f" FROM (SELECT g, {us} FROM generate_series(1, {subjects}) AS g OFFSET 0) AS a OFFSET 0) AS s")
        _restore_indexes(cur, "subjects_subject", saved)
        cur.execute(f"SELECT setval(pg_get_serial_sequence('subjects_subject', 'id'), {subjects})")
        counts["subjects"] = subjects
        # ---- records
        saved = _drop_indexes(cur, "records_record")
        # the item slots: 10,000 slots shared out by class share, then evenly over the class's items
        slots = []
        total = sum(s for _, s, _ in EVAL_CLASSES)
        for cls, share, person in EVAL_CLASSES:
            items = groups[cls]
            if not items:
                continue
            k = max(len(items), round(10_000 * share / total))
            for j in range(k):
                slots.append((cls, items[j % len(items)], person))
        cur.execute("CREATE TEMP TABLE bench_slots (n int PRIMARY KEY, cls text, item_code text, dept_id bigint, person float8)")
        cur.executemany("INSERT INTO bench_slots VALUES (%s, %s, %s, %s, %s)", [(i, cls, item, dept_of[item], p) for i, (cls, item, p) in enumerate(slots)])
        n_slots = len(slots)
        cur.execute("SELECT kind, count(*) FROM subjects_subject GROUP BY kind")
        kinds = dict(cur.fetchall())
        registration = sum(v for k, v in kinds.items() if k != "individual")
        assessments = int(kinds.get("social_organization", 0) * 0.4)
        generic = max(0, records - registration - assessments)
        n_person = subjects - n_org

        def record_cols(given: dict[str, str]) -> tuple[str, str]:
            base = {"status": "'active'", "version": "1", "received_at": "now()", "updated_at": "now()", "content_hash": "'00000000000000000000000000000000'",
                    "under_objection": "false", "publication_rule": "'bench'"}
            return _fill_defaults(cur, "records_record", {**base, **given})

        ur = lambda salt: f"u{salt}"  # noqa: E731
        urs = ", ".join(f"{_u('g', k, seed + 1)} AS u{k}" for k in range(10, 23))
        decided = f"({as_of_sql} - floor({ur(12)} * 1460)::int)"
        severity = _pick(ur(13), [("轻微", 10), ("一般", 75), ("严重", 15)])
        level = _pick(ur(14), [("county", 50), ("city", 33), ("province", 14), ("national", 3)])
        data = (
            "jsonb_build_object('document', '基准' || g, "
            "'status', " + _pick(ur(15), [("有效", 90), ("无效", 10)]) + ", "
            "'grade', CASE s.cls WHEN 'tax_rating' THEN " + _pick(ur(16), [("A", 15), ("B", 40), ("M", 25), ("C", 15), ("D", 5)])
            + " WHEN 'env_rating' THEN " + _pick(ur(16), [("环保诚信企业", 10), ("环保良好企业", 70), ("环保警示企业", 15), ("环保不良企业", 5)])
            + " WHEN 'stats_rating' THEN " + _pick(ur(16), [("A", 30), ("B", 50), ("C", 15), ("D", 5)])
            + " WHEN 'fire_safety' THEN " + _pick(ur(16), [("良好", 60), ("一般", 30), ("较差", 8), ("差", 2)])
            + " END, 'fulfilment', " + _pick(ur(17), [("履约中", 30), ("全部履约", 55), ("部分履约", 10), ("未履约", 5)])
            + ", 'case_status', " + _pick(ur(18), [("执行中", 40), ("终结本次执行", 25), ("执行完毕", 30), ("终结执行", 5)]) + ")"
        )
        years = lambda n: f"interval '{n} years'"  # noqa: E731
        cols, exprs = record_cols({
            "id": "g", "item_code": "s.item_code", "department_id": "s.dept_id", "source_id": "'e' || g",
            "subject_id": f"CASE WHEN {ur(11)} < s.person THEN {n_org} + 1 + floor({ur(19)} * {n_person})::bigint ELSE 1 + floor(power({ur(19)}, 1.6) * {n_org})::bigint END",
            "document_no": "'基准〔' || g || '〕号'", "decided_on": "d", "valid_from": "CASE WHEN s.cls = 'licensing' THEN d END",
            "valid_until": f"CASE WHEN s.cls = 'licensing' THEN (d + {years(3)} + floor({ur(20)} * 3)::int * interval '1 year')::date END",
            "severity": f"CASE WHEN s.cls IN ('penalty', 'ip_infringement', 'research_misconduct', 'dishonest_debtor') THEN {severity} ELSE '' END",
            "authority_level": level, "disclosure": _pick(ur(21), [("public", 88), ("authorized", 12)]),
            "publish_from": "d",
            "publish_until": f"CASE WHEN s.cls IN ('penalty', 'ip_infringement') THEN (d + {years(1)} * (1 + 2 * (({ur(13)} >= 0.85)::int)))::date WHEN s.cls = 'dishonest_debtor' THEN (d + {years(3)})::date END",
            "status": _pick(ur(22), [("active", 95), ("repaired", 3), ("withdrawn", 2)]),
            "data": data,
        })
        say("records")
        step = 5_000_000
        for start in range(1, generic + 1, step):
            end = min(generic, start + step - 1)
            cur.execute(
                f"INSERT INTO records_record ({cols}) SELECT {exprs} FROM ("  # noqa: S608
                f" SELECT *, {decided} AS d, floor({ur(10)} * {n_slots})::int AS slot FROM"
                f" (SELECT g, {urs} FROM generate_series({start}, {end}) AS g OFFSET 0) AS a OFFSET 0"
                f") AS x JOIN bench_slots AS s ON s.n = x.slot"
            )
            say("records", end)
        # one registration record per organization, assessments of social organizations
        nxt = generic + 1
        reg_item = "CASE WHEN s.kind = 'social_organization' THEN 'registration.mzt' WHEN s.kind = 'public_institution' THEN 'registration.bb' ELSE 'registration.gsj' END"
        cur.execute("SELECT code, id FROM catalog_department")
        cols, exprs = record_cols({
            "id": f"{nxt} + row_number() OVER (ORDER BY s.id) - 1", "item_code": reg_item,
            "department_id": f"CASE WHEN s.kind = 'social_organization' THEN {dept_of.get('registration.mzt', depts[0][0])} WHEN s.kind = 'public_institution' THEN {dept_of.get('registration.bb', depts[0][0])} ELSE {dept_of['registration.gsj']} END",
            "source_id": "'r' || s.id", "subject_id": "s.id", "decided_on": f"({as_of_sql} - 30 - (s.id % 7000)::int)",
            "authority_level": "'county'", "disclosure": "'public'", "publish_from": f"({as_of_sql} - 30 - (s.id % 7000)::int)",
            "data": "jsonb_build_object('status', s.status, 'name', s.name)",
        })
        cur.execute(f"INSERT INTO records_record ({cols}) SELECT {exprs} FROM subjects_subject AS s WHERE s.kind <> 'individual'")  # noqa: S608
        nxt += registration
        if assessments and "social_org_assessment" in catalog.items:
            cols, exprs = record_cols({
                "id": f"{nxt} + row_number() OVER (ORDER BY s.id) - 1", "item_code": "'social_org_assessment'", "department_id": str(dept_of["social_org_assessment"]),
                "source_id": "'a' || s.id", "subject_id": "s.id", "decided_on": f"({as_of_sql} - (s.id % 1400)::int)",
                "authority_level": _pick(_u("s.id", 30, seed), [("county", 40), ("city", 40), ("province", 20)]), "disclosure": "'public'",
                "publish_from": f"({as_of_sql} - (s.id % 1400)::int)",
                "data": f"jsonb_build_object('grade', {_pick(_u('s.id', 31, seed), [('1A', 5), ('2A', 15), ('3A', 45), ('4A', 25), ('5A', 10)])})",
            })
            cur.execute(f"INSERT INTO records_record ({cols}) SELECT {exprs} FROM subjects_subject AS s WHERE s.kind = 'social_organization' AND {_u('s.id', 32, seed)} < 0.4")  # noqa: S608
        cur.execute("SELECT max(id), count(*) FROM records_record")
        top, counts["records"] = cur.fetchone()
        cur.execute(f"SELECT setval(pg_get_serial_sequence('records_record', 'id'), {top})")
        say("indexes")
        _restore_indexes(cur, "records_record", saved)
        # ---- list memberships
        say("lists")
        n = 0
        for i, (code, share, kinds_) in enumerate(EVAL_LISTS):
            ul = lambda salt, i=i: _u("s.id", 40 + salt + 10 * i, seed)  # noqa: E731
            listed = f"({as_of_sql} - floor({ul(1)} * 1460)::int)"
            cols, exprs = _fill_defaults(cur, "sanctions_listentry", {
                "list_code": f"'{code}'", "subject_id": "s.id", "status": _pick(ul(2), [("listed", 85), ("removed", 15)]),
                "source": "'designation'", "authority_level": "'city'", "listed_on": listed,
                "expires_on": f"CASE WHEN {ul(3)} < 0.5 THEN ({listed} + interval '3 years')::date END",
                "reason": "'基准'", "individual": "s.kind = 'individual'", "created_at": "now()",
            })
            kinds_sql = ", ".join(f"'{k}'" for k in kinds_)
            cur.execute(f"INSERT INTO sanctions_listentry ({cols}) SELECT {exprs} FROM subjects_subject AS s WHERE s.kind IN ({kinds_sql}) AND {ul(0)} < {share}")  # noqa: S608
            n += cur.rowcount
        counts["list_entries"] = n
        say("analyze")
        cur.execute("ANALYZE")
    ChangeEvent.objects.create(at=timezone.now() - timedelta(hours=1), entity="record", entity_id=top, subject_id=1, item_code="", op="ADD")
    counts["as_of_ordinal"] = day0
    return counts


def _drop_indexes(cur, table: str) -> tuple[list, list]:
    """Drop the table's secondary indexes and its unique and foreign-key constraints (as a restore
    does, they are built once at the end); returns what _restore_indexes needs."""
    cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('u', 'f')", [table])
    constraints = cur.fetchall()
    for name, _ in constraints:
        cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    cur.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND i.indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", [table, table])
    indexes = cur.fetchall()
    for name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    return constraints, indexes


def _restore_indexes(cur, table: str, saved: tuple[list, list]) -> None:
    constraints, indexes = saved
    for name, definition in constraints:  # foreign keys NOT VALID: the generator made them right
        cur.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}{" NOT VALID" if definition.startswith("FOREIGN") else ""}')
    for _, sql in indexes:
        cur.execute(sql)


def _pick_prefix(prefix: dict[str, str]) -> str:
    return "(CASE kind " + " ".join(f"WHEN '{k}' THEN '{p}'" for k, p in prefix.items()) + " END)"
