"""Where each statistics table's section lies in the text, so a table is read only inside it.

A section opens at a numbered heading (二、 / （三） / 3. / 第四部分, then any of the template's
heading variants for that table, ``schemas.template.TABLES``), also inline in crawler dumps that put
the whole report on one line. A heading named in running prose ("本报告由总体情况、主动公开政府信息
情况、…组成") has no numbering and opens nothing. A section ends where the next table's opens."""
from __future__ import annotations

import re
from functools import lru_cache

from schemas.template import TABLES

_NUMBERING = (r"(?:[一二三四五六七八九十]{1,2}\s*[、．.，,]|[（(]\s*[一二三四五六七八九十]{1,2}\s*[)）]"
              r"|\d{1,2}\s*[、．.](?!\d)|第[一二三四五六七八九十]{1,2}部分)")
_GAP_CHARS = 14
_GAP = rf"[^\n。；;]{{0,{_GAP_CHARS}}}?"  # words between the numbering and the variant ("因政府信息公开工作被申请…")
# the most non-blank characters a heading holds before its variant: the numbering (第十二部分: 5;
# keep in step with _NUMBERING) and the gap; only whitespace is unbounded there
_LEAD_CHARS = 5 + _GAP_CHARS


@lru_cache(maxsize=None)
def _heading_patterns(key: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(the table's numbered heading, its variants alone)."""
    table = next(t for t in TABLES if t.key == key)
    variants = sorted(table.headings, key=len, reverse=True)
    loose = "|".join(r"[\W_]*".join(map(re.escape, v)) for v in variants)  # punctuation may sit inside
    return re.compile(rf"{_NUMBERING}\s*{_GAP}(?:{loose})"), re.compile(loose)


def _find_heading(key: str, text: str, pos: int) -> re.Match[str] | None:
    """``heading.search(text, pos)``, started where a match can first start: no heading begins
    more than ``_LEAD_CHARS`` non-blank characters before the first place from ``pos`` on its
    variant is printed. The variant alone is found by a fast scan for its first characters; the
    heading's pattern, led by the numbering's character classes, tries every position it passes."""
    heading, variant = _heading_patterns(key)
    first = variant.search(text, pos)
    if first is None:
        return None
    start, seen = first.start(), 0
    while start > pos and seen <= _LEAD_CHARS:
        start -= 1
        seen += not text[start].isspace()
    return heading.search(text, start)


def find_sections(text: str) -> dict[str, tuple[int, int]]:
    """``table key → (start, end)`` character range of its section, for the tables whose heading
    was found, in the template's table order."""
    starts: dict[str, int] = {}
    pos = 0
    for table in TABLES:
        match = _find_heading(table.key, text, pos)
        if match is not None:
            starts[table.key] = match.start()
            pos = match.end()
    ordered = sorted(starts.items(), key=lambda kv: kv[1])
    out = {}
    for i, (key, start) in enumerate(ordered):
        end = ordered[i + 1][1] if i + 1 < len(ordered) else len(text)
        out[key] = (start, end)
    return out
