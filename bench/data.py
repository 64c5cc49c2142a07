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
