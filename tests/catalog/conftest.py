"""A copy of the shipped catalog in a temporary folder, to be edited the way a maintainer edits the
YAML, and helpers to see how the registry answers."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from xinyong.catalog.registry import load_catalog
from xinyong.common.errors import CatalogError

SHIPPED = Path(__file__).resolve().parents[2] / "xinyong" / "catalog" / "definitions"


class CatalogCopy:
    def __init__(self, root: Path):
        self.root = root

    def path(self, rel: str) -> Path:
        return self.root / rel

    def edit(self, rel: str, old: str, new: str) -> None:
        """Replace the first occurrence of `old` (which must exist) in file `rel`."""
        p = self.path(rel)
        text = p.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {rel}"
        p.write_text(text.replace(old, new, 1), encoding="utf-8")

    def cut(self, rel: str, start: str, end: str) -> None:
        """Remove the text from `start` (included) up to `end` (excluded)."""
        p = self.path(rel)
        text = p.read_text(encoding="utf-8")
        a = text.index(start)
        b = text.index(end, a + len(start))
        p.write_text(text[:a] + text[b:], encoding="utf-8")

    def line_of(self, rel: str, needle: str, occurrence: int = 1) -> int:
        """1-based line of the `occurrence`-th line containing `needle`."""
        hits = [n for n, line in enumerate(self.path(rel).read_text(encoding="utf-8").splitlines(), 1) if needle in line]
        assert len(hits) >= occurrence, f"{needle!r} found {len(hits)} times in {rel}"
        return hits[occurrence - 1]

    def load(self):
        return load_catalog(self.root)

    def refusal(self) -> tuple[str, int, str]:
        """Load and expect a refusal; returns (file, line, reason) parsed from the message."""
        with pytest.raises(CatalogError) as exc:
            load_catalog(self.root)
        message = exc.value.message
        m = re.match(r"^(?P<file>[\w./-]+\.yaml):(?P<line>\d+): (?P<reason>.+)$", message, re.S)
        assert m, f"message does not start with file:line: {message!r}"
        return m["file"], int(m["line"]), m["reason"]


@pytest.fixture
def catalog_copy(tmp_path) -> CatalogCopy:
    root = tmp_path / "definitions"
    shutil.copytree(SHIPPED, root)
    return CatalogCopy(root)
