"""List entries derived from records (lists.yaml rules), both ways: a qualifying record puts its
subject on the list; a withdrawn, repaired, corrected-away, superseded or expired record takes it
off again, with the date and the reason in Chinese. Idempotent; the first run is a rebuild."""

from __future__ import annotations

from datetime import date

from django.core.management import call_command

from xinyong.common.schedule import load_jobs, run_job
from xinyong.records import feed
from xinyong.records.models import ChangeEvent, FeedCursor, Record
from xinyong.sanctions import selectors, services
from xinyong.sanctions.models import DerivationState, ListEntry

from .conftest import (
    TODAY,
    accepted,
    env_row,
    ip_row,
    misconduct_row,
    org,
    org_debtor,
    person,
    person_debtor,
    tax_row,
)


def entry_of(list_code: str, **filters) -> ListEntry:
    return ListEntry.objects.get(list_code=list_code, **filters)


def test_a_dishonest_debtor_is_listed_from_the_courts_record_and_removed_when_it_is_withdrawn(ingest, uscc):
    code = uscc()
    accepted(ingest([org_debtor("长春市宏达建材有限公司", code, "（2026）吉0102执100号", published="2026-06-01")], item="dishonest_debtor", dept_code="220102-FY"))
    first = services.lists_update()
    assert first["rebuilt"] is True  # the first run on a database is a rebuild, not a replay

    entry = entry_of("dishonest_debtors")
    record = Record.objects.get(item_code="dishonest_debtor")
    assert entry.status == "listed" and entry.source == "rule"
    assert entry.basis_record_id == record.id
    assert entry.listed_on == date(2026, 6, 1)  # the court's publication date
    assert entry.expires_on == date(2028, 6, 1) == record.publish_until  # no term given: 2 years
    assert entry.designating_department.code == "220102-FY"
    assert entry.rule == "dishonest_debtor@2026.11"  # lineage: the rule and the catalog version
    assert entry.individual is False
    assert list(selectors.public_memberships(entry.subject)) == [entry]

    # the court withdraws its record: the next run takes the subject off the list
    accepted(ingest([org_debtor("长春市宏达建材有限公司", code, "（2026）吉0102执100号", published="2026-06-01", 撤销原因="执行和解，法院撤销失信决定")], item="dishonest_debtor", dept_code="220102-FY", mode="withdraw"))
    assert list(selectors.public_memberships(entry.subject)) == []  # not public the moment the record is withdrawn
    second = services.lists_update()
    assert second["rebuilt"] is False and second["removed"] == 1
    entry.refresh_from_db()
    assert entry.status == "removed"
    assert entry.removed_on == TODAY
    assert entry.removal_reason == "依据的信用记录已被报送部门撤销"
    ops = list(ChangeEvent.objects.filter(entity="list_entry", entity_id=entry.id).order_by("seq").values_list("op", flat=True))
    assert ops == ["ADD", "DEL"]


def test_updates_are_idempotent_and_a_rebuild_after_them_changes_nothing(ingest, uscc):
    accepted(ingest([org_debtor("长春市宏达建材有限公司", uscc(), "（2026）吉0102执101号")], item="dishonest_debtor", dept_code="220102-FY"))
    services.lists_update()
    events = ChangeEvent.objects.count()
    again = services.lists_update()
    assert (again["added"], again["removed"], again["updated"], again["relisted"]) == (0, 0, 0, 0)
    rebuilt = services.lists_rebuild()
    assert (rebuilt["added"], rebuilt["removed"], rebuilt["updated"], rebuilt["relisted"]) == (0, 0, 0, 0)
    assert rebuilt["listed"] == 1
    assert ChangeEvent.objects.count() == events  # nothing written: nothing changed
    assert ListEntry.objects.count() == 1


def test_the_feed_is_followed_from_where_the_rebuild_started(ingest, uscc):
    services.lists_update()  # rebuild of an empty database
    state = DerivationState.objects.get()
    accepted(ingest([org_debtor("长春市宏达建材有限公司", uscc(), "（2026）吉0102执102号")], item="dishonest_debtor", dept_code="220102-FY"))
    summary = services.lists_update()
    assert summary["rebuilt"] is False and summary["added"] == 1 and summary["events"] >= 1
    assert FeedCursor.objects.get(consumer="lists").seq == ChangeEvent.objects.order_by("-seq").first().seq
    assert DerivationState.objects.get() == state  # no second rebuild


def test_a_change_of_the_rules_makes_the_next_run_a_rebuild(ingest, uscc):
    accepted(ingest([org_debtor("长春市宏达建材有限公司", uscc(), "（2026）吉0102执103号")], item="dishonest_debtor", dept_code="220102-FY"))
    services.lists_update()
    DerivationState.objects.update(rules_digest="rules of an older lists.yaml")
    summary = services.lists_update()
    assert summary["rebuilt"] is True and summary["listed"] == 1
    assert DerivationState.objects.get().rules_digest == services.rules_digest()


def test_a_grade_a_taxpayer_of_the_latest_year_only(ingest, uscc):
    a_then_b, b_then_a, only_a = uscc(), uscc(), uscc()
    accepted(
        ingest(
            [
                # still valid: only the newer year's B takes it off
                tax_row("长春市甲公司", a_then_b, 2024, "A", 有效期至="2027-03-31"),
                tax_row("长春市甲公司", a_then_b, 2025, "B"),
                tax_row("长春市乙公司", b_then_a, 2024, "B", 有效期至="2027-03-31"),
                tax_row("长春市乙公司", b_then_a, 2025, "A"),
                tax_row("长春市丙公司", only_a, 2025, "A"),
            ],
            item="tax_rating",
            dept_code="220100-SW",
        ),
        5,
    )
    services.lists_update()
    listed = {e.subject.uscc: e for e in ListEntry.objects.filter(list_code="tax_a_grade", status="listed").select_related("subject", "basis_record")}
    assert set(listed) == {b_then_a, only_a}  # an A of 2024 no longer counts once 2025 is B
    assert listed[b_then_a].basis_record.data["year"] == 2025
    assert listed[b_then_a].listed_on == date(2026, 4, 20)
    assert listed[b_then_a].expires_on == date(2027, 3, 31)  # the rating's own 有效期至


def test_a_correction_that_takes_the_grade_away_removes_the_entry_and_one_that_gives_it_back_lists_it_again(ingest, uscc):
    code = uscc()
    accepted(ingest([tax_row("长春市丁公司", code, 2025, "A")], item="tax_rating", dept_code="220100-SW"))
    services.lists_update()
    entry = entry_of("tax_a_grade")

    accepted(ingest([tax_row("长春市丁公司", code, 2025, "B", 更正原因="评价结果复评调整")], item="tax_rating", dept_code="220100-SW", mode="correct"))
    assert services.lists_update()["removed"] == 1
    entry.refresh_from_db()
    assert entry.status == "removed"
    # a B grade is not public: the record stopped being public before the grade was compared
    assert entry.removal_reason in ("依据的信用记录已不再公开", "依据的信用记录经更正后不再符合列入条件（纳税信用级别：B）")

    accepted(ingest([tax_row("长春市丁公司", code, 2025, "A", 更正原因="复评结果撤回")], item="tax_rating", dept_code="220100-SW", mode="correct"))
    assert services.lists_update()["relisted"] == 1
    entry.refresh_from_db()
    assert (entry.status, entry.removed_on, entry.removal_reason) == ("listed", None, "")
    assert ListEntry.objects.filter(list_code="tax_a_grade").count() == 1  # the same entry, not a second one


def test_a_newer_environmental_rating_moves_the_subject_between_lists(ingest, uscc):
    code = uscc()
    accepted(ingest([env_row("吉林省化工甲厂", code, 2024, "环保警示企业")], item="env_rating", dept_code="220100-HBT"))
    services.lists_update()
    assert entry_of("env_warning").status == "listed"

    accepted(ingest([env_row("吉林省化工甲厂", code, 2025, "环保诚信企业")], item="env_rating", dept_code="220100-HBT"))
    services.lists_update()
    warning = entry_of("env_warning")
    assert warning.status == "removed"
    assert warning.removal_reason == "已有评价年度更新的企业环境信用评价结果，本记录不再作为列入依据"
    assert entry_of("env_integrity").status == "listed"


def test_an_entry_ends_with_the_publication_of_its_record(ingest, uscc):
    code = uscc()
    accepted(ingest([org_debtor("长春市宏达建材有限公司", code, "（2026）吉0102执104号", published="2026-01-10", until="2026-12-31")], item="dishonest_debtor", dept_code="220102-FY"))
    services.lists_update()
    entry = entry_of("dishonest_debtors")
    assert entry.expires_on == date(2026, 12, 31)  # the court's term
    assert selectors.list_counts(date(2026, 12, 31))["dishonest_debtors"] == 1
    # the day after, the entry is not shown, before any job ran
    assert selectors.list_counts(date(2027, 1, 1))["dishonest_debtors"] == 0
    assert list(selectors.public_memberships(entry.subject, date(2027, 1, 1))) == []
    # the job then removes it, from the day after the end
    summary = services.lists_update(day=date(2027, 1, 5))
    assert summary["removed"] == 1
    entry.refresh_from_db()
    assert (entry.status, entry.removed_on) == ("removed", date(2027, 1, 1))
    assert entry.removal_reason == "公示期满（公示截止2026-12-31）"
    assert services.lists_update(day=date(2027, 1, 6))["removed"] == 0


def test_a_repaired_record_takes_its_subject_off_the_list(ingest, uscc):
    accepted(ingest([ip_row(org("长春市仿冒商贸有限公司", uscc()), "长知执〔2026〕1号")], item="ip_infringement", dept_code="220100-ZSCQ"))
    services.lists_update()
    entry = entry_of("ip_serious")
    assert entry.status == "listed"
    Record.objects.filter(pk=entry.basis_record_id).update(status="repaired")  # the redress issue's repair
    feed.append([ChangeEvent(at=entry.created_at, entity="record", entity_id=entry.basis_record_id, subject_id=entry.subject_id, item_code="ip_infringement", op="MOD")])
    services.lists_update()
    entry.refresh_from_db()
    assert entry.status == "removed" and entry.removal_reason == "信用修复：依据的信用记录已停止公示"


def test_only_serious_ip_infringements_are_listed(ingest, uscc):
    accepted(
        ingest(
            [ip_row(org("长春市甲商贸有限公司", uscc()), "长知执〔2026〕2号", severity="一般"), ip_row(org("长春市乙商贸有限公司", uscc()), "长知执〔2026〕3号")],
            item="ip_infringement",
            dept_code="220100-ZSCQ",
        ),
        2,
    )
    services.lists_update()
    assert [e.subject.name for e in ListEntry.objects.filter(list_code="ip_serious")] == ["长春市乙商贸有限公司"]


def test_individuals_are_entered_everywhere_but_shown_only_where_the_law_publishes_their_names(ingest, id_number):
    debtor_id, infringer_id = id_number(), id_number()
    accepted(ingest([person_debtor("刘德福", debtor_id, "（2026）吉0102执105号")], item="dishonest_debtor", dept_code="220102-FY"))
    accepted(ingest([ip_row(person("赵仿冒", infringer_id), "长知执〔2026〕4号")], item="ip_infringement", dept_code="220100-ZSCQ"))
    services.lists_update()
    debtor = entry_of("dishonest_debtors")
    infringer = entry_of("ip_serious")
    assert debtor.individual and infringer.individual
    counts = selectors.list_counts()
    assert counts["dishonest_debtors"] == 1
    assert counts["ip_serious"] == 0  # the IP list does not publish individuals
    assert list(selectors.public_memberships(infringer.subject)) == []
    assert list(selectors.public_memberships(debtor.subject)) == [debtor]


def test_an_authorized_disclosure_list_is_derived_but_never_public(ingest, uscc):
    accepted(ingest([misconduct_row({**org("吉林省某研究院", uscc()), "法定代表人": "周院长"}, "吉科监〔2026〕1号")], item="research_misconduct", dept_code="220000-KJT"))
    services.lists_update()
    entry = entry_of("research_misconduct")
    assert entry.status == "listed"  # there for authorized queries and government sharing
    assert "research_misconduct" not in selectors.list_counts()
    assert selectors.public_list("research_misconduct") is None
    assert list(selectors.public_memberships(entry.subject)) == []


def test_the_job_is_registered_every_minute_and_runs(ingest, uscc):
    job = load_jobs()["lists.update"]
    assert job.every.total_seconds() == 60
    accepted(ingest([org_debtor("长春市宏达建材有限公司", uscc(), "（2026）吉0102执106号")], item="dishonest_debtor", dept_code="220102-FY"))
    summary = run_job("lists.update")
    assert summary["rebuilt"] is True and summary["added"] == 1


def test_the_command_rebuilds_and_updates(ingest, uscc, capsys):
    accepted(ingest([org_debtor("长春市宏达建材有限公司", uscc(), "（2026）吉0102执107号")], item="dishonest_debtor", dept_code="220102-FY"))
    call_command("lists", "rebuild")
    out = capsys.readouterr().out
    assert "名单已重建" in out and "新列入 1" in out
    call_command("lists", "update")
    assert "名单已更新" in capsys.readouterr().out
    call_command("lists", "show")
    assert "dishonest_debtors" in capsys.readouterr().out
