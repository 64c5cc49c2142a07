"""Evaluation runs on the operational database: a full run grades every subject, results are
versioned (the grade on a past date stays queryable), an unchanged subject costs no write, the
change feed drives incremental runs, repaired/withdrawn records stop counting, and a run that
fails half-way leaves the previous results in force."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.portal.conftest import org, penalty, registration_row
from xinyong.evaluation import selectors
from xinyong.evaluation.models import EvaluationResult, EvaluationRun
from xinyong.evaluation.services import evaluation_run, evaluation_update
from xinyong.records.models import Record
from xinyong.records.services import record_withdraw
from xinyong.security.models import AuditEntry
from xinyong.security.services import Actor

AS_OF = date(2026, 11, 30)
BASELINE = "baseline.enterprise"
NAME = "吉林省北辰食品有限公司"



@pytest.fixture
def firm(send, uscc):
    code = uscc("220102")
    me = org(NAME, code)
    send("registration.gsj", [registration_row(code)])
    send("penalty.gsj", [penalty(me, "长市监罚〔2026〕1号", 失信严重程度="一般"), penalty(me, "长市监罚〔2026〕2号", 失信严重程度="严重")])
    from xinyong.subjects.models import Subject

    return Subject.objects.get(uscc=code)


def actor():
    return Actor.system("test")


def current(subject, model=BASELINE) -> EvaluationResult:
    return EvaluationResult.objects.get(subject=subject, model_code=model, valid_to__isnull=True)


def test_a_full_run_grades_the_subject_with_each_counted_record(firm):
    run = evaluation_run(kind="full", actor=actor(), as_of=AS_OF)
    assert run.status == "done" and run.results >= 1 and run.changed == run.results
    result = current(firm)
    # 700 base, a general penalty -50 and a serious one -150, both decided this year (100%)
    assert result.score_milli == 500_000 and result.grade == "C" and result.raw_grade == "C"  # C's lower edge
    docs = dict(Record.objects.filter(subject=firm).values_list("id", "document_no"))
    counted = {docs[rid]: points for rid, indicator, points in result.contributions if indicator == "penalty"}
    assert counted == {"长市监罚〔2026〕1号": -50_000, "长市监罚〔2026〕2号": -150_000}
    assert result.model_version == run.model_versions[BASELINE]
    assert AuditEntry.objects.filter(action="evaluation.run", object_id=str(run.pk)).exists()


def test_running_again_with_nothing_changed_writes_nothing(firm):
    evaluation_run(kind="full", actor=actor(), as_of=AS_OF)
    before = EvaluationResult.objects.count()
    again = evaluation_run(kind="full", actor=actor(), as_of=AS_OF)
    assert again.status == "done" and again.changed == 0
    assert EvaluationResult.objects.count() == before


def test_another_engine_digests_the_same_results_alike(firm, send):
    """The DuckDB engine's output is digested in its own connection, another engine's through
    store.output_connection: the same results must give the same digests (else a run by the
    reference engine would write every result again), and a change is still seen."""
    evaluation_run(kind="full", actor=actor(), as_of=AS_OF)
    before = EvaluationResult.objects.count()
    same = evaluation_run(kind="full", actor=actor(), as_of=AS_OF, engine="reference")
    assert same.status == "done" and same.results >= 1 and same.changed == 0
    assert EvaluationResult.objects.count() == before
    send("penalty.gsj", [penalty(org(NAME, firm.uscc), "长市监罚〔2026〕3号", 失信严重程度="一般")])
    changed = evaluation_run(kind="full", actor=actor(), as_of=AS_OF, engine="reference")
    assert changed.changed == 1 and current(firm).score_milli == 450_000
    again = evaluation_run(kind="full", actor=actor(), as_of=AS_OF)  # and back to DuckDB: nothing new
    assert again.changed == 0


def test_a_withdrawn_record_stops_counting_and_the_old_grade_stays_queryable(firm):
    evaluation_run(kind="full", actor=actor(), as_of=AS_OF)
    old = current(firm)
    moment = timezone.now()
    record_withdraw(record=Record.objects.get(document_no="长市监罚〔2026〕2号"), reason="复议撤销", actor=actor())
    summary = evaluation_update(day=AS_OF)  # follows the change feed: only this subject
    assert summary["kind"] == "incremental" and summary["subjects"] == 1
    new = current(firm)
    assert new.pk != old.pk and new.score_milli == 650_000 and new.grade == "B"
    old.refresh_from_db()
    assert old.valid_to is not None and old.valid_to == new.valid_from
    assert selectors.result_on(firm.pk, BASELINE, moment).pk == old.pk  # the grade it had then
    assert selectors.result_on(firm.pk, BASELINE, timezone.now()).pk == new.pk
    assert selectors.result_on(firm.pk, BASELINE, old.valid_from - timedelta(seconds=1)) is None


def test_a_run_that_fails_half_way_leaves_the_previous_results(firm, settings, tmp_path):
    evaluation_run(kind="full", actor=actor(), as_of=AS_OF)
    before = list(EvaluationResult.objects.values_list("pk", "score_milli", "valid_to"))
    record_withdraw(record=Record.objects.get(document_no="长市监罚〔2026〕1号"), reason="复议撤销", actor=actor())
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the run's folder should be")
    settings.XINYONG = {**settings.XINYONG, "EVALUATION": {**settings.XINYONG["EVALUATION"], "WORK_DIR": str(blocker)}}
    with pytest.raises(OSError):
        evaluation_run(kind="full", actor=actor(), as_of=AS_OF)
    failed = EvaluationRun.objects.order_by("-id").first()
    assert failed.status == "failed" and failed.error
    assert list(EvaluationResult.objects.values_list("pk", "score_milli", "valid_to")) == before
    assert current(firm).score_milli == 500_000  # still the previous grade


def test_the_first_update_on_a_fresh_database_is_a_full_run(firm):
    summary = evaluation_update(day=AS_OF)
    assert summary["kind"] == "full" and summary["results"] >= 1
    assert evaluation_update(day=AS_OF) == {"kind": "incremental", "run": None, "subjects": 0}  # feed consumed


def test_what_would_change_names_the_records_whose_repair_lifts_the_grade(firm):
    evaluation_run(kind="full", actor=actor(), as_of=AS_OF)
    changes = selectors.what_would_change(current(firm))
    assert changes, "two penalties weigh on the grade"
    first = changes[0]
    # score 500 (C); without the serious penalty 650 (B), without the general one 550 (still C)
    assert "长市监罚〔2026〕2号" in first.what and first.grade == "B" and first.grade_changes and first.score_gain == 150
    second = changes[1]
    assert "长市监罚〔2026〕1号" in second.what and second.grade == "C" and not second.grade_changes and second.score_gain == 50
    assert second.text.endswith("修复或期满后得分 +50，等级不变")


def test_the_explanation_adds_up_to_the_score(firm):
    evaluation_run(kind="full", actor=actor(), as_of=AS_OF)
    ex = selectors.explain(current(firm))
    assert ex.base + sum(d.total for d in ex.dimensions) == ex.result.score
    penalty_line = next(i for d in ex.dimensions for i in d.indicators if i.code == "penalty")
    assert [r.document_no for r in penalty_line.records] == ["长市监罚〔2026〕2号", "长市监罚〔2026〕1号"]  # heaviest first
    assert all(r.department == "长春市市场监督管理局" for r in penalty_line.records)


def test_the_command_runs_and_explains(firm):
    import io
    import json

    from django.core.management import call_command

    out = io.StringIO()
    call_command("evaluate", "run", "--as-of", "2026-11-30", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["status"] == "done" and summary["as_of"] == "2026-11-30" and set(summary["timings"]) == {"export", "mirror", "evaluate", "write"}
    out = io.StringIO()
    call_command("evaluate", "explain", "--subject", firm.uscc.lower(), "--model", BASELINE, stdout=out)
    text = out.getvalue()
    assert "C（中）500 分" in text and "-150 行政处罚信息 长市监罚〔2026〕2号" in text
    assert "等级变为 B（良）" in text
    out = io.StringIO()
    call_command("evaluate", "update", stdout=out)
    assert json.loads(out.getvalue())["kind"] == "incremental"


@contextlib.contextmanager
def lock_held_elsewhere(run_lock):
    """The run lock as another process holds it: on PostgreSQL from a second session (a session
    may take its own advisory lock again), on SQLite through a second open of the lock file."""
    from django.db import connection

    if connection.vendor != "postgresql":
        with run_lock():
            yield
        return
    import psycopg

    from xinyong.evaluation.services import _LOCK_KEY

    with psycopg.connect(**connection.get_connection_params()) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [_LOCK_KEY])
        yield
        # released before closing: the server ends a closed session's backend (and frees its
        # locks) only after the client has moved on, so the next statement could still see it held
        other.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])


def test_one_run_at_a_time_and_a_dead_runs_flag_blocks_nothing(firm):
    from xinyong.common.errors import Conflict
    from xinyong.evaluation.services import run_lock

    with lock_held_elsewhere(run_lock), pytest.raises(Conflict) as busy:  # another process's run holds the lock
        evaluation_run(kind="full", actor=actor(), as_of=AS_OF)
    assert "已有评价正在进行" in busy.value.message
    assert not EvaluationRun.objects.exists()
    # a run whose process died stays "running" in the table, but holds no lock: the next run
    # goes ahead and records what became of it
    dead = EvaluationRun.objects.create(kind="full", as_of=AS_OF)
    assert evaluation_run(kind="full", actor=actor(), as_of=AS_OF).status == "done"
    dead.refresh_from_db()
    assert dead.status == "failed" and "中断" in dead.error


def test_each_subject_has_one_current_result_per_model_through_any_sequence_of_runs(firm, send):
    """No database constraint holds this any more (models.py: closing a result is a heap-only
    update): the single writer does. Full, incremental and reference-engine runs, a record
    added, two withdrawn, a subject evaluated again with nothing changed: at most one current
    result per subject and model, and each subject's history a chain without gap or overlap."""
    from collections import Counter

    evaluation_run(kind="full", actor=actor(), as_of=AS_OF)
    send("penalty.gsj", [penalty(org(NAME, firm.uscc), "长市监罚〔2026〕4号", 失信严重程度="一般")])
    evaluation_update(day=AS_OF)
    record_withdraw(record=Record.objects.get(document_no="长市监罚〔2026〕1号"), reason="复议撤销", actor=actor())
    evaluation_run(kind="full", actor=actor(), as_of=AS_OF, engine="reference")
    evaluation_update(day=AS_OF)
    record_withdraw(record=Record.objects.get(document_no="长市监罚〔2026〕2号"), reason="复议撤销", actor=actor())
    evaluation_update(day=AS_OF)
    evaluation_run(kind="incremental", subject_ids=[firm.pk], actor=actor(), as_of=AS_OF)
    rows = list(EvaluationResult.objects.order_by("subject_id", "model_code", "valid_from", "id").values_list("subject_id", "model_code", "valid_from", "valid_to"))
    currents = Counter((s, m) for s, m, _, to in rows if to is None)
    assert currents and max(currents.values()) == 1
    for (s, m, _, to), (s2, m2, start, _) in zip(rows, rows[1:], strict=False):
        if (s, m) == (s2, m2):
            assert to == start  # closed when the next one began: no gap, no overlap
    assert current(firm).score_milli == 650_000  # 700 base, the new general penalty -50


def test_the_grade_distribution_follows_each_run(firm):
    """The staff's charts are counted once per run (kept in the cache): the next run's grades
    show, not the counts kept from the run before."""
    evaluation_run(kind="full", actor=actor(), as_of=AS_OF)
    assert selectors.distribution(BASELINE, "all") == {"all": {"C": 1}}
    assert selectors.distribution(BASELINE, "region") == {firm.region[:4] + "00": {"C": 1}}
    record_withdraw(record=Record.objects.get(document_no="长市监罚〔2026〕2号"), reason="复议撤销", actor=actor())
    evaluation_update(day=AS_OF)
    assert selectors.distribution(BASELINE, "all") == {"all": {"B": 1}}
    assert selectors.distributions(BASELINE)["version"] == {current(firm).model_version: {"B": 1}}
    with pytest.raises(ValueError):
        selectors.distribution(BASELINE, "district")
