"""The public credit file (信用档案) of a subject, assembled once for the page, the API and the
credit report alike.

    subject = public_subject("91220102MA0XXXXXXX")        # or "p-<public_id>"; None: 404
    file = credit_file(subject)                            # CreditFile
    file.as_dict()                                         # plain JSON-able data

What is in it — the rules are `records.selectors` (public disclosure class, active, inside the
publication window on `day`), applied in one query:
- registration basics from the subject and its registration record (name, code, kind, region,
  status, legal representative, date of establishment, registering authority, address) and the
  organization's former names;
- one section per kind of information (双公示 licences and penalties, honours, dishonesty, court
  enforcement, ratings, commitments), each fact with its source department, decision document
  number, dates, the item's public fields under their catalog labels (sensitive fields are never
  public; the encrypted originals `_enc` are never read), and the objection mark;
- the subject's public list memberships (`sanctions.selectors.public_membership_rows`).

Individuals: only those the law publishes (`records.selectors.person_is_published`) have a
public file; their ID number is shown masked (220102********1234) and their name is masked in
records of items that do not publish names (`public_person_name`).

The page's cost does not grow with queries per record: subject, records (one query on the
(subject, item_code) index, departments joined), former names, list memberships and the
"data as of" time — five queries whatever the number of records.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.urls import get_script_prefix, reverse

from xinyong.catalog.registry import SUBJECT_KINDS, Catalog, Item, get_catalog
from xinyong.common.db import prepared, select_instances
from xinyong.common.masking import mask_person_name
from xinyong.common.normalize import normalize_code
from xinyong.records import selectors as record_selectors
from xinyong.sanctions import selectors as list_selectors
from xinyong.subjects.models import Subject, SubjectName

PERSON_KEY_PREFIX = "p-"

# the sections of the file, in page order: (key, title, item kinds)
SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("licensing", "行政许可信息（双公示）", ("licensing",)),
    ("penalty", "行政处罚信息（双公示）", ("penalty",)),
    ("honour", "表彰荣誉信息", ("honour",)),
    ("dishonesty", "失信信息", ("dishonest_debtor", "misconduct", "violation")),
    ("enforcement", "司法执行信息（被执行人）", ("enforcement",)),
    ("rating", "信用评价信息", ("rating",)),
    ("commitment", "信用承诺信息", ("commitment",)),
)
OTHER_SECTION = ("other", "其他公开信用信息")
SECTION_OF_KIND = {kind: key for key, _, kinds in SECTIONS for kind in kinds}

# fields shown in a fact's heading (document number, dates) or identifying the subject (shown
# once, in the basics): not repeated in the fact's field list
_HEADING_ROLES = {"document_no", "decided_on", "valid_from", "valid_until", "publication_end", "severity"}
_IDENTITY_ROLES = {"subject_category", "uscc", "id_number", "source_id", "reg_no", "org_code", "tax_no", "institution_no", "social_org_no"}
# registration fields shown as basics (the rest of the registration record follows them)
_BASICS_FIELDS = {"registration_authority", "address", "status", "legal_rep", "org_type"}


class _Shown:
    """Django's templates look `fact.name` up as `fact["name"]` first and fall back to the
    attribute on the exception: answering the item lookup spares an exception per variable
    shown (a credit file page shows about four hundred)."""

    __slots__ = ()

    def __getitem__(self, name):
        if name.__class__ is not str:
            raise TypeError(name)
        return getattr(self, name)


@dataclass(slots=True)
class FieldValue(_Shown):
    name: str
    label: str
    value: str


@dataclass(slots=True)
class Fact(_Shown):
    """One public record as the public sees it."""

    id: int
    item_code: str
    item_name: str
    kind: str
    nature: str
    department_code: str
    department: str
    document_no_label: str
    document_no: str
    decided_on_label: str
    decided_on: date
    valid_from: date | None
    valid_until_label: str
    valid_until: str  # a date (ISO), 长期, or empty
    publish_until: date | None  # last day of publication; None: no end date
    severity: str
    under_objection: bool
    fields: tuple[FieldValue, ...]

    @property
    def objection_url(self) -> str:
        """The page where anyone objects to this record (redress:objection_new)."""
        return _objection_url(self.id)


@dataclass(frozen=True)
class Section(_Shown):
    key: str
    title: str
    facts: tuple[Fact, ...]
    # how many facts the section has: more than len(facts) when only the newest were assembled
    # (`credit_file(newest=N)`, the page); -1: all of them are here
    total: int = -1

    @property
    def count(self) -> int:
        return len(self.facts) if self.total < 0 else self.total


@dataclass(frozen=True)
class Membership(_Shown):
    """A list the subject is on (红名单, 黑名单, sector lists ...)."""

    id: int
    list_code: str
    list_name: str
    list_kind: str
    listed_on: date | None
    expires_on: date | None
    department: str
    document_no: str
    basis_record_id: int | None
    reason: str


@dataclass(frozen=True)
class Basics(_Shown):
    """登记注册基本信息."""

    name: str
    is_individual: bool
    code_label: str  # 统一社会信用代码 / 公民身份号码
    code: str  # the USCC, or the masked ID number
    kind: str
    kind_label: str
    region: str
    region_name: str
    status: str
    legal_rep: str
    established: date | None
    registration_authority: str
    address: str
    former_names: tuple[str, ...]
    extra: tuple[FieldValue, ...]  # other public fields of the registration record
    source_department: str  # the department whose registration record this is
    source_decided_on: date | None


@dataclass(frozen=True)
class CreditFile(_Shown):
    key: str  # USCC, or p-<public_id> for an individual
    url: str
    day: date  # the day whose visibility rules were applied
    data_as_of: datetime | None
    basics: Basics
    sections: tuple[Section, ...]
    memberships: tuple[Membership, ...]
    objections: int  # facts under objection
    facts_total: int = field(default=0)

    @property
    def non_empty_sections(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.facts)

    def as_dict(self) -> dict:
        """Plain data (dates as ISO strings): the API's answer and the report's snapshot (whole
        files: every fact of every section is in them)."""
        data = _plain(asdict(self))
        for section in data["sections"]:
            del section["total"]
        return data


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# ---------------------------------------------------------------------- finding the subject
_NOT_FOR_PAGES = ("id_encrypted", "id_hash")  # never needed to show a file: never read for it


def subject_key(subject: Subject) -> str:
    return f"{PERSON_KEY_PREFIX}{subject.public_id}" if subject.is_individual else (subject.uscc or "")


_OBJECTION_URLS: dict[str, str] = {}


def _objection_url(record_id: int) -> str:
    """reverse("redress:objection_new", args=[record_id]), reversed once per script prefix: a page
    shows up to fifty facts per section, each with this link."""
    prefix = get_script_prefix()
    pattern = _OBJECTION_URLS.get(prefix)
    if pattern is None:
        pattern = _OBJECTION_URLS[prefix] = reverse("redress:objection_new", args=[987654321]).replace("987654321", "{}", 1)
    return pattern.format(record_id)


def subject_url(subject: Subject) -> str:
    """The credit file page: /subjects/<uscc>/ or /subjects/p/<public_id>/ (never an ID number)."""
    if subject.is_individual:
        return reverse("portal:person", kwargs={"public_id": str(subject.public_id)})
    return reverse("portal:subject", kwargs={"uscc": subject.uscc})


def public_subject(key: str, *, day: date | None = None) -> Subject | None:
    """The subject whose public file the key names (a USCC, or p-<public_id>), or None when it
    does not exist or is not public (an individual the law does not publish). Unknown and
    private individuals take the same queries."""
    key = (key or "").strip()
    if key[: len(PERSON_KEY_PREFIX)].lower() == PERSON_KEY_PREFIX:
        return public_person(key[len(PERSON_KEY_PREFIX) :], day=day)
    return public_organization(key)


def public_organization(uscc: str) -> Subject | None:
    code = normalize_code(uscc)[:40]
    if len(code) != 18:
        return None
    found = select_instances(Subject, 't."uscc" = %s', [code])
    subject = found[0] if found else None
    if subject is None or subject.is_individual:
        return None
    return subject


def public_person(public_id: str, *, day: date | None = None) -> Subject | None:
    try:
        pid = uuid.UUID(str(public_id)[:64])
    except ValueError:
        pid = None
    subject = Subject.objects.filter(public_id=pid, kind="individual").defer(*_NOT_FOR_PAGES).first() if pid else None
    # the visibility query runs for an unknown id too: same queries, same answer, same timing shape
    published = record_selectors.person_is_published(subject.id if subject else None, day)
    return subject if subject is not None and published else None


# ---------------------------------------------------------------------- the file
_COLUMNS = (
    "id", "item_code", "document_no", "decided_on", "valid_from", "valid_until", "severity", "publish_until",
    "under_objection", "data", "received_at", "department__code", "department__name",
)


def section_limit() -> int:
    """Facts shown per section of a file page before "显示全部" (XINYONG_FILE_SECTION_LIMIT)."""
    return max(1, int(settings.XINYONG.get("FILE_SECTION_LIMIT", 50)))


def page_sections(file: CreditFile, *, expand: str = "") -> list[dict]:
    """The sections of a file page: the newest `section_limit()` facts of each, all of the
    section named by `expand` (?all=<key>), and how many are not shown."""
    limit = section_limit()
    return [
        {"section": s, "facts": s.facts if s.key == expand else s.facts[:limit], "hidden": 0 if s.key == expand else max(0, s.count - limit)}
        for s in file.sections
    ]


@prepared(ints=("subject_id",), dates=("day",))
def _public_summary(subject_id, day):
    """The ids, items and objection marks of the subject's public records, newest first."""
    return record_selectors.subject_public_records(subject_id, day).order_by("-decided_on", "-id").values_list("id", "item_code", "under_objection")


@prepared(ints=("subject_id",), dates=("day",))
def _public_rows(subject_id, day):
    """The subject's public records as rows of _COLUMNS, newest first."""
    return record_selectors.subject_public_records(subject_id, day).order_by("-decided_on", "-id").values_list(*_COLUMNS)


def credit_file(subject: Subject, *, day: date | None = None, newest: int | None = None) -> CreditFile:
    """The subject's public credit file on `day` (default today).

    newest: only the newest N facts of each section are assembled (the page: a file of 1,500
    records shows 50 per section); each section still counts all of its facts (`Section.count`),
    and the objection count covers them all. None: every fact (API, reports)."""
    day = day or record_selectors.today()
    if newest is None:
        return _assemble(subject, _public_rows(subject_id=subject.id, day=day), day)
    catalog = get_catalog()
    keep: list[int] = []
    totals: Counter = Counter()
    objections = 0
    # the ids, items and objection marks only (no payload), then the whole rows of the facts shown
    summary = _public_summary(subject_id=subject.id, day=day)
    for rid, item_code, under_objection in summary:
        plan = _plan(catalog.items.get(item_code))
        if plan is None:
            continue
        if plan.section == "registration":
            keep.append(rid)
            continue
        totals[plan.section] += 1
        objections += under_objection
        if totals[plan.section] <= newest:
            keep.append(rid)
    if len(keep) == len(summary):  # most files: every fact is shown, by the query compiled once
        rows = _public_rows(subject_id=subject.id, day=day)
    else:
        rows = record_selectors.subject_public_records(subject, day).filter(id__in=keep).order_by("-decided_on", "-id").values_list(*_COLUMNS)
    return _assemble(subject, rows, day, totals=totals, objections=objections)


def own_credit_file(subject: Subject, *, day: date | None = None) -> tuple[CreditFile, dict[int, str]]:
    """The subject's whole file as the subject itself sees it (its own account, xinyong/accounts):
    every record of `records.selectors.subject_own_records`, public or not, laid out like the public
    file; and, for each fact the public does not see on `day`, why (`not_public_reason`). The list
    memberships are the public ones (the own area lists every entry in force beside them)."""
    day = day or record_selectors.today()
    own = record_selectors.subject_own_records(subject, day)
    reasons = {
        rid: reason
        for rid, disclosure, status, publish_from, publish_until in own.values_list("id", "disclosure", "status", "publish_from", "publish_until")
        if (reason := record_selectors.not_public_reason(disclosure=disclosure, status=status, publish_from=publish_from, publish_until=publish_until, day=day))
    }
    return _assemble(subject, own.order_by("-decided_on", "-id").values_list(*_COLUMNS), day), reasons


def _assemble(subject: Subject, rows, day: date, *, totals: Counter | None = None, objections: int | None = None) -> CreditFile:
    catalog = get_catalog()
    registration: tuple | None = None
    grouped: dict[str, list[Fact]] = {}
    person = subject.is_individual
    for row in rows:
        plan = _plan(catalog.items.get(row[1]))
        if plan is None:  # retired from the catalog: its public fields are unknown
            continue
        if plan.section == "registration":
            if registration is None or (row[3], row[10]) > (registration[3], registration[10]):
                registration = row
            continue
        grouped.setdefault(plan.section, []).append(_fact(row, plan, subject.name, person))
    titles = [(key, title) for key, title, _ in SECTIONS] + [OTHER_SECTION]
    sections = tuple(
        Section(key, title, tuple(grouped.get(key, ())), -1 if totals is None else totals.get(key, 0))
        for key, title in titles
        if key != "other" or grouped.get(key)
    )
    return CreditFile(
        key=subject_key(subject),
        url=subject_url(subject),
        day=day,
        data_as_of=record_selectors.data_as_of(),
        basics=_basics(subject, registration, catalog),
        sections=sections,
        memberships=tuple(_memberships(subject, day, catalog)),
        objections=sum(f.under_objection for s in sections for f in s.facts) if objections is None else objections,
        facts_total=sum(s.count for s in sections),
    )


def _text(value) -> str:
    if isinstance(value, list | tuple):
        return "；".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class _Plan:
    """How an item's records are shown: worked out once per item (and catalog load)."""

    item: Item
    section: str
    fields: tuple[tuple[str, str, bool], ...]  # public fields to list: (name, label, is the subject's name)
    document_no_label: str
    decided_on_label: str
    valid_until_label: str
    valid_until_field: str | None


_PLANS: dict[int, _Plan] = {}


def _plan(item: Item | None) -> _Plan | None:
    if item is None:
        return None
    plan = _PLANS.get(id(item))
    if plan is not None and plan.item is item:
        return plan
    roles, fmap = item.roles, item.field_map

    def label(role: str, default: str) -> str:
        return fmap[roles[role]].label if role in roles else default

    section = "registration" if item.kind == "registration" else SECTION_OF_KIND.get(item.kind, OTHER_SECTION[0])
    fields = tuple(
        (f.name, f.label, f.role == "subject_name")
        for f in item.fields
        if f.is_public and f.role not in _HEADING_ROLES and f.role not in _IDENTITY_ROLES
    )
    plan = _Plan(item, section, fields, label("document_no", "决定文书号"), label("decided_on", "决定日期"), label("valid_until", "有效期至"), roles.get("valid_until"))
    if len(_PLANS) > 10_000:  # catalog reloads leave old items behind
        _PLANS.clear()
    _PLANS[id(item)] = plan
    return plan


def _fact(row: tuple, plan: _Plan, subject_name: str, person: bool) -> Fact:
    rid, _, document_no, decided_on, valid_from, valid_until, severity, publish_until, under_objection, data, _, dept_code, dept_name = row
    data = data or {}
    item = plan.item
    fields = []
    for name, label, is_name in plan.fields:
        value = data.get(name)
        if value is None or value == "" or value == []:
            continue
        if is_name:
            if value == subject_name:
                continue  # the subject's name is the page's heading; an older name is worth showing
            if person and not item.public_person_name:
                value = mask_person_name(str(value))
        fields.append(FieldValue(name, label, value if value.__class__ is str else _text(value)))
    if valid_until:
        until = valid_until.isoformat()
    else:  # no date: 长期 (no end), or nothing given
        until = _text(data.get(plan.valid_until_field) or "") if plan.valid_until_field else ""
    return Fact(
        rid, item.code, item.name, item.kind, item.nature, dept_code, dept_name,
        plan.document_no_label, document_no, plan.decided_on_label, decided_on, valid_from,
        plan.valid_until_label, until, publish_until, severity, under_objection, tuple(fields),
    )


def region_name(code: str, catalog: Catalog | None = None) -> str:
    """长春市南关区 for a county, 长春市 for a city; empty when unknown."""
    regions = (catalog or get_catalog()).regions
    region = regions.get(code or "")
    if region is None:
        return ""
    if region.level == "county" and region.parent in regions:
        return regions[region.parent].name + region.name
    return region.name


@prepared(ints=("subject_id",))
def _former_names(subject_id):
    return SubjectName.objects.filter(subject_id=subject_id).order_by("valid_from", "id").values_list("name")


def _basics(subject: Subject, registration: tuple | None, catalog: Catalog) -> Basics:
    """From the subject and its latest registration record (a row of _COLUMNS)."""
    data = (registration[9] or {}) if registration is not None else {}
    item = catalog.items.get(registration[1]) if registration is not None else None
    extra = []
    if item is not None:
        for f in item.fields:
            if not f.is_public or f.role in _IDENTITY_ROLES or f.role in ("subject_name", "decided_on", "subject_status") or f.name in _BASICS_FIELDS:
                continue
            value = data.get(f.name)
            if value not in (None, "", []):
                extra.append(FieldValue(f.name, f.label, _text(value)))
    former: tuple[str, ...] = ()
    if not subject.is_individual:
        seen = {subject.name}
        names = []
        for (name,) in _former_names(subject_id=subject.id):
            if name not in seen:
                seen.add(name)
                names.append(name)
        former = tuple(names)
    return Basics(
        name=subject.name,
        is_individual=subject.is_individual,
        code_label="公民身份号码" if subject.is_individual else "统一社会信用代码",
        code=subject.id_masked if subject.is_individual else (subject.uscc or ""),
        kind=subject.kind,
        kind_label=SUBJECT_KINDS.get(subject.kind, subject.kind),
        region=subject.region,
        region_name=region_name(subject.region, catalog),
        status=subject.status or _text(data.get("status") or ""),
        legal_rep="" if subject.is_individual else (subject.legal_rep or _text(data.get("legal_rep") or "")),
        established=subject.registered_on,
        registration_authority=_text(data.get("registration_authority") or ""),
        address=_text(data.get("address") or ""),
        former_names=former,
        extra=tuple(extra),
        source_department=registration[12] if registration is not None else "",
        source_decided_on=registration[3] if registration is not None else None,
    )


def _memberships(subject: Subject, day: date, catalog: Catalog) -> list[Membership]:
    """The entries `sanctions.selectors.public_memberships` lets the public see (its rules:
    public lists only, listed and not past their end, derived entries while their record is
    public, individuals only on lists that publish names)."""
    specs = getattr(catalog, "lists", None) or {}
    out = []
    for eid, code, listed_on, expires_on, reason, designator, basis_id, document_no, basis_department in list_selectors.public_membership_rows(subject.id, day):
        spec = specs.get(code)
        out.append(
            Membership(
                id=eid,
                list_code=code,
                list_name=str(getattr(spec, "name", "") or code),
                list_kind=str(getattr(spec, "kind_label", "") or ""),
                listed_on=listed_on,
                expires_on=expires_on,
                department=designator or basis_department or "",
                document_no=document_no or "",
                basis_record_id=basis_id,
                reason=reason or "",
            )
        )
    return out
