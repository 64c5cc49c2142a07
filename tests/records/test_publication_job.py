"""Publication periods as the public sees them, on concrete dates (MISSION.md §13), and the job
that makes the end of a period known to everything that follows the change feed.

Rules (publication.yaml): a penalty decided before 2026-04-01 falls under NDRC Order 58 (general:
3 months – 1 year; serious: 1 – 3 years; minor: not published); a licence is published while it
is valid. Periods are counted as the Civil Code counts them: the decision day is not counted, the
last day is included."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from tests.portal.conftest import licensing_row, org, penalty
from xinyong.common.schedule import load_jobs, run_job
from xinyong.portal.selectors import credit_file
from xinyong.records.feed import feed_pending
from xinyong.records.jobs import expire_publication
from xinyong.records.models import ChangeEvent, Record
from xinyong.records.selectors import public_records, record_is_public
from xinyong.subjects.models import Subject

SHANGHAI = ZoneInfo("Asia/Shanghai")
NAME = "长春市明远建材有限公司"


def d(text: str) -> date:
    return date.fromisoformat(text)


def at(text: str, hour: int = 9) -> datetime:
    """A moment of that day in Jilin (Asia/Shanghai)."""
    return datetime.combine(d(text), datetime.min.time(), SHANGHAI).replace(hour=hour)


@pytest.fixture
def decided_2026_01_10(ingest, uscc):
    """Penalties of each severity decided on 2026-01-10 and a licence valid until 2027-03-01."""
    code = uscc("220102")
    me = org(NAME, code)
    batch = ingest(
        [
            penalty(me, "长市监罚〔2026〕101号", 处罚决定日期="2026-01-10", 失信严重程度="一般"),
            penalty(me, "长市监罚〔2026〕102号", 处罚决定日期="2026-01-10", 失信严重程度="严重"),
            penalty(me, "长市监罚〔2026〕103号", 处罚决定日期="2026-01-10", 失信严重程度="轻微", 处罚类别="警告", 处罚内容="警告", **{"罚款金额（万元）": ""}),
        ]
    )
    assert batch.accepted == 3
    assert ingest([licensing_row(me, 许可决定日期="2026-03-02", 有效期自="2026-03-02", 有效期至="2027-03-01")], item="licensing.gsj").accepted == 1
    return Subject.objects.get(uscc=code)


def record(doc: str) -> Record:
    return Record.objects.get(document_no=doc)


def shown(subject: Subject, day: date) -> set[str]:
    """Document numbers on the subject's public credit file on `day`."""
    return {f.document_no for s in credit_file(subject, day=day).sections for f in s.facts}


def test_a_general_penalty_is_published_for_one_year(decided_2026_01_10):
    general = record("长市监罚〔2026〕101号")
    assert (general.publish_from, general.publish_until, general.publication_rule) == (d("2026-01-10"), d("2027-01-10"), "penalty@2023-05-01")
    assert record_is_public(general, d("2026-01-10")) and record_is_public(general, d("2027-01-10"))
    assert not record_is_public(general, d("2027-01-11"))
    assert "长市监罚〔2026〕101号" in shown(decided_2026_01_10, d("2027-01-10"))
    assert "长市监罚〔2026〕101号" not in shown(decided_2026_01_10, d("2027-01-11"))


def test_a_serious_penalty_is_published_for_three_years(decided_2026_01_10):
    serious = record("长市监罚〔2026〕102号")
    assert (serious.publish_until, serious.repair_from) == (d("2029-01-10"), d("2027-01-11"))
    assert "长市监罚〔2026〕102号" in shown(decided_2026_01_10, d("2029-01-10"))
    assert "长市监罚〔2026〕102号" not in shown(decided_2026_01_10, d("2029-01-11"))


def test_a_minor_penalty_is_never_published(decided_2026_01_10):
    minor = record("长市监罚〔2026〕103号")
    assert minor.publish_from is None and minor.status == "active"  # stored, for the authorities
    for day in ("2026-01-10", "2026-01-11", "2026-04-10", "2026-11-29"):
        assert not record_is_public(minor, d(day))
        assert "长市监罚〔2026〕103号" not in shown(decided_2026_01_10, d(day))


def test_a_licence_is_published_until_its_validity_ends(decided_2026_01_10):
    licence = record("长市监许〔2026〕11号")
    assert licence.publish_until == d("2027-03-01")
    assert "长市监许〔2026〕11号" in shown(decided_2026_01_10, d("2027-03-01"))
    assert "长市监许〔2026〕11号" not in shown(decided_2026_01_10, d("2027-03-02"))


def test_the_page_drops_an_expired_penalty_at_once_and_the_job_then_tells_the_feed_once(client, decided_2026_01_10):
    url = f"/subjects/{decided_2026_01_10.uscc}/"
    general = record("长市监罚〔2026〕101号")
    with time_machine.travel(at("2027-01-10", hour=23), tick=False):
        assert "长市监罚〔2026〕101号" in client.get(url).content.decode()
    with time_machine.travel(at("2027-01-11", hour=0), tick=False):
        # the day after publish_until, before any job ran: the page no longer shows it
        html = client.get(url).content.decode()
        assert "长市监罚〔2026〕101号" not in html and "长市监罚〔2026〕102号" in html
        assert client.get(f"/api/v1/subjects/{decided_2026_01_10.uscc}").content.decode().count("长市监罚〔2026〕101号") == 0
        general.refresh_from_db()
        assert general.unpublished_at is None
        before = ChangeEvent.objects.count()
        # the newest sequence number, not the count: PostgreSQL's sequences are not rolled back
        # with a test's transaction, so numbers do not start at 1
        top = ChangeEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

        assert run_job("publication.expire") == {"expired": 1, "day": "2027-01-11"}
        [event] = ChangeEvent.objects.filter(seq__gt=top)
        assert (event.entity, event.entity_id, event.op, event.subject_id) == ("record", general.id, "MOD", general.subject_id)
        general.refresh_from_db()
        assert general.unpublished_at is not None and general.status == "active"  # kept for the authorities

        assert run_job("publication.expire") == {"expired": 0, "day": "2027-01-11"}  # idempotent
        assert ChangeEvent.objects.count() == before + 1
    with time_machine.travel(at("2027-03-02"), tick=False):
        # the licence ended on 2027-03-01; the serious penalty is still published
        assert run_job("publication.expire")["expired"] == 1
        assert set(Record.objects.filter(unpublished_at__isnull=False).values_list("document_no", flat=True)) == {"长市监罚〔2026〕101号", "长市监许〔2026〕11号"}


def test_the_job_works_in_chunks_and_catches_up_after_an_outage(ingest, uscc):
    code = uscc("220102")
    rows = [penalty(org(NAME, code), f"长市监罚〔2025〕{i}号", 处罚决定日期="2025-01-10") for i in range(1, 8)]
    rows.append(penalty(org(NAME, code), "长市监罚〔2026〕500号", 处罚决定日期="2026-11-01"))  # still published
    assert ingest(rows).accepted == 8
    expired = set(Record.objects.filter(document_no__startswith="长市监罚〔2025〕").values_list("id", flat=True))
    assert not public_records(d("2026-11-29")).filter(id__in=expired).exists()  # ended on 2026-01-10
    cursor_start = ChangeEvent.objects.order_by("-seq").values_list("seq", flat=True).first()

    # a run long after the end (the worker was down): everything ended before today is caught up
    assert expire_publication(day=d("2026-11-29"), chunk=3) == {"expired": 7, "day": "2026-11-29"}
    events = [e for e in feed_pending(consumer="test-exchange", limit=10_000) if e.seq > cursor_start]
    assert sorted(e.entity_id for e in events) == sorted(expired) and {e.op for e in events} == {"MOD"}
    assert expire_publication(day=d("2026-11-29"), chunk=3) == {"expired": 0, "day": "2026-11-29"}
    assert Record.objects.filter(document_no="长市监罚〔2026〕500号", unpublished_at__isnull=True).exists()


def test_the_job_is_scheduled_hourly_and_runs_from_the_command_line(ingest, uscc):
    job = load_jobs()["publication.expire"]
    assert job.every.total_seconds() == 3600 and job.title == "公示期满停止公示"
    ingest([penalty(org(NAME, uscc("220102")), "长市监罚〔2025〕9号", 处罚决定日期="2025-01-10")])
    out = io.StringIO()
    call_command("job", "run", "publication.expire", stdout=out)
    assert json.loads(out.getvalue())["expired"] == 1
