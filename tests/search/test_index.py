"""The index itself: its job (a first run rebuilds, later runs follow the change feed), the
incremental path giving exactly the rows of a rebuild (the SQL that generates the postings and
its Python twin agree, also for awkward names), idempotency, and the `xinyong search` command."""

from __future__ import annotations

from datetime import timedelta

from django.core.management import call_command

from xinyong.common.schedule import load_jobs, run_job
from xinyong.records.feed import feed_position
from xinyong.records.models import ChangeEvent, FeedCursor
from xinyong.search import indexer
from xinyong.search.models import SearchEntry, SearchGram, SearchGramCount, SearchKey
from xinyong.search.selectors import search_subjects
from xinyong.security.models import AuditEntry

from .conftest import debtor, registration

AWKWARD = [
    "ABC（中国）有限公司",  # ASCII letters, full-width brackets folded to ASCII
    "ＸＹＺ　数码科技有限公司",  # full-width letters and an ideographic space
    "哈哈哈哈食品有限公司",  # a bigram repeated in the name
    "长春市𠀀𠀁商贸有限公司",  # characters outside the BMP
    "a_b%c\\d 有限公司",  # LIKE wildcards and a backslash
]


def snapshot() -> dict:
    return {
        "entries": sorted(tuple(r) for r in SearchEntry.objects.values_list("subject_id", "kind", "name", "keys", "codes", "code", "former_names", "region", "status", "public_id", "visible_until")),
        "keys": sorted(SearchKey.objects.values_list("key", "kind", "subject_id")),
        "grams": sorted(SearchGram.objects.values_list("gram", "pos", "subject_id")),
        "counts": sorted(SearchGramCount.objects.filter(n__gt=0).values_list("gram", "n")),
    }


def test_the_job_is_scheduled_every_minute(db):
    job = load_jobs()["search.update"]
    assert job.every == timedelta(minutes=1) and job.title


def test_a_first_run_rebuilds_then_later_runs_follow_the_feed(orgs, update_index):
    orgs("吉林省北辰食品有限公司", "通化市华信商贸有限公司")
    assert not FeedCursor.objects.filter(consumer="search").exists()

    first = update_index()
    assert first["rebuilt"] is True and first["organizations"] == 2
    assert feed_position("search") == ChangeEvent.objects.order_by("-seq").first().seq

    orgs("长春市鹿鸣药业有限公司")
    later = update_index()
    assert later["rebuilt"] is False and later["events"] > 0 and later["changed"] == 1
    assert [h.name for h in search_subjects("鹿鸣").hits] == ["长春市鹿鸣药业有限公司"]
    assert update_index()["events"] == 0


def test_incremental_updates_give_exactly_the_rows_of_a_rebuild(orgs, send, uscc, id_number, update_index):
    update_index()  # empty platform: the cursor starts at 0 and stays there
    codes = orgs(*AWKWARD)
    update_index()  # first real run: a rebuild
    renamed = uscc("220102")
    send("registration.gsj", [registration("吉林省鹿鸣药业有限公司", renamed, 工商注册号="220102000123457")], "220100-GSJ")
    update_index()
    send("registration.gsj", [registration("吉林省长白山鹿鸣制药有限公司", renamed)], "220100-GSJ", mode="correct")
    send("registration.gsj", [registration("哈哈食品有限公司", codes[2])], "220100-GSJ", mode="correct")
    people = [id_number("220102") for _ in range(3)]
    send("dishonest_debtor", [debtor(f"王小{n}", number, case=f"（2026）吉0102执{i + 1}号") for i, (n, number) in enumerate(zip("明红刚", people, strict=True))], "220100-FY")
    update_index()
    send("dishonest_debtor", [{**debtor("王小红", people[1], case="（2026）吉0102执2号"), "撤销原因": "已履行"}], "220100-FY", mode="withdraw")
    summary = update_index()
    assert summary["rebuilt"] is False and summary["removed"] == 1

    incremental = snapshot()
    assert len(incremental["entries"]) == len(AWKWARD) + 1 + 2
    indexer.index_rebuild()
    assert snapshot() == incremental

    # the awkward names are found by any part of them
    for query, name in [("ABC(中国", AWKWARD[0]), ("xyz数码", AWKWARD[1]), ("哈哈食品", "哈哈食品有限公司"), ("𠀀𠀁", AWKWARD[3]), ("b%c\\d", AWKWARD[4])]:
        assert [h.name for h in search_subjects(query).hits] == [name], query
    # and the renamed one under both names
    assert [h.name for h in search_subjects("鹿鸣药业").hits] == ["吉林省长白山鹿鸣制药有限公司"]


def test_replaying_events_changes_nothing(orgs, send, uscc, update_index):
    codes = orgs("吉林省北辰食品有限公司", "通化市华信商贸有限公司")
    update_index()
    send("registration.gsj", [registration("吉林省北辰粮油有限公司", codes[0])], "220100-GSJ", mode="correct")
    update_index()
    before = snapshot()
    FeedCursor.objects.filter(consumer="search").update(seq=1)  # as after a crash before the cursor moved
    assert update_index()["events"] > 0
    assert snapshot() == before


def test_the_job_runs_through_the_scheduler(orgs, db):
    orgs("吉林省北辰食品有限公司")
    summary = run_job("search.update")
    assert summary["rebuilt"] is True
    assert search_subjects("北辰").total == 1


def test_the_command_rebuilds_updates_and_reports(orgs, capsys):
    orgs("吉林省北辰食品有限公司", "通化市华信商贸有限公司")
    call_command("search", "rebuild")
    out = capsys.readouterr().out
    assert "检索索引已重建：组织 2 个" in out
    assert AuditEntry.objects.filter(action="search.rebuild").count() == 1
    orgs("长春市鹿鸣药业有限公司")
    call_command("search", "stats")
    assert "待处理" in capsys.readouterr().out
    call_command("search", "update")
    assert "已应用变更流水" in capsys.readouterr().out
    call_command("search", "stats")
    out = capsys.readouterr().out
    assert "主体 3 个" in out and "已是最新" in out
