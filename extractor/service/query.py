"""The filters of the record list, the review queue and the export, as one query object
(FastAPI ``Depends``) instead of parameters threaded by position."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from extractor.store import RecordFilter

Review = Literal["unreviewed", "corrected", "approved"]


class RecordQuery(BaseModel):
    """``?status=&template=&agency=&year=&rule=&review=``; empty means any."""

    status: str | None = Field(None, max_length=32)
    template: str | None = Field(None, max_length=32)
    agency: str | None = Field(None, max_length=200, description="substring of the agency")
    year: int | None = Field(None, ge=0, lt=10_000)
    rule: str | None = Field(None, max_length=100, description="a check rule the record has")
    review: Review | None = None

    def to_filter(self, pending_only: bool = False) -> RecordFilter:
        return RecordFilter(status=self.status or None, template=self.template or None,
                            agency=self.agency or None, year=self.year, rule=self.rule or None,
                            review_status=self.review or None, pending_only=pending_only)


class Page(BaseModel):
    limit: int = Field(200, ge=1, le=1000)
    offset: int = Field(0, ge=0, lt=2**62)


class QueueQuery(RecordQuery):
    """The queue page's form: an empty year or review box means any; ``all`` shows approved too."""

    year: str | None = Field(None, max_length=8)  # type: ignore[assignment]
    review: Literal["unreviewed", "corrected", "approved", ""] | None = None  # type: ignore[assignment]
    all: bool = False

    def record_query(self) -> RecordQuery:
        year = int(self.year) if self.year and self.year.strip().isdigit() else None
        return RecordQuery(**{**self.model_dump(exclude={"all", "year", "review"}), "year": year,
                              "review": self.review or None})
