"""Header links of the subject's own area, and a lookup filter for the own-file page."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html

from xinyong.accounts import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def subject_nav(context) -> str:
    """For a logged-in subject account: "我的信用" and "站内信" with the unread count; else nothing."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated or selectors.request_account(request) is None:
        return ""
    unread = selectors.unread_count(request.user)
    badge = format_html('<span class="badge unread">{}<span class="visually-hidden">条未读</span></span>', unread) if unread else ""
    return format_html('<a href="{}">我的信用</a> <a href="{}">站内信{}</a>', reverse("accounts:home"), reverse("accounts:notifications"), badge)


@register.filter
def is_subject_account(user) -> bool:
    from xinyong.accounts.models import SubjectAccount

    return bool(user and user.is_authenticated and SubjectAccount.objects.filter(user=user).exists())


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def is_organization_account(request) -> bool:
    """The logged-in portal account acts for an organization (annual reports are theirs)."""
    account = selectors.request_account(request) if request is not None else None
    return bool(account is not None and account.kind == "organization")
