"""How report prose states the figures the tables also give (for the prose-vs-table cross-check).

Keyed by summary field (``schemas.template.SUMMARY_FIELDS``); group 1 of each pattern is the number.
Patterns run on NFKC-folded text."""
from __future__ import annotations

import re

_NUM = r"(\d[\d,]*)"
_TOTAL_WORD = r"(?:共计?|合计|总计|累计)?"
_CLAUSE = r"[^。；;，,\t]"  # a character that does not end a clause
# summary field → phrases that state it in prose; group 1 of each is the number
PROSE_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "requests_received": (
        re.compile(rf"(?:收到|受理|新收){_CLAUSE}{{0,30}}?申请[,，]?\s*{_TOTAL_WORD}\s*{_NUM}\s*件"),
        re.compile(rf"(?:收到|受理){_TOTAL_WORD}\s*{_NUM}\s*件{_CLAUSE}{{0,8}}?申请"),
    ),
    "review_total": (
        re.compile(rf"行政复议(?:案件|申请)?\s*{_TOTAL_WORD}\s*{_NUM}\s*(?:件|起)"),
    ),
    "litigation_total": (
        re.compile(rf"行政诉讼(?:案件)?\s*{_TOTAL_WORD}\s*{_NUM}\s*(?:件|起)"),
    ),
}
