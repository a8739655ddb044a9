"""Pre-2019 reports: a free 统计表 of indicators (统计指标 / 单位 / 统计数)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LegacyIndicator(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="统计指标 as printed, without leading numbering")
    unit: str | None = Field(None, description="单位, e.g. 条 / 件 / 次 / 万元")
    value: float | None = Field(None, description="统计数")
    section: str | None = Field(None, description="the heading the indicator sits under, e.g. 三、依申请公开情况")


# Which legacy indicators map onto summary fields (keywords in the normalised indicator name,
# checked in order; the first indicator that matches wins).
LEGACY_SUMMARY_MAP: dict[str, tuple[str, ...]] = {
    "proactive_total": ("主动公开政府信息数",),
    "requests_received": ("收到申请数",),
    "review_total": ("行政复议数量",),
    "litigation_total": ("行政诉讼数量",),
}
