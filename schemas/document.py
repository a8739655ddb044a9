"""The normalized document every later stage reads: one text with character offsets."""
from __future__ import annotations

from pydantic import BaseModel, Field

from schemas.common import Format


class Document(BaseModel):
    """A report turned into one text.

    Table rows are laid out one row per line with cells separated by a TAB, whatever the source
    format, so the reader sees HTML, DOCX and PDF tables the same way; paragraphs are lines."""

    path: str
    sha256: str
    format: Format
    text: str
    size: int = 0
    pages: int | None = None
    warnings: list[str] = Field(default_factory=list)
    # source text ingest could not read (a PDF's characters this machine has no glyphs for): the
    # record may lack values the document states, so each one is an ``ingest.text_lost`` check
    lost: list[str] = Field(default_factory=list)
