"""What the browser tests look for in the demo province: chosen by query, not by seed, so the
tests hold whatever the day the demo is generated on."""

from __future__ import annotations

import json
from collections import Counter

from xinyong.portal import selectors as portal_selectors
from xinyong.records.models import Record
from xinyong.records.selectors import public_q
from xinyong.sanctions import selectors as list_selectors
from xinyong.sanctions.models import ListEntry
from xinyong.subjects.models import Subject

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


def organization_with_penalty_and_licence() -> Subject:
    """A registered organization whose file shows both licences and penalties (public today)."""
    public = Record.objects.filter(public_q())
    penalised = public.filter(item_code__startswith="penalty.", under_objection=False).values("subject_id")
    licensed = public.filter(item_code__startswith="licensing.").values("subject_id")
    found = (
        Subject.objects.exclude(kind="individual")
        .filter(id__in=penalised)
        .filter(id__in=licensed)
        .exclude(name="")
        .order_by("id")
        .first()
    )
    assert found is not None, "the demo province has no organization with both a public licence and a public penalty"
    return found


def public_penalties(subject: Subject) -> list[Record]:
    return list(Record.objects.filter(public_q(), subject=subject, item_code__startswith="penalty.").select_related("department").order_by("id"))


def name_fragment(subject: Subject) -> str:
    """Two consecutive characters of the name, as rare as possible among organizations' names
    (so that the subject shows on the first page of results)."""
    names = list(Subject.objects.exclude(kind="individual").values_list("name", flat=True))
    counts: Counter[str] = Counter()
    for name in names:
        counts.update({name[i : i + 2] for i in range(len(name) - 1)})
    pairs = [subject.name[i : i + 2] for i in range(len(subject.name) - 1)]
    pairs = [p for p in pairs if all("\u4e00" <= ch <= "\u9fff" for ch in p)]
    return min(pairs, key=lambda p: (counts[p], subject.name.index(p)))


def listed_individual() -> Subject:
    """An individual whose file the law publishes (a dishonest judgment debtor)."""
    for entry in ListEntry.objects.filter(subject__kind="individual").select_related("subject").order_by("id"):
        if portal_selectors.public_person(str(entry.subject.public_id)) is not None:
            return entry.subject
    raise AssertionError("the demo province has no published individual")


def record_under_objection() -> Record:
    rec = Record.objects.filter(public_q(), under_objection=True).exclude(subject__kind="individual").select_related("subject").order_by("id").first()
    assert rec is not None, "the demo province has no public record under objection"
    return rec


def a_decision() -> Record:
    """A public 双公示 penalty decision of an organization."""
    rec = (
        Record.objects.filter(public_q(), item_code__startswith="penalty.")
        .exclude(subject__kind="individual")
        .select_related("department", "subject")
        .order_by("-decided_on", "id")
        .first()
    )
    assert rec is not None
    return rec


def busiest_list() -> tuple[str, ListEntry]:
    """The public list with the most current entries, and one of its entries open to the public."""
    counts = list_selectors.list_counts()
    for code in sorted(counts, key=lambda c: (-counts[c], c)):
        lt = list_selectors.public_list(code)
        for entry in ListEntry.objects.filter(list_code=code, status="listed").order_by("id"):
            if list_selectors.public_entry(lt, entry.id) is not None:
                return code, entry
    raise AssertionError("the demo province has no public list entries")


def busiest_derived_list() -> tuple[str, ListEntry]:
    """The public list derived from records with the most entries, and the newest entry of an
    organization on it (first page of the list) with its basis record."""
    counts = list_selectors.list_counts()
    for code in sorted(counts, key=lambda c: (-counts[c], c)):
        lt = list_selectors.public_list(code)
        if not lt.derived:
            continue
        for entry in list_selectors.list_entries(lt)[:5]:
            if entry.basis_record_id and not entry.subject.is_individual:
                return code, entry
    raise AssertionError("the demo province has no public entry of a derived list")


def list_name(code: str) -> str:
    return str(list_selectors.public_list(code).name)


def axe_run(page) -> dict:
    """axe-core (bundled by axe-playwright-python) on the current page, WCAG 2.1 A/AA rules."""
    from axe_playwright_python.base import AXE_SCRIPT

    page.evaluate(AXE_SCRIPT)
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    return page.evaluate(f"axe.run(document, {json.dumps(options)})")


def axe_summary(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      ")[:400])
    return "\n".join(lines)
