"""The demo province (演示数据): a realistic, reproducible Jilin data set, loaded through the one
ingestion pipeline exactly as departments send their data.

    plan = demo_generate(subjects=5000, seed=2014, as_of=date(2026, 11, 30), out_dir=path)
    result = demo_load(plan, users=demo_users_ensure())

`demo_generate` writes the feed files (CSV UTF-8, CSV GBK, XLSX, JSON, NDJSON) of every
department system into `out_dir`: registrations first, then licences, penalties, ratings,
honours, commitments, court records, the individuals' records, and at the end a correction
(更正) and a withdrawal (撤销) batch. The same seed and as-of date give byte-identical files.
Each feed carries a few bad rows (wrong check digit, future or impossible date, missing
required field, duplicate row, over-long value, an organization named without any code) whose
expected rejection reasons the plan records, and a few rows naming their subject only by an old
registration number that is not yet mapped to a USCC: those go to the review queue.

`demo_load` submits every file with `batch_submit(door="demo")`; nothing here writes records or
subjects by any other path. The demo accounts (`demo_users_ensure`) and the API key
(`demo_api_key`, through `xinyong.security.keys`) are the only other writes.

Subjects are spread over the 9 cities/prefectures by population, plus 长白山保护开发区 (229900),
which has no GB/T 2260 code: its subjects' USCCs and ID numbers carry the codes of the counties
its three areas lie in (池北区 222426 安图县, 池西区 220621 抚松县, 池南区 220623 长白县), while
its own departments (229900-GSJ...) submit. County bureaus with only a few records of an item
hand them to their city bureau, city bureaus with one or two to the provincial department
(`rehome_small_feeds`), so that the demo is not 2,000 one-row batches.

Randomness comes only from `random.Random(seed)`; dates count back from `as_of`.
"""

from __future__ import annotations

import csv
import io
import json
import random
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from xinyong.catalog.registry import Catalog, Department, Item, add_months, get_catalog

from . import names as N
from .codes import gov_uscc, make_person_id, make_reg_no, make_uscc, spoil_check_digit

FORMULA = "=cmd|' /C calc'!A0"
DEMO_PASSWORD = "Xinyong-demo-2026"  # noqa: S105 — the published password of the demo accounts
# (username, department code or None for the credit centre admin, what the account is for)
DEMO_USERS = [
    ("admin", None, "信用中心管理员（超级用户，可进入 /admin/）"),
    ("changchun-gsj", "220100-GSJ", "长春市市场监督管理局 报送员"),
    ("jilin-hbt", "220200-HBT", "吉林市生态环境局 报送员"),
    ("sheng-fy", "220000-FY", "吉林省高级人民法院 报送员"),
    ("yanbian-sw", "222400-SW", "国家税务总局延边朝鲜族自治州税务局 报送员"),
]
API_KEY_DEPARTMENT = "220100-GSJ"
API_KEY_NAME = "行政处罚案件办理系统（演示）"
MIN_SUBJECTS = 100

KIND_SHARES = [  # share of the subjects by kind
    ("enterprise", 0.55),
    ("individual_business", 0.17),
    ("cooperative", 0.04),
    ("public_institution", 0.05),
    ("social_organization", 0.05),
    ("individual", 0.14),
]
CATEGORY = {"individual_business": "个体工商户", "individual": "自然人"}  # others: 法人及非法人组织
ORG_KINDS = {"enterprise", "individual_business", "cooperative", "public_institution", "social_organization"}
KIND_OF = {"cooperative": "other_organization"}  # subject kind the platform gives the USCC prefix 93
SEVERITY_MIX = [("轻微", 2), ("一般", 15), ("严重", 3)]  # 10% / 75% / 15%
TAX_GRADES = [("A", 15), ("B", 55), ("M", 20), ("C", 7), ("D", 3)]

# how each item's files are sent: (format, encoding). Everything else: CSV in UTF-8.
FORMATS = {
    "registration.gsj": ("csv", "utf-8-sig"),  # exported from Excel: UTF-8 with BOM
    "registration.mzt": ("xlsx", ""),
    "registration.bb": ("xlsx", ""),
    "tax_rating": ("csv", "gbk"),  # the tax system's old export
    "penalty.ajj": ("csv", "gbk"),
    "penalty.xf": ("xlsx", ""),
    "licensing.wsj": ("xlsx", ""),
    "fire_safety": ("xlsx", ""),
    "social_org_assessment": ("xlsx", ""),
    "licensing.jtt": ("json", ""),  # department systems' nightly JSON
    "penalty.jtt": ("json", ""),
    "enforcement": ("json", ""),
    "stats_rating": ("json", ""),
    "traffic_violation": ("ndjson", ""),
    "dishonest_debtor": ("ndjson", ""),
    "env_rating": ("ndjson", ""),
}
FAMILY_FORMATS = {"honour": ("csv", "utf-8-sig")}  # lists typed up in Excel, saved as CSV
EXT = {"csv": "csv", "xlsx": "xlsx", "json": "json", "ndjson": "ndjson"}
BAD_KINDS = ["check_digit", "future_date", "impossible_date", "missing_required", "duplicate", "overlong"]
STAGES = {
    "registration": 0,
    "rename": 1,
    "licensing": 2,
    "penalty": 3,
    "rating": 4,
    "honour": 5,
    "commitment": 6,
    "court": 7,
    "person": 8,
    "other": 9,
    "correct": 10,
    "withdraw": 11,
}


# ---------------------------------------------------------------------------- the plan
@dataclass
class Person:
    name: str
    male: bool
    id_number: str
    county: str
    city: str
    birth: date
    role: str = ""  # driver, teacher, researcher, debtor...

    kind = "individual"


@dataclass
class Org:
    kind: str  # enterprise, individual_business, cooperative, public_institution, social_organization
    uscc: str
    name: str
    county: str
    city: str
    area: str
    address: str
    legal_rep: Person
    established: date
    sector: str
    org_type: str
    scope: str
    reg_level: str  # the level of the registering department
    capital: Decimal | None = None
    status: str = "存续"
    reg_no: str = ""
    new_name: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.status in ("存续", "在业", "正常")

    @property
    def current_name(self) -> str:
        return self.new_name or self.name


@dataclass
class Expectation:
    """What the pipeline must do with one row of a feed."""

    row_no: int
    kind: str  # a BAD_KINDS entry, "unknown_record", "missing_reason", "review", "formula", "legacy"
    reason: str = ""  # substring of the Chinese reason (bad rows, review)


@dataclass
class Feed:
    order: int
    item_code: str
    dept_code: str
    mode: str
    format: str
    encoding: str
    path: Path
    rows: int
    expectations: list[Expectation] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return self.path.name


@dataclass
class DemoPlan:
    seed: int
    as_of: date
    subjects: list
    feeds: list[Feed]
    out_dir: Path

    @property
    def total_rows(self) -> int:
        return sum(f.rows for f in self.feeds)

    def id_numbers(self) -> list[str]:
        """Every resident ID number in the data set (subjects and legal representatives)."""
        out = []
        for s in self.subjects:
            out.append(s.id_number if isinstance(s, Person) else s.legal_rep.id_number)
        return out


@dataclass
class _Draft:
    stage: int
    item: str
    dept: str
    values: dict
    subject: object = None
    mode: str = "submit"
    tag: str = ""  # legacy / formula


# ---------------------------------------------------------------------------- generation
class _Generator:
    def __init__(self, *, subjects: int, seed: int, as_of: date, catalog: Catalog):
        self.n = subjects
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.catalog = catalog
        self.regions = catalog.regions
        self.counties: dict[str, list] = defaultdict(list)
        for r in self.regions.values():
            if r.level == "county" and r.parent:
                self.counties[r.parent].append(r)
        self.names: set[str] = set()
        self.usccs: set[str] = set()
        self.ids: set[str] = set()
        self.counters: Counter = Counter()
        self.drafts: list[_Draft] = []
        self.subjects: list = []
        self.orgs: list[Org] = []
        self.people: list[Person] = []
        self._gov: dict[str, str] = {}
        self._honour_docs: dict[tuple, tuple[str, date]] = {}
        self._decks: dict[str, list] = {}
        self._firsts: set[str] = set()

    # ------------------------------------------------------------------ helpers
    def pick(self, pairs):
        values, weights = zip(*pairs, strict=True)
        return self.rng.choices(values, weights)[0]

    def deal(self, name: str, pairs) -> str:
        """Draw from a shuffled deck holding the exact proportions (weights summing to 20 or 100):
        the mix is exact at scale and every value shows up even in a small demo."""
        deck = self._decks.get(name)
        if not deck:
            deck = self._decks[name] = [v for v, w in pairs for _ in range(w)]
            self.rng.shuffle(deck)
        return deck.pop()

    def first(self, name: str) -> bool:
        """True the first time only (to make sure a small demo shows a rare case once)."""
        if name in self._firsts:
            return False
        self._firsts.add(name)
        return True

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def days_ago(self, lo: int, hi: int) -> date:
        return self.as_of - timedelta(days=self.rng.randint(lo, hi))

    def recent(self, years: int = 4, fresh: float = 0.12, after: date | None = None) -> date:
        """A decision date: spread over the last `years`, a share within the reporting deadline."""
        day = self.days_ago(0, 8) if self.chance(fresh) else self.days_ago(0, 365 * years)
        if after and day < after:
            day = min(self.as_of, after + timedelta(days=self.rng.randint(10, 60)))
        return day

    def serial(self, key, step: int = 30) -> int:
        self.counters[key] += self.rng.randint(1, step)
        return self.counters[key]

    def division(self, code: str, area: str = "") -> str:
        """A GB/T 2260 code for `code`: 长白山 (229900) has none, its areas' counties are used."""
        if code != "229900":
            return code
        for name, _, div in N.CHANGBAISHAN_AREAS:
            if name == area:
                return div
        return N.CHANGBAISHAN_AREAS[0][2]

    def gov(self, dept: Department) -> str:
        if dept.code not in self._gov:
            self._gov[dept.code] = gov_uscc(dept.code, region=self.division(dept.region))
        return self._gov[dept.code]

    def place_abbr(self, region_code: str) -> str:
        r = self.regions[region_code]
        if r.level == "province":
            return "吉"
        if r.level == "city":
            return N.CITY_ABBR.get(r.code, r.short[:1])
        head = r.name[:2] if "自治" in r.name else r.name[:1]
        if r.name.endswith("区"):
            return N.CITY_ABBR.get(r.parent, "") + head
        return head

    def county_label(self, county: str, area: str = "") -> str:
        """How a county appears in names and addresses: 长春市南关区, 榆树市, 农安县."""
        if county == "229900":
            return "长白山" + area
        r = self.regions[county]
        if r.name.endswith("区"):
            return self.regions[r.parent].name + r.name
        return r.name

    def city_of(self, region_code: str) -> str:
        r = self.regions[region_code]
        return r.code if r.level in ("city", "province") else r.parent

    def dept(self, system: str, county: str, *, item: Item | None = None, weights=(0.35, 0.5, 0.15)) -> Department | None:
        """A department of `system` for a subject in `county`: the county's, the city's or the
        province's (分级负责), among those allowed to submit `item`."""
        city = self.city_of(county)
        codes = [(f"{county}-{system}", weights[0]), (f"{city}-{system}", weights[1]), (f"220000-{system}", weights[2])]
        weight: dict[str, float] = {}
        for code, w in codes:  # 长白山 is its own "county": the same department twice
            d = self.catalog.departments.get(code)
            if d is None or (item is not None and d.level not in item.levels):
                continue
            weight[code] = weight.get(code, 0) + w
        found = [(self.catalog.departments[code], w) for code, w in weight.items()]
        if not found:
            return None
        if not any(w > 0 for _, w in found):  # none at the preferred levels: the nearest one
            return found[0][0]
        return self.pick([(d, w) for d, w in found if w > 0])

    def dept_at(self, system: str, county: str, level: str, item: Item | None = None) -> Department | None:
        """The department of `system` at exactly `level` for `county` (or None)."""
        code = {"county": county, "city": self.city_of(county), "province": "220000"}[level]
        d = self.catalog.departments.get(f"{code}-{system}")
        if d is None or d.level != level or (item is not None and d.level not in item.levels):
            return None
        return d

    def doc_no(self, dept: Department, word: str, year: int) -> str:
        n = self.serial((dept.code, word, year), 25)
        return f"{self.place_abbr(dept.region)}{word}〔{year}〕{n}号"

    def add(self, stage: str, item: Item, dept: Department, values: dict, subject=None, *, mode: str = "submit", tag: str = "") -> dict:
        if item.code in self.catalog.items and "source_id" in item.field_map and self.uses_source_id(item):
            values.setdefault("source_id", f"{dept.code}-{self.serial((dept.code, item.code, 'src'), 3):07d}")
        self.drafts.append(_Draft(STAGES[stage], item.code, dept.code, values, subject, mode, tag))
        return values

    @staticmethod
    def uses_source_id(item: Item) -> bool:
        """Department systems (JSON feeds, courts, tax) send their own record ids; spreadsheets
        mostly do not (the platform derives one from the key fields)."""
        fmt = FORMATS.get(item.code, FAMILY_FORMATS.get(item.family or "", ("csv", "")))[0]
        return fmt in ("json", "ndjson") or item.code in ("tax_rating", "enforcement", "dishonest_debtor") or item.family == "penalty"

    # ------------------------------------------------------------------ people
    def person(self, county: str, city: str, *, area: str = "", born=(1955, 2003), role: str = "") -> Person:
        rng = self.rng
        male = rng.random() < 0.55
        if city == "222400" and rng.random() < 0.3:
            surname = self.pick(N.KOREAN_SURNAMES)
            given = rng.choice(N.KOREAN_GIVEN_MALE if male else N.KOREAN_GIVEN_FEMALE)
        else:
            surname = self.pick(N.SURNAMES)
            pool = N.GIVEN_MALE if male else N.GIVEN_FEMALE
            given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
        start = date(born[0], 1, 1)
        birth = start + timedelta(days=rng.randrange((date(born[1], 12, 28) - start).days))
        region = self.division(county, area)
        while True:
            number = make_person_id(rng, region=region, birth=birth, male=male)
            if number not in self.ids:
                self.ids.add(number)
                break
        return Person(surname + given, male, number, county, city, birth, role)

    # ------------------------------------------------------------------ places
    def pick_city(self, index: int) -> str:
        cities = list(N.CITY_WEIGHTS)
        if index < len(cities):  # every city and 长白山 have subjects, whatever N
            return cities[index]
        return self.pick(list(N.CITY_WEIGHTS.items()))

    def pick_county(self, city: str) -> tuple[str, str]:
        if city == "229900":
            return "229900", self.rng.choice(N.CHANGBAISHAN_AREAS)[0]
        counties = self.counties[city]
        weights = [3 if r.name.endswith("区") else 1.5 if r.name.endswith("市") else 1 for r in counties]
        return self.rng.choices(counties, weights)[0].code, ""

    def address(self, county: str, city: str, area: str = "", *, suite: bool = False) -> str:
        rng = self.rng
        if city == "229900":
            town = next(t for a, t, _ in N.CHANGBAISHAN_AREAS if a == area)
            return f"吉林省长白山保护开发区{area}{town}{rng.choice(N.CITY_STREETS['229900'])}{rng.randint(1, 300)}号"
        r = self.regions[county]
        urban = r.name.endswith("区") or county == "222401"
        street = rng.choice(N.CITY_STREETS[city] if urban else N.COUNTY_STREETS)
        number = rng.randint(1, 3999 if urban else 899)
        city_name = self.regions[city].name
        if r.name.endswith("区") or r.name.endswith("县"):
            place = f"吉林省{city_name}{r.name}"
        else:
            place = f"吉林省{r.name}"
        tail = f"{rng.randint(1, 30)}栋{rng.randint(1, 24)}{rng.randint(1, 20):02d}室" if suite and rng.random() < 0.4 else ""
        return f"{place}{street}{number}号{tail}"

    # ------------------------------------------------------------------ organizations
    def unique_name(self, make: Callable[[], str]) -> str:
        for _ in range(50):
            name = make()
            if name not in self.names:
                self.names.add(name)
                return name
        name = make() + f"（{len(self.names)}）"
        self.names.add(name)
        return name

    def trade_name(self) -> str:
        rng = self.rng
        if rng.random() < 0.55:
            return rng.choice(N.TRADE_NAMES)
        return rng.choice(N.TRADE_FIRST) + rng.choice(N.TRADE_SECOND)

    def new_uscc(self, prefix: str, division: str) -> str:
        while True:
            code = make_uscc(self.rng, region=division, prefix=prefix)
            if code not in self.usccs:
                self.usccs.add(code)
                return code

    def established(self, oldest: int = 1993, mean_age: float = 8.0) -> date:
        age = min(self.rng.expovariate(1 / mean_age), self.as_of.year - oldest)
        return self.as_of - timedelta(days=int(age * 365) + self.rng.randint(20, 200))

    def org(self, kind: str, index: int) -> Org:
        rng = self.rng
        city = self.pick_city(index)
        county, area = self.pick_county(city)
        region_name = self.regions[city].short
        clabel = self.county_label(county, area)
        rep = self.person(county, city, area=area, born=(1950, 1998))
        if kind == "enterprise":
            industry, sector, scope = rng.choice(N.INDUSTRIES)
            form = self.pick(N.LEGAL_FORMS)
            tn = self.trade_name()

            def make():
                where = self.pick([("吉林省", 2), (region_name, 4), (self.regions[city].name if city != "229900" else "长白山", 2), (clabel if not clabel.startswith(self.regions[city].name) else region_name, 2)])
                return f"{where}{self.trade_name() if self.names and rng.random() < 0.3 else tn}{industry}{form}"

            name = self.unique_name(make)
            reg_level = "county" if rng.random() < 0.7 else "city"
            capital = Decimal(max(3, round(rng.lognormvariate(5.3, 1.3) * (8 if "股份" in form else 1)))).quantize(Decimal(1))
            established = self.established()
            org = Org(kind, "", name, county, city, area, "", rep, established, sector, N.ENTERPRISE_TYPES[form], scope, reg_level, capital)
            org.status = self.pick([("存续", 88), ("在业", 5), ("吊销", 3), ("注销", 4)])
            prefix = "91"
        elif kind == "individual_business":
            shop, sector = rng.choice(N.SHOPS)

            def make():
                style = rng.random()
                if style < 0.45:
                    return f"{clabel}{rep.name[0]}记{shop}"
                if style < 0.75:
                    return f"{clabel}{rep.name}{shop}"
                return f"{clabel}{self.trade_name()}{shop}"

            name = self.unique_name(make)
            org = Org(kind, "", name, county, city, area, "", rep, self.established(1998, 5), sector, "个体工商户", f"{shop[:-1] if shop.endswith('店') else shop}经营", "county")
            org.status = self.pick([("存续", 90), ("注销", 10)])
            prefix = "92"
        elif kind == "cooperative":
            product = self.pick(N.COOP_PRODUCTS)
            suffix = "农民专业合作社" if rng.random() < 0.4 else "专业合作社"
            name = self.unique_name(lambda: f"{clabel}{rng.choice(N.VILLAGES)}{product}{suffix}")
            capital = Decimal(rng.choice([10, 20, 50, 100, 200, 300, 500]))
            org = Org(kind, "", name, county, city, area, "", rep, self.established(2007, 7), "agriculture", "农民专业合作社", f"组织收购、销售成员生产的农产品；{product}技术培训", "county", capital)
            org.status = self.pick([("存续", 95), ("注销", 5)])
            prefix = "93"
        elif kind == "public_institution":
            pattern, sector, funding, sponsor = rng.choice(N.INSTITUTIONS)
            city_name = self.regions[city].name if city != "229900" else "长白山保护开发区"

            def make():
                return pattern.format(county=clabel, city=city_name, n=rng.randint(1, 60), street=rng.choice(N.COUNTY_STREETS)[:2], tn=self.trade_name())

            name = self.unique_name(make)
            capital = Decimal(rng.choice([10, 30, 50, 100, 300, 800, 2000]))
            org = Org(kind, "", name, county, city, area, "", rep, self.established(1960, 25), sector, "事业单位", f"为社会提供{name[-4:]}相关公益服务", "city", capital)
            org.extra = {"funding": funding, "sponsor": sponsor.format(county=clabel, city=city_name), "no": f"事证第1{self.division(county, area)}{rng.randrange(10**5):05d}号"}
            org.status = self.pick([("正常", 97), ("注销", 3)])
            prefix = "12"
        else:  # social organization
            pattern, prefix, org_type, level = rng.choice(N.SOCIAL_ORGS)
            if level == "any":
                level = self.pick([("province", 2), ("city", 4), ("county", 4)])
            if city == "229900" and level == "county":
                level = "city"
            place = {"province": "吉林省", "city": self.regions[city].name if city != "229900" else "长白山保护开发区", "county": clabel}[level]

            def make():
                return pattern.format(place=place, trade=rng.choice(N.ASSOCIATION_TRADES), origin=rng.choice(N.ORIGIN_CHAMBERS), hobby=rng.choice(N.HOBBIES), tn=self.trade_name())

            name = self.unique_name(make)
            capital = Decimal(rng.choice([3, 5, 10, 30, 50])) if prefix != "53" else Decimal(rng.choice([200, 400, 800]))
            scope = {"51": "行业自律、行业调研、业务培训、交流合作、咨询服务", "52": "依法开展非营利性社会服务活动", "53": "资助公益慈善项目，开展救助帮扶活动"}[prefix]
            org = Org(kind, "", name, county, city, area, "", rep, self.established(1990, 9), "social", org_type, scope, level, capital)
            supervising = {"幼儿园": f"{clabel}教育局", "学校": f"{place}人力资源和社会保障局"}
            org.extra = {"supervising": next((v for k, v in supervising.items() if k in name), ""), "no": f"{self.place_abbr(county if level == 'county' else city if level == 'city' else '220000')}民证字第{rng.randrange(10**5):05d}号"}
            org.status = self.pick([("正常", 95), ("撤销", 2), ("注销", 3)])
        # the USCC carries the division of the registering authority
        if org.reg_level == "province":
            div = "220000"
        elif org.reg_level == "city" and kind != "public_institution":
            div = self.division(city, area)
        else:
            div = self.division(county, area)
        org.uscc = self.new_uscc(prefix, div)
        org.address = self.address(county, city, area, suite=kind == "enterprise")
        if kind == "enterprise" and org.established.year < 2015:
            org.reg_no = make_reg_no(rng, region=div)
        return org

    def make_subjects(self) -> None:
        counts = {k: max(int(round(self.n * share)), 3) for k, share in KIND_SHARES}
        counts["enterprise"] += self.n - sum(counts.values())
        kinds = [k for k, c in counts.items() for _ in range(c)]
        self.rng.shuffle(kinds)
        # every city and 长白山 first get one organization each
        for i in range(len(N.CITY_WEIGHTS)):
            if kinds[i] == "individual":
                j = next(j for j in range(len(N.CITY_WEIGHTS), len(kinds)) if kinds[j] != "individual")
                kinds[i], kinds[j] = kinds[j], kinds[i]
        for i, kind in enumerate(kinds):
            if kind == "individual":
                city = self.pick_city(i)
                county, area = self.pick_county(city)
                s = self.person(county, city, area=area, role=self.pick([("driver", 60), ("resident", 18), ("debtor", 12), ("teacher", 4), ("researcher", 3), ("worker", 3)]))
                self.people.append(s)
            else:
                s = self.org(kind, i)
                self.orgs.append(s)
            self.subjects.append(s)

    # ------------------------------------------------------------------ subject fields
    def subject_values(self, item: Item, s, *, legacy: bool = False) -> dict:
        fmap = item.field_map
        roles = item.roles
        v: dict = {roles["subject_name"]: s.current_name if isinstance(s, Org) else s.name}
        if "subject_category" in roles:
            v[roles["subject_category"]] = CATEGORY.get(s.kind, "法人及非法人组织")
        if isinstance(s, Person):
            if "id_number" in roles:
                v[roles["id_number"]] = s.id_number
            if "id_type" in fmap:
                v["id_type"] = "身份证"
            return v
        if legacy and s.reg_no and "reg_no" in roles:
            v[roles["reg_no"]] = s.reg_no
        elif "uscc" in roles:
            v[roles["uscc"]] = s.uscc
        if "legal_rep" in fmap:
            v["legal_rep"] = s.legal_rep.name
            if "legal_rep_id_number" in fmap and s.kind == "enterprise" and (self.chance(0.1) or self.first("legal_rep_id")):
                v["legal_rep_id_type"] = "身份证"
                v["legal_rep_id_number"] = s.legal_rep.id_number
        return v

    def tail(self, item: Item, dept: Department) -> dict:
        v = {}
        if "source_unit" in item.field_map:
            v["source_unit"] = dept.name
            v["source_unit_uscc"] = self.gov(dept)
        return v

    @staticmethod
    def applies(item: Item, s) -> bool:
        return KIND_OF.get(s.kind, s.kind) in item.subject_kinds

    # ------------------------------------------------------------------ registration
    def registrations(self) -> None:
        items = self.catalog.items
        for s in self.orgs:
            if s.kind == "social_organization":
                item, system = items.get("registration.mzt"), "MZT"
            elif s.kind == "public_institution":
                item, system = items.get("registration.bb"), "BB"
            else:
                item, system = items.get("registration.gsj"), "GSJ"
            if item is None:
                continue
            dept = self.dept_at(system, s.county, s.reg_level, item) or self.dept(system, s.county, item=item, weights=(0, 1, 0.01))
            if dept is None:
                continue
            v = self.registration_row(item, s, dept, s.name)
            self.add("registration", item, dept, v, s)
            s.extra["reg_dept"] = dept.code
        # a few name changes (更正 of the registration), so that name history exists
        renamed = [s for s in self.orgs if s.kind == "enterprise" and s.active and "reg_dept" in s.extra]
        for s in self.rng.sample(renamed, max(2, len(renamed) // 40)):
            s.new_name = self.renamed(s)
            item = items["registration.gsj"]
            dept = self.catalog.departments[s.extra["reg_dept"]]
            v = self.registration_row(item, s, dept, s.new_name)
            v["approved_on"] = self.days_ago(20, 700)
            if v["approved_on"] < s.established:
                v["approved_on"] = s.established
            self.add("rename", item, dept, v, s, mode="correct")

    def renamed(self, s: Org) -> str:
        name = s.name
        for old, new in (("有限责任公司", "有限公司"), ("商贸", "供应链管理"), ("信息技术", "数字科技"), ("建筑工程", "建设集团"), ("有限公司", "股份有限公司")):
            if old in name and old + "（" not in name:
                candidate = name.replace(old, new, 1)
                if candidate not in self.names:
                    self.names.add(candidate)
                    return candidate
        return self.unique_name(lambda: "吉林省" + self.trade_name() + name[-6:])

    def registration_row(self, item: Item, s: Org, dept: Department, name: str) -> dict:
        v = {item.roles["subject_name"]: name, "uscc": s.uscc, "legal_rep": s.legal_rep.name, "address": s.address, "registration_authority": dept.name}
        v[item.roles["decided_on"]] = s.established
        fmap = item.field_map
        if "org_type" in fmap:
            v["org_type"] = s.org_type
        if "industry" in fmap and s.sector in N.SECTOR_INDUSTRY:
            v["industry"] = N.SECTOR_INDUSTRY[s.sector]
        if s.capital is not None and "registered_capital" in fmap:
            v["registered_capital"] = s.capital
        if "business_scope" in fmap:
            v["business_scope"] = s.scope
        if "status" in fmap:
            status = s.status
            if s.kind in ("social_organization", "public_institution") and status == "存续":
                status = "正常"
            v["status"] = status
        if "reg_no" in fmap and s.reg_no:
            v["reg_no"] = s.reg_no
        if "approved_on" in fmap:
            v["approved_on"] = min(self.as_of, s.established + timedelta(days=self.rng.randint(0, max(1, (self.as_of - s.established).days))))
        if "business_term_until" in fmap and s.kind == "enterprise":
            term = add_months(s.established, 12 * self.rng.choice([20, 30, 50])) - timedelta(days=1)
            v["business_term_until"] = "长期" if self.chance(0.6) or term < self.as_of else term
        if "institution_no" in fmap:
            v["institution_no"] = s.extra.get("no", "")
            v["funding_source"] = s.extra.get("funding", "")
            v["sponsor"] = s.extra.get("sponsor", "")
        if "social_org_no" in fmap:
            v["social_org_no"] = s.extra.get("no", "")
            if s.extra.get("supervising"):
                v["supervising_unit"] = s.extra["supervising"]
        return v

    # ------------------------------------------------------------------ licences and penalties
    @staticmethod
    def fitting(s, options: list, text) -> list:
        """The options (licences, penalty cases) whose wording fits the subject's sector."""
        words = N.SECTOR_WORDS.get(getattr(s, "sector", ""), ())
        fit = [o for o in options if any(w in text(o) for w in words)]
        return fit or options

    def systems_for(self, s, table: dict) -> list:
        pairs = N.SECTOR_SYSTEMS.get(s.sector, []) if isinstance(s, Org) else []
        return [(sys, w) for sys, w in pairs if sys in table] or [("GSJ", 1)]

    def licences(self) -> None:
        items = self.catalog.items
        for s in self.orgs:
            if not s.active:
                continue
            count = self.pick([(0, 35), (1, 40), (2, 18), (3, 7)]) if s.kind != "social_organization" else self.pick([(0, 85), (1, 15)])
            for _ in range(count):
                system = self.pick(self.systems_for(s, N.LICENCES)) if s.kind != "social_organization" else "MZT"
                item = items.get(f"licensing.{system.lower()}")
                if item is not None and self.applies(item, s):
                    self.licence(item, s)
        for p in self.people:
            if p.role == "driver" and self.chance(0.08):
                self.licence(items.get("licensing.jtt"), p)
            elif p.role == "worker" and self.chance(0.5):
                self.licence(items.get("licensing.wsj"), p)

    def licence(self, item: Item | None, s, *, stage: str = "licensing") -> dict | None:
        if item is None:
            return None
        dept = self.dept(item.owner, s.county, item=item)
        if dept is None:
            return None
        rng = self.rng
        if isinstance(s, Person):
            spec = N.PERSON_LICENCES.get(item.owner) or N.DEFAULT_LICENCE
        else:
            options = N.LICENCES.get(item.owner) or [N.DEFAULT_LICENCE]
            spec = rng.choice(self.fitting(s, options, lambda o: o[0] + o[2] + o[3]))
        doc_name, category, cert, content, years, pattern = spec
        day = self.recent(5, after=getattr(s, "established", None))
        div = self.division(dept.region)
        ctx = {"div": div, "div4": div[2:], "abbr": self.place_abbr(dept.region), "y": day.year, "n": self.serial((dept.code, "licence", day.year), 40),
               "n2": rng.randint(1, 999), "uscc": getattr(s, "uscc", ""), "id6": getattr(s, "id_number", "")[:6]}
        licence_no = pattern.format(**ctx)
        v = self.subject_values(item, s, legacy=self.chance(0.01))
        v.update({
            "authority": dept.name, "authority_uscc": self.gov(dept), "doc_name": doc_name,
            "decision_no": self.doc_no(dept, N.SYSTEM_ABBR.get(item.owner, "") + "许", day.year),
            "licence_category": category, "content": content, "decision_date": day,
            "valid_from": day, "valid_until": "长期" if years == 0 else add_months(day, 12 * years) - timedelta(days=1),
            "status": "有效",
        })
        if cert:
            v["cert_name"] = cert
            v["licence_no"] = licence_no[:64]
        v.update(self.tail(item, dept))
        tag = "legacy" if "reg_no" in v else ""
        return self.add(stage, item, dept, v, s, tag=tag)

    def penalties(self) -> None:
        items = self.catalog.items
        for s in self.orgs:
            rate = {"enterprise": 0.2, "individual_business": 0.14, "cooperative": 0.06, "public_institution": 0.05, "social_organization": 0.06}[s.kind]
            if not self.chance(rate):
                continue
            for _ in range(self.pick([(1, 80), (2, 15), (3, 5)])):
                pool = self.systems_for(s, N.PENALTY_CASES) + [p for p in N.COMMON_PENALTY_SYSTEMS if p[0] in N.PENALTY_CASES]
                system = "MZT" if s.kind == "social_organization" and self.chance(0.6) else self.pick(pool)
                item = items.get(f"penalty.{system.lower()}")
                if item is not None and self.applies(item, s):
                    self.penalty(item, s)
        for p in self.people:
            if p.role in ("resident", "worker") and self.chance(0.5) or p.role == "driver" and self.chance(0.03):
                system = self.pick(N.PERSON_PENALTY_SYSTEMS)
                self.penalty(items.get(f"penalty.{system.lower()}"), p)

    def penalty(self, item: Item | None, s, *, stage: str = "penalty") -> dict | None:
        if item is None:
            return None
        dept = self.dept(item.owner, s.county, item=item)
        if dept is None:
            return None
        rng = self.rng
        cases = N.PENALTY_CASES.get(item.owner) or [N.DEFAULT_PENALTY_CASE]
        # 治安 cases against persons are the first two of 公安's; the rest concern businesses
        if isinstance(s, Person):
            case = rng.choice(cases[:2])
        else:
            options = cases[2:] if item.owner == "GAT" else cases
            case = rng.choice(self.fitting(s, options, lambda o: o[0] + o[1]))
        violation, facts, basis, categories, fine_range, content = case
        severity = self.deal("severity", SEVERITY_MIX)
        day = self.recent(4, after=getattr(s, "established", None))
        v = self.subject_values(item, s, legacy=self.chance(0.01))
        fine_yuan = 0
        if fine_range:
            lo, hi = fine_range
            share = {"轻微": (0, 0.2), "一般": (0.1, 0.7), "严重": (0.6, 1)}[severity]
            amount = lo + (hi - lo) * rng.uniform(*share)
            fine_yuan = max(50, int(round(amount * 10000 / 50.0)) * 50)
        word = N.PENALTY_DOC.get(item.owner, N.SYSTEM_ABBR.get(item.owner, "") + "罚")
        v.update({
            "decision_no": self.doc_no(dept, word, day.year), "violation_type": violation, "facts": facts,
            "basis": basis, "penalty_category": categories, "content": content.format(fine=f"{fine_yuan:,}"),
            "decision_date": day, "severity": severity, "authority": dept.name, "authority_uscc": self.gov(dept),
        })
        if fine_yuan:
            v["fine_amount"] = (Decimal(fine_yuan) / 10000).normalize()
        if "没收违法所得" in categories:
            v["confiscation_amount"] = (Decimal(rng.randint(1, 400) * 50) / 10000).normalize()
        v.update(self.tail(item, dept))
        return self.add(stage, item, dept, v, s, tag="legacy" if "reg_no" in v else "")

    # ------------------------------------------------------------------ ratings
    def rating_year(self, published_month: int) -> int:
        """The latest year whose results are out on as_of (published in `published_month`)."""
        return self.as_of.year - 1 if self.as_of.month > published_month else self.as_of.year - 2

    def ratings(self) -> None:
        items = self.catalog.items
        rng = self.rng
        tax = items.get("tax_rating")
        if tax:
            latest = self.rating_year(4)
            for s in self.orgs:
                if not s.active or not self.applies(tax, s):
                    continue
                share = {"enterprise": 1.0, "individual_business": 0.35, "cooperative": 0.5}.get(s.kind, 0.15)
                if not self.chance(share):
                    continue
                for year in (latest, latest - 1):
                    if year < s.established.year or (year < latest and not self.chance(0.45)):
                        continue
                    dept = self.dept("SW", s.county, item=tax, weights=(0.7, 0.3, 0))
                    if dept is None:
                        continue
                    grade = self.deal("tax", TAX_GRADES)
                    score = {"A": (90, 100), "B": (70, 89.99), "M": None, "C": (40, 69.99), "D": (0, 39.99)}[grade]
                    day = date(year + 1, 4, rng.randint(8, 28))
                    v = {"subject_name": s.current_name, "uscc": s.uscc, "year": year, "grade": grade, "decision_date": day,
                         "valid_until": date(year + 2, 3, 31), "rating_authority": dept.name}
                    if score:
                        v["score"] = Decimal(str(round(rng.uniform(*score), 2)))
                    self.add("rating", tax, dept, v, s)
        env = items.get("env_rating")
        if env:
            year = self.rating_year(7)
            heavy = {"manufacturing", "chemical", "mining", "environment", "utility"}
            for s in self.orgs:
                if s.active and self.applies(env, s) and self.chance(0.6 if s.sector in heavy else 0.02):
                    dept = self.dept("HBT", s.county, item=env, weights=(0.1, 0.9, 0))
                    grade = self.pick([("环保诚信企业", 20), ("环保良好企业", 60), ("环保警示企业", 15), ("环保不良企业", 5)])
                    day = date(year + 1, rng.randint(5, 7), rng.randint(1, 28))
                    self.add("rating", env, dept, {"subject_name": s.current_name, "uscc": s.uscc, "year": year, "grade": grade,
                                                   "decision_date": day, "rating_authority": dept.name}, s)
        stats = items.get("stats_rating")
        if stats:
            year = self.rating_year(6)
            for s in self.orgs:
                if s.active and self.applies(stats, s) and self.chance({"enterprise": 0.12, "public_institution": 0.1}.get(s.kind, 0.01)):
                    dept = self.dept("TJJ", s.county, item=stats, weights=(0.4, 0.6, 0))
                    day = date(year + 1, 6, rng.randint(1, 28))
                    self.add("rating", stats, dept, {"subject_name": s.current_name, "uscc": s.uscc, "year": year,
                                                     "grade": self.pick([("A", 30), ("B", 55), ("C", 10), ("D", 5)]),
                                                     "decision_date": day, "rating_authority": dept.name}, s)
        assess = items.get("social_org_assessment")
        if assess:
            for s in self.orgs:
                if s.kind == "social_organization" and s.active and self.chance(0.45):
                    dept = self.dept_at("MZT", s.county, s.reg_level, assess) or self.dept("MZT", s.county, item=assess)
                    day = self.recent(5, fresh=0, after=s.established)
                    self.add("rating", assess, dept, {"subject_name": s.current_name, "uscc": s.uscc,
                                                      "grade": self.pick([("1A", 5), ("2A", 15), ("3A", 45), ("4A", 25), ("5A", 10)]),
                                                      "decision_date": day, "valid_until": add_months(day, 60) - timedelta(days=1),
                                                      "rating_authority": dept.name}, s)
        fire = items.get("fire_safety")
        if fire:
            year = self.rating_year(3)
            risky = {"hotel", "tourism", "health", "chemical", "catering", "education"}
            assessors = [f"吉林省{tn}消防技术服务有限公司" for tn in ("安泰", "众诚", "北辰", "恒信", "长盛")]
            for s in self.orgs:
                if s.active and self.applies(fire, s) and self.chance(0.3 if s.sector in risky else 0.01):
                    dept = self.dept("XF", s.county, item=fire, weights=(0, 1, 0))
                    day = date(year + 1, rng.randint(1, 3), rng.randint(1, 28))
                    self.add("rating", fire, dept, {"subject_name": s.current_name, "uscc": s.uscc, "year": year,
                                                    "grade": self.pick([("良好", 50), ("一般", 35), ("较差", 12), ("差", 3)]),
                                                    "assessor": rng.choice(assessors), "decision_date": day}, s)

    # ------------------------------------------------------------------ honours, commitments
    def honour_kinds(self, s) -> set[str]:
        if isinstance(s, Person):
            return {"person"} if s.role in ("teacher", "driver", "worker", "researcher") else set()
        kinds = {"org"}
        if s.kind == "social_organization":
            kinds = {"social"}
        if s.kind == "public_institution" and s.sector == "education":
            kinds.add("school")
        if s.sector == "construction":
            kinds.add("builder")
        if s.sector == "transport":
            kinds.add("carrier")
        if s.sector == "agriculture" and s.kind == "enterprise":
            kinds.add("agri")
        if s.kind == "cooperative":
            kinds.add("coop")
        return kinds

    def honours(self) -> None:
        items = self.catalog.items
        candidates = [s for s in self.orgs if s.active] + [p for p in self.people if p.role in ("teacher", "driver", "worker", "researcher")]
        for s in candidates:
            if not self.chance(0.06 if isinstance(s, Org) else 0.15):
                continue
            kinds = self.honour_kinds(s)
            options = [(sys, h) for sys, hs in N.HONOURS.items() for h in hs if set(h[3].split()) & kinds and f"honour.{sys.lower()}" in items]
            if options:
                system, spec = self.rng.choice(options)
                self.honour(items[f"honour.{system.lower()}"], s, spec)

    def honour(self, item: Item, s, spec=None, *, stage: str = "honour") -> dict | None:
        rng = self.rng
        if spec is None:
            spec = rng.choice(N.HONOURS.get(item.owner) or [("先进单位", "工作成绩突出", 0, "org person", "省级 市级")])
        name, content, years, _, levels = spec
        level = rng.choice(levels.split())
        if "县级" in levels and self.dept_at(item.owner, s.county, "county", item) and self.first("county_honour"):
            level = "县级"  # 县级 honours exist (evaluation must ignore them)
        dept = None
        for lv in [level, "市级", "省级"]:
            if lv == "县级":
                dept = self.dept_at(item.owner, s.county, "county", item)
            elif lv == "市级":
                dept = self.dept_at(item.owner, s.county, "city", item)
            else:
                dept = self.dept_at(item.owner, s.county, "province", item)
            if dept is not None:
                level = lv
                break
        if dept is None:
            return None
        year = self.as_of.year - rng.choice([0, 1, 1, 2, 3])
        key = (dept.code, name, year)
        if key not in self._honour_docs:
            day = date(year, rng.randint(1, 12), rng.randint(1, 28))
            if day > self.as_of:
                day = self.as_of - timedelta(days=rng.randint(1, 60))
            if level == "国家级":
                doc = f"国{N.SYSTEM_ABBR.get(item.owner, '')}发〔{year}〕{rng.randint(10, 200)}号"
            else:
                doc = self.doc_no(dept, N.SYSTEM_ABBR.get(item.owner, "") + "发", year)
            self._honour_docs[key] = (doc, day)
        doc, day = self._honour_docs[key]
        authority = N.NATIONAL_AUTHORITIES.get(item.owner, "国务院") if level == "国家级" else dept.name
        v = self.subject_values(item, s)
        v.update({"honour_name": name, "honour_content": content, "document_no": doc, "awarding_authority": authority,
                  "authority_level": level, "decision_date": day})
        if years:
            v["valid_until"] = add_months(day, 12 * years) - timedelta(days=1)
        v.update(self.tail(item, dept))
        return self.add(stage, item, dept, v, s)

    def commitments(self) -> None:
        items = self.catalog.items
        for s in self.orgs:
            if not s.active or not self.chance(0.07):
                continue
            systems = [sys for sys in N.COMMITMENT_MATTERS if f"commitment.{sys.lower()}" in items]
            preferred = [sys for sys, _ in self.systems_for(s, N.COMMITMENT_MATTERS)]
            system = self.rng.choice(preferred if preferred != ["GSJ"] or self.chance(0.5) else systems)
            self.commitment(items[f"commitment.{system.lower()}"], s)

    def commitment(self, item: Item, s, *, stage: str = "commitment") -> dict | None:
        if not self.applies(item, s):
            return None
        dept = self.dept(item.owner, s.county, item=item, weights=(0.5, 0.4, 0.1))
        if dept is None:
            return None
        rng = self.rng
        matter, ctype = rng.choice(N.COMMITMENT_MATTERS.get(item.owner) or [("行政许可告知承诺", "审批替代型")])
        day = self.recent(3, after=getattr(s, "established", None))
        serial = self.serial((dept.code, "commitment", day), 3)
        code = f"{self.division(dept.region)}{day:%Y%m%d}{serial:06d}"
        v = self.subject_values(item, s)
        v.update({"commitment_code": code, "commitment_type": ctype, "matter": matter, "content": N.COMMITMENT_CONTENT,
                  "liability": N.COMMITMENT_LIABILITY, "decision_date": day,
                  "fulfilment": self.pick([("履约中", 55), ("全部履约", 35), ("部分履约", 7), ("未履约", 3)]),
                  "disclosure_type": self.pick([("公开", 85), ("有限公开", 10), ("不公开", 5)]), "accepting_unit": dept.name})
        if self.chance(0.6):
            v["valid_until"] = add_months(day, 12) - timedelta(days=1)
        v.update(self.tail(item, dept))
        return self.add(stage, item, dept, v, s)

    # ------------------------------------------------------------------ courts
    def court_code(self, dept: Department) -> str:
        return dept.region[2:] if dept.level == "county" else dept.region[2:4]

    def courts(self) -> None:
        items = self.catalog.items
        enf, dis = items.get("enforcement"), items.get("dishonest_debtor")
        if enf is None:
            return
        debtors = [s for s in self.orgs if s.kind in ("enterprise", "individual_business") and self.chance(0.04)]
        debtors += [p for p in self.people if p.role == "debtor"]
        for s in debtors:
            self.enforcement(enf, dis, s)

    def enforcement(self, enf: Item, dis: Item | None, s, *, stage: str = "court", force_dishonest: bool = False) -> None:
        rng = self.rng
        court = self.dept("FY", s.county, item=enf, weights=(0.85, 0.15, 0))
        if court is None:
            return
        filed = self.recent(4, fresh=0.03, after=getattr(s, "established", None))
        case_no = f"（{filed.year}）吉{self.court_code(court)}执{self.serial((court.code, 'case', filed.year), 30)}号"
        amount = Decimal(str(round(min(rng.lognormvariate(11.2, 1.3), 5e8), 2)))
        status = self.pick([("执行中", 50), ("终结本次执行", 25), ("执行完毕", 20), ("终结执行", 5)])
        closed = None
        if status != "执行中":
            closed = filed + timedelta(days=rng.randint(40, 400))
            if closed > self.as_of:
                status, closed = "执行中", None
        v = self.subject_values(enf, s)
        v.update({"case_no": case_no, "court": court.name, "decision_date": filed, "amount": amount, "case_status": status})
        if closed:
            v["valid_until"] = closed
        self.add(stage, enf, court, v, s)
        if dis is not None and status in ("执行中", "终结本次执行") and (force_dishonest or self.chance(0.55)):
            published = filed + timedelta(days=rng.randint(30, 300))
            if published > self.as_of:
                published = self.as_of
            w = self.subject_values(dis, s)
            w.update({
                "case_no": case_no, "court": court.name,
                "basis_no": f"（{filed.year - 1 if filed.month < 4 else filed.year}）吉{self.court_code(court)}民初{rng.randint(100, 9999)}号",
                "basis_unit": court.name,
                "obligation": rng.choice(N.COURT_OBLIGATIONS).format(amount=f"{amount:,.2f}"),
                "performance": self.pick([("全部未履行", 80), ("部分未履行", 20)]),
                "circumstances": rng.choice(N.COURT_CIRCUMSTANCES), "decision_date": published, "filed_on": filed,
                "valid_until": add_months(published, 24) - timedelta(days=1),
            })
            self.add(stage, dis, court, w, s)

    # ------------------------------------------------------------------ individuals' sector records
    def person_records(self) -> None:
        items = self.catalog.items
        traffic = items.get("traffic_violation")
        research = items.get("research_misconduct")
        ip = items.get("ip_infringement")
        for p in self.people:
            if traffic and (p.role == "driver" or self.chance(0.1)):
                for _ in range(self.pick([(1, 60), (2, 28), (3, 12)])):
                    self.traffic(traffic, p)
            if research and p.role == "researcher":
                self.misconduct(research, p)
        if research:
            for s in self.orgs:
                if s.kind == "public_institution" and s.sector == "research" and self.chance(0.15):
                    self.misconduct(research, s)
        if ip:
            for s in self.orgs:
                if s.active and s.kind in ("enterprise", "individual_business") and self.applies(ip, s) and self.chance(0.015):
                    self.ip_case(ip, s)

    def traffic(self, item: Item, p: Person, *, stage: str = "person") -> dict | None:
        rng = self.rng
        dept = self.dept("GAT", p.county, item=item, weights=(0.3, 0.7, 0))
        if dept is None:
            return None
        code, violation, points, fine = rng.choice(N.TRAFFIC_VIOLATIONS)
        occurred = self.recent(3, fresh=0.05)
        handled = min(self.as_of, occurred + timedelta(days=rng.randint(0, 20)))
        city = p.city
        if rng.random() < 0.25:
            place = f"{rng.choice(N.HIGHWAYS)}K{rng.randint(1, 1200)}+{rng.randint(0, 999):03d}"
        else:
            streets = N.CITY_STREETS.get(city) or N.COUNTY_STREETS
            a, b = rng.sample(streets, 2)
            place = f"{self.county_label(p.county)}{a}与{b}交汇处" if p.county != "229900" else f"长白山保护开发区{a}与{b}交汇处"
        unit = f"{dept.name}交通警察支队" if dept.level == "city" else f"{dept.name}交通管理大队"
        v = self.subject_values(item, p)
        v.update({"decision_no": f"{self.division(dept.region)}1{self.serial((dept.code, 'traffic'), 500):09d}", "occurred_on": occurred,
                  "place": place, "violation_code": code, "violation": violation, "points": points,
                  "fine_yuan": Decimal(fine), "decision_date": handled, "handling_unit": unit})
        return self.add(stage, item, dept, v, p)

    def misconduct(self, item: Item, s, *, stage: str = "person") -> dict | None:
        rng = self.rng
        dept = self.dept("KJT", s.county, item=item, weights=(0, 0.4, 0.6))
        if dept is None:
            return None
        kind, facts, measures = rng.choice(N.MISCONDUCT)
        day = self.recent(4, fresh=0.02, after=getattr(s, "established", None))
        v = self.subject_values(item, s)
        if isinstance(s, Person):
            employers = [o.name for o in self.orgs if o.kind == "public_institution" and o.sector == "research" and o.city == s.city]
            v["employer"] = employers[0] if employers else f"{self.regions[s.city].name if s.city != '229900' else '长白山保护开发区'}农业科学研究院"
        v.update({"misconduct_type": kind, "facts": facts, "document_no": self.doc_no(dept, "科监处", day.year), "measures": measures,
                  "decision_date": day, "valid_until": add_months(day, 12 * rng.choice([2, 3, 5])) - timedelta(days=1),
                  "severity": self.pick([("轻微", 10), ("一般", 60), ("严重", 30)]), "handling_unit": dept.name})
        return self.add(stage, item, dept, v, s)

    def ip_case(self, item: Item, s, *, stage: str = "penalty") -> dict | None:
        rng = self.rng
        dept = self.dept(item.owner, s.county, item=item, weights=(0, 0.8, 0.2))
        if dept is None:
            return None
        kind, facts, result = rng.choice(N.IP_CASES)
        day = self.recent(4, after=getattr(s, "established", None))
        v = self.subject_values(item, s)
        v.update({"infringement_type": kind, "facts": facts, "document_no": self.doc_no(dept, "知执", day.year),
                  "result": result.format(fine=f"{rng.randint(1, 60) * 1000:,}"), "decision_date": day,
                  "severity": self.pick(SEVERITY_MIX), "authority": dept.name, "authority_uscc": self.gov(dept)})
        v.update(self.tail(item, dept))
        return self.add(stage, item, dept, v, s)

    # ------------------------------------------------------------------ coverage
    def ensure_every_item(self) -> None:
        """Every item of the catalog gets records, whatever N (a small N may miss a rare one)."""
        have = {d.item for d in self.drafts if d.mode == "submit"}
        for item in self.catalog.items.values():
            if item.code in have:
                continue
            for s in self.candidates(item):
                if self.one_record(item, s):
                    break

    def candidates(self, item: Item) -> list:
        subjects = [s for s in self.subjects if self.applies(item, s) and (isinstance(s, Person) or s.active)]
        orgs = [s for s in subjects if isinstance(s, Org)]
        people = [s for s in subjects if isinstance(s, Person)]
        return (people + orgs) if item.code in ("traffic_violation", "research_misconduct") else (orgs + people)

    def one_record(self, item: Item, s) -> bool:
        before = len(self.drafts)
        family, code = item.family, item.code
        if family == "licensing":
            self.licence(item, s)
        elif family == "penalty":
            self.penalty(item, s)
        elif family == "honour":
            spec = next((h for h in N.HONOURS.get(item.owner, []) if set(h[3].split()) & self.honour_kinds(s)), None)
            if spec is None and isinstance(s, Person):
                return False
            self.honour(item, s, spec)
        elif family == "commitment":
            self.commitment(item, s)
        elif code == "enforcement":
            self.enforcement(item, self.catalog.items.get("dishonest_debtor"), s)
        elif code == "dishonest_debtor":
            enf = self.catalog.items.get("enforcement")
            if enf is None:
                self.generic(item, s)
            else:
                for _ in range(20):
                    self.enforcement(enf, item, s, force_dishonest=True)
                    if any(d.item == code for d in self.drafts[before:]):
                        break
        elif code == "traffic_violation" and isinstance(s, Person):
            self.traffic(item, s)
        elif code == "research_misconduct":
            self.misconduct(item, s)
        elif code == "ip_infringement":
            self.ip_case(item, s)
        else:  # a rating none of the sampled subjects got, or an item added to the catalog later
            self.generic(item, s)
        return len(self.drafts) > before

    def generic(self, item: Item, s) -> dict | None:
        """A record of an item this generator has no specific knowledge of, built from its field
        definitions (so that a new catalog item gets demo records too)."""
        dept = self.dept(item.owner, s.county, item=item)
        if dept is None:
            return None
        day = self.recent(2, fresh=0.1, after=getattr(s, "established", None))
        v = self.subject_values(item, s)
        v.update(self.tail(item, dept))
        n = self.serial((dept.code, item.code, "generic"), 5)
        for f in item.fields:
            if f.name in v or f.role in ("source_id", "id_number", "uscc", "reg_no", "org_code", "tax_no", "institution_no", "social_org_no"):
                continue
            if not f.required and f.role != "decided_on" and not f.required_when:
                continue
            v[f.name] = self.generic_value(item, f, s, dept, day, n)
        return self.add("other", item, dept, v, s)

    def generic_value(self, item: Item, f, s, dept: Department, day: date, n: int):
        t = f.type
        if f.role == "decided_on" or t == "date":
            return day
        if t == "enum":
            return f.choices[0] if f.role != "disclosure" else next((c for c, m in f.map if m == "public"), f.choices[0])
        if t in ("string", "text"):
            text = dept.name if any(w in f.label for w in ("机关", "单位", "法院", "机构")) else f"{f.label}{n}" if f.name in item.key_fields else f.label
            return text[: f.max_length or 200]
        if t == "decimal":
            return Decimal(str(f.min)) if f.min is not None and Decimal(str(f.min)) > 0 else Decimal(1)
        if t == "integer":
            return int(f.min) if f.min is not None else 1
        if t == "year":
            return max(int(f.min or 2014), day.year - 1)
        if t == "uscc":
            return self.gov(dept)
        if t == "region_code":
            return self.division(s.county)
        if t == "commitment_code":
            return f"{self.division(dept.region)}{day:%Y%m%d}{self.serial((dept.code, 'generic-code'), 2):06d}"
        return f.label

    # ------------------------------------------------------------------ corrections, withdrawals
    def corrections(self) -> None:
        """A correction batch (更正: fines corrected, licences cancelled) and a withdrawal batch
        (撤销: penalties quashed on review) for a few records, so that history exists."""
        rng = self.rng
        pens = [d for d in self.drafts if d.mode == "submit" and d.item.startswith("penalty.") and d.tag == "" and "fine_amount" in d.values]
        corrected = rng.sample(pens, min(len(pens), max(2, len(pens) // 60)))
        for d in corrected:
            v = dict(d.values)
            fine = Decimal(str(v["fine_amount"])) * Decimal("1.5")
            v["fine_amount"] = fine.normalize()
            v["content"] = f"{v['content']}（更正：罚款金额应为人民币{int(fine * 10000):,}元）"
            self.drafts.append(_Draft(STAGES["correct"], d.item, d.dept, v, d.subject, "correct"))
        lics = [d for d in self.drafts if d.mode == "submit" and d.item.startswith("licensing.") and d.tag == ""]
        for d in rng.sample(lics, min(len(lics), max(1, len(lics) // 150))):
            v = dict(d.values, status="无效", remarks="许可证已依申请注销")
            self.drafts.append(_Draft(STAGES["correct"], d.item, d.dept, v, d.subject, "correct"))
        taken = {id(d) for d in corrected}
        rest = [d for d in pens if id(d) not in taken]
        for d in rng.sample(rest, min(len(rest), max(2, len(rest) // 120))):
            v = dict(d.values, __reason=rng.choice(N.WITHDRAW_REASONS))
            self.drafts.append(_Draft(STAGES["withdraw"], d.item, d.dept, v, d.subject, "withdraw"))

    def rehome_small_feeds(self, minimum: dict | None = None) -> None:
        """A county bureau with only a handful of records of an item does not send its own file:
        the city bureau of its system sends them, and a city bureau with one or two the provincial
        department (分级负责; the vertical systems collect their bureaus' decisions). The deciding
        body stays who it was; the submitting department (数据来源单位) changes."""
        minimum = minimum or {"county": 8, "city": 3}
        for level in ("county", "city"):
            sizes = Counter((d.item, d.dept) for d in self.drafts if d.mode == "submit")
            moves: dict[tuple, Department] = {}
            for (item_code, dept_code), count in sizes.items():
                dept = self.catalog.departments[dept_code]
                if dept.level != level or count >= minimum[level]:
                    continue
                if level == "city" and self.catalog.items[item_code].kind == "registration":
                    continue  # the registering authority sends its registrations itself
                up = self.regions[dept.region].parent or "220000"
                parent = self.catalog.departments.get(f"{up}-{dept.system}")
                if parent is not None and parent.level in self.catalog.items[item_code].levels:
                    moves[(item_code, dept_code)] = parent
            for d in self.drafts:
                target = moves.get((d.item, d.dept))
                if target is None:
                    continue
                d.dept = target.code
                if "source_unit" in d.values:
                    d.values["source_unit"] = target.name
                    d.values["source_unit_uscc"] = self.gov(target)

    def mark_formula_cells(self) -> None:
        """A formula-injection payload typed into a text field (CSV and XLSX): stored as text."""
        for item_code, field_name in (("penalty.gsj", "remarks"), ("penalty.xf", "facts")):
            item = self.catalog.items.get(item_code)
            if item is None or field_name not in item.field_map:
                continue
            d = next((d for d in self.drafts if d.item == item_code and d.mode == "submit" and d.tag == ""), None)
            if d is not None:
                d.values[field_name] = FORMULA
                d.tag = "formula"

    # ------------------------------------------------------------------ all
    def build(self) -> list[_Draft]:
        self.make_subjects()
        self.registrations()
        self.licences()
        self.penalties()
        self.ratings()
        self.honours()
        self.commitments()
        self.courts()
        self.person_records()
        self.ensure_every_item()
        # every individual has at least one record (a subject exists only through its records)
        have = {id(d.subject) for d in self.drafts}
        traffic = self.catalog.items.get("traffic_violation")
        for p in self.people:
            if id(p) not in have and traffic:
                self.traffic(traffic, p)
        self.rehome_small_feeds()
        self.mark_formula_cells()
        self.corrections()
        return self.drafts


# ---------------------------------------------------------------------------- files
class _FeedWriter:
    """Groups drafts into feeds (one per stage, item, department and mode), adds the bad rows and
    writes the files."""

    def __init__(self, gen: _Generator, out_dir: Path):
        self.gen = gen
        self.rng = random.Random(gen.rng.randrange(2**32))
        self.catalog = gen.catalog
        self.out_dir = out_dir
        self.as_of = gen.as_of
        self.bad_turn = 0
        self.review_names = [s for s in gen.orgs if s.kind in ("enterprise", "individual_business")]
        self.review_turn = 0
        names = Counter(n for o in gen.orgs for n in {o.name, o.current_name})
        self.unique_names = {o.current_name: names[o.current_name] for o in gen.orgs}

    def write(self, drafts: list[_Draft]) -> list[Feed]:
        groups: dict[tuple, list[_Draft]] = defaultdict(list)
        for d in drafts:
            groups[(d.stage, d.item, d.dept, d.mode)].append(d)
        largest: dict[tuple, tuple] = {}
        for key, rows in groups.items():
            stage, item, dept, mode = key
            best = largest.get((item, mode))
            if best is None or len(rows) > len(groups[best]):
                largest[(item, mode)] = key
        feeds = []
        for order, key in enumerate(sorted(groups, key=lambda k: (k[0], k[1], k[2], k[3])), start=1):
            stage, item_code, dept_code, mode = key
            item = self.catalog.items[item_code]
            rows: list[tuple[dict, str, str, str]] = [(d.values, "", "", d.tag) for d in groups[key]]  # values, bad kind, reason, tag
            is_largest = largest.get((item_code, mode)) == key
            if mode == "submit":
                n_bad = (2 if is_largest else 0) + (len(rows) // 60 if len(rows) >= 10 else 0)
                for _ in range(min(n_bad, 8)):
                    self.add_bad(item, rows)
                if is_largest and self.has_legacy(item):
                    for _ in range(1 + len(rows) // 300):
                        self.add_review(item, dept_code, rows)
            elif mode == "correct" and is_largest:
                self.add_missing_correction(item, rows)
            elif mode == "withdraw" and is_largest:
                v = dict(rows[0][0])
                v["__reason"] = ""
                rows.append((v, "missing_reason", "必填项“撤销原因”为空", ""))
            if mode == "submit" and rows:
                # bad rows are not all at the end: shuffle them in (duplicates stay after their original)
                rows = self.interleave(rows)
            fmt, encoding = FORMATS.get(item_code) or FAMILY_FORMATS.get(item.family or "", ("csv", "utf-8"))
            if mode != "submit":
                fmt, encoding = "csv", "utf-8"
            encoding = encoding or ("utf-8" if fmt in ("csv", "json", "ndjson") else "")
            path = self.out_dir / f"{order:03d}-{item_code}-{dept_code}-{mode}.{EXT[fmt]}"
            expectations = self.write_file(path, item, fmt, encoding, rows, mode)
            feeds.append(Feed(order, item_code, dept_code, mode, fmt, encoding, path, len(rows), expectations))
        return feeds

    # ------------------------------------------------------------------ bad rows
    @staticmethod
    def has_legacy(item: Item) -> bool:
        return "reg_no" in item.roles and "subject_category" in item.roles

    def applicable(self, item: Item, kind: str) -> bool:
        roles = item.roles
        if kind == "check_digit":
            return "uscc" in roles or "id_number" in roles
        if kind == "future_date":
            return item.field_map[roles["decided_on"]].not_future
        if kind == "missing_required":
            return self.required_field(item) is not None
        if kind == "overlong":
            return self.long_field(item) is not None
        if kind == "name_only":
            return any(r.require_any for r in item.row_rules) and "subject_category" in roles
        return True

    @staticmethod
    def required_field(item: Item):
        return next((f for f in item.fields if f.required and f.type in ("string", "text", "enum") and f.role not in ("subject_name", "subject_category", "uscc", "id_number")), None)

    @staticmethod
    def long_field(item: Item):
        doc = item.roles.get("document_no")
        if doc and item.field_map[doc].type == "string" and item.field_map[doc].max_length:
            return item.field_map[doc]
        name = item.field_map[item.roles["subject_name"]]
        return name if name.max_length else None

    def add_bad(self, item: Item, rows: list) -> None:
        for _ in range(len(BAD_KINDS)):
            kind = BAD_KINDS[self.bad_turn % len(BAD_KINDS)]
            self.bad_turn += 1
            if self.applicable(item, kind):
                break
        else:
            return
        good = [i for i, r in enumerate(rows) if not r[1] and r[3] == ""]
        if not good:
            return
        base_index = self.rng.choice(good)
        v = dict(rows[base_index][0])
        roles = item.roles
        decided = item.field_map[roles["decided_on"]]
        if kind == "check_digit":
            key = roles["uscc"] if roles.get("uscc") in v else roles.get("id_number")
            if key not in v:
                key = roles.get("uscc") or roles["id_number"]
                v[key] = self.gen.orgs[0].uscc if item.field_map[key].type == "uscc" else self.gen.people[0].id_number
            v[key] = spoil_check_digit(str(v[key]))
            label = item.field_map[key].label
            rows.append((v, kind, f"{label}校验位错误", ""))
        elif kind == "future_date":
            future = self.as_of.replace(year=self.as_of.year + 36, day=min(self.as_of.day, 28))
            v[decided.name] = future
            rows.append((v, kind, f"{decided.label}晚于今天", ""))
        elif kind == "impossible_date":
            v[decided.name] = f"{self.as_of.year - 1}-02-30"
            rows.append((v, kind, f"{decided.label}不是存在的日期", ""))
        elif kind == "missing_required":
            f = self.required_field(item)
            v[f.name] = ""
            rows.append((v, kind, f"必填项“{f.label}”为空", ""))
        elif kind == "duplicate":
            rows.append((v, kind, "是同一条记录（重复）", f"dup:{base_index}"))
        elif kind == "overlong":
            f = self.long_field(item)
            text = str(v.get(f.name) or "")
            filler = "（此栏误粘贴了决定书全文：经查，当事人上述行为违反了有关法律法规规定，依法应予处理，现决定如下）"
            while len(text) <= f.max_length:
                text += filler
            v[f.name] = text
            rows.append((v, kind, f"{f.label}超过{f.max_length}个字符", ""))
        elif kind == "name_only":
            for r in ("uscc", "reg_no", "org_code", "tax_no", "institution_no", "social_org_no", "id_number"):
                v.pop(roles.get(r, "-"), None)
            v[roles["subject_category"]] = "法人及非法人组织"
            v.setdefault("legal_rep", "张三")
            rule = next(r for r in item.row_rules if r.require_any)
            rows.append((v, kind, rule.message[:20], ""))

    def add_review(self, item: Item, dept_code: str, rows: list) -> None:
        """Rows from old systems whose subject is not named by a known code. In turn: a 15-digit
        registration number the platform has never seen (→ review queue); the name alone, written
        with full-width brackets and spaces, of a registered subject (→ matched exactly after
        normalization); the name alone of a subject that is not registered (→ review queue)."""
        good = [r for r in rows if not r[1] and r[3] == ""]
        if not good:
            return
        v = dict(self.rng.choice(good)[0])
        roles = item.roles
        s = self.rng.choice(self.review_names)
        for r in ("uscc", "reg_no", "org_code", "tax_no", "institution_no", "social_org_no", "id_number", "legal_rep_id_type", "legal_rep_id_number", "id_type"):
            v.pop(roles.get(r, r), None)
        v[roles["subject_category"]] = CATEGORY.get(s.kind, "法人及非法人组织")
        if "legal_rep" in item.field_map:
            v["legal_rep"] = s.legal_rep.name
        if "source_id" in v:
            v["source_id"] = v["source_id"] + "R"
        doc = roles.get("document_no")
        if doc and doc in v:
            v[doc] = str(v[doc]).replace("号", f"-{self.rng.randint(1, 99)}号")
        turn = self.review_turn % 3
        self.review_turn += 1
        if turn == 0:
            v[roles["subject_name"]] = s.current_name
            v[roles["reg_no"]] = make_reg_no(self.rng, region=self.gen.division(s.county, s.area))
            rows.append((v, "", "所填代码尚未对应到统一社会信用代码", "review"))
        elif turn == 1 and self.unique_names.get(s.current_name) == 1 and "reg_dept" in s.extra:
            # the same name as typed in another system: full-width brackets, a stray space
            typed = s.current_name.replace("(", "（").replace(")", "）")
            typed = typed[:2] + " " + typed[2:]
            v[roles["subject_name"]] = typed
            rows.append((v, "", s.uscc, "name_match"))
        else:
            v[roles["subject_name"]] = s.current_name + "（筹备组）"
            rows.append((v, "", "仅有名称，未找到名称完全一致的主体", "review"))

    def add_missing_correction(self, item: Item, rows: list) -> None:
        v = dict(rows[0][0])
        doc = item.roles.get("document_no")
        if doc and doc in v and item.kind != "registration":
            v[doc] = str(v[doc]).replace("〔", "〔9").replace("号", "9号")
            v.pop("source_id", None)
            rows.append((v, "unknown_record", "未找到要更正的记录", ""))

    def interleave(self, rows: list) -> list:
        good = [r for r in rows if not r[1] and r[3] not in ("review", "name_match")]
        extra = [r for r in rows if r[1] or r[3] in ("review", "name_match")]
        out = list(good)
        for r in extra:
            if r[3].startswith("dup:"):
                original = rows[int(r[3][4:])]
                pos = out.index(original) + 1 + self.rng.randint(0, 3)
            else:
                pos = self.rng.randint(0, len(out))
            out.insert(min(pos, len(out)), r)
        return out

    # ------------------------------------------------------------------ writing
    def write_file(self, path: Path, item: Item, fmt: str, encoding: str, rows: list, mode: str) -> list[Expectation]:
        used = set()
        for values, *_ in rows:
            used.update(k for k in values if not k.startswith("__"))
        fields = [f for f in item.fields if f.name in used or f.required]
        withdraw = mode == "withdraw"
        expectations: list[Expectation] = []
        first = 2 if fmt in ("csv", "xlsx") else 1
        for i, (values, bad, reason, tag) in enumerate(rows):
            row_no = first + i
            if tag.startswith("dup:"):
                original_row = next(first + j for j, r in enumerate(rows) if r[0] is not values and r[1] == "" and self._same(r[0], values))
                reason = f"与第{original_row}行是同一条记录（重复）"
            if bad:
                expectations.append(Expectation(row_no, bad, reason))
            elif tag in ("review", "name_match"):
                expectations.append(Expectation(row_no, tag, reason))
            elif tag in ("formula", "legacy"):
                expectations.append(Expectation(row_no, tag))
        if fmt == "csv":
            self._csv(path, fields, rows, encoding, withdraw)
        elif fmt == "xlsx":
            self._xlsx(path, fields, rows)
        else:
            self._json(path, fields, rows, ndjson=fmt == "ndjson")
        return expectations

    @staticmethod
    def _same(a: dict, b: dict) -> bool:
        return {k: v for k, v in a.items() if not k.startswith("__")} == {k: v for k, v in b.items() if not k.startswith("__")}

    @staticmethod
    def _text(value) -> str:
        if value is None:
            return ""
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return format(value, "f")
        return str(value)

    def _csv(self, path: Path, fields, rows, encoding: str, withdraw: bool) -> None:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow([f.label for f in fields] + (["撤销原因"] if withdraw else []))
        for values, *_ in rows:
            line = [self._text(values.get(f.name)) for f in fields]
            if withdraw:
                line.append(values.get("__reason", ""))
            writer.writerow(line)
        path.write_bytes(buf.getvalue().encode(encoding))

    def _json(self, path: Path, fields, rows, *, ndjson: bool) -> None:
        objs = []
        for values, *_ in rows:
            obj = {}
            for f in fields:
                value = values.get(f.name)
                if value is None or value == "":
                    continue
                if isinstance(value, Decimal):
                    value = int(value) if value == value.to_integral_value() else float(value)
                elif isinstance(value, date):
                    value = value.isoformat()
                obj[f.name] = value
            objs.append(obj)
        if ndjson:
            text = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs)
        else:
            text = json.dumps({"records": objs}, ensure_ascii=False, indent=1)
        path.write_text(text, encoding="utf-8")

    def _xlsx(self, path: Path, fields, rows) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.writer.excel import ExcelWriter

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("数据")
        ws.append([f.label for f in fields])
        for values, *_ in rows:
            line = []
            for f in fields:
                value = values.get(f.name)
                if value is None or value == "":
                    line.append(None)
                    continue
                cell = WriteOnlyCell(ws, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # codes and text stay text; "=cmd|..." is not a formula
                elif isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
                line.append(cell)
            ws.append(line)
        stamp = datetime(self.as_of.year, self.as_of.month, self.as_of.day)
        wb.properties.creator = "信用吉林演示数据"
        wb.properties.created = wb.properties.modified = stamp
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            ExcelWriter(wb, archive).write_data()
        # the same bytes for the same data: fixed entry times in the archive
        out = io.BytesIO()
        with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                fixed = zipfile.ZipInfo(info.filename, date_time=(stamp.year, stamp.month, stamp.day, 0, 0, 0))
                fixed.compress_type = zipfile.ZIP_DEFLATED
                dst.writestr(fixed, src.read(info.filename))
        path.write_bytes(out.getvalue())


def demo_generate(*, subjects: int, seed: int, as_of: date, out_dir: Path, catalog: Catalog | None = None) -> DemoPlan:
    """Generate the demo province's feed files into `out_dir` (reproducible: same arguments,
    same bytes). Touches no database."""
    if subjects < MIN_SUBJECTS:
        raise ValueError(f"subjects must be at least {MIN_SUBJECTS}")
    catalog = catalog or get_catalog()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    gen = _Generator(subjects=subjects, seed=seed, as_of=as_of, catalog=catalog)
    drafts = gen.build()
    feeds = _FeedWriter(gen, out_dir).write(drafts)
    plan = DemoPlan(seed, as_of, gen.subjects, feeds, out_dir)
    manifest = {
        "seed": seed, "as_of": as_of.isoformat(), "subjects": subjects, "rows": plan.total_rows,
        "feeds": [{"file": f.filename, "item": f.item_code, "department": f.dept_code, "mode": f.mode, "format": f.format,
                   "encoding": f.encoding, "rows": f.rows,
                   "expect": [{"row": e.row_no, "kind": e.kind, "reason": e.reason} for e in f.expectations]} for f in feeds],
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return plan


# ---------------------------------------------------------------------------- loading
@dataclass
class LoadResult:
    batches: list = field(default_factory=list)  # (feed, batch)
    subjects_created: int = 0
    seconds: float = 0.0

    def by_item(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for feed, batch in self.batches:
            row = out.setdefault(feed.item_code, Counter())
            row["feeds"] += 1
            row["rows"] += batch.total_rows
            row["accepted"] += batch.accepted
            row["rejected"] += batch.rejected
            row["to_review"] += batch.to_review
            row["unchanged"] += batch.unchanged
            row["failed"] += batch.status == "failed"
        return out

    @property
    def failed(self) -> list:
        return [(f, b) for f, b in self.batches if b.status == "failed"]


def demo_users_ensure() -> dict:
    """The demo accounts (DEMO_USERS, password DEMO_PASSWORD): created when missing, never
    changed when present. Returns {department code or "admin": user}."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import transaction

    from xinyong.catalog.models import Department, DepartmentMembership
    from xinyong.security.models import Role
    from xinyong.security.services import Actor, audit_log

    User = get_user_model()
    actor = Actor.system("演示数据")
    out = {}
    hashed = make_password(DEMO_PASSWORD)  # one (slow, salted) hash for the shared demo password
    with transaction.atomic():
        for username, dept_code, label in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                if dept_code is None:
                    user = User.objects.create_superuser(username=username, password=None, email="")
                    user.groups.add(Group.objects.get_or_create(name=Role.PLATFORM_ADMIN)[0])
                else:
                    user = User.objects.create_user(username=username, password=None)
                    user.groups.add(Group.objects.get_or_create(name=Role.DEPARTMENT_OPERATOR)[0])
                    DepartmentMembership.objects.create(user=user, department=Department.objects.get(code=dept_code))
                user.password = hashed
                user.save(update_fields=["password"])
                audit_log(actor=actor, action="user.create", object_type="user", object_id=user.pk, detail={"username": username, "department": dept_code, "role": label})
            out[dept_code or "admin"] = user
    return out


def demo_api_key(*, users: dict) -> tuple[object, str] | None:
    """An API key for one department system (if the key service exists): (key, token)."""
    try:
        from xinyong.security.keys import apikey_create
    except ImportError:
        return None
    from xinyong.catalog.models import Department
    from xinyong.security.models import ApiKey
    from xinyong.security.services import Actor

    dept = Department.objects.get(code=API_KEY_DEPARTMENT)
    if ApiKey.objects.filter(department=dept, name=API_KEY_NAME).exists():
        return None
    admin = users.get("admin")
    actor = Actor.for_user(admin) if admin else Actor.system("演示数据")
    # ingestion, the catalog, and the check and feedback API of joint rewards and punishments
    return apikey_create(department=dept, name=API_KEY_NAME, scopes=("ingest", "catalog", "check"), actor=actor, user=admin)


def demo_load(plan: DemoPlan, *, users: dict | None = None, on_progress: Callable[[int, Feed, int], None] | None = None) -> LoadResult:
    """Submit every feed of the plan through the ingestion pipeline (door "demo"), in order.
    `on_progress(rows_done, feed, feed_index)` is called as rows are processed."""
    from xinyong.catalog.models import Department
    from xinyong.ingestion.services import batch_submit
    from xinyong.security.services import Actor
    from xinyong.subjects.models import Subject

    users = users or {}
    started = time.monotonic()
    before = Subject.objects.count()
    result = LoadResult()
    depts = {d.code: d for d in Department.objects.select_related("region").filter(code__in={f.dept_code for f in plan.feeds})}
    done = 0
    for index, feed in enumerate(plan.feeds):
        dept = depts[feed.dept_code]
        user = users.get(feed.dept_code)
        actor = Actor.for_user(user) if user else Actor.system(f"演示数据/{dept.short_name}")

        def progress(state, _done=done, _feed=feed, _index=index):
            if on_progress:
                on_progress(_done + int(state.get("total") or 0), _feed, _index)

        batch = batch_submit(
            department=dept, item_code=feed.item_code, path=feed.path, filename=feed.filename, door="demo",
            actor=actor, mode=feed.mode, copy=False, background=False, user=user, on_progress=progress,
        )
        done += feed.rows
        if on_progress:
            on_progress(done, feed, index)
        result.batches.append((feed, batch))
    result.subjects_created = Subject.objects.count() - before
    result.seconds = time.monotonic() - started
    return result


__all__ = [
    "DEMO_PASSWORD", "DEMO_USERS", "FORMULA", "DemoPlan", "Expectation", "Feed", "LoadResult", "Org", "Person",
    "demo_api_key", "demo_generate", "demo_load", "demo_users_ensure",
]
