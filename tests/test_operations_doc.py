"""docs/operations.md documents every environment variable the settings read, and no other."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "operations.md"
SETTINGS = ROOT / "xinyong" / "settings"
NAME = r"([A-Z][A-Z0-9_]+)"
READS = [
    re.compile(rf"\b(?:env_str|env_bool|env_int|read_key)\(\s*[\"']{NAME}[\"']"),
    re.compile(rf"\bos\.environ(?:\.get|\.setdefault|\.pop)?\(\s*[\"']{NAME}[\"']"),
    re.compile(rf"\bos\.environ\[\s*[\"']{NAME}[\"']\s*\]"),
    re.compile(rf"\bos\.getenv\(\s*[\"']{NAME}[\"']"),
]


def variables_read_by_settings() -> set[str]:
    names: set[str] = set()
    for path in SETTINGS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in READS:
            names.update(pattern.findall(text))
    return names


def test_every_environment_variable_of_the_settings_is_documented():
    names = variables_read_by_settings()
    # the scan itself must work: these are read today, across several call forms
    assert {"DATABASE_URL", "XINYONG_VAR_DIR", "XINYONG_FIELD_KEYS", "XINYONG_GENERATE_KEYS"} <= names
    doc = DOC.read_text(encoding="utf-8")
    missing = sorted(n for n in names if f"`{n}`" not in doc)
    assert not missing, f"document these in docs/operations.md (Settings): {missing}"


def test_documented_variables_exist():
    """A variable removed from the code is removed from the documentation too."""
    doc = DOC.read_text(encoding="utf-8")
    code = "\n".join(
        p.read_text(encoding="utf-8")
        for pattern in ("xinyong/**/*.py", "tests/**/*.py")
        for p in ROOT.glob(pattern)
        if p.resolve() != Path(__file__).resolve()
    ) + (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    stale = sorted({n for n in re.findall(r"`(XINYONG_[A-Z0-9_]+)`", doc) if n not in code})
    assert not stale, f"docs/operations.md names variables that nothing reads: {stale}"
