"""The case state machines (cases.yaml): loaded and checked, transitions allowed in one place,
illegal ones refused clearly, deadlines on the working-day calendar."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.cases.workflows import Deadline, IllegalTransition, load_rules, rules, workflow
from xinyong.common.errors import CatalogError


def test_every_kind_is_declared_with_a_deadline_for_each_open_state():
    wfs = rules().workflows
    assert set(wfs) == {"objection", "repair", "tipoff", "complaint"}
    for wf in wfs.values():
        assert wf.initial in wf.open_states
        for code in wf.open_states:
            assert wf.state(code).deadline is not None, (wf.kind, code)
            assert wf.state(code).basis, (wf.kind, code)
    assert workflow("objection").state("verifying").deadline == Deadline(days=20)
    assert workflow("repair").state("reviewing").deadline == Deadline(working_days=10)
    assert workflow("repair").state("deciding").deadline == Deadline(working_days=3)


def test_illegal_transitions_are_refused_with_the_state_and_action_named():
    wf = workflow("repair")
    assert wf.transition("review", from_state="reviewing").target == "deciding"
    with pytest.raises(IllegalTransition) as exc:
        wf.transition("approve", from_state="reviewing")
    assert exc.value.message == "信用修复办件当前状态为“认定部门审核中”，不能执行“决定修复”"
    assert exc.value.status == 409 and exc.value.code == "illegal_transition"
    with pytest.raises(IllegalTransition):
        wf.transition("review", from_state="repaired")
    with pytest.raises(IllegalTransition) as exc:
        wf.transition("explode", from_state="reviewing")
    assert "没有“explode”" in exc.value.message


@pytest.mark.parametrize(
    ("deadline", "start", "due"),
    [
        # 20 calendar days ending on a National Day holiday: the next working day
        (Deadline(days=20), date(2026, 9, 15), date(2026, 10, 8)),
        # ending on an ordinary working day: that day
        (Deadline(days=20), date(2026, 11, 2), date(2026, 11, 23)),
        # ending on a Saturday worked (调休 2026-10-10): that day is a working day
        (Deadline(days=20), date(2026, 9, 20), date(2026, 10, 10)),
        # 10 working days over National Day (2026-10-01..07 off, 10-10 worked)
        (Deadline(working_days=10), date(2026, 9, 28), date(2026, 10, 16)),
        (Deadline(working_days=3), date(2026, 9, 30), date(2026, 10, 10)),
        (Deadline(working_days=3), date(2026, 11, 27), date(2026, 12, 2)),
    ],
)
def test_deadlines_on_the_working_day_calendar(deadline, start, due):
    assert deadline.due(start) == due


def test_a_bad_definition_is_refused_with_file_and_line(tmp_path):
    bad = tmp_path / "cases.yaml"
    bad.write_text(
        "kinds:\n  objection:\n    initial: open\n    states:\n      open: {label: 开, deadline: {days: 20}}\n"
        "      done: {label: 结, final: true}\n    transitions:\n      finish: {from: [done], to: open, by: department}\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as exc:
        load_rules(bad)
    assert "cases.yaml:8" in exc.value.message and "不能从办结状态转出" in exc.value.message
    bad.write_text("kinds:\n  objection:\n    initial: open\n    states:\n      open: {label: 开, deadline: {weeks: 2}}\n", encoding="utf-8")
    with pytest.raises(CatalogError) as exc:
        load_rules(bad)
    assert "deadline" in exc.value.message
