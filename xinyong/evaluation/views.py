"""Staff pages of the evaluation (credit-centre staff only, under /dept/evaluation/):
the grade distribution of a model by region, industry and model version as charts; the runs;
a subject's grades under every model with the full explanation, the history and what would
change the grade."""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from xinyong.catalog.registry import get_catalog
from xinyong.common.normalize import normalize_code
from xinyong.ingestion.views import staff_view
from xinyong.security.services import Actor, audit_log
from xinyong.subjects.models import Subject

from . import charts, selectors
from .loader import get_models

GROUPINGS = [("region", "按地区（市州）"), ("industry", "按行业门类"), ("version", "按模型版本")]


class ModelForm(forms.Form):
    model = forms.ChoiceField(label="评价模型", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [(code, f"{m.name}（{code}）") for code, m in get_models().items()]


class SubjectLookupForm(forms.Form):
    code = forms.CharField(label="统一社会信用代码", max_length=40, help_text="查看该主体在各评价模型下的等级、计分依据和变化")

    def clean_code(self):
        code = normalize_code(self.cleaned_data["code"])
        subject = Subject.objects.filter(uscc=code).only("id").first()
        if subject is None:
            raise forms.ValidationError(f"未找到统一社会信用代码为“{code[:18]}”的主体")
        return subject.id


@require_GET
@staff_view
def overview(request):
    models = get_models()
    form = ModelForm(request.GET or None)
    code = form.cleaned_data.get("model") if form.is_valid() else None
    code = code or next(iter(models), None)
    lookup = SubjectLookupForm(request.GET if "code" in request.GET else None)
    if lookup.is_bound and lookup.is_valid():
        return redirect("evaluation:subject", subject_id=lookup.cleaned_data["code"])
    model = models.get(code) if code else None
    chart_list = []
    if model is not None:
        grades = [(g.code, g.name) for g in model.grades]
        catalog = get_catalog()
        region_names = {r.code: r.name for r in catalog.regions.values()}
        counted = selectors.distributions(code)  # one pass for the four charts
        chart_list.append(charts.stacked("全部主体的等级分布", grades, counted["all"], {"all": "全部"}))
        for by, title in GROUPINGS:
            labels = region_names if by == "region" else {}
            chart_list.append(charts.stacked(f"{title}的等级分布", grades, counted[by], labels))
    return render(request, "evaluation/overview.html", {
        "scope": request.scope, "form": form, "lookup": lookup, "model": model, "charts": chart_list, "runs": selectors.latest_runs(),
    })


@require_GET
@staff_view
def subject_detail(request, subject_id: int):
    subject = Subject.objects.filter(pk=subject_id).defer("id_encrypted", "id_hash").first()
    if subject is None:
        raise Http404("未找到该主体")
    audit_log(actor=Actor.for_user(request.user, ip=request.META.get("REMOTE_ADDR")), action="evaluation.view", object_type="subject", object_id=subject.pk, subject_id=subject.pk, purpose="信用评价结果查看")
    entries = []
    for result in selectors.current_results(subject.pk, public_only=False):
        entries.append({
            "explanation": selectors.explain(result),
            "changes": selectors.what_would_change(result),
            "history": selectors.history(subject.pk, result.model_code),
        })
    return render(request, "evaluation/subject.html", {"scope": request.scope, "subject": subject, "entries": entries})
