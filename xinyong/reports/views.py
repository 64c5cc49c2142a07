"""Credit report pages: issuing (/reports/new) and verification (/verify/).

- GET /reports/new?subject=<uscc>: what the report is, and a button (POST, CSRF) that issues it;
  the POST answers with the PDF itself. Rate-limited per client (scope "report", a 429 page in
  Chinese). Unknown subjects: the credit file's 404 page; individuals: refused.
- GET /verify/: the form (report number, verification code, optionally the PDF file); the QR
  code printed on a report opens /verify/?n=<number>&c=<code>, which checks at once. POST /verify/
  checks with a file. Rate-limited per client (scope "verify"). The result page shows what the
  report contained (the stored snapshot).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from xinyong.common.ratelimit import client_id, hit, too_many
from xinyong.portal import selectors as portal_selectors
from xinyong.security.services import Actor

from . import selectors, services


def site_url(request) -> str:
    """The site's public address for QR codes: the setting, else where the request came to."""
    return settings.XINYONG["REPORTS"]["PUBLIC_URL"] or request.build_absolute_uri("/").rstrip("/")


def _actor(request, door: str) -> Actor:
    if request.user.is_authenticated:
        return Actor.for_user(request.user)
    return services.public_actor(door)


def _not_found(request):
    return render(request, "portal/subject_404.html", status=404)


@require_http_methods(["GET", "POST"])
def report_new(request):
    key = (request.POST.get("subject") if request.method == "POST" else request.GET.get("subject")) or ""
    key = key.strip()[:80]
    if key[:2].lower() == portal_selectors.PERSON_KEY_PREFIX:
        # answered before any look-up: says nothing about whether that individual exists
        return render(request, "reports/not_for_individuals.html", {"message": services.NOT_FOR_INDIVIDUALS}, status=422)
    subject = portal_selectors.public_organization(key) if key else None
    if subject is None:
        return _not_found(request)
    if request.method == "GET":
        return render(request, "reports/new.html", {"subject": subject, "file_url": portal_selectors.subject_url(subject)})
    allowed, retry_after = hit(request, "report")
    if not allowed:
        return too_many(request, retry_after)
    issued = services.report_issue(subject=subject, actor=_actor(request, "web"), requester=client_id(request), door="web", site_url=site_url(request))
    response = HttpResponse(issued.pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, issued.filename)
    response["Cache-Control"] = "no-store"
    response["X-Report-Number"] = issued.report.number
    return response


class VerifyForm(forms.Form):
    number = forms.CharField(label="报告编号", max_length=60, help_text="见报告首页和每页页脚，如 JL-20261129-7K3MQ-9X24B", widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}))
    code = forms.CharField(label="验证码", max_length=30, help_text="见报告首页和每页页脚，如 K7M3-Q9X2", widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}))
    file = forms.FileField(label="报告文件（可选）", required=False, help_text="上传报告的 PDF 文件，可同时核验文件是否被改动", widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}))

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        limit_kb = settings.XINYONG["REPORTS"]["VERIFY_MAX_KB"]
        if upload is not None and upload.size > limit_kb * 1024:
            raise forms.ValidationError(f"文件过大：信用报告的 PDF 文件不超过 {limit_kb // 1024} MB，请确认上传的是报告原件")
        return upload


def read_upload(upload) -> bytes | None:
    if upload is None:
        return None
    return b"".join(upload.chunks())


@require_http_methods(["GET", "POST"])
def verify(request):
    if request.method == "POST":
        form = VerifyForm(request.POST, request.FILES)
    elif "n" in request.GET or "c" in request.GET:  # the QR code's link
        form = VerifyForm({"number": request.GET.get("n", ""), "code": request.GET.get("c", "")})
    else:
        return render(request, "reports/verify.html", {"form": VerifyForm()})
    allowed, retry_after = hit(request, "verify")
    if not allowed:
        return too_many(request, retry_after)
    if not form.is_valid():
        return render(request, "reports/verify.html", {"form": form}, status=422)
    result = selectors.report_verify(number=form.cleaned_data["number"], code=form.cleaned_data["code"], pdf=read_upload(form.cleaned_data.get("file")))
    context = {"form": form, "result": result}
    if result.found:
        context["content"] = result.content
        # the same form again, for checking the file too, prefilled with what was typed
        context["form"] = VerifyForm(initial={"number": form.cleaned_data["number"], "code": form.cleaned_data["code"]})
    status = {"not_found": 404, "invalid": 422}.get(result.outcome, 200)
    return render(request, "reports/verify.html", context, status=status)
