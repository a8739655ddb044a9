"""Shapes shared by every template: evidence spans, checks, source, summary, provenance."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.rules import RuleName, rule as declared_rule

Format = Literal["txt", "md", "html", "docx", "pdf"]
Status = Literal["ok", "needs_review", "failed"]
Severity = Literal["error", "warning", "info"]
Method = Literal["rules", "llm", "human"]
TemplateKey = Literal["gov2021", "gov2019", "legacy", "unknown"]


class Span(BaseModel):
    """Where a value was read: ``text == document.text[start:end]``."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    method: Method = "rules"


class Check(BaseModel):
    """One finding of the checker. It never changes a value; it names the rule, the cells and,
    for an equation, both sides."""

    model_config = ConfigDict(frozen=True)

    rule: RuleName = Field(description="a rule declared in schemas/rules.py")
    severity: Severity = Field(description="the rule's declared severity (filled in when omitted)")
    cells: list[str] = Field(default_factory=list)
    message: str
    left: float | None = None
    right: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _declared_severity(cls, data):
        if isinstance(data, dict) and data.get("rule") is not None:
            try:
                declared = declared_rule(data["rule"]).severity
            except KeyError:
                return data  # the Literal on ``rule`` reports the unknown name
            given = data.get("severity")
            if given is None:
                data = {**data, "severity": declared}
            elif given != declared:
                raise ValueError(f"rule {data['rule']} is declared with severity {declared!r} "
                                 f"in schemas/rules.py, not {given!r}")
        return data


class Source(BaseModel):
    path: str
    sha256: str
    format: Format | None = None
    size: int | None = None


class Summary(BaseModel):
    """Figures comparable across all templates and years; ``null`` where the report is silent."""

    requests_received: int | None = Field(None, description="本年新收政府信息公开申请总数 (legacy: 收到申请数)")
    review_total: int | None = Field(None, description="行政复议 总计")
    litigation_total: int | None = Field(None, description="行政诉讼 总计 (未经复议直接起诉 + 复议后起诉)")
    proactive_total: int | None = Field(
        None, description="本年主动公开政府信息总数, as the text states it (often only in prose)")
    fee_collected_yuan: float | None = Field(
        None, description="信息处理费 collected in 元; 0 when the report says none was collected")
    npc_suggestions: int | None = Field(None, description="人大代表建议 handled (件)")
    cppcc_proposals: int | None = Field(None, description="政协提案 handled (件)")


class ExtractedBy(BaseModel):
    method: str = "rules"
    model: str | None = None
    prompt_version: str | None = None
    prompt_hash: str | None = None
    reader_version: str | None = None
    llm_calls: int = 0
    tokens: int = 0
    cache_hits: int = 0
