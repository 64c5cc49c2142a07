"""Identifiers of credit subjects: the USCC (GB 32100) and the resident ID number (GB 11643).

Validation is python-stdnum's (`cn.uscc`, `cn.ric`); this module only turns its exceptions into
Chinese reasons and reads the parts of a valid code (kind, division, organization code).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric, uscc

from xinyong.common.crypto import lookup_hash
from xinyong.common.masking import mask_id_number
from xinyong.common.normalize import normalize_code

# GB 32100-2015 first two characters (registration authority + organization type) → subject kind
_KIND_BY_PREFIX = {
    "91": "enterprise",
    "92": "individual_business",
    "93": "other_organization",  # 农民专业合作社
    "12": "public_institution",
    "51": "social_organization",
    "52": "social_organization",
    "53": "social_organization",
    "59": "social_organization",
}


class InvalidCode(ValueError):
    """A code that is not valid; the message is the Chinese reason."""


def clean_uscc(value: str) -> str:
    """The valid 18-character USCC, or InvalidCode with the reason."""
    code = normalize_code(value)
    try:
        return uscc.validate(code)
    except stdnum_errors.InvalidLength as exc:
        raise InvalidCode(f"统一社会信用代码应为18位，实为{len(code)}位") from exc
    except stdnum_errors.InvalidFormat as exc:
        raise InvalidCode("统一社会信用代码含有不允许的字符（前8位应为数字，其余为数字或大写字母，不含I、O、Z、S、V）") from exc
    except stdnum_errors.InvalidChecksum as exc:
        raise InvalidCode("统一社会信用代码校验位错误") from exc
    except stdnum_errors.ValidationError as exc:
        raise InvalidCode("统一社会信用代码无效") from exc


def suggest_uscc(value: str) -> str | None:
    """For a code whose only fault is its check character: the code with the right one."""
    code = normalize_code(value)
    if len(code) != 18:
        return None
    try:
        candidate = code[:17] + uscc.calc_check_digit(code[:17])
        return uscc.validate(candidate)
    except (ValueError, stdnum_errors.ValidationError):
        return None


def kind_from_uscc(code: str) -> str:
    return _KIND_BY_PREFIX.get(code[:2], "other_organization")


def region_from_uscc(code: str) -> str:
    return code[2:8]


def org_code_from_uscc(code: str) -> str:
    """Characters 9–17 are the 9-character organization code (组织机构代码) of GB 11714."""
    return code[8:17]


def clean_id_number(value: str) -> str:
    """The valid 18-digit resident ID number, or InvalidCode with the reason (never the number).

    Length, format, check digit and birth date are python-stdnum's (`cn.ric`). Its `validate`
    also requires the division code to have existed in the birth year, which refuses genuine
    numbers: people born before a division was created (南关区 dates from 1983) received its code
    when numbers were issued. So the division is checked against every code GB/T 2260 has ever
    had (stdnum's own table), whatever the year.
    """
    number = normalize_code(value)
    if len(number) != 18:
        raise InvalidCode(f"公民身份号码应为18位，实为{len(number)}位")
    if not number.isascii() or not number[:-1].isdigit() or not (number[-1].isdigit() or number[-1] == "X"):
        raise InvalidCode("公民身份号码格式错误（前17位应为数字，末位为数字或X）")
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidCode("公民身份号码校验位错误")
    try:
        birth = ric.get_birth_date(number)
    except stdnum_errors.ValidationError as exc:
        raise InvalidCode("公民身份号码中的出生日期无效") from exc
    if birth > date.today() or birth.year < 1880:
        raise InvalidCode("公民身份号码中的出生日期无效")
    if not _division_known(number[:6]):
        raise InvalidCode("公民身份号码中的行政区划代码无效")
    return number


@lru_cache(maxsize=8192)
def _division_known(code: str) -> bool:
    return bool(numdb.get("cn/loc").info(code)[-1][1]) if code[:2] != "00" else False


def id_birth_date(number: str) -> date:
    return ric.get_birth_date(number)


def id_lookup_hash(number: str) -> str:
    return lookup_hash("ric:" + number)


def other_id_lookup_hash(id_type: str, number: str) -> str:
    """Passports and other documents: keyed by type and number."""
    return lookup_hash(f"{id_type}:{normalize_code(number)}")


def id_region(number: str) -> str:
    return number[:6]


def masked_id(number: str) -> str:
    return mask_id_number(number)
