"""Valid identifiers for demo data, tests and benchmarks (never real people or companies)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from stdnum.cn import ric, uscc

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # characters the USCC allows


def org_code_check(body: str) -> str:
    """GB 11714 check character of an 8-character organization code body."""
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def make_org_code(rng: random.Random) -> str:
    while True:
        body = "".join(rng.choice(_ORG_ALPHABET) for _ in range(8))
        check = org_code_check(body)
        if check in _ORG_ALPHABET:
            return body + check


def make_uscc(rng: random.Random, *, region: str = "220102", prefix: str = "91") -> str:
    """A valid USCC: prefix (registration authority + type), division code, organization code."""
    body = prefix + region + make_org_code(rng)
    return body + uscc.calc_check_digit(body)


def make_id_number(rng: random.Random, *, region: str = "220102", born_from: int = 1950, born_to: int = 2004) -> str:
    start = date(born_from, 1, 1)
    birth = start + timedelta(days=rng.randrange((date(born_to, 12, 31) - start).days))
    body = f"{region}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    for check in "0123456789X":
        if ric.calc_check_digit(body + check) == check:
            return body + check
    raise AssertionError("unreachable")


def spoil_check_digit(code: str) -> str:
    """The same code with a wrong last character (for bad-input tests and demo feeds)."""
    last = code[-1]
    replacement = "1" if last != "1" else "2"
    return code[:-1] + replacement


def make_person_id(rng: random.Random, *, region: str, birth: date, male: bool) -> str:
    """A valid ID number for a person born on `birth` in `region`; the sequence code's last digit is
    odd for men and even for women, as GB 11643 prescribes."""
    seq = rng.randrange(500) * 2 + (1 if male else 0)
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_reg_no(rng: random.Random, *, region: str) -> str:
    """An old 15-digit business registration number (工商注册号, before the USCC): division code,
    8-digit serial and an ISO 7064 MOD 11,10 check digit."""
    from stdnum.iso7064 import mod_11_10

    body = f"{region}{rng.randrange(10**8):08d}"
    return body + mod_11_10.calc_check_digit(body)


def gov_uscc(dept_code: str, *, region: str) -> str:
    """The USCC of a government body (prefix 11, 机关): stable for a department code, whatever
    the seed, so that its decisions carry the same code in every demo data set."""
    return make_uscc(random.Random(f"gov:{dept_code}"), region=region, prefix="11")
