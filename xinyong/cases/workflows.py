"""The state machines of case kinds, declared in `definitions/cases.yaml` and checked when loaded.

    wf = workflow("repair")
    wf.transition("approve", from_state="deciding")   # the Transition, or IllegalTransition
    wf.deadline_for("reviewing", start=date(2026, 9, 28))

Every allowed transition is in that one file; a transition not listed there is refused with an
`IllegalTransition` (409) naming the state and the action in Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from xinyong.common.calendar import calendar
from xinyong.common.errors import CatalogError, Conflict
from xinyong.common.yamlconf import load_yaml

CASES_FILE = Path(__file__).resolve().parent / "definitions" / "cases.yaml"
KINDS = ("objection", "repair", "tipoff", "complaint")
ROUTES = ("record_department", "credit_centre", "keep")
ACTORS = ("applicant", "department", "credit_centre", "system")


class IllegalTransition(Conflict):
    code = "illegal_transition"


@dataclass(frozen=True)
class Deadline:
    days: int | None = None
    working_days: int | None = None

    def due(self, start: date) -> date:
        cal = calendar()
        if self.working_days is not None:
            return cal.add_working_days(start, self.working_days)
        day = start + timedelta(days=self.days or 0)
        while not cal.is_working_day(day):  # Civil Code Art. 203
            day += timedelta(days=1)
        return day

    @property
    def label(self) -> str:
        return f"{self.working_days}个工作日" if self.working_days is not None else f"{self.days}日"


@dataclass(frozen=True)
class State:
    code: str
    label: str
    final: bool = False
    route: str = "keep"
    deadline: Deadline | None = None
    basis: str = ""


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    by: str
    label: str


@dataclass(frozen=True)
class Workflow:
    kind: str
    title: str
    initial: str
    states: dict[str, State]
    transitions: dict[str, Transition]

    def state(self, code: str) -> State:
        return self.states[code]

    def transition(self, action: str, *, from_state: str) -> Transition:
        t = self.transitions.get(action)
        here = self.states.get(from_state)
        label = here.label if here else from_state
        if t is None:
            raise IllegalTransition(f"{self.title}办件没有“{action}”这一操作")
        if from_state not in t.sources:
            raise IllegalTransition(f"{self.title}办件当前状态为“{label}”，不能执行“{t.label}”")
        return t

    def actions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions.values() if state in t.sources]

    @property
    def open_states(self) -> list[str]:
        return [s.code for s in self.states.values() if not s.final]


@dataclass(frozen=True)
class CaseRules:
    version: str
    reminder_working_days: int
    workflows: dict[str, Workflow]


def _fail(node, key, reason: str):
    where = node.where(key) if hasattr(node, "where") else CASES_FILE.name
    raise CatalogError(f"{where}: {reason}")


def load_rules(path: Path | str = CASES_FILE) -> CaseRules:
    data = load_yaml(Path(path))
    if not isinstance(data, dict) or not isinstance(data.get("kinds"), dict):
        raise CatalogError(f"{Path(path).name}:1: 应有 kinds: {{办件类型: ...}}")
    reminder = data.get("reminder_working_days", 2)
    if not isinstance(reminder, int) or reminder < 0:
        _fail(data, "reminder_working_days", "reminder_working_days 应为非负整数")
    workflows: dict[str, Workflow] = {}
    for kind, spec in data["kinds"].items():
        if kind not in KINDS:
            _fail(data["kinds"], kind, f"未知的办件类型 {kind}（可用: {', '.join(KINDS)}）")
        states: dict[str, State] = {}
        for code, s in (spec.get("states") or {}).items():
            dl = s.get("deadline")
            deadline = None
            if dl is not None:
                if set(dl) not in ({"days"}, {"working_days"}) or not isinstance(next(iter(dl.values())), int) or next(iter(dl.values())) < 1:
                    _fail(s, "deadline", "deadline 应为 {days: N} 或 {working_days: N}（N ≥ 1）")
                deadline = Deadline(**dl)
            route = s.get("route", "keep")
            if route not in ROUTES:
                _fail(s, "route", f"route 应为 {', '.join(ROUTES)} 之一")
            if s.get("final") and deadline:
                _fail(s, "deadline", "办结状态没有期限")
            states[code] = State(code, str(s.get("label", code)), bool(s.get("final")), route, deadline, str(s.get("basis", "")))
        initial = spec.get("initial")
        if initial not in states or states[initial].final:
            _fail(spec, "initial", f"{kind}: initial 应为一个未办结的状态")
        transitions: dict[str, Transition] = {}
        for action, t in (spec.get("transitions") or {}).items():
            sources = tuple(t.get("from") or ())
            bad = [x for x in (*sources, t.get("to")) if x not in states]
            if bad or not sources:
                _fail(t, "from", f"{kind}.{action}: 未定义的状态 {bad}")
            if any(states[x].final for x in sources):
                _fail(t, "from", f"{kind}.{action}: 不能从办结状态转出")
            if t.get("by") not in ACTORS:
                _fail(t, "by", f"{kind}.{action}: by 应为 {', '.join(ACTORS)} 之一")
            transitions[action] = Transition(action, sources, t["to"], t["by"], str(t.get("label", action)))
        workflows[kind] = Workflow(kind, str(spec.get("title", kind)), initial, states, transitions)
    return CaseRules(str(data.get("version", "")), reminder, workflows)


@lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int) -> CaseRules:
    return load_rules(path)


def rules() -> CaseRules:
    return _cached(str(CASES_FILE), CASES_FILE.stat().st_mtime_ns)


def workflow(kind: str) -> Workflow:
    try:
        return rules().workflows[kind]
    except KeyError:
        raise CatalogError(f"cases.yaml 中没有办件类型 {kind}") from None
