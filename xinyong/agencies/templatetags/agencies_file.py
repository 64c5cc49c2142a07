"""The agency section of the public credit file (portal/subject.html includes
agencies/_file_section.html, which asks this tag for its data)."""

from __future__ import annotations

from django import template

from xinyong.agencies import selectors

register = template.Library()


@register.simple_tag
def agency_file_section(uscc, grades=(), memberships=()):
    """The FileSection of a registered agency, or None (then the include shows nothing)."""
    if not uscc or len(str(uscc)) != 18:
        return None
    return selectors.file_section(str(uscc), grades=grades or (), memberships=memberships or ())


@register.simple_tag
def agency_complaint_outcomes():
    """The outcomes a supervising department may close a complaint with (agencies.yaml)."""
    from xinyong.agencies.rules import rules

    return list(rules().outcomes.values())
