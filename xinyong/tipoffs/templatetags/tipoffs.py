"""`{% tipoff_context case as t %}`: what the staff page of a tip-off shows beside the case
(findings, routing choices, the record form, flags per contact), for the party asking. Never the
reporter's identity."""

from __future__ import annotations

from django import template

from xinyong.cases.selectors import party_for
from xinyong.cases.services import credit_centre

from .. import selectors, services
from ..models import Tipoff

register = template.Library()

SUBJECT_CATEGORY = {"individual": "自然人", "individual_business": "个体工商户"}


def _record_fields(item, case, dept, posted) -> list[dict]:
    subject = case.subject
    prefill = {
        "subject_name": "" if subject.is_individual else subject.name,
        "uscc": subject.uscc or "",
        "subject_category": SUBJECT_CATEGORY.get(subject.kind, "法人及非法人组织"),
        "authority": dept.name, "source_unit": dept.name,
        "remarks": f"依据失信举报（办件 {case.pk}）查证属实",
    }
    out = []
    for f in item.fields:
        if f.role == "source_id":
            continue
        value = posted.get(f"rec_{f.name}", prefill.get(f.name, "")) if posted else prefill.get(f.name, "")
        if f.choices and value not in f.choices and not f.multi:
            value = "" if f.name != "subject_category" else value
        chosen = posted.getlist(f"rec_{f.name}") if posted and f.multi else []
        out.append({
            "name": f.name, "label": f.label, "type": f.type, "required": f.required, "choices": f.choices, "multi": f.multi,
            "value": value, "chosen": chosen, "help": f.help, "text": f.type == "text",
        })
    return out


@register.simple_tag(takes_context=True)
def tipoff_context(context, case):
    request = context["request"]
    party = party_for(request.scope)
    tipoff = Tipoff.objects.select_related("record").get(case=case)
    centre = party.is_credit_centre
    dept = party.department
    centre_code = credit_centre().code
    own = dept is not None and dept.code != centre_code
    lead = own and dept.pk == case.holder_id and case.state != "routing"
    active = own and case.routes.filter(department=dept, active=True).exists()
    forms = context.get("forms") or {}
    out = {
        "tipoff": tipoff, "centre": centre, "lead": lead,
        "findings": list(tipoff.findings.select_related("department")),
        "can_route": centre and case.state == "routing",
        "can_find": case.state == "verifying" and active,
        "my_finding": next((f for f in tipoff.findings.all() if own and f.department_id == dept.pk), None),
        "flag_count": selectors.flag_count(tipoff) if centre else None,
        "can_flag": centre and not case.is_open and not tipoff.flagged,
        "forms": forms,
    }
    if out["can_route"]:
        out["suggested"], out["others"] = selectors.routing_choices(case)
    if case.state == "confirmed" and lead and tipoff.record_id is None:
        items = services.record_items(case, dept)
        posted = forms.get("tipoff_record")
        chosen = (posted.get("item") if posted else "") or request.GET.get("item", "") or (items[0].code if items else "")
        item = next((i for i in items if i.code == chosen), None)
        out["record_items"] = items
        out["record_item"] = item
        out["record_fields"] = _record_fields(item, case, dept, posted) if item else []
    return out
