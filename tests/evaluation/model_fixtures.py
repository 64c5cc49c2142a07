"""Helpers for the evaluation model tests (loader, shipped models, scenarios): a small valid model
file to be edited the way a maintainer edits YAML, and builders of hand-made snapshots."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from xinyong.catalog.registry import get_catalog
from xinyong.common.errors import CatalogError
from xinyong.common.yamlconf import load_yaml
from xinyong.evaluation.compiled import AttrRow, FactRow, MemberRow, Snapshot, SubjectRow
from xinyong.evaluation.loader import load_models, parse_model

SHIPPED = Path(__file__).resolve().parents[2] / "xinyong" / "evaluation" / "definitions"

# A small model that loads; tests replace one piece of it to make one mistake.
SAMPLE = """\
code: sample
name: 测试模型
version: "1"
legal_basis: 测试依据
subject_kinds: [enterprise]
scale: {min: 0, max: 100}
base: 80
dimensions:
  - code: supervision
    name: 监管
    min: -80
    indicators:
      - code: penalty
        name: 行政处罚
        items: [penalty.*]
        points: {严重: -30, 一般: -10, 轻微: -3}
        decay: [100, 50]
        min: -60
      - code: tax
        name: 纳税信用
        items: [tax_rating]
        when: grade
        points: {A: 10, B: 5, M: 0, C: -10, D: -20}
        count: latest
  - code: honours
    name: 荣誉
    max: 10
    indicators:
      - code: honours
        name: 荣誉
        items: [honour.*]
        points: 5
grades:
  - {code: A, name: 优, from: 90, to: 100}
  - {code: B, name: 良, from: 70, to: 90}
  - {code: C, name: 差, from: 0, to: 70}
overrides:
  - {list: dishonest_debtors, set: C, reason: 列入失信被执行人名单}
"""

# A second model that `sample` may depend on (and that may depend on `sample`).
OTHER = """\
code: other
name: 另一模型
version: "1"
legal_basis: 测试依据
subject_kinds: [enterprise]
scale: {min: 0, max: 10}
base: 10
dimensions:
  - code: env
    name: 环境
    indicators:
      - {code: env_penalty, name: 环境处罚, items: [penalty.hbt], points: -5}
grades:
  - {code: 好, name: 好, from: 5, to: 10}
  - {code: 坏, name: 坏, from: 0, to: 5}
"""


def parse(text: str, name: str = "sample.yaml"):
    """One model file's text, parsed and checked on its own."""
    return parse_model(load_yaml(name, text=text, name=name), get_catalog(), name)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} found {len(hits)} times"
    return hits[occurrence - 1]


def replace(text: str, old: str, new: str) -> str:
    assert old in text, f"{old!r} not in the model text"
    return text.replace(old, new, 1)


_MESSAGE = re.compile(r"^(?P<file>[\w./-]+\.yaml):(?P<line>\d+): (?P<reason>.+)$", re.S)


def split_message(message: str) -> tuple[str, int, str]:
    m = _MESSAGE.match(message)
    assert m, f"message does not start with file:line: {message!r}"
    return m["file"], int(m["line"]), m["reason"]


def refusal(text: str, name: str = "sample.yaml") -> tuple[str, int, str]:
    """Parse one file and expect a refusal: (file, line, reason)."""
    with pytest.raises(CatalogError) as exc:
        parse(text, name)
    return split_message(exc.value.message)


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def dir_refusal(directory: Path) -> tuple[str, int, str]:
    with pytest.raises(CatalogError) as exc:
        load_models(directory, get_catalog())
    return split_message(exc.value.message)


# ---------------------------------------------------------------- snapshots by hand
class SnapshotBuilder:
    """Subjects, records (facts), field values and list memberships, with ids assigned in order."""

    def __init__(self):
        self.subjects: list[SubjectRow] = []
        self.facts: list[FactRow] = []
        self.attrs: list[AttrRow] = []
        self.members: list[MemberRow] = []
        self._record = 0

    def subject(self, kind: str = "enterprise") -> int:
        sid = len(self.subjects) + 1
        self.subjects.append(SubjectRow(sid, kind, "220102", "C"))
        return sid

    def record(
        self, subject: int, item: str, decided_on: date, *, level: str = "city", severity: str | None = None,
        ends_on: date | None = None, status: str = "active", disclosure: str = "public",
        fields: dict | None = None, **values: str,
    ) -> int:
        """A record; its field values as keywords (or in `fields`, for a field called like a
        keyword of this method, e.g. a licence's `status`)."""
        values = {**(fields or {}), **values}
        self._record += 1
        rid = self._record
        self.facts.append(FactRow(rid, subject, item, level, severity, decided_on, ends_on, status, disclosure, False))
        for name, value in values.items():
            for v in value if isinstance(value, (list, tuple)) else [value]:
                self.attrs.append(AttrRow(rid, name, v))
        return rid

    def on_list(self, subject: int, list_code: str) -> None:
        self.members.append(MemberRow(subject, list_code))

    def build(self) -> Snapshot:
        return Snapshot(list(self.subjects), list(self.facts), list(self.attrs), list(self.members))
