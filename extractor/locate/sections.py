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
_GAP = r"[^\n。；;]{0,14}?"  # words between the numbering and the variant ("因政府信息公开工作被申请…")


@lru_cache(maxsize=None)
def _heading_pattern(key: str) -> re.Pattern[str]:
    table = next(t for t in TABLES if t.key == key)
    variants = sorted(table.headings, key=len, reverse=True)
    loose = "|".join(r"[\W_]*".join(map(re.escape, v)) for v in variants)  # punctuation may sit inside
    return re.compile(rf"{_NUMBERING}\s*{_GAP}(?:{loose})")


def find_sections(text: str) -> dict[str, tuple[int, int]]:
    """``table key → (start, end)`` character range of its section, for the tables whose heading
    was found, in the template's table order."""
    starts: dict[str, int] = {}
    pos = 0
    for table in TABLES:
        match = _heading_pattern(table.key).search(text, pos)
        if match is not None:
            starts[table.key] = match.start()
            pos = match.end()
    ordered = sorted(starts.items(), key=lambda kv: kv[1])
    out = {}
    for i, (key, start) in enumerate(ordered):
        end = ordered[i + 1][1] if i + 1 < len(ordered) else len(text)
        out[key] = (start, end)
    return out
