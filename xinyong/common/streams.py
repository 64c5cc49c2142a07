"""A file object over an iterator of byte chunks: for readers that want a file (Django's
FileResponse, Arrow's CSV reader) fed by a generator (decrypted chunks, COPY TO STDOUT blocks)."""

from __future__ import annotations

import io
from collections.abc import Iterator


class ChunkStream(io.RawIOBase):
    """Read-only, not seekable; closing it closes the iterator (a generator's cleanup runs)."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            try:
                self._pending = memoryview(next(self._chunks))
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()
        super().close()
