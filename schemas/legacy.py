"""Pre-2019 reports: a free 统计表 of indicators (统计指标 / 单位 / 统计数)."""
from __future__ import annotations

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
