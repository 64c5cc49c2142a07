"""Report numbers and verification codes: random, typed back by people from paper.

    JL-20261129-7K3MQ-9X24B    report number: JL, the issuing date, 10 random characters (50 bits)
    K7M3-Q9X2                  verification code: 8 random characters (40 bits)

Characters are Crockford's base 32 (digits and letters without I, L, O, U), so what is read from
paper is typed back without ambiguity; as typed, case, spaces, dashes and full-width forms do not
matter, and O, I, L are read as 0, 1, 1. Numbers are not a sequence: knowing one report's number
says nothing about another's; an unknown number and a wrong code get the same answer at /verify/.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import date

from xinyong.common.crypto import lookup_hash

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "JL"
RANDOM_CHARS = 10
CODE_CHARS = 8
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1"})
_NUMBER = re.compile(rf"^{PREFIX}(\d{{8}})([{ALPHABET}]{{{RANDOM_CHARS}}})$")
_CODE = re.compile(rf"^[{ALPHABET}]{{{CODE_CHARS}}}$")


def _random(n: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(n))


def new_number(day: date) -> str:
    """A fresh report number (compact form, as stored)."""
    return f"{PREFIX}{day:%Y%m%d}{_random(RANDOM_CHARS)}"


def new_code() -> str:
    return _random(CODE_CHARS)


def _compact(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")[:80]
    return re.sub(r"[^0-9A-Za-z]", "", text).upper()


def parse_number(text: str) -> str | None:
    """The stored form of a number as typed or scanned, or None if it cannot be one."""
    compact = _compact(text)
    if compact.startswith(PREFIX):
        compact = PREFIX + compact[len(PREFIX) :].translate(_TYPED)
    return compact if _NUMBER.match(compact) else None


def parse_code(text: str) -> str | None:
    compact = _compact(text).translate(_TYPED)
    return compact if _CODE.match(compact) else None


def show_number(number: str) -> str:
    """JL20261129XXXXXXXXXX → JL-20261129-XXXXX-XXXXX (as printed)."""
    m = _NUMBER.match(number)
    if not m:
        return number
    rand = m.group(2)
    return f"{PREFIX}-{m.group(1)}-{rand[:5]}-{rand[5:]}"


def show_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_CHARS else code


def code_hash(number: str, code: str) -> str:
    """Keyed hash of a report's verification code, bound to its number."""
    return lookup_hash(f"credit-report:{number}:{code}")


def requester_hash(address: str) -> str:
    return lookup_hash(f"credit-report-requester:{address}") if address else ""
