"""Files at rest, encrypted with the field keys: uploaded documents (case attachments, signed
paper consents, commitment documents) and the error files of batches.

These files hold personal data (ID card copies given as evidence, signed consents, the rows a
department sent), so they are written sealed: encrypted and authenticated with the field keys
(`common.crypto`, MultiFernet: the first key encrypts, every listed key decrypts; the keys live
outside the database and outside these folders), mode 0600. The format is one way for all of them:

    XINYONG-SEALED-1 <file id, 32 hex>\\n      the header line (ASCII)
    <Fernet token>\\n                          one line per chunk of at most CHUNK_BYTES

Each token encrypts `file id (16 bytes) + chunk number (8 bytes, big-endian) + last (1 byte) +
data`, so that a chunk cannot be altered, removed, reordered, moved from another file, nor the
file cut after a chunk, without the read failing (`DamagedFile`). Writing and reading stream
chunk by chunk: neither needs the whole file in memory.

A file without the header (written before encryption) is read as it is; `xinyong files encrypt`
seals such files in place, `xinyong files rekey` re-encrypts sealed files under the newest key
(security/management/commands/files.py).
"""

from __future__ import annotations

import logging
import os
import secrets
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path

from cryptography.fernet import InvalidToken
from django.http import FileResponse, HttpResponse
from django.template.loader import render_to_string

from xinyong.common.crypto import keyring, primary_key
from xinyong.common.errors import XinyongError
from xinyong.common.streams import ChunkStream

logger = logging.getLogger(__name__)

MAGIC = b"XINYONG-SEALED-1 "
CHUNK_BYTES = 512 * 1024  # plaintext per token
_PREFIX = struct.Struct(">16sQB")  # file id, chunk number, last
_MAX_LINE = 64 * 1024 * 1024  # a longer line is not one of ours


class DamagedFile(XinyongError):
    """A sealed file that does not decrypt: altered, cut, or written with a key no longer
    configured. Nothing of its content is in the message."""

    status = 500
    code = "file_damaged"

    def __init__(self, path: Path | str, reason: str):
        super().__init__("文件无法读取：文件已损坏或被改动，或其加密密钥不在本平台的密钥中。已记录，请联系信用中心。")
        self.path, self.reason = Path(path), reason


def _damaged(path: Path | str, reason: str) -> DamagedFile:
    # the random file name and the reason only: never the content
    logger.error("stored file cannot be read", extra={"file": Path(path).name, "folder": Path(path).parent.name, "reason": reason})
    return DamagedFile(path, reason)


# ---------------------------------------------------------------------- writing
class SealedWriter:
    """Writes a sealed file to a binary file object, chunk by chunk; `close()` writes the last
    chunk (possibly empty) and must be called for the file to be readable."""

    def __init__(self, fh, *, chunk_bytes: int = CHUNK_BYTES):
        self._fh, self._chunk = fh, chunk_bytes
        self._id = secrets.token_bytes(16)
        self._n = 0
        self._buffer = bytearray()
        self._fernet = keyring()
        fh.write(MAGIC + self._id.hex().encode("ascii") + b"\n")

    def _emit(self, data: bytes, *, last: bool) -> None:
        self._fh.write(self._fernet.encrypt(_PREFIX.pack(self._id, self._n, 1 if last else 0) + data) + b"\n")
        self._n += 1

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) > self._chunk:
            self._emit(bytes(self._buffer[: self._chunk]), last=False)
            del self._buffer[: self._chunk]

    def close(self) -> None:
        self._emit(bytes(self._buffer), last=True)
        self._buffer = bytearray()


def stored_at(folder: Path | str, stored: str) -> Path | None:
    """Where a stored document is: the database keeps its name, the folder is configuration (so a
    database restored beside its documents in another folder finds them). A full path kept by
    an earlier version is read by its name too; never a place outside `folder`. None when
    nothing is stored ('')."""
    name = Path(stored).name if stored else ""
    return Path(folder) / name if name not in ("", ".", "..") else None


def open_private(path: Path, *, exclusive: bool = False):
    """A new file opened for binary writing with mode 0600 (its folder created if need be)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    return os.fdopen(os.open(path, flags, 0o600), "wb")


def write(path: Path | str, data: bytes | Iterable[bytes]) -> Path:
    """Store `data` sealed at `path` (mode 0600), atomically: a temporary file in the same folder,
    renamed over `path` once complete. A reader never sees half a file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open_private(tmp, exclusive=True) as fh:
            writer = SealedWriter(fh)
            for part in [data] if isinstance(data, (bytes, bytearray, memoryview)) else data:
                writer.write(bytes(part))
            writer.close()
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


# ---------------------------------------------------------------------- reading
def is_sealed(path: Path | str) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC


def _tokens(fh, path) -> Iterator[bytes]:
    while line := fh.readline(_MAX_LINE):
        if not line.endswith(b"\n"):
            raise _damaged(path, "cut")
        if line.strip():
            yield line.strip()


def _sealed_chunks(fh, path, *, only_primary: bool = False) -> Iterator[bytes]:
    header = fh.readline(200)
    try:
        file_id = bytes.fromhex(header[len(MAGIC):].strip().decode("ascii"))
    except ValueError:
        raise _damaged(path, "header") from None
    fernet = keyring()
    expected, ended = 0, False
    for token in _tokens(fh, path):
        if ended:
            raise _damaged(path, "after_last")
        try:
            plain = fernet.decrypt(token)
        except InvalidToken:
            raise _damaged(path, "token") from None
        if len(plain) < _PREFIX.size:
            raise _damaged(path, "chunk")
        chunk_id, number, last = _PREFIX.unpack_from(plain)
        if chunk_id != file_id or number != expected:
            raise _damaged(path, "order")
        expected, ended = expected + 1, bool(last)
        yield plain[_PREFIX.size:]
    if not ended:
        raise _damaged(path, "cut")


def chunks(path: Path | str, *, plain_chunk: int = 1 << 16) -> Iterator[bytes]:
    """The content of a stored file, chunk by chunk (decrypted; a plain file as it is). Raises
    DamagedFile when a sealed file does not decrypt, FileNotFoundError when there is none."""
    with open(path, "rb") as fh:
        if fh.read(len(MAGIC)) != MAGIC:
            fh.seek(0)
            while chunk := fh.read(plain_chunk):
                yield chunk
            return
        fh.seek(0)
        yield from _sealed_chunks(fh, path)


def read(path: Path | str) -> bytes:
    return b"".join(chunks(path))


def verify(path: Path | str) -> int:
    """The size of the content; DamagedFile if any chunk is wrong (the whole file is checked)."""
    return sum(len(c) for c in chunks(path))


class _Reader(ChunkStream):
    """A read-only, non-seekable file object over the decrypted content (for FileResponse)."""

    def __init__(self, path: Path, size: int):
        super().__init__(chunks(path))
        self.size = size


def open_file(path: Path | str):
    """A binary file object over the content of a stored file: the file itself when it is plain
    (written before encryption), else a reader of the decrypted content with its `size`, the
    whole file checked first (DamagedFile before anything is sent)."""
    path = Path(path)
    if not is_sealed(path):
        return open(path, "rb")  # noqa: SIM115 (the caller closes it; FileResponse does)
    return _Reader(path, verify(path))


def damaged_response() -> HttpResponse:
    """The page shown instead of a file that cannot be read (500, Chinese, nothing of the file)."""
    return HttpResponse(render_to_string("common/file_damaged.html"), status=500)


def file_response(path: Path | str, *, headers: dict | None = None, **kwargs) -> HttpResponse:
    """A FileResponse (same arguments) of the stored file's content, decrypted, with its
    Content-Length; the damaged-file page when it cannot be read. FileNotFoundError is the
    caller's (a 404 there)."""
    try:
        handle = open_file(path)
    except DamagedFile:
        response = damaged_response()
    else:
        response = FileResponse(handle, **kwargs)
        if isinstance(handle, _Reader):
            response["Content-Length"] = str(handle.size)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# ---------------------------------------------------------------------- conversion (xinyong files)
def encrypt_in_place(path: Path | str) -> bool:
    """Seal a plain file in place (True), or leave a sealed one as it is (False)."""
    path = Path(path)
    if is_sealed(path):
        return False
    write(path, chunks(path, plain_chunk=CHUNK_BYTES))
    return True


def under_primary_key(path: Path | str) -> bool:
    """Whether every chunk of a sealed file is encrypted with the newest key."""
    newest = primary_key()
    with open(path, "rb") as fh:
        fh.readline(200)
        for token in _tokens(fh, path):
            try:
                newest.decrypt(token)
            except InvalidToken:
                return False
    return True


def rekey_in_place(path: Path | str) -> bool:
    """Re-encrypt a sealed file under the newest key (True); False when it already is, or is
    plain (that is `encrypt_in_place`). The content is checked whole before it is replaced."""
    path = Path(path)
    if not is_sealed(path) or under_primary_key(path):
        return False
    verify(path)
    write(path, chunks(path))
    return True

