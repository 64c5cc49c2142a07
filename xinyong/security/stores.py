"""The stores of files kept outside the database, in one list: case attachments, signed paper
consents, commitment documents, authorization letters and the error files of batches.

All are written sealed (`common.filestore`, encrypted with the field keys), some files of before
encryption may still be plain. `xinyong files encrypt | rekey | check` walks these stores, and
`xinyong backup` / `restore` copy them as they are (never decrypted) beside the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings

from xinyong.common import filestore
from xinyong.ingestion.errorfile import error_file_chunks

_ERROR_FILE = re.compile(r"[^/]+/errors\.csv(\.enc)?")  # BATCH_DIR/<batch>/errors.csv[.enc]


@dataclass(frozen=True)
class Store:
    name: str  # the key in the JSON output and in backups (documents/<name>/...)
    label: str  # Chinese, for the command's summary
    root: Path
    read: Callable[[Path], Iterator[bytes]]  # the content of one file, decrypted
    pattern: re.Pattern | None = None  # the relative paths (POSIX) that belong here; None: every file

    def owns(self, relative: str) -> bool:
        """Whether a relative path (POSIX) names a file of this store: inside the root, no hidden
        part (temporary files of an atomic write start with a dot)."""
        parts = PurePosixPath(relative).parts
        if not parts or relative.startswith("/") or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            return False
        return self.pattern is None or bool(self.pattern.fullmatch(relative))

    def files(self) -> list[tuple[str, Path]]:
        """(relative POSIX path, path) of every file of the store, sorted."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.rglob("*"):
            relative = path.relative_to(self.root).as_posix()
            if self.owns(relative) and path.is_file() and not path.is_symlink():
                found.append((relative, path))
        return sorted(found)


def letters_root() -> Path:
    """The folder of authorization letters: the file storage of `AuthorizationLetter.file`, its
    `upload_to` up to the first date part (accounts/letters/%Y/%m/ → accounts/letters)."""
    from xinyong.accounts.models import AuthorizationLetter

    field = AuthorizationLetter._meta.get_field("file")
    fixed = PurePosixPath(field.upload_to).parts
    fixed = fixed[: next((i for i, p in enumerate(fixed) if "%" in p), len(fixed))]
    return Path(field.storage.path(PurePosixPath(*fixed).as_posix() if fixed else ""))


def stores() -> list[Store]:
    conf = settings.XINYONG
    return [
        Store("cases", "案件附件", Path(conf["CASES"]["FILES_DIR"]), filestore.chunks),
        Store("consents", "书面授权书", Path(conf["ACCESS"]["FILES_DIR"]), filestore.chunks),
        Store("commitments", "承诺书文件", Path(conf["COMMITMENTS"]["FILES_DIR"]), filestore.chunks),
        Store("letters", "授权委托书", letters_root(), filestore.chunks),
        # error_file_chunks: an error file may be of before the sealed format
        Store("error_files", "拒收行文件", Path(conf["BATCH_DIR"]), error_file_chunks, _ERROR_FILE),
    ]
