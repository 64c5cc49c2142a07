"""Checks (触发), bulk checks and feedback (反馈).

A check reads the subject's list memberships (`sanctions.selectors.active_entries`: listed, not
past their end, any disclosure class) and its current evaluation grades, finds the rules of the
measures catalog for the matter asked whose implementing systems include the requesting
department's, and answers each measure with its reasons and legal basis. The answer is audited
in the same request: one `Check` row (and a `CheckHit` per measure), or for a bulk check one
`BulkCheck` row and a `CheckHit` per (subject, measure).

Bulk checks are set-based: codes are resolved, entries and grades read, one query each per chunk
of subjects, never one per subject.
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from xinyong.catalog.models import Department
from xinyong.common.db import db_datetime, execute_hot, insert_rows, select_rows, sql_in
from xinyong.common.errors import Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge
from xinyong.common.masking import mask_id_number
from xinyong.records.models import ChangeEvent
from xinyong.records.selectors import today
from xinyong.sanctions.models import ListEntry
from xinyong.sanctions.selectors import CHECK_FIELDS, active_entries
from xinyong.security.services import Actor, audit_log
from xinyong.subjects import identifiers as ids
from xinyong.subjects.identifiers import InvalidCode
from xinyong.subjects.models import Subject

from .loader import Matter, MeasuresCatalog, Rule, get_measures
from .models import BulkCheck, Check, CheckHit, Feedback

CHUNK = 5000  # subjects per query of a bulk check
DUPLICATES_SHOWN = 1000
ERRORS_SHOWN = 100


# ---------------------------------------------------------------------- request checks
def matter_for(catalog: MeasuresCatalog, code: str, department: Department) -> Matter:
    """The matter asked, refused when unknown (422) or outside the department's remit (403)."""
    matter = catalog.matters.get(code)
    if matter is None:
        raise InvalidInput(
            f"未知的事项类型“{str(code)[:40]}”（可选：{'、'.join(f'{m.code} {m.name}' for m in catalog.matters.values())}）",
            code="unknown_matter", fields={"matter": "未知的事项类型"},
        )
    if not matter.in_remit(department.system):
        raise Forbidden(
            f"部门“{department.short_name}”（条线 {department.system}）没有“{matter.name}”事项的核查职责（见措施清单的事项类型）",
            code="matter_outside_remit", fields={"matter": "超出本部门职责"},
        )
    return matter


def requester_department(key, department_code: str | None) -> Department:
    """The key's department; a request naming another department is refused (403)."""
    department = key.department
    if department_code and department_code.strip() != department.code:
        raise Forbidden(
            f"接口密钥属于“{department.short_name}”（{department.code}），不能以部门 {department_code[:40]} 的名义核查或反馈",
            code="department_mismatch", fields={"department": "与接口密钥的部门不符"},
        )
    return department


def clean_case_no(value: str) -> str:
    case_no = (value or "").strip()
    if not case_no:
        raise InvalidInput("请填写案件编号（本部门业务系统中的办件号或项目编号）", code="invalid_input", fields={"case_no": "必填"})
    if len(case_no) > 100 or any(ord(c) < 32 for c in case_no):
        raise InvalidInput("案件编号不超过100个字符，且不含控制字符", code="invalid_input", fields={"case_no": "无效"})
    return case_no


@dataclass(frozen=True)
class Code:
    """A subject code as asked: scheme uscc | id_number, the valid value, where it was (row)."""

    scheme: str
    value: str
    row: str

    @property
    def shown(self) -> str:
        return self.value if self.scheme == "uscc" else mask_id_number(self.value)

    @property
    def key(self) -> str:
        return self.value if self.scheme == "uscc" else ids.id_lookup_hash(self.value)


# A bulk check validates up to 100,000 USCCs per call. python-stdnum (`ids.clean_uscc`) is the
# reference and gives the reason of a refusal; it costs ~50 µs a code (it cleans the code twice
# and looks each character up in a string), 5 s for a full bulk check. The same GB 32100 check
# with a table is ~2 µs: valid codes take this path, anything else goes to stdnum for the verdict
# and the reason (tests/measures/test_loader.py checks that both agree).
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$")


_USCC_VALUE_OF = _USCC_VALUE.__getitem__


def fast_uscc(value: str) -> str | None:
    """The code when it is a valid USCC as typed (upper case, no spaces), else None."""
    if len(value) != 18 or not _USCC_SHAPE.match(value):
        return None
    total = sum(map(operator.mul, map(_USCC_VALUE_OF, value[:17]), _USCC_WEIGHTS))  # no generator: 2x
    return value if _USCC_ALPHABET[(31 - total) % 31] == value[17] else None


def clean_code(scheme: str, raw, row: str) -> Code:
    """A valid code or InvalidCode with the reason (an ID number is never repeated in it)."""
    if not isinstance(raw, str):
        raise InvalidCode("应为字符串")
    if scheme == "uscc":
        return Code("uscc", fast_uscc(raw) or ids.clean_uscc(raw), row)
    return Code("id_number", ids.clean_id_number(raw), row)


def single_code(uscc: str | None, id_number: str | None) -> Code:
    if bool(uscc) == bool(id_number):
        raise InvalidInput("请提供统一社会信用代码（uscc）或公民身份号码（id_number）之一", code="subject_required", fields={"uscc": "二者必填其一", "id_number": "二者必填其一"})
    scheme, raw = ("uscc", uscc) if uscc else ("id_number", id_number)
    try:
        return clean_code(scheme, raw, scheme)
    except InvalidCode as exc:
        suggestion = ids.suggest_uscc(raw) if scheme == "uscc" else None
        hint = f"（校验位正确时应为 {suggestion}）" if suggestion and "校验位" in str(exc) else ""
        raise InvalidInput(f"{exc}{hint}", code="invalid_code", fields={scheme: str(exc)}) from None


# ---------------------------------------------------------------------- the answer
# The single check runs on every decision of every department (benchmark: thousands a second):
# its own reads and its audit row are written as plain SQL, which costs a fraction of the ORM's
# query compilation; both databases take the same statements.
_SQL_VERSION = f'SELECT "seq", "at" FROM "{ChangeEvent._meta.db_table}" ORDER BY "seq" DESC LIMIT 1'  # noqa: S608
# one statement for what every check reads: the data version, the subject, whether it is on any
# list at all and whether it has any current grade (most subjects are on no list, and a province
# may not have graded a subject yet: a probe on the subject's index spares the reading of its
# entries or its grades)
def _sql_lookup(scheme: str) -> str:
    sql = _SQL_LOOKUP.get(scheme)
    if sql is None:
        from xinyong.evaluation.models import EvaluationResult

        column = {"uscc": "uscc", "id_number": "id_hash"}[scheme]
        sql = _SQL_LOOKUP[scheme] = (
            f'SELECT v."seq", v."at", s."id", s."kind", s."name",'  # noqa: S608
            f' CASE WHEN EXISTS (SELECT 1 FROM "{ListEntry._meta.db_table}" e WHERE e."subject_id" = s."id") THEN 1 ELSE 0 END,'
            f' CASE WHEN EXISTS (SELECT 1 FROM "{EvaluationResult._meta.db_table}" g WHERE g."subject_id" = s."id" AND g."valid_to" IS NULL) THEN 1 ELSE 0 END'
            f' FROM (SELECT 1 AS "one") q'
            f' LEFT JOIN (SELECT "seq", "at" FROM "{ChangeEvent._meta.db_table}" ORDER BY "seq" DESC LIMIT 1) v ON 1 = 1'
            f' LEFT JOIN "{Subject._meta.db_table}" s ON s."{column}" = %s'
        )
    return sql


_SQL_LOOKUP: dict[str, str] = {}


def lookup(scheme: str, key: str) -> tuple:
    """A check's first statement: (change feed seq and time, subject id, kind and name, whether it
    has list entries, whether it has current grades); the subject's three None when not found."""
    return execute_hot(_sql_lookup(scheme), [key])[0]


_HIT_COLUMNS = ["check_row_id", "at", "department_id", "case_no", "matter", "subject_id", "measure", "reasons"]
_CHECK_COLUMNS = ["public_id", "at", "key_id", "department_id", "case_no", "matter", "subject_id", "subject_code", "hits", "digest", "data_seq", "catalog_version"]
# where a hit's columns shared with its check (at ... subject_id) stand among the check's values
_HIT_SHARED = [_CHECK_COLUMNS.index(c) for c in _HIT_COLUMNS[1:6]]
_SQL_CHECK = (
    f'INSERT INTO "{Check._meta.db_table}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in _CHECK_COLUMNS)})'  # noqa: S608
    f' VALUES ({", ".join("%s" for _ in _CHECK_COLUMNS)}) RETURNING "id"'
)


def _aware(value):
    if isinstance(value, str):  # SQLite
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def data_version() -> dict:
    """The change feed's position and time the answer rests on."""
    with connection.cursor() as cur:
        cur.execute(_SQL_VERSION)
        row = cur.fetchone()
    return {"seq": row[0], "at": _aware(row[1])} if row else {"seq": 0, "at": None}


@dataclass
class Found:
    """What a subject has that can trigger measures."""

    entries: list = field(default_factory=list)  # ListEntry
    grades: list = field(default_factory=list)  # dicts: model_code, model_version, grade, raw_grade, as_of, records


def _list_reason(entry, catalog) -> dict:
    lt = catalog.lists.get(entry.list_code)
    dept = entry.designating_department
    basis = list(entry.basis_records or [])
    if entry.basis_record_id and entry.basis_record_id not in basis:
        basis.insert(0, entry.basis_record_id)
    return {
        "type": "list",
        "list_code": entry.list_code,
        "list_name": lt.name if lt else entry.list_code,
        "list_kind": lt.kind if lt else "",
        "entry": entry.pk,
        "designating_department": dept.code if dept else None,
        "designating_department_name": dept.name if dept else None,
        "authority_level": entry.authority_level or None,
        "listed_on": entry.listed_on,
        "expires_on": entry.expires_on,
        "entry_legal_basis": entry.legal_basis or (lt.legal_basis if lt else ""),
        "basis_records": [b for b in basis if isinstance(b, int)][:50],
        "model": None, "model_name": None, "model_version": None, "grade": None, "grade_name": None, "as_of": None,
    }


def _grade_reason(g: dict, models: dict) -> dict:
    model = models.get(g["model_code"])
    grade = model.grade(g["grade"]) if model else None
    return {
        "type": "grade",
        "list_code": None, "list_name": None, "list_kind": None, "entry": None,
        "designating_department": None, "designating_department_name": None, "authority_level": None,
        "listed_on": None, "expires_on": None, "entry_legal_basis": None,
        "basis_records": g["records"][:50],
        "model": g["model_code"],
        "model_name": model.name if model else g["model_code"],
        "model_version": g["model_version"],
        "grade": g["grade"],
        "grade_name": grade.name if grade else g["grade"],
        "as_of": g["as_of"],
    }


def applicable(catalog: MeasuresCatalog, matter: str, system: str, found: Found, *, gen_catalog, models) -> list[dict]:
    """The measures for this matter and system, each with its reasons and legal basis, in the
    order of the national list."""
    by_measure: dict[str, dict] = {}

    def add(rule: Rule, reason: dict) -> None:
        if system not in rule.departments:
            return
        for code in rule.measures:
            m = by_measure.setdefault(code, {"rules": [], "reasons": []})
            if rule not in m["rules"]:
                m["rules"].append(rule)
            if reason not in m["reasons"]:
                m["reasons"].append(reason)

    for entry in found.entries:
        rules = catalog.by_list.get((entry.list_code, matter))
        if rules:
            reason = _list_reason(entry, gen_catalog)
            for rule in rules:
                add(rule, reason)
    for g in found.grades:
        rules = catalog.by_grade.get((g["model_code"], g["grade"], matter))
        if rules:
            reason = _grade_reason(g, models)
            for rule in rules:
                add(rule, reason)
    out = []
    for code in catalog.measures:
        if code not in by_measure:
            continue
        measure = catalog.measures[code]
        m = by_measure[code]
        out.append({
            "code": code,
            "name": measure.name,
            "kind": measure.kind,
            "kind_label": measure.kind_label,
            "legal_basis": "；".join(dict.fromkeys(r.legal_basis for r in m["rules"])),
            "national_basis": f"{catalog.editions.get(measure.kind, '')} {measure.basis}".strip(),
            "implementing_systems": sorted({s for r in m["rules"] for s in r.departments}),
            "reasons": m["reasons"],
        })
    return out


def _digest(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()[:32]


def _reason_key(reason: dict) -> str:
    if reason["type"] == "list":
        return f"list:{reason['list_code']}#{reason['entry']}"
    return f"grade:{reason['model']}:{reason['grade']}"


def conclusion(measures: list[dict], matter: Matter) -> str:
    if not measures:
        return f"未发现适用的奖惩措施：该主体在“{matter.name}”事项中没有触发本部门实施措施的名单记录或评价等级。"
    punish = sum(1 for m in measures if m["kind"] == "punishment")
    incent = len(measures) - punish
    parts = [f"失信惩戒措施{punish}项"] if punish else []
    if incent:
        parts.append(f"守信激励措施{incent}项")
    return f"在“{matter.name}”事项中适用{'、'.join(parts)}，请依法实施并反馈执行情况。"


# ---------------------------------------------------------------------- grades
def _grades(subject_ids: list[int], catalog: MeasuresCatalog, *, hot: bool = False) -> dict[int, list[dict]]:
    """Current grades that can trigger measures, by subject (one query, plain SQL: see
    common/db.py; `hot`: prepared on PostgreSQL, the single check)."""
    from xinyong.evaluation.models import EvaluationResult

    triggering = {(m, g) for m, g, _ in catalog.by_grade}
    if not triggering or not subject_ids:
        return {}
    models_, grades_ = sorted({m for m, _ in triggering}), sorted({g for _, g in triggering})
    subjects, params = sql_in('t."subject_id"', subject_ids)
    where = (f'{subjects} AND t."valid_to" IS NULL'
             f' AND t."model_code" IN ({", ".join(["%s"] * len(models_))}) AND t."grade" IN ({", ".join(["%s"] * len(grades_))})')
    rows = select_rows(EvaluationResult, where, [*params, *models_, *grades_], related=("run",), hot=hot)
    out: dict[int, list[dict]] = {}
    for r in rows:
        sid, model, version, grade, raw, as_of, contributions = r.subject_id, r.model_code, r.model_version, r.grade, r.raw_grade, r.run.as_of, r.contributions
        if (model, grade) in triggering:
            records = [c[0] for c in (contributions or []) if isinstance(c, list | tuple) and c]
            out.setdefault(sid, []).append({"model_code": model, "model_version": version, "grade": grade, "raw_grade": raw, "as_of": as_of, "records": records})
    return out


# ---------------------------------------------------------------------- single check
def check_run(*, key, department: Department, matter_code: str, case_no: str, uscc: str | None = None, id_number: str | None = None, day: date | None = None, defer=None) -> dict:
    """Check one subject for a matter: the applicable measures with their reasons, or the clean
    answer; audited by one Check row (and its hits) written in one transaction: at once, or by
    `defer(write)` in a transaction of the caller's (the API's: `security.auth.defer_write`)."""
    from xinyong.catalog.registry import get_catalog
    from xinyong.evaluation.loader import get_models

    catalog = get_measures()
    matter = matter_for(catalog, matter_code, department)
    case_no = clean_case_no(case_no)
    code = single_code(uscc, id_number)
    day = day or today()
    seq, at, sid, kind, name, on_any, graded = lookup(code.scheme, code.key)
    version = {"seq": seq, "at": _aware(at)} if seq is not None else {"seq": 0, "at": None}
    row = (sid, kind, name) if sid is not None else None
    measures: list[dict] = []
    if row is not None:
        by_list, by_grade = catalog.triggers_for(matter.code, department.system)
        found = Found(
            entries=active_entries([sid], day, lists=by_list, only=CHECK_FIELDS, hot=True).get(sid, []) if by_list and on_any else [],
            grades=_grades([sid], catalog, hot=True).get(sid, []) if by_grade and graded else [],
        )
        if found.entries or found.grades:
            measures = applicable(catalog, matter.code, department.system, found, gen_catalog=get_catalog(), models=get_models())
    now = timezone.now()
    digest = _digest([row[0] if row else None, matter.code, [(m["code"], [_reason_key(r) for r in m["reasons"]]) for m in measures], version["seq"]])
    public_id = uuid.uuid4()
    write = check_audit(public_id, now, key, department.pk, case_no, matter.code, row[0] if row else None, code.shown, measures, digest, version["seq"], catalog.version)
    if defer is not None:
        defer(write)
    else:
        with transaction.atomic():
            write()
    return {
        "check": public_id,
        "checked_at": now,
        "department": department.code,
        "matter": matter.code,
        "matter_name": matter.name,
        "case_no": case_no,
        "subject": _subject_out(code, row),
        "clean": not measures,
        "conclusion": conclusion(measures, matter),
        "measures": measures,
        "data_version": {**version, "catalog_version": catalog.version},
        "digest": digest,
    }


def check_audit(public_id, at, key, department_id: int, case_no: str, matter_code: str, subject_id: int | None, shown_code: str, measures: list[dict],
                digest: str, seq: int, catalog_version: str) -> _CheckWrite:
    """The audit write of one single check (its Check row and a CheckHit per measure answered),
    to be called in a transaction or handed to `security.auth.defer_write`."""
    values = [
        _prep("public_id", public_id), _prep("at", at), key.pk if key else None, department_id, case_no, matter_code,
        subject_id, shown_code, len(measures), digest, seq, catalog_version,
    ]
    return _CheckWrite(values, [(m["code"], ";".join(_reason_key(r) for r in m["reasons"])[:400]) for m in measures])


class _CheckWrite:
    """The audit of a single check: its Check row and a CheckHit per measure answered (the hit
    repeats the check's time, department, case, matter and subject). Called, it writes them in
    the caller's transaction; `parts()` gives them as parts of one statement
    (`common.db.write_together`, PostgreSQL: `security.middleware.finish` writes them with the
    nonce and the request log line in one round trip)."""

    def __init__(self, values: list, hits: list[tuple[str, str]]):
        self.values, self.hits = values, hits

    def __call__(self) -> None:
        check_id = execute_hot(_SQL_CHECK, self.values)[0][0]
        if self.hits:
            shared = tuple(self.values[i] for i in _HIT_SHARED)  # at (stored form), department, case, matter, subject
            insert_rows(CheckHit, _HIT_COLUMNS, [(check_id, *shared, *h) for h in self.hits])

    def parts(self) -> list[tuple[str, str, list]]:
        out = [("check_row", _SQL_CHECK_ROW, list(self.values))]
        if self.hits:
            marks = ", ".join("(%s, %s)" for _ in self.hits)
            out.append(("check_hits", _SQL_CHECK_HITS + f" CROSS JOIN (VALUES {marks}) h (measure, reasons)", [v for h in self.hits for v in h]))
        return out


_SQL_CHECK_ROW = _SQL_CHECK.replace('RETURNING "id"', 'RETURNING "id", "at", "department_id", "case_no", "matter", "subject_id"')
_SQL_CHECK_HITS = (
    f'INSERT INTO "{CheckHit._meta.db_table}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in _HIT_COLUMNS)})'  # noqa: S608
    ' SELECT c."id", c."at", c."department_id", c."case_no", c."matter", c."subject_id", h."measure", h."reasons" FROM "check_row" c'
)


def _prep(column: str, value):
    return Check._meta.get_field(column).get_db_prep_value(value, connections[DEFAULT_DB_ALIAS])  # the wrapper, not the proxy (common.db.insert_sql)


def _subject_out(code: Code, row) -> dict:
    individual = code.scheme == "id_number" or (row is not None and row[1] == "individual")
    name = None
    if row is not None:
        from xinyong.common.masking import mask_person_name

        name = mask_person_name(row[2]) if individual else row[2]
    return {
        "found": row is not None,
        "uscc": code.value if code.scheme == "uscc" else None,
        "id_number_masked": code.shown if code.scheme == "id_number" else None,
        "name": name,
        "kind": row[1] if row is not None else None,
    }


# ---------------------------------------------------------------------- bulk check
def bulk_limit() -> int:
    return int(settings.XINYONG.get("CHECK_BULK_MAX", 100_000))


def too_many(count: int) -> PayloadTooLarge:
    limit = bulk_limit()
    return PayloadTooLarge(f"批量核查最多{limit}个主体，本次提交了{count}个以上，请分批提交", code="bulk_too_large", fields={"codes": f"最多{limit}个"})


def clean_codes(entries: Iterable[tuple[str, str, object]]) -> tuple[list[Code], dict[str, list[str]]]:
    """(scheme, row, raw) → the valid codes, or 422 with the first reasons by row; duplicates
    (same subject code twice) are kept apart: {shown code: [rows]} of the repeats."""
    codes: list[Code] = []
    errors: dict[str, str] = {}
    n_errors = 0
    limit = bulk_limit()
    for count, (scheme, row, raw) in enumerate(entries, start=1):
        if count > limit:
            raise too_many(count)
        try:
            codes.append(clean_code(scheme, raw, row))
        except InvalidCode as exc:
            n_errors += 1
            if len(errors) < ERRORS_SHOWN:
                errors[row] = str(exc)
    if n_errors:
        first = "；".join(f"{k}：{v}" for k, v in list(errors.items())[:3])
        raise InvalidInput(f"有{n_errors}个代码无效，整批未核查（{first}{'…' if n_errors > 3 else ''}）", code="invalid_codes", fields=errors)
    if not codes:
        raise InvalidInput("没有要核查的主体代码", code="invalid_input", fields={"codes": "至少须有1个"})
    return codes, {}


def _chunks(values: list) -> Iterable[list]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def _subjects_by(column: str, values: list[str]) -> list[tuple]:
    """(code, id, kind, name) of the subjects whose uscc or id_hash is one of `values` (plain SQL:
    compiling the ORM's IN of 5,000 values cost more than running it)."""
    where, params = sql_in(f'"{column}"', values)
    with connection.cursor() as cur:
        cur.execute(f'SELECT "{column}", "id", "kind", "name" FROM "{Subject._meta.db_table}" WHERE {where}', params)  # noqa: S608
        return cur.fetchall()


def bulk_run(*, key, department: Department, matter_code: str, case_no: str, entries: Iterable[tuple[str, str, object]], filename: str = "", day: date | None = None) -> dict:
    """Check up to CHECK_BULK_MAX subjects at once (a bidders' list, a subsidy screening):
    set-based, one query per chunk for subjects, entries and grades; duplicates are reported and
    checked once; audited by one BulkCheck row (and a CheckHit per measure answered)."""
    from xinyong.catalog.registry import get_catalog
    from xinyong.evaluation.loader import get_models

    started = time.perf_counter()
    catalog = get_measures()
    matter = matter_for(catalog, matter_code, department)
    case_no = clean_case_no(case_no)
    codes, _ = clean_codes(entries)
    day = day or today()
    # duplicates: the same code twice (first occurrence is checked)
    first: dict[tuple[str, str], Code] = {}
    repeats: dict[tuple[str, str], list[str]] = {}
    for c in codes:
        k = (c.scheme, c.value)
        if k in first:
            repeats.setdefault(k, [first[k].row]).append(c.row)
        else:
            first[k] = c
    unique = list(first.values())
    # resolve: one query per chunk and scheme
    resolved: dict[tuple[str, str], tuple] = {}
    usccs = [c for c in unique if c.scheme == "uscc"]
    persons = [c for c in unique if c.scheme == "id_number"]
    for part in _chunks([c.value for c in usccs]):
        for uscc, sid, kind, name in _subjects_by("uscc", part):
            resolved[("uscc", uscc)] = (sid, kind, name)
    hashes = {c.key: c for c in persons}
    for part in _chunks(list(hashes)):
        for h, sid, kind, name in _subjects_by("id_hash", part):
            resolved[("id_number", hashes[h].value)] = (sid, kind, name)
    found_ids = [row[0] for row in resolved.values()]
    gen_catalog, models = get_catalog(), get_models()
    version = data_version()
    results: list[dict] = []
    hit_rows: list[tuple[int, str, str]] = []  # (subject, measure, reasons)
    by_sid = {row[0]: (k, row) for k, row in resolved.items()}
    by_list, by_grade = catalog.triggers_for(matter.code, department.system)
    for part in _chunks(found_ids):
        entries_by = active_entries(part, day, lists=by_list, only=CHECK_FIELDS) if by_list else {}
        grades_by = _grades(part, catalog) if by_grade else {}
        for sid in sorted(set(entries_by) | set(grades_by)):
            measures = applicable(catalog, matter.code, department.system, Found(entries_by.get(sid, []), grades_by.get(sid, [])), gen_catalog=gen_catalog, models=models)
            if not measures:
                continue
            k, row = by_sid[sid]
            code = first[k]
            results.append({"row": code.row, "subject": _subject_out(code, row), "measures": measures})
            for m in measures:
                hit_rows.append((sid, m["code"], ";".join(_reason_key(r) for r in m["reasons"])[:400]))
    order = {c.row: n for n, c in enumerate(unique)}
    results.sort(key=lambda r: order[r["row"]])
    duplicates = [{"code": first[k].shown, "rows": rows} for k, rows in repeats.items()]
    dup_count = sum(len(rows) - 1 for rows in repeats.values())
    now = timezone.now()
    digest = _digest([matter.code, [(r["row"], [(m["code"], [_reason_key(x) for x in m["reasons"]]) for m in r["measures"]]) for r in results], version["seq"], len(unique)])
    summary = {
        "total": len(codes), "unique": len(unique), "duplicates_count": dup_count,
        "not_found": len(unique) - len(resolved), "with_measures": len(results),
    }
    summary["clean"] = summary["unique"] - summary["with_measures"]
    with transaction.atomic():
        bulk = BulkCheck.objects.create(
            at=now, key=key, department=department, case_no=case_no, matter=matter.code, filename=filename[:200],
            total=summary["total"], unique=summary["unique"], duplicates=dup_count, not_found=summary["not_found"],
            with_measures=summary["with_measures"], digest=digest, data_seq=version["seq"], data_at=version["at"],
            catalog_version=catalog.version, seconds=round(time.perf_counter() - started, 3),
        )
        stored_at = db_datetime(now)  # a hit row per measure answered: the database's bulk path
        insert_rows(CheckHit, ["bulk_id", *_HIT_COLUMNS[1:]], [(bulk.pk, stored_at, department.pk, case_no, matter.code, sid, m, r) for sid, m, r in hit_rows])
    return {
        "bulk": bulk.public_id,
        "checked_at": now,
        "department": department.code,
        "matter": matter.code,
        "matter_name": matter.name,
        "case_no": case_no,
        **summary,
        "duplicates": duplicates[:DUPLICATES_SHOWN],
        "conclusion": (
            f"共核查{summary['unique']}个主体：{summary['with_measures']}个有适用的奖惩措施（见 results），"
            f"其余{summary['clean']}个未发现适用的奖惩措施"
            + (f"；{dup_count}条重复的代码只核查一次（见 duplicates）" if dup_count else "")
            + "。"
        ),
        "results": results,
        "data_version": {**version, "catalog_version": catalog.version},
        "digest": digest,
    }


# ---------------------------------------------------------------------- feedback
def _feedback_out(fb: Feedback) -> dict:
    return {"measure": fb.measure, "applied": fb.applied, "outcome": fb.outcome, "decided_on": fb.decided_on, "recorded_at": fb.at}


def feedback_submit(*, key, department: Department, items: list[dict], check_id=None, case_no: str | None = None, uscc: str | None = None, id_number: str | None = None, actor: Actor) -> dict:
    """Record which measures the department applied in a case, and the outcome. Idempotent by
    (department, case, subject, measure): the same report again is answered as first recorded;
    a different report of a measure already reported is refused (409), nothing stored."""
    if check_id is not None:
        check = Check.objects.filter(public_id=check_id, department=department).first()
        if check is None:
            raise NotFound("找不到该核查记录（或不是本部门的核查）", code="unknown_check")
        if check.subject_id is None:
            raise InvalidInput("该核查没有适用的措施（主体在平台无记录），无需反馈", code="measure_not_triggered", fields={"items": "无适用措施"})
        case_no, subject_id = check.case_no, check.subject_id
        hits = {h.measure: h for h in CheckHit.objects.filter(check_row=check)}
    else:
        case_no = clean_case_no(case_no or "")
        code = single_code(uscc, id_number)
        lookup = {"uscc": code.value} if code.scheme == "uscc" else {"id_hash": code.key}
        subject_id = Subject.objects.filter(**lookup).values_list("id", flat=True).first()
        hits = {}
        if subject_id is not None:
            for h in CheckHit.objects.filter(department=department, case_no=case_no, subject_id=subject_id).order_by("id"):
                hits[h.measure] = h  # the latest check of the case wins
        if not hits:
            raise NotFound(f"本部门没有案件“{case_no[:100]}”对该主体的核查记录（须先核查，再反馈）", code="unknown_case")
    if not items:
        raise InvalidInput("请至少报送一项措施的执行情况", code="invalid_input", fields={"items": "至少须有1项"})
    seen = set()
    for n, item in enumerate(items):
        if item["measure"] in seen:
            raise InvalidInput(f"措施 {item['measure']} 在本次报送中重复", code="invalid_input", fields={f"items.{n}.measure": "重复"})
        seen.add(item["measure"])
        if item["measure"] not in hits:
            raise InvalidInput(
                f"措施 {item['measure'][:40]} 不在该案件的核查答复中（答复的措施：{'、'.join(hits) or '无'}），不能反馈",
                code="measure_not_triggered", fields={f"items.{n}.measure": "未触发"},
            )
        if not (item.get("outcome") or "").strip():
            raise InvalidInput("请填写实施结果（如：已取消其投标资格；未实施的原因）", code="invalid_input", fields={f"items.{n}.outcome": "必填"})
    now = timezone.now()
    out = []
    created = 0
    with transaction.atomic():
        existing = {
            fb.measure: fb
            for fb in Feedback.objects.select_for_update().filter(department=department, case_no=case_no, subject_id=subject_id, measure__in=list(seen))
        }
        for n, item in enumerate(items):
            outcome = item["outcome"].strip()[:500]
            fb = existing.get(item["measure"])
            if fb is not None:
                if (fb.applied, fb.outcome, fb.decided_on) != (item["applied"], outcome, item.get("decided_on")):
                    raise Conflict(
                        f"措施 {fb.measure} 在案件“{case_no[:100]}”中已于{timezone.localtime(fb.at):%Y-%m-%d %H:%M}报送了不同的执行情况，不能改写",
                        code="feedback_conflict", fields={f"items.{n}": "与已报送的执行情况不同"},
                    )
                out.append(_feedback_out(fb))
                continue
            hit = hits[item["measure"]]
            try:
                with transaction.atomic():  # a savepoint: the same report sent twice at once
                    fb = Feedback.objects.create(
                        department=department, case_no=case_no, subject_id=subject_id, measure=item["measure"], matter=hit.matter,
                        check_row_id=hit.check_row_id, bulk_id=hit.bulk_id, applied=item["applied"], outcome=outcome,
                        decided_on=item.get("decided_on"), at=now, key=key,
                    )
            except IntegrityError:
                raise Conflict(
                    f"措施 {item['measure']} 在案件“{case_no[:100]}”中的执行情况正由另一请求同时报送，请稍后重新发送（相同内容将得到相同答复）",
                    code="feedback_conflict", fields={f"items.{n}": "同时报送"},
                ) from None
            created += 1
            out.append(_feedback_out(fb))
        if created:
            audit_log(actor=actor, action="measures.feedback", object_type="case", object_id=case_no[:64], subject_id=subject_id, detail={"measures": sorted(seen), "created": created})
    return {"department": department.code, "case_no": case_no, "items": out}
