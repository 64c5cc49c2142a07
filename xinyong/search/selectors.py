"""Searching the subjects (信用主体检索): one selector for the page and the API.

    result = search_subjects("通化", page=1)        # SearchPage, or InvalidQuery (422)

What is searched: the index (models.py), so only searchable subjects — every organization, and an
individual only while the law publishes them; an individual's entry also stops matching the day
after `visible_until`, before any job has run.

How a query is read:
- a code (ASCII letters and digits, 8–20 characters after folding full-width forms, spaces and
  dashes with `normalize_code`; letters only count as a code when one matches): exact lookup among
  USCCs and legacy codes. An 18-character code that is not on the platform and is not a valid USCC is refused
  with the reason (wrong check character: the code with the right one is suggested when that
  subject is on the platform). A citizen ID number is never searched.
- anything else: a name, or any part of one of two characters or more (normalized with
  `normalize_name`, as names are stored), plus an exact lookup among legacy codes that are not
  plain ASCII (certificate numbers such as 吉民证字第00123号).

Ranking: exact code, exact current name, exact former name, then names that contain the query,
in index order (names that start with it first, then by position, former names last). Counting
stops at COUNT_CAP partial matches ("1,000+ 条"): no request ever sorts or counts the whole
candidate set, whatever the query.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import connection
from django.urls import NoReverseMatch, reverse

from xinyong.catalog.registry import get_catalog
from xinyong.common.errors import InvalidInput
from xinyong.common.normalize import normalize_code, normalize_name
from xinyong.records import selectors as record_selectors
from xinyong.subjects.identifiers import InvalidCode, clean_id_number, clean_uscc, suggest_uscc
from xinyong.subjects.models import KIND_CHOICES

from .models import (
    KEY_CODE,
    KEY_FORMER,
    KEY_NAME,
    SearchEntry,
    SearchGram,
    SearchGramCount,
    SearchKey,
)

KIND_LABELS = dict(KIND_CHOICES)
MATCH_LABELS = {"code": "代码完全一致", "name": "名称完全一致", "former_name": "曾用名完全一致", "partial": "名称包含"}
CODE_SHAPE = re.compile(r"[0-9A-Z]{8,20}")
_ENTRY = SearchEntry._meta.db_table
_KEY = SearchKey._meta.db_table
_GRAM = SearchGram._meta.db_table
_VISIBLE = "(e.visible_until IS NULL OR e.visible_until >= %s)"


def conf(name: str):
    return settings.XINYONG["SEARCH"][name]


class InvalidQuery(InvalidInput):
    """A query that cannot be searched; the message says why, in Chinese (422 on the API)."""

    code = "invalid_query"

    def __init__(self, reason: str, *, code: str, suggestion: Hit | None = None):
        fields = {"q": reason}
        message = reason
        if suggestion is not None:
            fields["suggestion"] = suggestion.code
            message += f"。您要找的是不是：{suggestion.code}（{suggestion.name}）？"
        super().__init__(message, code=code, fields=fields)
        self.reason = reason  # without the suggestion, which a page shows as a link
        self.suggestion = suggestion


@dataclass(frozen=True)
class Hit:
    kind: str
    kind_label: str
    name: str
    code: str  # USCC, or an individual's masked ID number
    code_label: str
    region: str
    region_name: str
    status: str
    former_names: list[str]
    url: str | None
    match: str
    highlight: tuple[str, str, str] | None = None  # the name cut around the query as typed


    @property
    def match_label(self) -> str:
        return MATCH_LABELS[self.match]

    @property
    def is_individual(self) -> bool:
        return self.kind == "individual"


@dataclass
class SearchPage:
    query: str
    mode: str  # "code" or "name"
    hits: list[Hit] = field(default_factory=list)
    total: int = 0  # matches counted (partial ones at most COUNT_CAP)
    more: bool = False  # counting stopped at the cap: there are more than `total`
    page: int = 1
    pages: int = 1
    page_size: int = 20

    @property
    def total_label(self) -> str:
        return f"{self.total:,}+" if self.more else f"{self.total:,}"

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.page_size + 1


# ---------------------------------------------------------------------------- the query
def search_subjects(q: str | None, *, page: int = 1, day: date | None = None) -> SearchPage:
    """One page of results for the query `q` on `day` (default today). Raises InvalidQuery for
    an empty, too short or too long query, a USCC with a wrong check character, an ID number."""
    raw = (q or "").strip()
    cap = conf("MAX_QUERY_CHARS")
    if len(raw) > cap:
        raise InvalidQuery(f"查询内容过长（{len(raw):,}个字符），最多{cap}个字：请输入名称中有代表性的一段，或完整的代码", code="query_too_long")
    key = normalize_name(raw)[:200]
    if not key:
        raise InvalidQuery("请输入要查询的名称（任意连续两个字以上）或统一社会信用代码", code="query_required")
    day = day or record_selectors.today()
    size = max(1, conf("PAGE_SIZE"))
    code = normalize_code(raw)[:40]
    when = connection.ops.adapt_datefield_value(day)
    if CODE_SHAPE.fullmatch(code):
        exact = _exact(code, [KEY_CODE], when)
        if exact or any(c.isdigit() for c in code):  # letters only and no such code: a name
            if not exact and len(code) == 18:
                _refuse_invalid_code(code, when)
            return _page(SearchPage(query=raw, mode="code", page_size=size), exact, None, page, when)
    if len(key) < 2:
        raise InvalidQuery("请至少输入两个字：名称中任意连续的两个字或更多", code="query_too_short")
    exact = _exact(code, [KEY_CODE], when) if not code.isascii() else []
    seen = {sid for sid, _ in exact}
    exact += [(sid, kind) for sid, kind in _exact(key, [KEY_NAME, KEY_FORMER], when) if sid not in seen]
    return _page(SearchPage(query=raw, mode="name", page_size=size), exact, key, page, when)


def _refuse_invalid_code(code: str, when) -> None:
    try:
        clean_uscc(code)
    except InvalidCode as exc:
        try:
            clean_id_number(code)
        except InvalidCode:
            pass
        else:
            raise InvalidQuery("不提供按公民身份号码查询。依法公示的个人信息（如失信被执行人）可按姓名查询", code="id_number_not_searchable") from None
        suggestion = None
        fixed = suggest_uscc(code)
        if fixed and fixed != code:
            found = _exact(fixed, [KEY_CODE], when)
            if found:
                suggestion = _hits([found[0]])[0]
        raise InvalidQuery(str(exc), code="uscc_invalid", suggestion=suggestion) from None


def _exact(key: str, kinds: list[int], when) -> list[tuple[int, str]]:
    """Subjects with this exact key (best kind first), visible on the day."""
    marks = ", ".join(["%s"] * len(kinds))
    sql = (
        f"SELECT k.subject_id, MIN(k.kind) FROM {_KEY} k JOIN {_ENTRY} e ON e.subject_id = k.subject_id"
        f" WHERE k.key = %s AND k.kind IN ({marks}) AND {_VISIBLE}"
        " GROUP BY k.subject_id ORDER BY MIN(k.kind), k.subject_id LIMIT %s"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [key, *kinds, when, conf("COUNT_CAP")])
        return [(sid, {KEY_CODE: "code", KEY_NAME: "name", KEY_FORMER: "former_name"}[kind]) for sid, kind in cur.fetchall()]


def _scan_gram(key: str) -> str | None:
    """The bigram whose postings to scan: the rarest of the query's (None: one of them occurs
    in no name, so no name contains the query)."""
    grams = {key[i : i + 2] for i in range(len(key) - 1)}
    if len(grams) == 1:
        return next(iter(grams))
    counts = dict(SearchGramCount.objects.filter(gram__in=grams).values_list("gram", "n"))
    if any(counts.get(g, 0) <= 0 for g in grams):
        return None
    return min(grams, key=lambda g: (counts[g], g))


def _like(key: str) -> str:
    return "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _partial_sql(gram: str, key: str, exclude: list[int], when) -> tuple[str, list]:
    """Subjects in the postings of `gram` whose name keys contain `key`, in posting order.

    Always a nested loop from the postings to each entry: the postings come in the order the
    page wants and the count stops at its cap. PostgreSQL, left to itself, estimates the name
    check as independent of the bigram (it is not: every posting of 通化 is a name with 通化)
    and hashes a sequential scan of all the entries (360 ms at a million subjects instead of
    20); the LATERAL subquery with OFFSET 0 keeps it from flattening the join."""
    check = f"e.keys LIKE %s ESCAPE '\\' AND {_VISIBLE}"
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT g.subject_id FROM {_GRAM} g JOIN LATERAL (SELECT 1 FROM {_ENTRY} e"
            f" WHERE e.subject_id = g.subject_id AND {check} OFFSET 0) e ON TRUE WHERE g.gram = %s"
        )
        params: list = [_like(key), when, gram]
    else:
        sql = f"SELECT g.subject_id FROM {_GRAM} g JOIN {_ENTRY} e ON e.subject_id = g.subject_id WHERE g.gram = %s AND {check}"
        params = [gram, _like(key), when]
    if exclude:
        sql += f" AND g.subject_id NOT IN ({', '.join(['%s'] * len(exclude))})"
        params += exclude
    return sql, params


def _page(result: SearchPage, exact: list[tuple[int, str]], key: str | None, page: int, when) -> SearchPage:
    size, cap = result.page_size, conf("COUNT_CAP")
    gram = _scan_gram(key) if key else None
    exclude = [sid for sid, _ in exact]
    # partial matches: counted up to the cap (one more row tells "more")
    partial_count = 0
    if gram is not None:
        sql, params = _partial_sql(gram, key, exclude, when)
        with connection.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM ({sql} LIMIT %s) t", [*params, cap + 1])  # noqa: S608
            partial_count = cur.fetchone()[0]
    result.more = partial_count > cap
    result.total = len(exact) + min(partial_count, cap)
    result.pages = max(1, math.ceil(result.total / size))
    result.page = min(max(1, page), result.pages)
    offset = (result.page - 1) * size
    chosen = exact[offset : offset + size]
    wanted = min(size, result.total - offset) - len(chosen)  # never past the counted matches
    if wanted and gram is not None and partial_count:
        sql, params = _partial_sql(gram, key, exclude, when)
        with connection.cursor() as cur:
            cur.execute(f"{sql} ORDER BY g.pos, g.subject_id LIMIT %s OFFSET %s", [*params, wanted, max(0, offset - len(exact))])
            chosen += [(sid, "partial") for (sid,) in cur.fetchall()]
    result.hits = _hits(chosen, query=result.query if result.mode == "name" else "")
    return result


# ---------------------------------------------------------------------------- display
def _hits(chosen: list[tuple[int, str]], *, query: str = "") -> list[Hit]:
    entries = SearchEntry.objects.in_bulk([sid for sid, _ in chosen])
    labels = region_labels()
    hits, seen = [], set()
    for sid, match in chosen:
        e = entries.get(sid)
        if e is None or sid in seen:
            continue
        seen.add(sid)
        person = e.kind == "individual"
        hits.append(
            Hit(
                kind=e.kind,
                kind_label=KIND_LABELS.get(e.kind, e.kind),
                name=e.name,
                code=e.code,
                code_label="证件号码" if person else "统一社会信用代码",
                region=e.region,
                region_name=_region_name(e.region, labels),
                status=e.status,
                former_names=[n for n in e.former_names.split("\n") if n],
                url=subject_url(e.kind, e.code, e.public_id),
                match=match,
                highlight=_cut(e.name, query),
            )
        )
    return hits


def _cut(name: str, query: str) -> tuple[str, str, str] | None:
    at = name.find(query) if query else -1
    return (name[:at], query, name[at + len(query) :]) if at >= 0 else None


def subject_url(kind: str, uscc: str, public_id: uuid.UUID) -> str | None:
    """The credit file's address: by USCC for an organization, by the opaque public id for an
    individual (never by ID number)."""
    try:
        if kind == "individual":
            return reverse("portal:person", args=[str(public_id)])
        return reverse("portal:subject", args=[uscc]) if uscc else None
    except NoReverseMatch:
        return None


def region_labels() -> dict[str, str]:
    """Region code → full name (长春市南关区) from the catalog's regions."""
    regions = get_catalog().regions
    out = {}
    for code, r in regions.items():
        parent = regions.get(r.parent) if r.parent else None
        if r.level == "county" and parent is not None and not r.name.startswith(parent.name):
            out[code] = parent.name + r.name
        else:
            out[code] = r.name
    return out


def _region_name(code: str, labels: dict[str, str]) -> str:
    if not code:
        return ""
    return labels.get(code) or labels.get(code[:4] + "00") or labels.get(code[:2] + "0000") or ""
