"""The snapshot mirror (mirror.py): a full run keeps the records' part of the snapshot between
runs and brings it up to date from the change feed. It is a cache: every answer must be the one
a run that exports everything again gives, and whenever it cannot be trusted it is rebuilt."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest
from django.utils import timezone

from tests.evaluation.test_runs import AS_OF, BASELINE, NAME, actor, current
from tests.portal.conftest import org, penalty, registration_row
from xinyong.evaluation import mirror, store
from xinyong.evaluation.models import EvaluationResult, EvaluationRun
from xinyong.evaluation.services import evaluation_run, evaluation_update
from xinyong.records import feed
from xinyong.records.models import ChangeEvent, Record
from xinyong.records.services import record_withdraw
from xinyong.security.models import AuditEntry
from xinyong.subjects.models import Subject


@pytest.fixture
def firms(send, uscc):
    codes = [uscc("220102"), uscc("220102")]
    send("registration.gsj", [registration_row(code) for code in codes])
    first = org(NAME, codes[0])
    send("penalty.gsj", [penalty(first, "长市监罚〔2026〕1号", 失信严重程度="一般")])
    return [Subject.objects.get(uscc=code) for code in codes]


def full():
    return evaluation_run(kind="full", actor=actor(), as_of=AS_OF)


def mirror_detail(run) -> dict:
    return AuditEntry.objects.get(action="evaluation.run", object_id=str(run.pk)).detail["mirror"]


def grades() -> dict:
    return dict(EvaluationResult.objects.filter(valid_to__isnull=True, model_code=BASELINE).values_list("subject_id", "score_milli"))


def without_mirror(settings) -> dict:
    """The current scores a run that exports everything again gives (results of a separate
    run would be the same digests: nothing written)."""
    settings.XINYONG = {**settings.XINYONG, "EVALUATION": {**settings.XINYONG["EVALUATION"], "MIRROR": False}}
    run = full()
    settings.XINYONG = {**settings.XINYONG, "EVALUATION": {**settings.XINYONG["EVALUATION"], "MIRROR": True}}
    return {"written": run.changed, "scores": grades()}


def test_the_second_full_run_takes_only_the_changed_subject_from_the_database(firms, send):
    first = full()
    assert mirror_detail(first)["rebuilt"] is True
    assert current(firms[0]).score_milli == 650_000
    send("penalty.gsj", [penalty(org(NAME, firms[0].uscc), "长市监罚〔2026〕9号", 失信严重程度="严重")])
    second = full()
    detail = mirror_detail(second)
    assert detail["rebuilt"] is False and detail["records"] == 1  # the new record only
    assert current(firms[0]).score_milli == 500_000  # the new serious penalty counts
    assert second.changed == 1


def test_a_withdrawn_record_leaves_the_mirror(firms, settings):
    full()
    record_withdraw(record=Record.objects.get(document_no="长市监罚〔2026〕1号"), reason="复议撤销", actor=actor())
    run = full()
    assert mirror_detail(run)["rebuilt"] is False
    assert current(firms[0]).score_milli == 700_000
    assert without_mirror(settings) == {"written": 0, "scores": grades()}


def test_a_record_moved_to_another_subject_leaves_its_old_subject(firms, settings):
    """Ingestion can attach a corrected record to another subject; its event names the new one."""
    full()
    record = Record.objects.get(document_no="长市监罚〔2026〕1号")
    Record.objects.filter(pk=record.pk).update(subject_id=firms[1].pk, updated_at=timezone.now())
    feed.append([ChangeEvent(at=timezone.now(), entity="record", entity_id=record.pk, subject_id=firms[1].pk, item_code=record.item_code, op="MOD")])
    run = full()
    assert mirror_detail(run)["rebuilt"] is False
    assert current(firms[0]).score_milli == 700_000 and current(firms[1]).score_milli == 650_000
    assert without_mirror(settings) == {"written": 0, "scores": grades()}


def test_an_incremental_run_evaluates_its_subjects_from_the_mirror(firms, send, settings):
    full()
    send("penalty.gsj", [penalty(org(NAME, firms[0].uscc), "长市监罚〔2026〕9号", 失信严重程度="严重")])
    summary = evaluation_update(day=AS_OF)
    assert summary["kind"] == "incremental" and firms[0].pk in EvaluationResult.objects.filter(run_id=summary["run"]).values_list("subject_id", flat=True)
    run = EvaluationRun.objects.get(pk=summary["run"])
    assert mirror_detail(run) == {"rebuilt": False, "records": 1, "feed_seq": run_feed_top()}
    assert current(firms[0]).score_milli == 500_000 and current(firms[1]).score_milli == 700_000
    assert without_mirror(settings) == {"written": 0, "scores": grades()}


def test_an_incremental_run_without_a_mirror_exports_its_subjects_instead(firms, send):
    full()
    mirror.mirror_path().unlink()
    send("penalty.gsj", [penalty(org(NAME, firms[0].uscc), "长市监罚〔2026〕9号", 失信严重程度="严重")])
    summary = evaluation_update(day=AS_OF)
    run = EvaluationRun.objects.get(pk=summary["run"])
    assert "mirror" not in AuditEntry.objects.get(action="evaluation.run", object_id=str(run.pk)).detail
    assert not mirror.mirror_path().exists()  # not built by an incremental run
    assert current(firms[0]).score_milli == 500_000


def mirror_facts(record_id: int) -> list[tuple]:
    con = duckdb.connect(str(mirror.mirror_path()), read_only=True)
    try:
        return con.execute("SELECT subject_id, status FROM facts WHERE record_id = ?", [record_id]).fetchall()
    finally:
        con.close()


def test_an_incremental_run_takes_the_changed_records_from_the_database_and_the_mirror_catches_up(firms, send, settings):
    """The mirror is read as it was; the records changed since come from the database, and the
    mirror holds them afterwards (the next full run has nothing left to read again)."""
    full()
    withdrawn = Record.objects.get(document_no="长市监罚〔2026〕1号")
    record_withdraw(record=withdrawn, reason="复议撤销", actor=actor())
    send("penalty.gsj", [penalty(org(NAME, firms[1].uscc), "长市监罚〔2026〕9号", 失信严重程度="严重")])
    assert mirror_facts(withdrawn.pk) == [(firms[0].pk, "active")]  # the mirror as it was
    summary = evaluation_update(day=AS_OF)
    run = EvaluationRun.objects.get(pk=summary["run"])
    assert mirror_detail(run) == {"rebuilt": False, "records": 2, "feed_seq": run_feed_top()}
    assert current(firms[0]).score_milli == 700_000 and current(firms[1]).score_milli == 550_000
    meta = mirror.read_meta(mirror.mirror_path())
    assert int(meta["feed_seq"]) == run_feed_top() and meta["token"] == run.token == meta["digests_token"]
    assert mirror_facts(withdrawn.pk) == [(firms[0].pk, Record.objects.get(pk=withdrawn.pk).status)] != [(firms[0].pk, "active")]
    again = full()
    assert mirror_detail(again)["records"] == 0 and again.changed == 0
    assert without_mirror(settings) == {"written": 0, "scores": grades()}


def test_a_mirror_that_could_not_catch_up_is_brought_up_to_date_by_the_next_run(firms, send, monkeypatch, settings):
    full()
    send("penalty.gsj", [penalty(org(NAME, firms[0].uscc), "长市监罚〔2026〕9号", 失信严重程度="严重")])
    before = mirror.read_meta(mirror.mirror_path())

    def failing(*args, **kwargs):
        raise duckdb.IOException("disk full")

    with monkeypatch.context() as m:
        m.setattr(mirror, "_replace_records", failing)
        summary = evaluation_update(day=AS_OF)  # a cache: the run itself is done
    assert EvaluationRun.objects.get(pk=summary["run"]).status == "done"
    assert current(firms[0]).score_milli == 500_000
    assert mirror.read_meta(mirror.mirror_path()) == before  # nothing half-written
    send("penalty.gsj", [penalty(org(NAME, firms[1].uscc), "长市监罚〔2026〕10号", 失信严重程度="严重")])
    again = evaluation_update(day=AS_OF)
    assert mirror_detail(EvaluationRun.objects.get(pk=again["run"]))["records"] == 2  # both records read again
    assert current(firms[0]).score_milli == 500_000 and current(firms[1]).score_milli == 550_000
    assert without_mirror(settings) == {"written": 0, "scores": grades()}


def run_feed_top() -> int:
    return ChangeEvent.objects.order_by("-seq").values_list("seq", flat=True).first()


def test_nothing_changed_the_digests_come_from_the_mirror(firms, monkeypatch):
    full()
    before = EvaluationResult.objects.count()

    def no_reading(*_a, **_k):
        raise AssertionError("the current digests were read from the database")

    monkeypatch.setattr(store, "current_digests", no_reading)
    again = full()
    assert again.changed == 0 and EvaluationResult.objects.count() == before


def test_an_incremental_run_keeps_the_mirrors_digests_in_step(firms, send, monkeypatch):
    full()
    send("penalty.gsj", [penalty(org(NAME, firms[0].uscc), "长市监罚〔2026〕9号", 失信严重程度="严重")])
    assert evaluation_update(day=AS_OF)["kind"] == "incremental"
    assert current(firms[0]).score_milli == 500_000
    monkeypatch.setattr(store, "current_digests", lambda *a, **k: pytest.fail("digests read from the database"))
    again = full()
    assert again.changed == 0  # the incremental run's result was already the current one


def test_digests_of_another_run_than_the_latest_are_not_used(firms, send):
    full()
    latest = EvaluationRun.objects.filter(status="done").latest("id")
    # a run the mirror never saw finished since (e.g. run by another copy of the platform)
    EvaluationRun.objects.filter(pk=latest.pk).update(token="0" * 32)
    assert mirror.cached_digests(mirror.mirror_path()) is None
    again = full()  # reads the database's digests: still writes nothing
    assert again.changed == 0


def test_digests_saved_by_a_run_whose_write_failed_are_not_used(firms, send, monkeypatch):
    """The mirror's digests are saved while the results are written: if that write fails, they
    describe results the database has not got, and the next run must not trust them."""
    full()
    send("penalty.gsj", [penalty(org(NAME, firms[0].uscc), "长市监罚〔2026〕9号", 失信严重程度="严重")])

    def failing(**kwargs):
        raise RuntimeError("the database went away")

    with monkeypatch.context() as m:
        m.setattr(store, "write_changes", failing)
        with pytest.raises(RuntimeError):
            full()
    failed = EvaluationRun.objects.latest("id")
    assert failed.status == "failed" and mirror.read_meta(mirror.mirror_path())["digests_token"] == failed.token
    assert mirror.cached_digests(mirror.mirror_path()) is None
    assert current(firms[0]).score_milli == 650_000  # the previous result still in force
    again = full()  # compares with the database's digests: the new penalty's result is written
    assert again.changed == 1 and current(firms[0]).score_milli == 500_000


@pytest.mark.parametrize("damage", ["unknown run", "feed ahead", "too old", "other models", "not a database"])
def test_a_mirror_that_cannot_be_trusted_is_rebuilt(firms, send, damage, settings):
    full()
    path = mirror.mirror_path()
    # a change the damaged mirror would miss if it were updated instead of rebuilt
    send("penalty.gsj", [penalty(org(NAME, firms[0].uscc), "长市监罚〔2026〕9号", 失信严重程度="严重")])
    if damage == "not a database":
        path.write_bytes(b"\0" * 4096)
    else:
        key, value = {
            "unknown run": ("token", "f" * 32),  # a database restored from before the run that updated it
            "feed ahead": ("feed_seq", "999999999"),
            "too old": ("built_at", (timezone.now() - timedelta(days=8)).isoformat()),
            "other models": ("needs", "0" * 64),
        }[damage]
        con = duckdb.connect(str(path))
        con.execute("UPDATE meta SET value = ? WHERE key = ?", [value, key])
        if damage == "feed ahead":  # and its rows are not the database's
            con.execute("DELETE FROM facts")
        con.close()
    run = full()
    assert mirror_detail(run)["rebuilt"] is True
    assert current(firms[0]).score_milli == 500_000
    assert without_mirror(settings) == {"written": 0, "scores": grades()}


def test_a_mirror_damaged_inside_is_rebuilt_by_a_full_run_and_skipped_by_an_incremental_one(firms, send):
    full()
    con = duckdb.connect(str(mirror.mirror_path()))
    con.execute("DROP TABLE attrs")  # its bookkeeping still readable
    con.close()
    send("penalty.gsj", [penalty(org(NAME, firms[0].uscc), "长市监罚〔2026〕9号", 失信严重程度="严重")])
    summary = evaluation_update(day=AS_OF)  # incremental: exports its subjects instead
    assert "mirror" not in AuditEntry.objects.get(action="evaluation.run", object_id=str(summary["run"])).detail
    assert current(firms[0]).score_milli == 500_000
    run = full()
    assert mirror_detail(run)["rebuilt"] is True and run.changed == 0


def test_a_mirror_whose_subjects_mostly_changed_is_rebuilt_instead(firms, send, settings, monkeypatch):
    full()
    monkeypatch.setattr(mirror, "REBUILD_AT_LEAST", 0)
    settings.XINYONG = {**settings.XINYONG, "EVALUATION": {**settings.XINYONG["EVALUATION"], "MIRROR_REBUILD_SHARE": 0.0}}
    send("penalty.gsj", [penalty(org(NAME, firms[0].uscc), "长市监罚〔2026〕9号", 失信严重程度="严重")])
    run = full()
    assert mirror_detail(run)["rebuilt"] is True and current(firms[0]).score_milli == 500_000


def test_subjects_changed_without_a_change_event_are_taken_from_the_database(firms):
    """A new subject or a new region reaches the mirror although no change event names it."""
    full()
    newcomer = Subject.objects.create(kind="enterprise", name="吉林省新设有限公司", name_key="吉林省新设有限公司", region="220102")
    Subject.objects.filter(pk=firms[1].pk).update(region="220581")
    run = full()
    assert mirror_detail(run)["rebuilt"] is False
    assert current(newcomer).score_milli == 700_000  # evaluated: the base score
    con = duckdb.connect(str(mirror.mirror_path()), read_only=True)
    try:
        regions = dict(con.execute("SELECT subject_id, region FROM subjects WHERE subject_id IN (?, ?)", [newcomer.pk, firms[1].pk]).fetchall())
    finally:
        con.close()
    assert regions == {newcomer.pk: "220102", firms[1].pk: "220581"}


def test_a_rebuilt_mirror_holds_each_subjects_facts_together(firms, send):
    """Records arrive interleaved across subjects; a rebuild writes the facts in subject order
    (an incremental run's read then skips most of the table) and the attrs in record order."""
    rows = [penalty(org(NAME, firms[i % 2].uscc), f"长市监罚〔2026〕{i + 10}号") for i in range(6)]
    send("penalty.gsj", rows)
    full()
    con = duckdb.connect(str(mirror.mirror_path()), read_only=True)
    try:
        facts = [r[0] for r in con.execute("SELECT subject_id FROM facts ORDER BY rowid").fetchall()]
        attrs = [r[0] for r in con.execute("SELECT record_id FROM attrs ORDER BY rowid").fetchall()]
    finally:
        con.close()
    assert len(facts) >= 8 and len(set(facts)) == 2
    assert facts == sorted(facts) and attrs == sorted(attrs)
