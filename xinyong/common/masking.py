"""Masking of personal data for display, logs, error messages and exports."""

from __future__ import annotations

import re

# an 18-character ID number (division, birth date, sequence, check) inside free text
_ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?![0-9])")


def mask_id_number(value: str | None) -> str:
    """220102199001011234 → 220102********1234 (division code and last four kept)."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_id_numbers_in(text: str) -> str:
    """Every ID number in a free text masked (a log line: a path or an exception may carry one)."""
    return _ID_NUMBER_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)


def mask_person_name(value: str | None) -> str:
    """张三 → 张*; 王小明 → 王*明; 欧阳小明 → 欧**明."""
    if not value:
        return ""
    if len(value) == 1:
        return "*"
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_value(kind: str, value):
    """Mask a field value by its declared sensitivity kind (catalog `sensitive:`)."""
    if value in (None, ""):
        return value
    if kind == "id_number":
        return mask_id_number(str(value))
    if kind == "person_name":
        return mask_person_name(str(value))
    if kind == "phone":
        return mask_phone(str(value))
    return "***"
