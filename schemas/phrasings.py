"""How report prose states the figures the tables also give (for the prose-vs-table cross-check).

Keyed by summary field (``schemas.template.SUMMARY_FIELDS``); group 1 of each pattern is the number.
Patterns run on NFKC-folded text."""
from __future__ import annotations

import re

_NUM = r"(\d[\d,]*)"
_TOTAL_WORD = r"(?:共计?|合计|总计|累计)?"
_CLAUSE = r"[^。；;，,\t]"  # a character that does not end a clause
# summary field → phrases that state it in prose; group 1 of each is the number. Line-local: no
# anchors (^ $ \A \Z \b \B), lookarounds, atomic groups or possessive quantifiers, so a match never
# depends on where a line ends and the checker searches all prose lines joined at once
# (tests/test_check.py checks it).
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


# How prose states the summary figures no table gives (the deterministic prose reader). Keyed by
# summary field; group "n" is the figure (absent: the phrase states zero, e.g. 未收取…费). Only exact
# phrasings: a figure the patterns do not decide is left for an LLM, never guessed.
_C = r"[^。；;，,\n\t]"  # a character inside one clause
_FIG = r"(?P<n>\d[\d,]*(?:\.\d+)?)"
APPROXIMATE_WORDS = ("约", "近", "余", "多", "逾", "超过", "左右")
# a figure for all years, not the report's year ("历年累计主动公开政府信息2027条"): never the year's
# figure. Not 累计 alone ("全年累计主动公开…" is the year's) nor 以来 alone ("今年以来…").
CUMULATIVE_WORDS = ("历年", "累计至今", "至今累计", "成立以来", "开通以来")
CUMULATIVE_REACH = 8  # characters before the phrase that may hold a cumulative word
PROSE_FIGURES: dict[str, tuple[re.Pattern[str], ...]] = {
    "proactive_total": (
        # not a category of it ("其他应主动公开的政府信息13条"); the lookbehinds sit after 主动 so
        # that the search can skip to each 主动 (led by them, it tried every position: 10× slower)
        re.compile(rf"主动(?<!应主动)(?<!其他主动)(?:公开|发布){_C}{{0,10}}?(?:政府)?信息{_C}{{0,4}}?(?:共计?|合计)?\s*{_FIG}\s*(?:条|篇)"),
    ),
    "fee_collected_yuan": (
        re.compile(rf"收取{_C}{{0,12}}?费用?{_C}{{0,4}}?{_FIG}\s*元"),
        re.compile(rf"(?:未|没有|无)(?:产生|收取|发生){_C}{{0,10}}?费"),
        re.compile(r"(?:未|没有|无)(?:实际)?收(?:取)?(?:任何)?费"),  # "政府信息公开无收费及减免情况"
    ),
    "npc_suggestions": (
        re.compile(rf"人大代表(?:议案|建议){_C}{{0,6}}?{_FIG}\s*件"),
        re.compile(rf"人大{_C}{{0,12}}?{_FIG}\s*(?:项|件|条)(?:代表)?建议"),  # 收到区人大五次会议1项建议
        re.compile(rf"办理{_C}{{0,8}}?人大{_C}{{0,6}}?建议{_C}{{0,4}}?{_FIG}\s*件"),
    ),
    "cppcc_proposals": (
        re.compile(rf"政协(?:委员)?提案{_C}{{0,6}}?{_FIG}\s*件"),
        re.compile(rf"政协{_C}{{0,12}}?{_FIG}\s*(?:项|件|条)(?:委员)?提案"),
        re.compile(rf"办理{_C}{{0,8}}?政协{_C}{{0,6}}?提案{_C}{{0,4}}?{_FIG}\s*件"),
    ),
}


# How prose states a table cell (表二's document counts): used only to choose among the splits of
# a run-together row that the template's equations leave open ("制定规范性文件15件" settles
# 规范性文件 `15621` as 15|6|21). Keyed by template path; group "n" is the figure.
_DOC_VERBS = {"issued": r"(?:制定|制发|印发|出台|发布)", "repealed": r"(?:废止|废除)", "in_force": r"现行有效(?:的)?"}
_DOC_ROWS = {"rules": r"规章", "normative_documents": r"(?:行政)?规范性文件"}
CELL_PHRASINGS: dict[str, tuple[re.Pattern[str], ...]] = {
    f"proactive.{row}.{col}": (
        re.compile(rf"{verb}{_C}{{0,4}}?{noun}(?:件数)?{_C}{{0,2}}?{_FIG}\s*件"),
        re.compile(rf"{noun}{_C}{{0,4}}?{verb}(?:件数)?{_C}{{0,2}}?{_FIG}\s*件"),
    )
    for row, noun in _DOC_ROWS.items() for col, verb in _DOC_VERBS.items()
}
