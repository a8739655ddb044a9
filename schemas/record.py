"""The record: one per input document (contract v1, ``shared/CONTRACT.md``)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from schemas.common import Check, ExtractedBy, Source, Span, Status, Summary, TemplateKey
from schemas.gov2019 import Proactive2019
from schemas.gov2021 import AppealsTable, ProactiveTable, RequestsTable
from schemas.legacy import LegacyIndicator


class Record(BaseModel):
    model_config = ConfigDict(extra="allow")

    source: Source
    agency: str | None = None
    year: int | None = None
    template: TemplateKey = "unknown"
    proactive: ProactiveTable | None = None
    requests: RequestsTable | None = None
    appeals: AppealsTable | None = None
    summary: Summary = Field(default_factory=Summary)
    evidence: dict[str, Span] = Field(default_factory=dict)
    checks: list[Check] = Field(default_factory=list)
    status: Status = "ok"
    error: str | None = None
    extracted_by: ExtractedBy = Field(default_factory=ExtractedBy)
    # extra keys (allowed by the contract)
    needs_llm: list[str] = Field(
        default_factory=list,
        description="field paths the deterministic reader left open and an LLM could fill")
    proactive_2019: Proactive2019 | None = None
    legacy_indicators: list[LegacyIndicator] | None = None

    def get(self, path: str) -> Any:
        """The value at a dotted field path (``requests.new.total``), or None."""
        return get_path(self.model_dump(), path)


def get_path(data: Any, path: str) -> Any:
    cur = data
    for part in path.split("."):
        if cur is None:
            return None
        if isinstance(cur, BaseModel):
            cur = getattr(cur, part, None)
        elif isinstance(cur, dict):
            cur = cur.get(part)
        else:
            return None
    return cur


def set_path(data: dict, path: str, value: Any) -> None:
    """Set ``value`` at a dotted path in a plain dict, creating parents."""
    parts = path.split(".")
    cur = data
    for part in parts[:-1]:
        if cur.get(part) is None:
            cur[part] = {}
        cur = cur[part]
    cur[parts[-1]] = value
