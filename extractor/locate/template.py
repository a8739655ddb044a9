"""Which template a report follows (gov2021 | gov2019 | legacy | unknown), from its own words."""
from __future__ import annotations

import re
from functools import lru_cache

from schemas.grammar import nfkc

from schemas.template import (
    GOV2019_PROACTIVE_MARKERS,
    GOV2021_PROACTIVE_MARKERS,
    LEGACY_MARKERS,
)


@lru_cache(maxsize=8)
def squeeze(text: str) -> str:
    """Width-folded text without any whitespace, for marker search."""
    flat = re.sub(r"\s+", "", nfkc(text))
    return re.sub(r"\((?:\d{4}年?度?|历年)\)", "", flat)


def proactive_form(text: str) -> str | None:
    """'gov2021' or 'gov2019' by the columns of 表二, None when neither is printed."""
    flat = squeeze(text)
    has21 = any(m in flat for m in GOV2021_PROACTIVE_MARKERS)
    has19 = any(m in flat for m in GOV2019_PROACTIVE_MARKERS)
    if has19 and not has21:
        return "gov2019"
    if has21:
        return "gov2021"
    return None


def is_legacy_sheet(text: str) -> bool:
    flat = squeeze(text)
    return sum(m in flat for m in LEGACY_MARKERS) >= 2
