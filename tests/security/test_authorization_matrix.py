"""The authorization matrix (issue 7, "Bad input"): every URL of the project and every API
operation, requested as every role, must give the outcome declared in
`authorization_matrix.yaml` next to this file — and a URL or operation that is not declared fails
the test, so a new page must be declared (docs/security.md, "Authorization matrix").

The test builds real objects of department A (220100-GSJ) and subject X (an enterprise with a
portal account): records, an objection and a repair case with attachments, a batch with an error
file, a list entry, an annual report, a notification, an authorization letter, a commitment, a
tip-off routed to A, a query right, a signed paper consent and a special query request; and subject
Y registered as a credit service agency with X's complaint about it. It fills each URL's arguments
from them, and requests each URL as each role with GET, and with POST (an empty body; the CSRF
check is Django's test client's, i.e. a valid token), the admin's pages included. A request that
is refused (login, 401, 403, 404, 405) or fails validation (400, 422, or the admin's form again)
must change nothing in the database (its own audit line, the session and the API request log
excepted), nor may any empty POST to the admin; nothing may ever answer 500.

Department B (220200-GSJ, the same kind of department in another city) and subject Y (another
enterprise with an account) and an individual's account are the other side of every object-level
check (IDOR): their answer for A's and X's objects is declared, usually 404.

To see what the application answers today (e.g. after adding pages), run with
AUTHZ_MATRIX_OBSERVED=/tmp/observed.yaml: the observed outcomes are written there, to compare
with the declarations — never copy them blindly: read the view and decide what is right."""

from __future__ import annotations

import fnmatch
import os
import re
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.api.conftest import CheckedClient, make_key, openapi  # noqa: F401 (fixtures)
from tests.cases.conftest import PNG, account, clock, firm, upload  # noqa: F401 (fixtures)
from xinyong.security.middleware import SESSION_LOGIN_AT

MATRIX = yaml.safe_load((Path(__file__).with_name("authorization_matrix.yaml")).read_text(encoding="utf-8"))
ROLES = MATRIX["roles"]
API_ROLES = MATRIX["api_roles"]
LOGIN_PATHS = ("/accounts/login/", "/my/login/", "/admin/login/")
# writes a refused request may make: its own audit line, the API request log and nonce, the session
KEY_USED = r'\s*UPDATE "security_apikey" SET "last_used_at" = %s WHERE'  # a key's last use, not a change of the key
IGNORED_TABLES = ("security_auditentry", "security_apirequest", "django_session", "security_apinonce")


# ---------------------------------------------------------------------- URLs of the project
@dataclass(frozen=True)
class Url:
    name: str
    route: str
    kwargs: tuple[str, ...]


def project_urls() -> list[Url]:
    """Every URL pattern, walked recursively; names with their namespaces ("dept:record")."""
    out: list[Url] = []

    def walk(resolver, prefix: str, namespace: str):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                ns = ":".join(x for x in (namespace, p.namespace) if x)
                walk(p, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                # an unnamed pattern (the admin's per-object redirect and catch-all) by its route
                name = ":".join(x for x in (namespace, p.name or prefix + str(p.pattern)) if x)
                out.append(Url(name=name, route=prefix + str(p.pattern), kwargs=tuple(p.pattern.regex.groupindex)))

    walk(get_resolver(), "", "")
    return out


def api_operation_names() -> set[str]:
    """URL names of the ninja operations under /api/v1/ (declared in the `api` section, by
    method and path, and checked by test_every_api_operation_as_every_key)."""
    return {u.name for u in project_urls() if u.name.startswith("api:") and u.route.startswith("api/v1/")}


def page_declaration(name: str) -> dict | None:
    pages = MATRIX["pages"]
    if name in pages:
        return pages[name]
    for pattern, decl in MATRIX.get("page_patterns", {}).items():
        if fnmatch.fnmatchcase(name, pattern):
            return decl
    return None


def expected(decl, role: str) -> str:
    """A declaration is an outcome for every role, a profile name, or a map of role → outcome
    with an optional `base` profile; `*` is every role not named."""
    if decl is None:
        return "undeclared"
    if isinstance(decl, (str, int)):
        decl = str(decl)
        if decl in MATRIX["profiles"]:
            return expected(MATRIX["profiles"][decl], role)
        return decl
    if role in decl:
        return str(decl[role])
    if "*" in decl:
        return str(decl["*"])
    if "base" in decl:
        return expected(decl["base"], role)
    return "undeclared"


# ---------------------------------------------------------------------- outcome of a response
def outcome(response) -> str:
    code = response.status_code
    if code in (301, 302, 303, 307, 308):
        location = response.get("Location", "")
        return "login" if any(p in location for p in LOGIN_PATHS) else "ok"
    if 200 <= code < 300:
        return "ok"
    if code in (400, 422):
        return "invalid"
    return str(code)


REFUSED = {"login", "401", "403", "404", "405"}
# a refusal, a validation error, or a 200 page answering a POST ("form": the form again with its
# errors, as Django's admin answers): nothing is written
NO_WRITES = REFUSED | {"invalid", "form"}
# pages whose every answer to an empty POST writes nothing, a redirect included (the admin: an
# empty body carries no field, no confirmation and no action)
EMPTY_POST_WRITES_NOTHING = ("admin:",)


class Writes:
    """Records the INSERT, UPDATE and DELETE statements run while it is active (any table but
    the ones a refusal may write: its own audit line, the session)."""

    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if head in ("INSERT", "UPDATE", "DELETE", "REPLACE") and not any(t in sql for t in IGNORED_TABLES) and not re.match(KEY_USED, sql):
            self.statements.append(sql[:160])
        return execute(sql, params, many, context)


# ---------------------------------------------------------------------- the world
@dataclass
class World:
    users: dict = field(default_factory=dict)
    kwargs: dict = field(default_factory=dict)  # URL kwarg name → value, by URL name (or "*")
    tokens: dict = field(default_factory=dict)
    clients: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)


def kwargs_for(world: World, url: Url) -> dict:
    special = MATRIX.get("kwargs", {}).get(url.name, {})
    values = {}
    for k in url.kwargs:
        if k in special:  # the name of an object of the world, or a literal value
            value = world.kwargs.get(special[k], special[k])
        else:
            value = world.kwargs.get(k)
        if value is None:
            raise AssertionError(f"{url.name}: no value for the URL argument {k!r} (declare it under kwargs: in the matrix)")
        values[k] = value
    return values


def fill(route: str, values: dict) -> str:
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), path)
    path = path.replace("\\.", ".").replace("\\-", "-")
    return "/" + path


@pytest.fixture
def world(db, firm, account, clock, upload, operator, platform_admin, django_user_model, penalty_row, ingest):  # noqa: F811
    import random

    from tests.annualreports.helpers import report_data
    from xinyong.accounts.models import SubjectAccount
    from xinyong.accounts.services import account_register, letter_upload, notify
    from xinyong.annualreports.services import annual_report_file
    from xinyong.cases.models import Case
    from xinyong.demo.codes import make_id_number
    from xinyong.redress import services as redress
    from xinyong.sanctions.models import ListEntry
    from xinyong.security.services import Actor
    from xinyong.subjects.models import Subject

    clock("2026-09-28")
    w = World()
    # subject X (department A's records) and subject Y, each with an enterprise account
    x, record = firm(decided="2026-05-10")
    _, repairable = firm(decided="2026-05-11", code=x.uscc)
    y, record_y = firm(decided="2026-05-12")
    firm_user = account(x, "firm-x")
    firm_y_user = account(y, "firm-y")
    rng = random.Random(16)
    person_acc = account_register(kind="individual", name="孙八", id_number=make_id_number(rng, region="220102"), mobile="13900004321", username="person", password="Xinyong-portal-2026")
    # an authorization letter waiting for review (an account of X registered by an employee)
    pending = account_register(kind="organization", name="钱七", id_number=make_id_number(rng, region="220102"), mobile="13900005678", username="firm-x-employee", password="Xinyong-portal-2026", uscc=x.uscc)
    letter = letter_upload(account=pending, upload=upload("授权委托书.png", PNG), actor=Actor.system("test"))
    # X's objection (with an attachment) and repair application
    actor = Actor.for_user(firm_user)
    objection, _ = redress.objection_submit(record_id=record.pk, applicant=redress.Applicant(user=firm_user, subject=x), reasons="处罚内容有误", uploads=[upload()], actor=actor)
    repair, _ = redress.repair_apply(record_id=repairable.pk, applicant=redress.Applicant(user=firm_user, subject=x), statement="已整改完毕", commitment=True, uploads=[upload()], actor=actor)
    assert Case.objects.count() == 2
    notification = notify(subject=x, title="测试通知", body="您的异议已受理")[0]
    annual_report_file(subject=x, year=2025, data=report_data(), door="portal", actor=actor)
    # a batch of department A with a rejected row (an error file)
    bad = penalty_row(处罚决定日期="2026-09-01")
    bad["统一社会信用代码"] = "91220000XXXXXXXXXX"
    batch = ingest([penalty_row(处罚决定日期="2026-09-01"), bad])
    assert batch.rejected == 1, batch.message
    entry = ListEntry.objects.create(
        list_code=MATRIX["objects"]["list_code"], subject=x, status="listed", source="designation",
        designating_department=record.department, authority_level="city", legal_basis="《企业信息公示暂行条例》第十七条",
        reason="测试", listed_on=date(2026, 6, 1),
        basis_records=[record.pk], individual=False,
    )
    attachment = objection.attachments.first()
    op_a, op_b = operator("220100-GSJ"), operator("220200-GSJ")
    staff_user = platform_admin
    round5 = _round5_objects(x=x, y=y, firm_user=firm_user, op_a=op_a, centre=staff_user, upload=upload)
    w.kwargs.update(round5)
    w.kwargs.update({
        # objects of department A and subject X
        "record": record.pk, "repairable_record": repairable.pk, "subject_id": x.pk, "uscc": x.uscc,
        "objection_pk": objection.pk, "objection_public_id": objection.public_id, "file_id": attachment.public_id,
        "repair_pk": repair.pk, "repair_public_id": repair.public_id, "batch_public_id": batch.public_id,
        "letter_pk": letter.pk, "account_pk": SubjectAccount.objects.get(user=firm_user).pk,
        "notification_pk": notification.pk, "entry_id": entry.pk, "year": 2025,
        "list_code": MATRIX["objects"]["list_code"], "step": MATRIX["objects"]["list_step"], "propose_code": MATRIX["objects"]["propose_code"],
        "item_code": "penalty.gsj", "fmt": "csv", "dept_a": "220100-GSJ",
        "person_public_id": Subject.objects.filter(id_hash=person_acc.subject_id_hash).values_list("public_id", flat=True).first() or "00000000-0000-4000-8000-000000000001",
        # no such object (for pages whose objects are not built here: the access check comes first)
        "missing": 999999999, "missing_uuid": "00000000-0000-4000-8000-000000000000",
        # admin pages: no such object
        "object_id": "0", "app_label": "records", "id": 999999999,
    })
    superuser = django_user_model.objects.create_superuser(username="root", password="Xinyong-test-2026")
    w.users = {
        "anonymous": None, "firm": firm_user, "firm_y": firm_y_user, "person": person_acc.user,
        "op_a": op_a, "op_b": op_b, "centre": staff_user, "superuser": superuser,
    }
    w.objects = {"record": record, "objection": objection, "repair": repair, "batch": batch, "x": x, "y": y, "record_y": record_y}
    return w


def _round5_objects(*, x, y, firm_user, op_a, centre, upload) -> dict:  # noqa: F811
    """Objects of round 5's apps, built through their services, as URL kwargs: X's commitment
    accepted by department A; a tip-off about X routed by the credit centre to department A (the
    lead, verifying); subject Y registered as a credit service agency (supervised by the provincial
    financial office, neither A nor B) and X's complaint about it; department A's query right, a
    signed paper consent of X to department A (with its document) and A's special query request
    about X (pending); a security alert (failed logins of A's operator)."""
    from xinyong.access import services as access
    from xinyong.agencies import services as agencies
    from xinyong.cases.selectors import party_for
    from xinyong.catalog.models import Department
    from xinyong.commitments import services as commitments
    from xinyong.ingestion.selectors import scope_for
    from xinyong.security.alerts import raise_alert
    from xinyong.security.services import Actor
    from xinyong.tipoffs import services as tipoffs

    dept_a = Department.objects.get(code="220100-GSJ")
    objects = MATRIX["objects"]
    commitment = commitments.commitment_sign(
        subject=x, template=objects["commitment_template"], case_no="JL-XK-2026-0001", department=dept_a, statement=True,
        door="portal", actor=Actor.for_user(firm_user),
    )
    tipoff, _ = tipoffs.tipoff_submit(subject_key=x.uscc, category=objects["tipoff_category"], facts="虚假宣传", reporter=tipoffs.Reporter(name="举报人甲", contact="13900007777"))
    tipoffs.tipoff_route(case=tipoff, lead=dept_a, party=party_for(scope_for(centre)), actor=Actor.for_user(centre))
    supervisor = Department.objects.get(code=objects["agency_supervisor"])
    agency = agencies.agency_register(
        uscc=y.uscc, business_types=[objects["agency_type"]], licence_no="JL-XY-2026-001", entered_on="2026-03-01", key_staff=12,
        department=supervisor, actor=Actor.system("test"),
    )
    complaint, _ = agencies.complaint_file(
        agency_id=agency.pk, complainant=agencies.Complainant(user=firm_user, subject=x), service=objects["agency_type"],
        facts="未经同意采集个人信息", actor=Actor.for_user(firm_user),
    )
    item = objects["authorized_item"]
    right = access.right_grant(department=dept_a, item_code=item, valid_from=date(2026, 9, 1), valid_until=None, legal_basis="《吉林省社会信用条例》第二十条", actor=Actor.for_user(centre), user=centre)
    consent = access.consent_give(
        subject=x, department=dept_a, purpose="贷款贴息审查", items=[item], expires_on=date(2026, 12, 31), actor=Actor.for_user(op_a),
        recorded_by=op_a, document=upload("授权书.png", PNG),
    )
    now = timezone.now()
    alert = raise_alert(kind="login_failures", actor="op-220100-GSJ", window_start=now - timedelta(hours=1), window_end=now, count=30, threshold=10, user_id=op_a.pk)
    special = access.special_request_submit(
        department=dept_a, subjects=[x], items=[item], purpose="案件调查", legal_basis="《行政处罚法》第五十五条",
        period_from=date(2026, 10, 1), period_until=date(2026, 10, 31), actor=Actor.for_user(op_a), user=op_a,
    )
    return {
        "commitment_id": commitment.pk, "commitment_code": commitment.code, "tipoff_pk": tipoff.pk,
        "agency_id": agency.pk, "uscc_y": y.uscc, "complaint_pk": complaint.pk, "complaint_public_id": complaint.public_id,
        "right_pk": right.pk, "consent_pk": consent.pk, "special_pk": special.pk, "alert_pk": alert.pk,
    }


def client_as(world: World, role: str, **kw) -> Client:
    """A client signed in as the role's user, as the login page leaves a session (time of login)."""
    c = Client(raise_request_exception=False, **kw)
    if world.users.get(role) is not None:
        c.force_login(world.users[role])
        session = c.session
        session[SESSION_LOGIN_AT] = time.time()
        session.save()
    return c


def request_page(world: World, url: Url, role: str, method: str):
    """One request as the role, with the role's client (signed in again after a page that signed
    it out)."""
    path = fill(url.route, kwargs_for(world, url))
    if url.name in MATRIX.get("query", {}):
        path += "?" + MATRIX["query"][url.name].format(**world.kwargs)
    clients = world.clients
    if role not in clients or (world.users.get(role) is not None and SESSION_KEY not in clients[role].session):
        clients[role] = client_as(world, role)
    writes = Writes()
    with connection.execute_wrapper(writes):
        response = clients[role].get(path) if method == "get" else clients[role].post(path, {})
    return path, response, writes.statements


# ---------------------------------------------------------------------- the tests
def test_every_url_and_operation_is_declared():
    """A new page or operation fails here until it is declared in the matrix; a declaration of a
    page that no longer exists fails too."""
    operations = api_operation_names()
    urls = [u for u in project_urls() if u.name not in operations]
    undeclared = sorted(u.name or u.route for u in urls if page_declaration(u.name) is None)
    assert not undeclared, f"URLs not in authorization_matrix.yaml: {undeclared}"
    names = {u.name for u in urls}
    stale = sorted(n for n in MATRIX["pages"] if n not in names)
    assert not stale, f"declared pages that do not exist: {stale}"
    from xinyong.api import api

    documented = {f"{m.upper()} {p}" for p, ops in api.get_openapi_schema()["paths"].items() for m in ops}
    declared = set(MATRIX["api"])
    assert documented - declared == set(), f"API operations not in the matrix: {sorted(documented - declared)}"
    assert declared - documented == set(), f"declared operations that do not exist: {sorted(declared - documented)}"


@pytest.mark.parametrize("role", ROLES)
def test_every_page_as_every_role(world, role):
    """One role per test (they spread over the test workers): every page, GET and an empty POST."""
    observe = bool(os.environ.get("AUTHZ_MATRIX_OBSERVED"))
    operations = api_operation_names()
    observed: dict = {}
    timings: dict = {}
    problems = []
    for url in project_urls():
        decl = page_declaration(url.name)
        if url.name in operations or (decl is None and not observe):
            continue
        try:
            kwargs_for(world, url)
        except AssertionError as exc:
            problems.append(str(exc))
            continue
        for method in ("get", "post"):
            spec = (decl or {}).get(method)
            if spec == "skip":
                continue
            want = expected(spec, role)
            cache.clear()  # per-client rate limits and login throttling count every request of this test
            started = time.perf_counter()
            path, response, writes = request_page(world, url, role, method)
            timings[f"{method.upper()} {url.name}"] = round(time.perf_counter() - started, 3)
            got = outcome(response)
            if want == "signed_out" and (got == "login" or (got == "ok" and SESSION_KEY not in world.clients[role].session)):
                got = "signed_out"  # the page signs the user out (to a login page, or a page saying so): its success
            if want == "form" and method == "post" and response.status_code == 200:  # the page again, not a success
                got = "form"
            observed.setdefault(url.name, {})[method] = got
            if response.status_code >= 500:
                problems.append(f"{method.upper()} {path} as {role}: {response.status_code}")
            elif got != want:
                problems.append(f"{method.upper()} {path} as {role}: {got} (declared {want})")
            elif (got in NO_WRITES or (method == "post" and url.name.startswith(EMPTY_POST_WRITES_NOTHING))) and writes:
                problems.append(f"{method.upper()} {path} as {role}: {got} but wrote {writes}")
    _dump({role: observed, f"{role}_seconds": dict(sorted(timings.items(), key=lambda kv: -kv[1])[:15])}, "pages")
    assert not problems, "\n".join(problems)


def _dump(observed: dict, section: str) -> None:
    target = os.environ.get("AUTHZ_MATRIX_OBSERVED")
    if target:
        path = Path(target)
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        data = data or {}
        if section == "pages":  # one role per test: merged
            data.setdefault(section, {}).update(observed)
        else:
            data[section] = observed
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=True, width=200), encoding="utf-8")


# ---------------------------------------------------------------------- the API
@pytest.fixture
def api_world(world, make_key):  # noqa: F811
    """Keys of department A's systems, one per scope (each lacks every other scope); a revoked key
    with every scope; a key of department B with every scope (for A's objects)."""
    from xinyong.security.keys import SCOPES

    every = tuple(SCOPES)
    tokens = {"anonymous": None}
    for scope in SCOPES:  # a key of department A with only this scope: the others are missing
        tokens[f"key_{scope}"] = make_key("220100-GSJ", scopes=(scope,), name=f"{scope}系统")[1]
    tokens["key_revoked"] = make_key("220100-GSJ", scopes=every, revoked=True, name="旧系统")[1]
    tokens["key_b"] = make_key("220200-GSJ", scopes=every, name="乙部门系统")[1]
    assert set(tokens) == set(API_ROLES), f"api_roles of the matrix must be {sorted(tokens)} (one key per scope)"
    world.tokens = tokens
    return world


def api_url(world: World, label: str, path: str) -> str:
    """The operation's path with its parameters filled from the test's objects (api_params)."""
    params = MATRIX.get("api_params", {}).get(label, {})

    def value(m):
        name = m.group(1)
        if name not in params:
            raise AssertionError(f"{label}: no value for the path parameter {name!r} (declare it under api_params: in the matrix)")
        return str(world.kwargs.get(params[name], params[name]))

    return re.sub(r"\{(\w+)\}", value, path)


def api_outcome(response) -> str:
    code = response.status_code
    if 200 <= code < 300:
        return "ok"
    if code in (400, 422):
        return "invalid"
    return str(code)


def test_every_api_operation_as_every_key(api_world, openapi):  # noqa: F811
    """Each operation of the OpenAPI document, signed by each key (and unsigned): GET with no
    parameters, POST with an empty body (JSON `{}`, or an empty form for multipart operations).
    Every answer is documented for its operation (CheckedClient); a refusal changes nothing."""
    observed: dict = {}
    problems = []
    for path, ops in openapi["paths"].items():
        for method, op in ops.items():
            label = f"{method.upper()} {path}"
            decl = MATRIX["api"].get(label)
            url = api_url(api_world, label, path)
            multipart = "multipart/form-data" in op.get("requestBody", {}).get("content", {})
            for role in API_ROLES:
                cache.clear()
                client = CheckedClient(openapi, api_world.tokens[role])
                writes = Writes()
                try:
                    with connection.execute_wrapper(writes):
                        if method == "get":
                            response = client.get(url)
                        elif multipart:
                            response = client.post(url, {})
                        else:
                            response = client.post_json(url, {})
                except AssertionError as exc:  # the answer is not documented for the operation
                    problems.append(f"{label} as {role}: {exc}")
                    continue
                got = api_outcome(response)
                observed.setdefault(label, {})[role] = got
                want = expected(decl, role)
                if response.status_code >= 500:
                    problems.append(f"{label} as {role}: {response.status_code}")
                elif got != want:
                    problems.append(f"{label} as {role}: {got} (declared {want})")
                elif got in NO_WRITES and writes.statements:
                    problems.append(f"{label} as {role}: {got} but wrote {writes.statements}")
    _dump(observed, "api")
    assert not problems, "\n".join(problems)


ACCEPTED = {"ok", "invalid", "409", "signed_out", "form"}


def test_a_post_without_the_csrf_token_is_refused_everywhere(world):
    """Every page that accepts a POST from some role refuses it from that role without the CSRF
    token (403), and nothing is written."""
    problems = []
    checked = 0
    for url in project_urls():
        decl = page_declaration(url.name)
        if url.name.startswith("api:") or not isinstance(decl, dict) or decl.get("post") in (None, "skip"):
            continue
        role = next((r for r in ROLES if expected(decl["post"], r) in ACCEPTED), None)
        if role is None:
            continue
        path = fill(url.route, kwargs_for(world, url))
        c = client_as(world, role, enforce_csrf_checks=True)
        writes = Writes()
        with connection.execute_wrapper(writes):
            response = c.post(path, {})
        checked += 1
        if response.status_code != 403 or writes.statements:
            problems.append(f"POST {path} as {role} without a CSRF token: {response.status_code}, wrote {writes.statements}")
    assert checked >= 30
    assert not problems, "\n".join(problems)


# the object-level checks (IDOR) the issue names: the declarations themselves are guarded, so that
# loosening one is a visible change of this file, not only of the YAML
IDOR = {
    # department B and department A's objects
    ("redress_dept:objection_decide", "post", "op_b"): "404",
    ("cases_dept:case", "get", "op_b"): "404",
    ("cases_dept:file", "get", "op_b"): "404",
    ("dept:batch", "get", "op_b"): "404",
    ("dept:batch_errors", "get", "op_b"): "404",
    ("dept:record", "get", "op_b"): "404",
    ("dept:record_withdraw", "post", "op_b"): "404",
    ("dept_lists:entry", "get", "op_b"): "404",
    ("dept_lists:step", "post", "op_b"): "404",
    ("dept_commitments:detail", "get", "op_b"): "404",
    ("dept_commitments:outcome", "post", "op_b"): "404",
    ("access_dept:consent_document", "get", "op_b"): "404",
    ("access_dept:request", "get", "op_b"): "404",
    ("tipoffs_dept:route", "post", "op_b"): "404",
    ("tipoffs_dept:finding", "post", "op_b"): "404",
    ("tipoffs_dept:reveal", "post", "op_b"): "404",
    # the complaint about agency Y is held by its supervisor: neither department A nor B
    ("dept_agencies:complaint_close", "post", "op_a"): "404",
    ("dept_agencies:complaint_record", "get", "op_b"): "404",
    # subject Y (and an individual) and subject X's applications, reports, notifications
    ("cases:detail", "get", "firm_y"): "404",
    ("cases:file", "get", "firm_y"): "404",
    ("cases:detail", "get", "person"): "404",
    ("redress:objection_cancel", "post", "firm_y"): "404",
    ("redress:repair_cancel", "post", "firm_y"): "404",
    ("redress:repair_new", "get", "firm_y"): "404",
    ("annualreports:my_correct", "get", "firm_y"): "404",
    ("accounts:notification_open", "post", "firm_y"): "404",
    ("accounts:notification_open", "post", "person"): "404",
    ("commitments:my_detail", "get", "firm_y"): "404",
    ("commitments:my_detail", "get", "person"): "404",
    ("access_my:consent_revoke", "post", "firm_y"): "404",
    ("access_my:consent_revoke", "post", "person"): "404",
    ("agencies:complaint_cancel", "post", "firm_y"): "404",  # Y is the agency complained about
}


def test_the_object_level_checks_are_declared():
    for (name, method, role), want in IDOR.items():
        assert expected(page_declaration(name)[method], role) == want, (name, method, role)
    # the owners themselves are allowed: the 404s above are not a page that answers 404 to all
    assert expected(page_declaration("cases:detail")["get"], "firm") == "ok"
    assert expected(page_declaration("dept:batch")["get"], "op_a") == "ok"
    assert expected(page_declaration("accounts:notification_open")["post"], "firm") == "ok"
    for name, method, role in (("dept_commitments:detail", "get", "op_a"), ("access_dept:consent_document", "get", "op_a"), ("access_dept:request", "get", "op_a"),
                               ("dept_lists:entry", "get", "op_a"), ("commitments:my_detail", "get", "firm"), ("access_my:consent_revoke", "post", "firm"),
                               ("agencies:complaint_cancel", "post", "firm"), ("dept_commitments:detail", "get", "centre"), ("access_dept:request", "get", "centre")):
        assert expected(page_declaration(name)[method], role) == "ok", (name, method, role)
    # these pages are requested with real objects, not ids that do not exist
    for name in ("dept_commitments:detail", "access_dept:consent_document", "access_dept:request", "tipoffs_dept:route", "dept_agencies:complaint_close", "access_my:consent_revoke"):
        assert "missing" not in MATRIX["kwargs"][name].values(), name
    for label in ("GET /api/v1/batches/{batch}", "GET /api/v1/batches/{batch}/errors"):
        assert expected(MATRIX["api"][label], "key_b") == "404" and expected(MATRIX["api"][label], "key_ingest") == "ok"
