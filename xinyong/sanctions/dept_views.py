"""Department pages of the designated lists (/dept/lists/): the entries of the department (every
department's for credit-centre staff), proposing an entry, and one entry with its timeline and
the form of each next step (notify, statement, decide, drop, remove). Thin: check who asks
(ingestion.views.dept_view, scope), parse a form, call one service, render. Usable without
JavaScript; the service refuses what the due process does not allow, with the reason in Chinese.

Only the designating department acts on an entry; credit-centre staff act for it (the step and
its audit entry say "信用中心代为办理"). For another department's operator the entry is not found
(404), as any other department's object on the department pages: a proposed entry is not public.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from xinyong.catalog.models import Department
from xinyong.catalog.registry import get_catalog
from xinyong.common.errors import XinyongError
from xinyong.ingestion.views import dept_view
from xinyong.security.services import Actor, audit_log

from . import selectors, services
from .forms import DecideForm, DropForm, NotifyForm, ProposeForm, RemoveForm, StatementForm
from .models import STATUS_CHOICES

ENTRIES_PER_PAGE = 50
STEP_FORMS = {"notify": NotifyForm, "statement": StatementForm, "decide": DecideForm, "drop": DropForm, "remove": RemoveForm}
STEP_TITLES = {"notify": "告知", "statement": "记录陈述申辩", "decide": "作出列入决定", "drop": "不予列入", "remove": "移出名单"}


def _actor(request) -> Actor:
    return Actor.for_user(request.user, ip=request.META.get("REMOTE_ADDR"))


def _render(request, template: str, context: dict, status: int = 200):
    context.setdefault("scope", request.scope)
    return render(request, template, context, status=status)


def _department_choices(request, lt):
    """Whom the user proposes for: an operator its own department (None: no choice); staff any
    department that designates the list."""
    scope = request.scope
    if scope.department is not None and services.may_designate(lt, scope.department):
        return None
    if scope.staff:
        codes = [d.code for d in selectors.list_departments(lt)]
        return list(Department.objects.filter(code__in=codes, active=True).order_by("code"))
    raise PermissionDenied(f"{lt.name}由{_designators(lt)}认定，本部门不能拟列入。")


def _designators(lt) -> str:
    return "行业协会商会" if lt.designator_kind else f"{get_catalog().systems[lt.sector].name}部门"


# ---------------------------------------------------------------------- entries
@require_GET
@dept_view
def index(request):
    scope = request.scope
    lists = selectors.designated_list_types()
    list_code = request.GET.get("list") or None
    status = request.GET.get("status") or None
    if list_code not in {None, *(lt.code for lt in lists)}:
        list_code = None
    if status not in {None, *(k for k, _ in STATUS_CHOICES)}:
        status = None
    page = Paginator(selectors.designated_entries(scope, list_code=list_code, status=status), ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    names = {lt.code: lt.name for lt in get_catalog().lists.values()}
    for entry in page.object_list:
        entry.list_name = names.get(entry.list_code, entry.list_code)
    proposable = lists if scope.staff else selectors.designatable_lists(scope.department)
    return _render(request, "sanctions/dept/index.html", {
        "page": page, "lists": lists, "proposable": proposable, "statuses": STATUS_CHOICES,
        "list_code": list_code or "", "status": status or "",
    })


@dept_view
def propose(request, code: str):
    try:
        lt = services.designated_list(code)
    except XinyongError:
        raise Http404("名单不存在") from None
    departments = _department_choices(request, lt)
    form = ProposeForm(request.POST or None, list_type=lt, departments=departments)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            if departments is None:
                department, on_behalf = request.scope.department, False
            else:
                department = next(x for x in departments if x.code == d["department"])
                on_behalf = True
            try:
                entry = services.entry_propose(
                    actor=_actor(request), list_code=lt.code, subject=d["subject"], department=department,
                    legal_basis=d["legal_basis"], reason=d["reason"], basis_record_ids=d["basis_records"],
                    persons=form.persons(), warning_exemption=d.get("warning_exemption", ""), on_behalf=on_behalf, day=d["day"],
                )
            except XinyongError as exc:
                _attach(form, exc)
                status = exc.status
            else:
                messages.success(request, f"已拟列入{lt.name}。下一步：向当事人告知。")
                return redirect("dept_lists:entry", entry.id)
    warning = get_catalog().lists.get(lt.warning_first) if lt.warning_first else None
    return _render(request, "sanctions/dept/propose.html", {"lt": lt, "form": form, "warning_name": warning.name if warning else ""}, status=status)


def _attach(form, exc: XinyongError) -> None:
    """A service's refusal on the form: on its field when the form has it, else on top."""
    placed = False
    for name, reason in exc.fields.items():
        if name in form.fields:
            form.add_error(name, reason)
            placed = True
    if not placed or len(exc.fields) != 1:
        form.add_error(None, exc.message)


def _entry_for(request, entry_id: int):
    """The entry, if the user's department designated it (or the user is staff); otherwise not
    found, whether it exists or not (another department learns neither that nor who designated it)."""
    entry = selectors.designated_entry(entry_id) if entry_id < 2**62 else None
    scope = request.scope
    own = entry is not None and scope.department is not None and scope.department.id == entry.designating_department_id
    if entry is None or not (own or scope.staff):
        raise Http404("名单条目不存在")
    entry.on_behalf = not own
    return entry


def _step_form(step: str, lt, data=None):
    """The form of a step; ids prefixed by the step, since one page holds several forms."""
    cls = STEP_FORMS[step]
    kwargs = {"auto_id": f"{step}-%s"}
    if cls is DecideForm:
        kwargs["list_type"] = lt
    return cls(data, **kwargs)


def _open_steps(entry) -> list[str]:
    steps = [s for s in STEP_FORMS if entry.status in services.STEP_FROM[s]]
    return [s for s in steps if not (s == "statement" and entry.statement_on is not None)]


def _entry_page(request, entry, *, forms: dict | None = None, problem: str = "", status: int = 200):
    lt = get_catalog().lists.get(entry.list_code)
    shown = {step: (forms or {}).get(step) or _step_form(step, lt) for step in _open_steps(entry)}
    return _render(request, "sanctions/dept/entry.html", {
        "entry": entry, "lt": lt, "steps": list(selectors.entry_steps(entry)), "records": selectors.basis_records(entry),
        "forms": [(step, STEP_TITLES[step], form) for step, form in shown.items()],
        "warning_list": get_catalog().lists.get(lt.warning_first) if lt and lt.warning_first else None,
        "problem": problem,
    }, status=status)


@require_GET
@dept_view
def entry(request, entry_id: int):
    entry = _entry_for(request, entry_id)
    if not selectors.public_entry_exists(entry):  # a read of information not (or no longer) public
        audit_log(actor=_actor(request), action="list_entry.view", object_type="list_entry", object_id=entry.id, subject_id=entry.subject_id, purpose="名单认定办理查看", detail={"list": entry.list_code, "status": entry.status})
    return _entry_page(request, entry)


@require_POST
@dept_view
def step(request, entry_id: int, step: str):
    if step not in STEP_FORMS:
        raise Http404("未知的办理环节")
    entry = _entry_for(request, entry_id)
    lt = get_catalog().lists.get(entry.list_code)
    form = _step_form(step, lt, request.POST)
    if not form.is_valid():
        return _entry_page(request, entry, forms={step: form}, status=400)
    d = dict(form.cleaned_data)
    common = {"actor": _actor(request), "entry_id": entry.id, "department": entry.designating_department, "on_behalf": entry.on_behalf, "day": d.pop("day")}
    try:
        if step == "notify":
            services.entry_notify(**common, notice=d["notice"])
        elif step == "statement":
            services.entry_statement(**common, statement=d["statement"])
        elif step == "decide":
            services.entry_decide(**common, **d)
        elif step == "drop":
            services.entry_drop(**common, reason=d["reason"])
        else:
            services.entry_remove(**common, kind=d["kind"], reason=d["reason"])
    except XinyongError as exc:
        entry = _entry_for(request, entry_id)
        if step in _open_steps(entry):  # the reason on the form, kept as typed
            _attach(form, exc)
            return _entry_page(request, entry, forms={step: form}, status=exc.status)
        return _entry_page(request, entry, problem=exc.message, status=exc.status)  # a replayed or stale step
    messages.success(request, f"已{STEP_TITLES[step]}。")
    return redirect("dept_lists:entry", entry.id)
