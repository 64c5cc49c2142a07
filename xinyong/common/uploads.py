"""Uploaded documents (evidence for cases, authorization letters): checked by their content.

One check for every form that takes a document. PDF, JPEG and PNG only, recognized by their first
bytes (the file name and the declared type are never trusted); executables and archives refused
by their signature; a PDF that carries scripts, launch or open actions or embedded files refused;
an image that does not decode refused. The caller stores what passes under a name of its own.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from xinyong.common.errors import InvalidInput

SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
# Windows PE, ELF, scripts, Mach-O (both byte orders, fat), zip (also docx/xlsx/jar/apk)
EXECUTABLE = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xce", b"PK\x03\x04")
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|OpenAction|AA|RichMedia|XFA)\b")


@dataclass(frozen=True)
class Document:
    name: str  # the uploaded file's base name, cleaned: for display only, never a path
    content_type: str
    data: bytes
    sha256: str


def clean_filename(name: str | None) -> str:
    """The base name of an uploaded file, safe to display and to put in a header."""
    name = Path(name or "").name.replace("\x00", "")
    name = re.sub(r"[\r\n\t\"\\/]", "_", name).strip() or "附件"
    return name[-200:]


def _size_label(limit: int) -> str:
    mb = 1024 * 1024
    return f"{limit // mb} MB" if limit % mb == 0 else f"{max(1, limit // 1024)} KB"


def check_document(upload, *, field: str, max_bytes: int) -> Document:
    """Read and check one uploaded file (a Django UploadedFile). InvalidInput with the reason in
    Chinese, the file's name and `field` when it is refused (codes file_empty, file_too_large,
    file_executable, file_type, file_active_content, file_corrupt)."""
    name = clean_filename(getattr(upload, "name", ""))

    def refuse(message: str, code: str, short: str) -> InvalidInput:
        return InvalidInput(message, code=code, fields={field: short})

    too_large = refuse(f"文件过大：“{name}”超过 {_size_label(max_bytes)}，请压缩或拆分后上传", "file_too_large", "文件过大")
    if upload.size is not None and upload.size > max_bytes:
        raise too_large
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_large
    if not data:
        raise refuse(f"文件“{name}”是空文件", "file_empty", "空文件")
    if data.startswith(EXECUTABLE):
        raise refuse(f"文件“{name}”是可执行文件或压缩包，不予接收；请上传 PDF、JPG 或 PNG 文件", "file_executable", "不接收可执行文件")
    content_type = next((ctype for sig, ctype in SIGNATURES if data.startswith(sig)), None)
    if content_type is None:
        raise refuse(f"文件类型不符：“{name}”不是 PDF、JPG 或 PNG 文件（按文件内容判断，与扩展名无关）", "file_type", "仅接收 PDF、JPG、PNG")
    if content_type == "application/pdf":
        if PDF_ACTIVE.search(data):
            raise refuse(f"文件“{name}”含有脚本、自动操作或内嵌文件等可执行内容，不予接收；请另存为普通 PDF 后上传", "file_active_content", "PDF 含有可执行内容")
    else:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise refuse(f"图片“{name}”已损坏或无法识别，请重新扫描或拍照后上传", "file_corrupt", "图片无法识别") from exc
    return Document(name, content_type, data, hashlib.sha256(data).hexdigest())
