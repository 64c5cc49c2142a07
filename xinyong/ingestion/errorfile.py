"""Error files: the rejected rows with their row number, field and Chinese reason, in a CSV the
operator opens in Excel, fixes and uploads again (the 【...】 columns are ignored on upload).

Cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) are neutralized with a
leading apostrophe; on upload an apostrophe before such a character is removed again. A value
that itself starts with an apostrophe followed by such a character (or by another apostrophe)
gets one more, so that every value comes back exactly as it was.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

ERROR_COLUMNS = ["【行号】", "【错误字段】", "【错误原因】"]
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")  # a plain number, left as it is
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value) -> str:
    text = "" if value is None else str(value)
    if text and ((text[0] in _DANGEROUS and not _NUMBER.match(text)) or unneutralize(text) != text):
        return "'" + text
    return text


def unneutralize(text: str) -> str:
    if len(text) > 1 and text[0] == "'" and (text[1] in _DANGEROUS or text[1] == "'"):
        return text[1:]
    return text


class ErrorFileWriter:
    def __init__(self, path: Path):
        self.path = path
        self._fh = None
        self._writer = None
        self.headers: list[str] = []
        self.count = 0

    def _open(self, headers: list[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._fh = os.fdopen(fd, "w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._fh)
        self.headers = list(headers)
        self._writer.writerow(ERROR_COLUMNS + [neutralize(h) for h in self.headers])

    def write(self, row_no: int, raw: dict | None, errors: list[tuple[str, str]], headers: list[str]) -> None:
        if self._writer is None:
            self._open(headers)
        fields = "；".join(dict.fromkeys(label for label, _ in errors if label))
        reasons = "；".join(dict.fromkeys(msg for _, msg in errors))
        cells = [(raw or {}).get(h, "") for h in self.headers]
        self._writer.writerow([row_no, fields, reasons] + [neutralize(c.isoformat() if hasattr(c, "isoformat") else c) for c in cells])
        self.count += 1

    def close(self) -> Path | None:
        if self._fh:
            self._fh.close()
            return self.path
        return None

    def discard(self) -> None:
        if self._fh:
            self._fh.close()
        if self.path.exists():
            self.path.unlink()
