"""Pre-2019 reports: a free 统计表 of indicators (统计指标 / 单位 / 统计数)."""
from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field


class LegacyIndicator(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="统计指标 as printed, without leading numbering")
    unit: str | None = Field(None, description="单位, e.g. 条 / 件 / 次 / 万元")
    value: float | None = Field(None, description="统计数")
    section: str | None = Field(None, description="the heading the indicator sits under, e.g. 三、依申请公开情况")


# Which legacy indicators map onto summary fields: the names sheets give each indicator, most
# specific first. A field takes the indicator matching its earliest synonym (keywords are compared
# with the normalised indicator name), so 主动公开政府信息数 wins over a later 主动公开文件数.
LEGACY_SUMMARY_MAP: dict[str, tuple[str, ...]] = {
    "proactive_total": ("主动公开政府信息数", "主动公开政府信息总数", "主动公开信息数", "主动公开文件数",
                        "主动公开政府信息", "主动公开信息"),
    "requests_received": ("收到申请数", "受理政府信息公开申请总数", "受理依申请公开信息总数",
                          "收到政府信息公开申请", "受理政府信息公开申请", "受理依申请公开", "收到申请"),
    "review_total": ("行政复议数量", "行政复议数", "行政复议案件数", "行政复议"),
    "litigation_total": ("行政诉讼数量", "行政诉讼数", "行政诉讼案件数", "行政诉讼"),
}


# The statistics sheet as printed: a header naming its value columns ("指标名称 单位 2017年度 历年累计"),
# then per indicator its name, its unit and one value per column. Crawler dumps run the whole sheet
# together ("受理政府信息公开申请总数条1423其中：1.当面申请数条152.网上…" = 14|23, 1|5 + the next
# label's "2."); the reader splits such runs by these relations only: a year's figure is at most the
# cumulative one, and an item listed under 其中 is at most its total, in every column.
CUMULATIVE_COLUMN_WORDS = ("历年累计", "累计")
PARTS_MARKER = re.compile(r"^\s*其中\s*[:：]?\s*")  # "其中：1.政府网站公开数": an item of the total above  # a column counting all years, never the report's year
_COLUMN = r"(?:\d{4}\s*年度?|本年度?|历年累计|累计数?|统计数|数量)"
_GAP = r"[\s|｜]*"  # what separates header cells: nothing (run together), spaces, TABs, pipes
SHEET_HEADER = re.compile(rf"(?:指标名称|统计指标|指标){_GAP}(?:单位)?{_GAP}(?P<cols>(?:{_COLUMN}{_GAP})+)")
SHEET_COLUMN = re.compile(_COLUMN)
# one indicator of a run-together sheet: optional numbering, the name (ending as indicator names do),
# the unit, the digits (stray spaces allowed)
SHEET_ITEM = re.compile(
    r"(?P<parts>其中[:：]?)?\s*(?:(?P<no>\d{1,2})\s*[.．、])?\s*"
    r"(?P<name>[^\d\s:：]{2,40}?(?:数|额|金额|量)(?:[（(]元[)）])?)\s*"
    r"(?P<unit>人次|万元|元|件|条|个|次|项|篇|份|起)?\s*(?P<run>[0-9０-９](?:[0-9０-９ ]*[0-9０-９])?)")
