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
