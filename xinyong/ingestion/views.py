"""Department pages (部门报送工作台, /dept/): dashboard, upload, batches, templates, records, and the
credit centre's review queue. Thin: parse, check who asks (selectors.scope_for), call one service
or selector, render. Server-rendered and usable without JavaScript."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from xinyong.catalog.registry import NATURES, get_catalog
from xinyong.common.errors import FileRejected, XinyongError
from xinyong.common.filestore import DamagedFile, damaged_response
from xinyong.records.models import Record
from xinyong.records.services import record_withdraw
from xinyong.security.services import Actor, audit_log
from xinyong.subjects.models import Subject

from . import selectors
from .errorfile import error_file_checked
from .forms import (
    BatchFilterForm,
    RecordFilterForm,
    ReviewLinkForm,
    ReviewRejectForm,
    SubjectSearchForm,
    UploadForm,
    WithdrawForm,
)
from .models import Batch, ReviewItem
from .pipeline import read_progress
from .review import review_link, review_reject
from .services import batch_submit
from .template import build_csv_template, build_template

BATCHES_PER_PAGE = 20
RECORDS_PER_PAGE = 50
REVIEWS_PER_PAGE = 50
REFRESH_SECONDS = 3
ITEM_ERROR_CODES = {"not_item_owner", "not_item_level", "unknown_item", "catalog_not_synced"}


# ---------------------------------------------------------------------- access
def dept_view(view):
    """Signed in, and a department operator or credit-centre staff; `request.scope` is set."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        scope = selectors.scope_for(request.user)
        if scope is None:
            raise PermissionDenied("您的账号未关联到启用的报送部门，也不是信用中心工作人员。请联系信用中心开通权限。")
        request.scope = scope
        return view(request, *args, **kwargs)

    return wrapper


def staff_view(view):
    @dept_view
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.scope.staff:
            raise PermissionDenied("该页面仅供信用中心工作人员使用。")
        return view(request, *args, **kwargs)

    return wrapper


def _actor(request) -> Actor:
    return Actor.for_user(request.user, ip=request.META.get("REMOTE_ADDR"))


def _page(request, queryset, per_page: int):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _render(request, template: str, context: dict, status: int = 200):
    context.setdefault("scope", getattr(request, "scope", None))
    return render(request, template, context, status=status)


# ---------------------------------------------------------------------- dashboard
@require_GET
@dept_view
def home(request):
    scope = request.scope
    items = selectors.items_for_scope(scope)
    departments = selectors.departments_with_batches() if scope.staff else None
    form = BatchFilterForm(request.GET or None, items=items, departments=departments)
    filters = form.cleaned_data if form.is_valid() else {}
    department = filters.get("department")
    item_code = filters.get("item") or None
    page = _page(request, selectors.batch_list(scope, department_id=department.id if department else None, item_code=item_code, status=filters.get("status") or None), BATCHES_PER_PAGE)
    selectors.with_item_names(page.object_list)
    context = {"form": form, "page": page, "items": items}
    if scope.department is not None:
        context["timeliness"] = [selectors.department_timeliness(scope.department, days=d) for d in (30, 90)]
        context["department_reviews"] = selectors.review_list(department_id=scope.department.id).count()
    if scope.staff:
        context["overview"] = selectors.department_overview(department_id=department.id if department else None, item_code=item_code)
        context["open_reviews"] = selectors.review_list().count()
    return _render(request, "ingestion/home.html", context)


# ---------------------------------------------------------------------- upload
def _error_field(exc: XinyongError) -> str | None:
    if exc.code in ITEM_ERROR_CODES:
        return "item"
    if isinstance(exc, FileRejected) or exc.code.startswith("file"):
        return "file"
    if "mode" in exc.fields:
        return "mode"
    return None


@dept_view
def upload(request):
    scope = request.scope
    if not scope.can_upload:
        return _render(request, "ingestion/upload.html", {"form": None}, status=403)
    items = get_catalog().items_for_department(scope.department)
    failed_batch = None
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, items=items)
        try:
            if form.is_valid():
                try:
                    batch = batch_submit(
                        department=scope.department,
                        item_code=form.cleaned_data["item"],
                        path=form.upload_path(),
                        filename=form.cleaned_data["file"].name,
                        door="web",
                        mode=form.cleaned_data["mode"],
                        user=request.user,
                        actor=_actor(request),
                    )
                except XinyongError as exc:
                    form.add_error(_error_field(exc), exc.message)
                else:
                    if batch.status == "failed":
                        form.add_error("file", batch.message)
                        failed_batch = batch
                    else:
                        if batch.done:
                            messages.success(request, f"批次 {batch.id} 已处理完成。")
                        else:
                            messages.info(request, f"文件较大，批次 {batch.id} 已转入后台处理，本页面会自动刷新显示进度。")
                        return redirect("dept:batch", public_id=batch.public_id)
        finally:
            form.cleanup()
    else:
        initial = {k: request.GET[k] for k in ("item", "mode") if request.GET.get(k)}
        form = UploadForm(initial=initial, items=items)
    return _render(request, "ingestion/upload.html", {"form": form, "items": items, "failed_batch": failed_batch}, status=400 if request.method == "POST" else 200)


# ---------------------------------------------------------------------- batches
def _batch_or_404(request, public_id) -> Batch:
    try:
        return selectors.batch_get(request.scope, public_id)
    except Batch.DoesNotExist:
        raise Http404("找不到该批次") from None


@require_GET
@dept_view
def batch_detail(request, public_id):
    batch = _batch_or_404(request, public_id)
    batch.item_name = selectors.item_name(batch.item_code)
    context = {
        "batch": batch,
        "row_errors": selectors.batch_row_errors(batch),
        "review_items": list(selectors.batch_review_items(batch)),
        "has_error_file": batch.error_path is not None and batch.error_path.is_file(),
        "progress": None if batch.done else read_progress(batch),
        "refresh": None if batch.done else REFRESH_SECONDS,
    }
    return _render(request, "ingestion/batch.html", context)


@require_GET
@dept_view
def batch_errors(request, public_id):
    """The full error file (rejected rows with row number, field and reason): it holds the
    department's raw rows, so every download is audited."""
    batch = _batch_or_404(request, public_id)
    path = batch.error_path
    if path is None or not path.is_file():
        raise Http404("该批次没有拒收行文件")
    try:  # read through before the response starts: a damaged file gets its page, not a cut download
        size, chunks = error_file_checked(path)
    except DamagedFile:
        return damaged_response()
    audit_log(
        actor=_actor(request),
        action="batch.errors.download",
        object_type="batch",
        object_id=batch.id,
        purpose="下载拒收行文件",
        detail={"batch": str(batch.public_id), "department": batch.department.code, "item": batch.item_code, "rejected": batch.rejected},
    )
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = content_disposition_header(True, f"拒收行-批次{batch.id}-{batch.item_code}.csv")
    return response


# ---------------------------------------------------------------------- templates
@require_GET
@dept_view
def template_index(request):
    items = selectors.items_for_scope(request.scope)
    return _render(request, "ingestion/templates.html", {"items": items, "natures": NATURES})


@require_GET
@dept_view
def template_download(request, item_code: str, fmt: str):
    catalog = get_catalog()
    item = catalog.item(item_code)
    if item is None:
        raise Http404("未知的信息项")
    if fmt == "xlsx":
        body = build_template(item, catalog)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = build_csv_template(item)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, f"模板-{item.name}-{item.code}.{fmt}")
    return response


# ---------------------------------------------------------------------- records
@require_GET
@dept_view
def records(request):
    scope = request.scope
    items = selectors.items_for_scope(scope)
    form = RecordFilterForm(request.GET or None, items=items, departments=selectors.departments_with_batches() if scope.staff else None)
    filters = form.cleaned_data if form.is_valid() else {}
    department = filters.get("department")
    page = _page(
        request,
        selectors.record_list(
            scope,
            department_id=department.id if department else None,
            item_code=filters.get("item") or None,
            decided_from=filters.get("decided_from"),
            decided_to=filters.get("decided_to"),
            status=filters.get("status") or None,
        ),
        RECORDS_PER_PAGE,
    )
    selectors.with_item_names(page.object_list)
    restricted = [r.id for r in page.object_list if not selectors.record_is_public(r)]
    if restricted:
        audit_log(actor=_actor(request), action="record.list", object_type="record", purpose="部门报送记录列表", detail={"records": restricted})
    return _render(request, "ingestion/records.html", {"form": form, "page": page})


def _record_or_404(request, pk: int) -> Record:
    try:
        return selectors.record_get(request.scope, pk)
    except Record.DoesNotExist:
        raise Http404("找不到该记录") from None


def _record_page(request, record: Record, *, withdraw_form=None, status: int = 200):
    scope = request.scope
    record.item_name = selectors.item_name(record.item_code)
    if not selectors.record_is_public(record):
        audit_log(actor=_actor(request), action="record.view", object_type="record", object_id=record.id, subject_id=record.subject_id, purpose="部门报送记录查看", detail={"item": record.item_code, "disclosure": record.disclosure})
    own = scope.department is not None and scope.department.id == record.department_id
    context = {
        "record": record,
        "fields": selectors.record_fields(record),
        "history": list(selectors.record_history(record)),
        "can_withdraw": own and record.status == "active",
        "can_correct": own and record.status == "active",
        "withdraw_form": withdraw_form or WithdrawForm(),
    }
    return _render(request, "ingestion/record.html", context, status=status)


@require_GET
@dept_view
def record_detail(request, pk: int):
    return _record_page(request, _record_or_404(request, pk))


@require_POST
@dept_view
def record_withdraw_view(request, pk: int):
    record = _record_or_404(request, pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            record_withdraw(record=record, reason=form.cleaned_data["reason"], actor=_actor(request))
        except XinyongError as exc:
            form.add_error("reason" if "reason" in exc.fields else None, exc.message)
        else:
            messages.success(request, "记录已撤销，原内容已保留在变更历史中。")
            return redirect("dept:record", pk=record.pk)
    return _record_page(request, record, withdraw_form=form, status=400)


# ---------------------------------------------------------------------- review queue (credit centre)
@require_GET
@staff_view
def review_queue(request):
    status = request.GET.get("status", "open")
    if status not in {s for s, _ in ReviewItem.STATUS}:
        status = "open"
    items = selectors.items_for_scope(request.scope)
    item_code = request.GET.get("item") or None
    page = _page(request, selectors.review_list(status=status, item_code=item_code), REVIEWS_PER_PAGE)
    for review in page.object_list:
        review.item_name = selectors.item_name(review.batch.item_code)
    return _render(request, "ingestion/review_queue.html", {"page": page, "status": status, "statuses": ReviewItem.STATUS, "items": items, "item_code": item_code})


def _review_or_404(pk: int) -> ReviewItem:
    try:
        return selectors.review_get(pk)
    except ReviewItem.DoesNotExist:
        raise Http404("找不到该条待关联记录") from None


def _review_page(request, review: ReviewItem, *, link_form=None, reject_form=None, status: int = 200):
    review.item_name = selectors.item_name(review.batch.item_code)
    if not selectors.review_is_public(review):
        audit_log(actor=_actor(request), action="review.view", object_type="review_item", object_id=review.id, purpose="待人工关联记录处理", detail={"batch": review.batch_id, "row": review.row_no})
    search = SubjectSearchForm(request.GET or None)
    query = search.cleaned_data.get("q", "") if search.is_valid() else ""
    candidate_ids = [c.get("id") for c in review.candidates or [] if c.get("id")]
    context = {
        "review": review,
        "fields": selectors.review_fields(review),
        "candidates": list(Subject.objects.filter(id__in=candidate_ids)),
        "search": search,
        "query": query,
        "results": selectors.subject_search(query) if query else [],
        "link_form": link_form or ReviewLinkForm(initial={"map_legacy": True}),
        "reject_form": reject_form or ReviewRejectForm(),
    }
    return _render(request, "ingestion/review_item.html", context, status=status)


@require_GET
@staff_view
def review_detail(request, pk: int):
    return _review_page(request, _review_or_404(pk))


@require_POST
@staff_view
def review_link_view(request, pk: int):
    review = _review_or_404(pk)
    form = ReviewLinkForm(request.POST)
    if form.is_valid():
        subject = Subject.objects.filter(pk=form.cleaned_data["subject"]).first()
        if subject is None:
            form.add_error("subject", "所选主体不存在")
        else:
            try:
                record = review_link(item=review, subject=subject, actor=_actor(request), note=form.cleaned_data["note"], map_legacy=form.cleaned_data["map_legacy"])
            except XinyongError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"已关联到“{subject.display_name}”，记录 {record.id} 已入库。")
                return redirect("dept:review")
    return _review_page(request, review, link_form=form, status=400)


@require_POST
@staff_view
def review_reject_view(request, pk: int):
    review = _review_or_404(pk)
    form = ReviewRejectForm(request.POST)
    if form.is_valid():
        try:
            review_reject(item=review, note=form.cleaned_data["note"], actor=_actor(request))
        except XinyongError as exc:
            form.add_error("note" if "note" in exc.fields else None, exc.message)
        else:
            messages.success(request, f"已退回批次 {review.batch_id} 第 {review.row_no} 行。")
            return redirect("dept:review")
    return _review_page(request, review, reject_form=form, status=400)
