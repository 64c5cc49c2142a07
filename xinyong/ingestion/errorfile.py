"""Error files: the rejected rows with their row number, field and Chinese reason, in a CSV the
operator opens in Excel, fixes and uploads again (the 【...】 columns are ignored on upload).

At rest the file is encrypted with the field keys (`common.crypto`, the keys outside the
database): it holds the rows as the department sent them, ID numbers and individuals' names
included. It is a sealed file (`common.filestore`, the one format of files encrypted at rest),
written chunk by chunk, so that neither writing nor downloading needs the whole file in memory;
`error_file_chunks` gives the CSV back (UTF-8 with BOM) for the download pages, the API and
`xinyong batch errors`.

Cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) are neutralized with a
leading apostrophe; on upload an apostrophe before such a character is removed again. A value
that itself starts with an apostrophe followed by such a character (or by another apostrophe)
gets one more, so that every value comes back exactly as it was.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

from cryptography.fernet import InvalidToken

from xinyong.common import filestore
from xinyong.common.crypto import decrypt

ERROR_COLUMNS = ["【行号】", "【错误字段】", "【错误原因】"]
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")  # a plain number, left as it is
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 1000  # rows buffered before they go to the sealed file


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
        self._sealed: filestore.SealedWriter | None = None
        self._buffer = io.StringIO()
        self._writer = None
        self._pending = 0
        self.headers: list[str] = []
        self.count = 0

    def _open(self, headers: list[str]) -> None:
        self._fh = filestore.open_private(self.path)
        self._sealed = filestore.SealedWriter(self._fh)
        self._buffer.write("\ufeff")  # Excel reads the CSV as UTF-8
        self._writer = csv.writer(self._buffer)
        self.headers = list(headers)
        self._writer.writerow(ERROR_COLUMNS + [neutralize(h) for h in self.headers])

    def _flush(self) -> None:
        text = self._buffer.getvalue()
        if text:
            self._sealed.write(text.encode("utf-8"))
        self._buffer.seek(0)
        self._buffer.truncate()
        self._pending = 0

    def write(self, row_no: int, raw: dict | None, errors: list[tuple[str, str]], headers: list[str]) -> None:
        if self._writer is None:
            self._open(headers)
        fields = "；".join(dict.fromkeys(label for label, _ in errors if label))
        reasons = "；".join(dict.fromkeys(msg for _, msg in errors))
        cells = [(raw or {}).get(h, "") for h in self.headers]
        self._writer.writerow([row_no, fields, reasons] + [neutralize(c.isoformat() if hasattr(c, "isoformat") else c) for c in cells])
        self.count += 1
        self._pending += 1
        if self._pending >= CHUNK_ROWS:
            self._flush()

    def close(self) -> Path | None:
        if self._fh:
            self._flush()
            self._sealed.close()
            self._fh.close()
            self._fh = None
            return self.path
        return None

    def discard(self) -> None:
        if self._fh:
            self._fh.close()
            self._fh = None
        if self.path.exists():
            self.path.unlink()


def error_file_chunks(path: Path | str) -> Iterator[bytes]:
    """The error file as the CSV it encrypts (UTF-8 with BOM), chunk by chunk. An error file of a
    batch processed before encryption (`errors.csv`, plain) is given as it is."""
    if not str(path).endswith(".enc") or filestore.is_sealed(path):
        yield from filestore.chunks(path)
        return
    # written before the sealed format (November 2026): one bare Fernet token per line
    with open(path, encoding="ascii") as fh:
        try:
            for line in fh:
                if line.strip():
                    yield decrypt(line.strip()).encode("utf-8")
        except (InvalidToken, ValueError):  # ValueError: a byte that is not ASCII (UnicodeDecodeError)
            raise filestore._damaged(path, "token") from None  # logged like a damaged sealed file


def error_file_checked(path: Path | str) -> tuple[int, Iterator[bytes]]:
    """The size of the CSV and its chunks for a download, the whole file read through first: a
    damaged file raises DamagedFile here, before the response starts, not midway through it."""
    return sum(len(chunk) for chunk in error_file_chunks(path)), error_file_chunks(path)


def read_error_file(path: Path | str) -> str:
    """The whole CSV text of an error file (without the BOM)."""
    return b"".join(error_file_chunks(path)).decode("utf-8-sig")
