"""Numbers as reports print them: full-width digits, thousands separators, blank-cell markers.

Shared by the grounding and cross-checks so both read a figure the same way."""
from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

# What a blank cell of a present table looks like; the contract reads it as 0.
BLANK_CELL_MARKERS = frozenset({"", "—", "——", "–", "-", "--", "/", "无"})
# Words with which prose states a zero ("未收到申请", "没有发生行政复议").
NEGATION_WORDS = ("未", "没有", "无")

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_SPACES = re.compile(r"[ \u00a0\u3000]+")
TOLERANCE = 1e-6


@lru_cache(maxsize=65536)
def fold_text(text: str) -> str:
    """NFKC-fold (full-width digits and punctuation → ASCII), drop thousands separators and spaces.

    TABs and newlines are kept: they separate cells, so they must keep separating numbers."""
    folded = unicodedata.normalize("NFKC", text)
    return _THOUSANDS.sub("", _SPACES.sub("", folded))


@lru_cache(maxsize=65536)
def numbers_in(text: str) -> tuple[float, ...]:
    """Every number printed in ``text``, in order."""
    return tuple(float(m) for m in _NUMBER.findall(fold_text(text)))


def parse_number(text: str) -> float:
    """One number as printed (``"3,119"``, ``"１７"``)."""
    return float(fold_text(text))


@lru_cache(maxsize=65536)
def is_blank_cell(text: str) -> bool:
    """True when ``text`` is what a report prints for an empty cell."""
    return fold_text(text).strip() in BLANK_CELL_MARKERS


def same_number(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=0.0, abs_tol=TOLERANCE)


def format_number(value: float | None) -> str:
    """``3.0`` → ``"3"``, ``582.1`` → ``"582.1"``, ``None`` → ``"null"``."""
    if value is None:
        return "null"
    if float(value).is_integer():
        return str(int(value))
    return str(value)
