"""Who may see which of a subject's records: the rule, once, for pages, API, exports and reports.

    access = visible_records(Viewer.of_department(dept), subject, day)
    access.shown     # [Shown(record, basis)], newest first
    access.withheld  # {"authorized": 3, "internal": 1}: records in force the viewer may not see

The viewer is the public, the subject itself, a department or the credit centre:

- public records (the rule of `records.selectors.public_q`: public class, active, inside the
  publication window) — everyone;
- the subject itself — its whole file (`records.selectors.subject_own_records`);
- `authorized` records in force (active, inside their window: `in_period_q`) — the credit centre,
  the source department, and a department holding, on that day, for the record's item:
  a query right (`QueryRight`: the item or its kind), the subject's consent (`Consent`), or an
  approved special query request naming the subject (`SpecialRequest`); in that order of citing;
- `internal` records in force — the source department and the credit centre only (no right,
  consent or grant opens them).

A record withdrawn or repaired is shown to no one but the subject (repair stops sharing and use);
a revoked right, consent or grant stops working at once; every date is inclusive.

This module only reads. `services.records_query` runs the rule and writes the audit entries
(one per basis used) that the subject sees in its account (`queries_about`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db.models import Q, QuerySet

from xinyong.catalog.registry import get_catalog
from xinyong.common.yamlconf import load_yaml
from xinyong.records import selectors as record_selectors
from xinyong.records.models import Record

from .models import Consent, QueryRight, SpecialRequest

CLASSES = ("public", "authorized", "internal")
CLASS_LABELS = {"public": "公开", "authorized": "授权查询", "internal": "内部"}
BASIS_LABELS = {
    "public": "公开信息",
    "own": "本人信息",
    "centre": "信用中心履职查询",
    "source": "本部门报送的信息",
    "right": "查询权限",
    "consent": "信息主体授权",
    "grant": "特殊查询申请（已批准）",
}
# what an audit entry of a query names as its object, per basis
BASIS_OBJECTS = {"centre": "credit_centre", "source": "department", "right": "query_right", "consent": "consent", "grant": "special_request"}
OBJECT_BASIS = {v: k for k, v in BASIS_OBJECTS.items()}
QUERY_ACTION = "access.query"


# ---------------------------------------------------------------------- who looks
@dataclass(frozen=True)
class Viewer:
    kind: str  # public / subject / department / centre
    department_id: int | None = None
    subject_id: int | None = None

    @classmethod
    def public(cls) -> Viewer:
        return cls("public")

    @classmethod
    def of_subject(cls, subject) -> Viewer:
        return cls("subject", subject_id=getattr(subject, "pk", subject))

    @classmethod
    def of_department(cls, department) -> Viewer:
        return cls("department", department_id=getattr(department, "pk", department))

    @classmethod
    def centre(cls) -> Viewer:
        return cls("centre")

    @classmethod
    def for_scope(cls, scope) -> Viewer:
        """The viewer of a signed-in staff user (`ingestion.selectors.scope_for`): credit-centre
        staff query as the centre, an operator as its department."""
        return cls.centre() if scope.staff else cls.of_department(scope.department)


@dataclass(frozen=True)
class Basis:
    type: str  # public / own / centre / source / right / consent / grant
    id: int | None = None

    @property
    def label(self) -> str:
        text = BASIS_LABELS.get(self.type, self.type)
        return f"{text}（编号 {self.id}）" if self.id else text


@dataclass(frozen=True)
class Shown:
    record: Record
    basis: Basis

    @property
    def disclosure_label(self) -> str:
        return CLASS_LABELS.get(self.record.disclosure, self.record.disclosure)


@dataclass
class Access:
    viewer: Viewer
    subject: object
    day: date
    shown: list[Shown] = field(default_factory=list)
    withheld: Counter = field(default_factory=Counter)

    @property
    def records(self) -> list[Record]:
        return [s.record for s in self.shown]

    @property
    def withheld_total(self) -> int:
        return sum(self.withheld.values())

    @property
    def non_public(self) -> list[Shown]:
        return [s for s in self.shown if s.record.disclosure != "public"]

    def by_basis(self) -> dict[Basis, list[Shown]]:
        """The non-public records shown, grouped by the basis that allowed each."""
        out: dict[Basis, list[Shown]] = {}
        for s in self.non_public:
            out.setdefault(s.basis, []).append(s)
        return out


# ---------------------------------------------------------------------- catalog helpers
def item_codes_of_kind(kind: str) -> set[str]:
    return {code for code, item in get_catalog().items.items() if item.kind == kind}


def item_kinds() -> dict[str, str]:
    """Kinds of items (the item groups a right may name) → a label (the first item's name)."""
    out: dict[str, str] = {}
    for item in sorted(get_catalog().items.values(), key=lambda i: i.code):
        out.setdefault(item.kind, item.name)
    return out


def authorized_items() -> list:
    """Items whose records are, or may be, of the authorized class: what a consent or a special
    query request may name."""
    return sorted(
        (i for i in get_catalog().items.values() if i.disclosure == "authorized" or any(r.disclosure == "authorized" for r in i.disclosure_rules)),
        key=lambda i: i.code,
    )


def item_label(code: str) -> str:
    item = get_catalog().item(code)
    return f"{item.name}（{code}）" if item else code


@dataclass(frozen=True)
class Purpose:
    code: str
    label: str
    details_required: bool = False


@lru_cache(maxsize=4)
def _purposes(path: str, mtime: float) -> tuple[Purpose, ...]:
    data = load_yaml(Path(path)) or {}
    return tuple(Purpose(str(p["code"]), str(p["label"]), bool(p.get("details_required", False))) for p in data.get("purposes") or [])


def purposes() -> tuple[Purpose, ...]:
    """The purposes a query may state (access/definitions/purposes.yaml)."""
    path = Path(__file__).parent / "definitions" / "purposes.yaml"
    return _purposes(str(path), path.stat().st_mtime)


# ---------------------------------------------------------------------- the bases in force
def rights_in_force(department_id: int, day: date) -> QuerySet[QueryRight]:
    return QueryRight.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day), department_id=department_id, revoked_at__isnull=True, valid_from__lte=day
    ).order_by("id")


def consents_in_force(subject_id: int, department_id: int, day: date) -> QuerySet[Consent]:
    return Consent.objects.filter(
        subject_id=subject_id, department_id=department_id, revoked_at__isnull=True, valid_from__lte=day, expires_on__gte=day
    ).order_by("id")


def grants_in_force(subject_id: int, department_id: int, day: date) -> QuerySet[SpecialRequest]:
    return SpecialRequest.objects.filter(
        department_id=department_id, subjects=subject_id, status="approved", grant_from__lte=day, grant_until__gte=day
    ).order_by("id")


def _right_for(rights: list[QueryRight], item_code: str, kind: str | None) -> QueryRight | None:
    for right in rights:
        if (right.item_code and right.item_code == item_code) or (right.item_kind and right.item_kind == kind):
            return right
    return None


# ---------------------------------------------------------------------- the rule
def visible_records(viewer: Viewer, subject, day: date | None = None) -> Access:
    """The subject's records `viewer` may see on `day`, each with the basis that allows it, and
    (for a department) how many records in force it may not see, by class."""
    day = day or record_selectors.today()
    access = Access(viewer=viewer, subject=subject, day=day)
    order = ("-decided_on", "-id")
    if viewer.kind == "subject" and viewer.subject_id == subject.pk:
        access.shown = [Shown(r, Basis("own")) for r in record_selectors.subject_own_records(subject, day).select_related("department").order_by(*order)]
        return access
    if viewer.kind not in ("centre", "department") or (viewer.kind == "department" and not viewer.department_id):
        access.shown = [Shown(r, Basis("public")) for r in record_selectors.subject_public_records(subject, day).select_related("department").order_by(*order)]
        return access
    in_force = Record.objects.filter(record_selectors.in_period_q(day, disclosures=CLASSES), subject=subject).select_related("department").order_by(*order)
    if viewer.kind == "centre":
        access.shown = [Shown(r, Basis("public" if r.disclosure == "public" else "centre")) for r in in_force]
        return access
    dept_id = viewer.department_id
    records = list(in_force)
    if any(r.disclosure == "authorized" and r.department_id != dept_id for r in records):
        rights = list(rights_in_force(dept_id, day))
        consents = list(consents_in_force(subject.pk, dept_id, day))
        grants = list(grants_in_force(subject.pk, dept_id, day))
    else:
        rights, consents, grants = [], [], []
    catalog = get_catalog()
    for r in records:
        basis = None
        if r.disclosure == "public":
            basis = Basis("public")
        elif r.department_id == dept_id:
            basis = Basis("source")
        elif r.disclosure == "authorized":
            item = catalog.items.get(r.item_code)
            right = _right_for(rights, r.item_code, item.kind if item else None)
            if right is not None:
                basis = Basis("right", right.pk)
            elif (consent := next((c for c in consents if c.covers(r.item_code)), None)) is not None:
                basis = Basis("consent", consent.pk)
            elif (grant := next((g for g in grants if r.item_code in (g.granted_items or [])), None)) is not None:
                basis = Basis("grant", grant.pk)
        if basis is None:
            access.withheld[r.disclosure] += 1
        else:
            access.shown.append(Shown(r, basis))
    return access


def visible_q(viewer: Viewer, subject, day: date | None = None) -> Q:
    """The records of `visible_records` as a condition (exports that filter a queryset)."""
    return Q(id__in=[r.id for r in visible_records(viewer, subject, day).records])


# ---------------------------------------------------------------------- subjects
def find_subject(code: str):
    """The subject with this USCC or resident ID number (looked up by its keyed hash), or None.
    A malformed code raises subjects.identifiers.InvalidCode with the reason."""
    from xinyong.subjects.identifiers import (
        InvalidCode,
        clean_id_number,
        clean_uscc,
        id_lookup_hash,
    )
    from xinyong.subjects.models import Subject

    text = (code or "").strip().upper()
    if not text:
        raise InvalidCode("请输入统一社会信用代码或公民身份号码")
    candidates = []
    errors = []
    try:
        candidates.append(Q(uscc=clean_uscc(text)))
    except InvalidCode as exc:
        errors.append(str(exc))
    if len(text) == 18 and text[:17].isdigit():
        try:
            candidates.append(Q(id_hash=id_lookup_hash(clean_id_number(text))))
        except InvalidCode as exc:
            errors.append(str(exc))
    if not candidates:
        raise InvalidCode("；".join(reversed(errors)) if len(text) == 18 and text[:17].isdigit() else errors[0])
    condition = candidates[0]
    for extra in candidates[1:]:
        condition |= extra
    return Subject.objects.filter(condition).order_by("id").first()


# ---------------------------------------------------------------------- lists for pages
def rights_list(*, department_id: int | None = None, include_revoked: bool = True) -> QuerySet[QueryRight]:
    qs = QueryRight.objects.select_related("department", "granted_by", "revoked_by").order_by("-id")
    if department_id:
        qs = qs.filter(department_id=department_id)
    if not include_revoked:
        qs = qs.filter(revoked_at__isnull=True)
    return qs


def consents_of_subject(subject) -> QuerySet[Consent]:
    return Consent.objects.filter(subject=subject).select_related("department").order_by("-id")


def consents_for_department(department_id: int | None) -> QuerySet[Consent]:
    qs = Consent.objects.select_related("department", "subject").order_by("-id")
    return qs if department_id is None else qs.filter(department_id=department_id)


def requests_for(scope) -> QuerySet[SpecialRequest]:
    """Special query requests a staff user may see: all for the credit centre, the department's
    own for an operator."""
    qs = SpecialRequest.objects.select_related("department").order_by("-id")
    return qs if scope.staff else qs.filter(department_id=scope.department.id)


def request_uses(request: SpecialRequest):
    """Every query that used this grant (audit entries), newest first."""
    from xinyong.security.models import AuditEntry

    return AuditEntry.objects.filter(action=QUERY_ACTION, object_type=BASIS_OBJECTS["grant"], object_id=str(request.pk)).order_by("-seq")


def consent_uses(consent: Consent):
    from xinyong.security.models import AuditEntry

    return AuditEntry.objects.filter(action=QUERY_ACTION, object_type=BASIS_OBJECTS["consent"], object_id=str(consent.pk)).order_by("-seq")


@dataclass(frozen=True)
class Looked:
    at: object
    department: str
    purpose: str
    basis: str
    items: list[str]
    count: int


def who_looked(subject, *, limit: int = 500) -> list[Looked]:
    """Reads of the subject's non-public data by departments, staff and department systems
    (security.selectors.queries_about), each with its basis and the items seen."""
    from xinyong.security.selectors import queries_about

    out = []
    for entry in queries_about(subject).only("at", "department__name", "department__short_name", "purpose", "action", "object_type", "object_id", "detail", "actor_label")[:limit]:
        detail = entry.detail or {}
        basis_type = OBJECT_BASIS.get(entry.object_type)
        if basis_type:
            basis = Basis(basis_type, int(entry.object_id) if entry.object_id.isdigit() and basis_type in ("right", "consent", "grant") else None).label
        else:
            basis = "工作人员查看"
        department = entry.department.name if entry.department_id and entry.department else ("信用中心" if basis_type == "centre" else "平台工作人员")
        items = [item_label(c) for c in detail.get("items", [])]
        out.append(Looked(entry.at, department, entry.purpose, basis, items, len(detail.get("records", [])) or 0))
    return out


def consent_max_days() -> int:
    return int(settings.XINYONG["ACCESS"]["CONSENT_MAX_DAYS"])


def grant_max_days() -> int:
    return int(settings.XINYONG["ACCESS"]["GRANT_MAX_DAYS"])


_SKIP_ROLES = {"subject_name", "subject_category", "uscc", "id_number", "source_id", "document_no", "decided_on", "disclosure"}


def record_fields(record: Record) -> list[tuple[str, str]]:
    """The record's content for a page: (label, value) of its item's non-sensitive fields (the
    sensitive ones stay encrypted and are never shown here)."""
    item = get_catalog().item(record.item_code)
    if item is None:
        return []
    data = record.data or {}
    out = []
    for f in item.fields:
        if not f.is_public or f.role in _SKIP_ROLES:
            continue
        value = data.get(f.name)
        if value is None or value == "" or value == []:
            continue
        out.append((f.label, "；".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)))
    return out
