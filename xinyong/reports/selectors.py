"""Verifying credit reports: is this report one the platform issued, and is this file unaltered?

    result = report_verify(number="JL-20261129-7K3MQ-9X24B", code="K7M3-Q9X2", pdf=uploaded_bytes)
    result.outcome   # "genuine", "file_altered", "not_found" or "invalid"

- The number and the code must both match a stored report. An unknown number and a wrong code
  are one outcome ("not_found"), answered alike (same message, same work: a code hash is computed
  for an unknown number too), so that numbers cannot be probed; the page and the API are also
  rate-limited (scope "verify").
- With a file: its SHA-256 must equal the one recorded when the PDF was handed out; a single
  changed byte gives "file_altered" (the stored content is still shown, to compare with).
- What the report contained is the stored snapshot, whatever happened to the records since
  (corrected, withdrawn, repaired, expired): the report speaks for its issuing moment.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from . import codes, snapshot
from .models import CreditReport

MESSAGES = {
    "genuine": "该报告由吉林省公共信用信息平台出具，报告编号与验证码相符。报告内容以下方平台留存的内容为准。",
    "genuine_file": "该报告由吉林省公共信用信息平台出具，您上传的 PDF 文件与平台出具的原件完全一致，未被改动。",
    "file_altered": "报告编号与验证码相符，但您上传的文件与平台出具的原件不一致：文件已被改动，或不是该报告的原始 PDF 文件。请以下方平台留存的报告内容为准。",
    "not_found": "未找到与该报告编号和验证码相符的报告。请核对报告每页页脚的报告编号和验证码后重试；仍无法核验的，该报告不是本平台出具的。",
    "invalid": "报告编号或验证码的格式不正确：报告编号形如 JL-20261129-7K3MQ-9X24B，验证码形如 K7M3-Q9X2。",
}


@dataclass(frozen=True)
class Verification:
    outcome: str  # genuine / file_altered / not_found / invalid
    message: str
    report: CreditReport | None = None
    file_checked: bool = False
    file_sha256: str = ""

    @property
    def found(self) -> bool:
        return self.report is not None

    @property
    def content(self) -> dict | None:
        return snapshot.load(self.report.content) if self.report is not None else None

    @property
    def number_display(self) -> str:
        return codes.show_number(self.report.number) if self.report is not None else ""


def report_verify(*, number: str, code: str, pdf: bytes | None = None) -> Verification:
    parsed_number, parsed_code = codes.parse_number(number), codes.parse_code(code)
    if parsed_number is None or parsed_code is None:
        return Verification("invalid", MESSAGES["invalid"])
    report = CreditReport.objects.select_related("subject").filter(number=parsed_number).first()
    expected = report.code_hash if report is not None else "0" * 64
    given = codes.code_hash(parsed_number, parsed_code)
    if not hmac.compare_digest(expected, given) or report is None:
        return Verification("not_found", MESSAGES["not_found"])
    if pdf is None:
        return Verification("genuine", MESSAGES["genuine"], report)
    digest = hashlib.sha256(pdf).hexdigest()
    if hmac.compare_digest(digest, report.pdf_sha256):
        return Verification("genuine", MESSAGES["genuine_file"], report, file_checked=True, file_sha256=digest)
    return Verification("file_altered", MESSAGES["file_altered"], report, file_checked=True, file_sha256=digest)

