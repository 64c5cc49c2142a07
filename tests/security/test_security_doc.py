"""docs/security.md maps each control to the tests that prove it: those references must stay true.

A reference is a code span naming a test file (`tests/security/test_backup.py`), a test in it
(`tests/security/test_backup.py::test_restore_drill`), or a test of the file named last on the
same line (`::test_a_forged_manifest_or_an_extra_file_is_refused`); a bare `test_...` code span
names a test that must exist somewhere under tests/. Tests are found by reading the files (ast),
not by collecting them, so this stays fast. The rows of the MLPS and ASVS tables must each cite a
test or say why none does ("no test", "n/a", "deployment", "organization")."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"

SPAN = re.compile(r"`([^`\n]+)`")
FULL = re.compile(r"^(tests/[\w/.\-]+\.py)(?:::([\w:]+))?$")
SHORT = re.compile(r"^::(\w+)$")
BARE = re.compile(r"^test_\w+$")
TABLES = ("## MLPS level 3 (GB/T 22239-2019)", "## OWASP ASVS 4.0.3 level 2")
EXCUSES = ("no test", "n/a", "deployment", "organization")


@cache
def functions_of(path: str) -> frozenset[str]:
    """Names of the test functions of a file: module level, and `Class::method` in classes."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(f"{node.name}::{n.name}" for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))
    return frozenset(n for n in names if n.split("::")[-1].startswith("test"))


@cache
def every_test() -> frozenset[str]:
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        names.update(n.split("::")[-1] for n in functions_of(str(path.relative_to(ROOT))))
    return frozenset(names)


def references(text: str) -> list[tuple[int, str, str | None]]:
    """(line number, file, test name or None) for every reference; a bare name has file ""."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        last = None
        for span in SPAN.findall(line):
            span = span.strip()
            if m := FULL.match(span):
                last = m.group(1)
                found.append((number, last, m.group(2)))
            elif m := SHORT.match(span):
                found.append((number, last or "?", m.group(1)))
            elif BARE.match(span):
                found.append((number, "", span))
    return found


def problems(text: str) -> list[str]:
    out = []
    for number, path, name in references(text):
        if path == "":
            if name not in every_test():
                out.append(f"line {number}: no test named {name} under tests/")
        elif path == "?" or not (ROOT / path).is_file():
            out.append(f"line {number}: {path} ({name}) is not a file" if path != "?" else f"line {number}: ::{name} follows no test file")
        elif name and name not in functions_of(path):
            out.append(f"line {number}: {path} has no test {name}")
    return out


def table_rows(text: str, heading: str) -> list[str]:
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [r for r in rows[2:] if not set(r) <= set("|- ")] if rows else []


def test_every_test_the_security_doc_cites_exists():
    text = DOC.read_text(encoding="utf-8")
    assert len(references(text)) > 100  # the parser still finds the references
    assert not problems(text), "\n".join(problems(text))


def test_every_row_of_the_standards_tables_cites_a_test_or_says_why_not():
    text = DOC.read_text(encoding="utf-8")
    for heading in TABLES:
        assert heading in text
        rows = table_rows(text, heading)
        assert len(rows) >= 30, heading
        bare = [r[:80] for r in rows if not re.search(r"`(tests/|::test_)", r) and not any(e in r for e in EXCUSES)]
        assert not bare, f"{heading}: rows without a test or a reason: {bare}"


def test_the_checker_finds_a_missing_file_a_missing_test_and_a_dangling_short_name():
    """So that the check above cannot pass by finding nothing wrong with anything."""
    text = (
        "| a | `tests/security/test_backup.py::test_restore_drill`, `::test_no_such_thing` |\n"
        "| b | `tests/security/test_nothing_here.py` |\n"
        "| c | `::test_restore_drill` |\n"
        "| d | `test_restore_drill`, `test_never_written_anywhere` |\n"
    )
    assert problems(text) == [
        "line 1: tests/security/test_backup.py has no test test_no_such_thing",
        "line 2: tests/security/test_nothing_here.py (None) is not a file",
        "line 3: ::test_restore_drill follows no test file",
        "line 4: no test named test_never_written_anywhere under tests/",
    ]
