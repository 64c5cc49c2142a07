"""Writes on subjects: identity resolution for ingestion, registration updates, name history.

A record names its subject by USCC, ID number, a legacy code, or only by name. Codes are exact.
A name is matched exactly after normalization (full/half width, brackets, spaces) and only when it
designates one subject; otherwise the record goes to the review queue. Nothing is ever attached
to a guessed subject.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction

from xinyong.common.crypto import encrypt
from xinyong.common.normalize import normalize_code, normalize_name

from . import identifiers as ids
from .models import Subject, SubjectIdentifier, SubjectName

LEGACY_SCHEMES = ("org_code", "reg_no", "tax_no", "institution_no", "social_org_no")
_SUBJECT_COLUMNS = ["id", "public_id", "kind", "uscc", "id_hash", "id_encrypted", "id_masked", "name", "name_key", "region", "status", "legal_rep", "registered_on", "registered", "created_at", "updated_at"]
_IDENT_COLUMNS = ["subject_id", "scheme", "value", "source", "created_at"]
_NAME_COLUMNS = ["subject_id", "name", "name_key", "valid_from", "valid_to", "source"]
CATEGORY_PERSON = "自然人"


@dataclass(slots=True)
class SubjectRef:
    name: str
    category: str | None = None
    uscc: str | None = None
    id_number: str | None = None
    id_type: str | None = None
    legacy: list[tuple[str, str]] = field(default_factory=list)
    kind_hint: str | None = None  # from a registration item

    def key(self, lookup_hash) -> str:
        """A stable key of the subject as the row names it (for source record ids)."""
        if self.category == CATEGORY_PERSON or (self.id_number and not self.uscc):
            if self.id_number:
                return "p:" + lookup_hash(self.id_number)[:20]
        if self.uscc:
            return self.uscc
        if self.legacy:
            scheme, value = self.legacy[0]
            return f"{scheme}:{value}"
        return "n:" + normalize_name(self.name)


@dataclass(slots=True)
class Resolution:
    subject_id: int | None
    kind: str | None = None
    review_reason: str | None = None
    candidates: list[dict] = field(default_factory=list)
    # the subject is named by a code the platform has not seen yet: it is created by `commit`
    # when (and only when) its row is stored, so a rejected row leaves no subject behind
    pending: bool = False


class SubjectResolver:
    """Resolves the subjects of a batch, chunk by chunk. `resolve` only reads; `commit` creates
    the organizations (by USCC) and individuals (by ID number) of the rows that are stored, and
    maps the legacy codes they carry. Caches what it has seen for the whole batch."""

    def __init__(self, *, source: str):
        self.source = source
        self.by_uscc: dict[str, tuple[int, str]] = {}
        self.by_idhash: dict[str, tuple[int, str]] = {}
        self.by_legacy: dict[tuple[str, str], tuple[int, str] | None] = {}
        self.created = 0

    def resolve(self, refs: list[SubjectRef]) -> list[Resolution]:
        self._load_usccs({r.uscc for r in refs if r.uscc and not self._is_person(r)} - self.by_uscc.keys())
        person_hashes = [self._id_hash(r) if self._is_person(r) and r.id_number else None for r in refs]
        self._load_idhashes({h for h in person_hashes if h} - self.by_idhash.keys())
        self._load_legacy({pair for r in refs if not r.uscc and not self._is_person(r) for pair in r.legacy} - self.by_legacy.keys())
        out: list[Resolution] = []
        name_only: list[tuple[int, SubjectRef]] = []
        for i, r in enumerate(refs):
            if self._is_person(r):
                if not r.id_number:
                    out.append(Resolution(None, review_reason="自然人未提供证件号码"))
                    continue
                hit = self.by_idhash.get(person_hashes[i])
                out.append(Resolution(hit[0], hit[1]) if hit else Resolution(None, "individual", pending=True))
            elif r.uscc:
                hit = self.by_uscc.get(r.uscc)
                out.append(Resolution(hit[0], hit[1]) if hit else Resolution(None, r.kind_hint or ids.kind_from_uscc(r.uscc), pending=True))
            elif r.legacy:
                hit = next((self.by_legacy.get(p) for p in r.legacy if self.by_legacy.get(p)), None)
                if hit:
                    out.append(Resolution(hit[0], hit[1]))
                else:
                    out.append(Resolution(None, review_reason="所填代码尚未对应到统一社会信用代码"))
            else:
                out.append(Resolution(None))
                name_only.append((i, r))
        if name_only:
            self._resolve_names(name_only, out)
        return out

    def commit(self, refs: list[SubjectRef]) -> list[int]:
        """The subject ids of rows about to be stored: subjects not seen before are created, and
        legacy codes given beside a USCC are mapped to it (old registration number → USCC)."""
        from django.utils import timezone

        from xinyong.common import db

        now = timezone.now()
        stamp = db.db_datetime(now)
        new_orgs: dict[str, tuple] = {}
        new_people: dict[str, tuple] = {}
        hashes: list[str | None] = []
        for r in refs:
            if self._is_person(r):
                h = self._id_hash(r)
                hashes.append(h)
                if h not in self.by_idhash and h not in new_people:
                    number = r.id_number
                    is_ric = not r.id_type or r.id_type == "身份证"
                    name = r.name[:200]
                    new_people[h] = ("individual", None, h, encrypt(number), ids.masked_id(number), name, normalize_name(name)[:200],
                                     ids.id_region(number) if is_ric else "", "", "", None, False, stamp, stamp)
            else:
                hashes.append(None)
                if r.uscc and r.uscc not in self.by_uscc and r.uscc not in new_orgs:
                    name = r.name[:200]
                    new_orgs[r.uscc] = (r.kind_hint or ids.kind_from_uscc(r.uscc), r.uscc, None, "", "", name, normalize_name(name)[:200],
                                        ids.region_from_uscc(r.uscc), "", "", None, False, stamp, stamp)
        created = list(new_orgs.values()) + list(new_people.values())
        if created:
            subject_ids = db.allocate_ids(Subject, len(created))
            db.insert_rows(Subject, _SUBJECT_COLUMNS, [(sid, db.db_uuid(uuid.uuid4()), *row) for sid, row in zip(subject_ids, created, strict=True)])
            names, idents = [], []
            for sid, row in zip(subject_ids, created, strict=True):
                kind, uscc, id_hash = row[0], row[1], row[2]
                if uscc:
                    self.by_uscc[uscc] = (sid, kind)
                    idents.append((sid, "org_code", ids.org_code_from_uscc(uscc), self.source, stamp))
                    names.append((sid, row[5], row[6], None, None, self.source))
                else:
                    self.by_idhash[id_hash] = (sid, kind)
            db.insert_rows(SubjectIdentifier, _IDENT_COLUMNS, idents, ignore_conflicts=True)
            db.insert_rows(SubjectName, _NAME_COLUMNS, names)
            self.created += len(created)
        links = []
        out: list[int] = []
        for r, h in zip(refs, hashes, strict=True):
            if h is not None:
                out.append(self.by_idhash[h][0])
                continue
            if r.uscc:
                sid = self.by_uscc[r.uscc][0]
                for scheme, value in r.legacy:
                    if self.by_legacy.get((scheme, value)) is None:
                        links.append((sid, scheme, value, self.source, stamp))
                        self.by_legacy[(scheme, value)] = self.by_uscc[r.uscc]
                out.append(sid)
            else:
                out.append(None)  # resolved by legacy code or name: the caller has the id
        db.insert_rows(SubjectIdentifier, _IDENT_COLUMNS, links, ignore_conflicts=True)
        return out

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _is_person(r: SubjectRef) -> bool:
        return r.category == CATEGORY_PERSON or (bool(r.id_number) and not r.uscc and not r.legacy)

    @staticmethod
    def _id_hash(r: SubjectRef) -> str:
        if r.id_type and r.id_type != "身份证":
            return ids.other_id_lookup_hash(r.id_type, r.id_number)
        return ids.id_lookup_hash(r.id_number)

    def _load_usccs(self, codes: set[str]) -> None:
        codes_list = list(codes)
        for i in range(0, len(codes_list), 2000):
            for code, sid, kind in Subject.objects.filter(uscc__in=codes_list[i : i + 2000]).values_list("uscc", "id", "kind"):
                self.by_uscc[code] = (sid, kind)

    def _load_idhashes(self, hashes: set[str]) -> None:
        hs = list(hashes)
        for i in range(0, len(hs), 2000):
            for h, sid, kind in Subject.objects.filter(id_hash__in=hs[i : i + 2000]).values_list("id_hash", "id", "kind"):
                self.by_idhash[h] = (sid, kind)

    def _load_legacy(self, pairs: set[tuple[str, str]]) -> None:
        if not pairs:
            return
        values = {v for _, v in pairs}
        found = {}
        for scheme, value, sid, kind in SubjectIdentifier.objects.filter(value__in=list(values)).values_list("scheme", "value", "subject_id", "subject__kind"):
            found[(scheme, value)] = (sid, kind)
        for p in pairs:
            self.by_legacy[p] = found.get(p)

    def _resolve_names(self, name_only: list[tuple[int, SubjectRef]], out: list[Resolution]) -> None:
        keys = {normalize_name(r.name) for _, r in name_only}
        matches: dict[str, set[int]] = {k: set() for k in keys}
        key_list = list(keys)
        for i in range(0, len(key_list), 2000):
            part = key_list[i : i + 2000]
            for k, sid in Subject.objects.filter(name_key__in=part).exclude(kind="individual").values_list("name_key", "id"):
                matches[k].add(sid)
            for k, sid in SubjectName.objects.filter(name_key__in=part).values_list("name_key", "subject_id"):
                matches[k].add(sid)
        kinds = dict(Subject.objects.filter(id__in={s for v in matches.values() for s in v}).values_list("id", "kind"))
        for i, r in name_only:
            found = matches[normalize_name(r.name)]
            if len(found) == 1:
                sid = next(iter(found))
                out[i] = Resolution(sid, kinds.get(sid))
            elif not found:
                out[i] = Resolution(None, review_reason="仅有名称，未找到名称完全一致的主体")
            else:
                cands = list(Subject.objects.filter(id__in=found).values("id", "uscc", "name")[:10])
                out[i] = Resolution(None, review_reason=f"仅有名称，有{len(found)}个同名主体", candidates=cands)


def subject_apply_registration(*, subject_id: int, name: str, status: str | None, legal_rep: str | None, registered_on: date | None, kind: str | None, source: str, on: date) -> bool:
    """Update a subject from its registration record; a new name goes into the name history."""
    subject = Subject.objects.get(pk=subject_id)
    changed = False
    new_key = normalize_name(name)
    if name and subject.name != name:
        if subject.name_key != new_key:
            SubjectName.objects.filter(subject=subject, valid_to__isnull=True).update(valid_to=on)
            SubjectName.objects.create(subject=subject, name=name, name_key=new_key, valid_from=on, source=source)
        subject.name, subject.name_key = name[:200], new_key[:200]
        changed = True
    for attr, value in (("status", status), ("legal_rep", legal_rep), ("registered_on", registered_on), ("kind", kind)):
        if value and getattr(subject, attr) != value:
            setattr(subject, attr, value)
            changed = True
    if not subject.registered:
        subject.registered = True
        changed = True
    if changed:
        subject.save()
    return changed


def subject_link_identifier(*, subject: Subject, scheme: str, value: str, source: str) -> SubjectIdentifier:
    """Map a legacy identifier to a subject (credit-centre action from the review queue or admin)."""
    value = normalize_code(value)
    try:
        with transaction.atomic():
            return SubjectIdentifier.objects.create(subject=subject, scheme=scheme, value=value, source=source)
    except IntegrityError:
        existing = SubjectIdentifier.objects.get(scheme=scheme, value=value)
        if existing.subject_id != subject.id:
            from xinyong.common.errors import Conflict

            raise Conflict(f"该{dict(SubjectIdentifier.SCHEMES)[scheme]}已对应到另一主体（{existing.subject}）") from None
        return existing

