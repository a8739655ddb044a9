"""Report metadata from the title and opening text: issuing agency and report year."""
from __future__ import annotations

import re

from schemas.grammar import nfkc

_TITLE = re.compile(r"(\d{4})\s*年(?:度)?\s*(?:政府|政务)?信息公开(?:工作)?\s*(?:年度)?\s*(?:报告|年报)?")
_PERIOD = re.compile(r"(?:统计期限|统计期|数据统计期限|统计时限)[^。\n]{0,12}?(\d{4})\s*年\s*1\s*月\s*1\s*日")
_YEAR_ANY = re.compile(r"(20\d{2}|19\d{2})\s*年(?:度)?")
_AGENCY_SUFFIX = (r"(?:人民政府办公厅|人民政府办公室|人民政府|办公厅|办公室|委员会|管理局|服务局|"
                  r"保障局|监督局|局|厅|委|办|署|院|中心|管委会)")
_PLACE = r"(?:[\u4e00-\u9fff]{2,7}?(?:省|自治区|市|自治州|州|盟|区|县|旗))"
# suffixes may chain: 管委会办公室, 人民政府办公室 (the name is not cut at the first one)
_AGENCY = re.compile(rf"({_PLACE}+[\u4e00-\u9fff]{{0,14}}?{_AGENCY_SUFFIX}(?:{_AGENCY_SUFFIX})*)")
_CITED = re.compile(r"《[^》\n]{0,80}》")  # a cited document's title names its issuer, not the report's
_CRUMB = re.compile(r"[>＞»›|｜]")  # breadcrumb separators before a title: "首页 > 年报 > 某局2023年…"
_TITLE_LINES = 40  # page chrome can push the title down
_STOP = re.compile(r"^.*[在由于是对向与从据把将的可本年为以及和]")
_AGENCY_LINE = re.compile(rf"^[\u4e00-\u9fff（）()·]{{2,40}}{_AGENCY_SUFFIX}$")
# a crawler's or CMS's key before the title ("标题: …", "文章标题：…"): not part of the name
_TITLE_KEY = re.compile(r"^\s*(?:文章)?(?:标题|题目|名称)\s*[:：]\s*")


def fold(text: str) -> str:
    return nfkc(text)


def find_year(text: str) -> tuple[int, int, int] | None:
    """(year, start, end) of the report year: the title's year, else the statistics period, else
    the first year mentioned near the top."""
    head = fold(text[:4000])
    for pattern in (_TITLE, _PERIOD):
        m = pattern.search(head)
        if m and _plausible(int(m.group(1))):
            return int(m.group(1)), m.start(1), m.end(1)
    m = _YEAR_ANY.search(head)
    if m and _plausible(int(m.group(1))):
        return int(m.group(1)), m.start(1), m.end(1)
    return None


def _plausible(year: int) -> bool:
    return 2000 <= year <= 2100


def find_agency(text: str) -> tuple[str, int, int] | None:
    """(agency, start, end): the title line's agency, else a short agency line beside the title,
    else the first agency named in the opening prose."""
    lines = _head_lines(text)
    for k, (line, start) in enumerate(lines[:_TITLE_LINES]):
        m = _TITLE.search(fold(line))
        if not m:
            continue
        before = _CRUMB.split(line[: m.start()])[-1]
        key = _TITLE_KEY.match(before)
        before = before[key.end() if key else 0:].strip(" \t\u3000《")
        if before and _AGENCY_LINE.match(fold(before).replace(" ", "")):
            return before, start + line.index(before), start + line.index(before) + len(before)
        for j in (k - 1, k + 1, k + 2, k - 2):
            if 0 <= j < len(lines):
                cand, s = lines[j]
                c = cand.strip(" \t\u3000（）()")
                if c and _AGENCY_LINE.match(fold(c).replace(" ", "")) and "报告" not in c:
                    off = s + cand.index(c)
                    return c, off, off + len(c)
    return _agency_in_prose(text[:3000])


def _head_lines(text: str) -> list[tuple[str, int]]:
    """The opening non-blank lines with their offsets: the title's and the two after the last."""
    out, pos = [], 0
    for raw in text[:6000].split("\n"):
        if raw.strip():
            out.append((raw, pos))
            if len(out) == _TITLE_LINES + 2:
                break
        pos += len(raw) + 1
    return out


def _agency_in_prose(head: str) -> tuple[str, int, int] | None:
    head = _CITED.sub(lambda m: " " * len(m.group()), head)  # offsets kept
    for m in _AGENCY.finditer(head):
        name = m.group(1)
        cut = _STOP.match(name[: _place_len(name)])
        if cut:
            name = name[cut.end():]
        if len(name) >= 4:
            start = m.end(1) - len(name)
            return name, start, m.end(1)
    return None


def _place_len(name: str) -> int:
    m = re.match(_PLACE, name)
    return m.end() if m else 0
