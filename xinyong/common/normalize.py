"""Normalization of names and codes before exact matching.

Full-width and half-width forms, Chinese and ASCII brackets, and white space are folded so that
"吉林省某某（集团）有限公司" and "吉林省某某(集团) 有限公司" match; nothing fuzzier than that.
"""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
_BRACKETS = str.maketrans({"〔": "(", "〕": ")", "【": "(", "】": ")", "［": "(", "］": ")", "[": "(", "]": ")"})


def _name_step(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
    return _SPACE.sub("", text).casefold()


def normalize_name(name: str) -> str:
    """The matching key of an organization's or person's name (idempotent: a key is its own key)."""
    text = _name_step(name or "")
    if not text.isascii():
        # removing a space or case folding can leave text that normalizes further ("e \u0301")
        for _ in range(3):
            again = _name_step(text)
            if again == text:
                break
            text = again
    return text


def normalize_code(code: str) -> str:
    """A code as typed: full-width digits and letters folded, spaces and dashes removed, upper case."""
    text = unicodedata.normalize("NFKC", code or "")
    return re.sub(r"[\s\-]", "", text).upper()


def clean_text(value: str) -> str:
    """A text cell: NFC, trimmed, control characters (except newline and tab) removed."""
    text = unicodedata.normalize("NFC", value)
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        text = "".join(c for c in text if unicodedata.category(c) != "Cc" or c in "\n\t")
    return text.strip()
