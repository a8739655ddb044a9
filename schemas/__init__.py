"""Pydantic models of the nianbao record, one module per template, and the template as data.

This package imports nothing from ``extractor``: every stage can depend on it."""
from schemas.common import Check, ExtractedBy, Source, Span, Summary
from schemas.document import Document
from schemas.record import Record, get_path, set_path

__all__ = ["Check", "Document", "ExtractedBy", "Record", "Source", "Span", "Summary",
           "get_path", "set_path"]
