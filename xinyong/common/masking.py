"""Masking of personal data for display, logs, error messages and exports."""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    """220102199001011234 → 220102********1234 (division code and last four kept)."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


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
