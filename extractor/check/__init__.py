"""The checker: arithmetic relations, value plausibility, grounding and cross-checks.

It never edits a value. Every finding is a frozen :class:`schemas.Check` naming its rule, the cells
and both sides; :func:`status_for` turns them into the record's status."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from schemas import Check, Record

from extractor.check.arithmetic import check_arithmetic, equation_status
from extractor.check.completeness import check_completeness, not_a_report
from extractor.check.crosscheck import check_narrative, check_summary
from extractor.check.grounding import check_evidence, check_missing_evidence
from extractor.check.values import TableCells, check_values, table_cells

__all__ = ["check_record", "check_tables", "equation_status", "not_a_report", "status_for"]


def check_tables(record: Record, cells: TableCells | None = None) -> list[Check]:
    """Arithmetic and value checks: everything that needs only the record, not the text."""
    return check_arithmetic(record, cells) + check_values(record, cells)


def check_record(record: Record, text: str | None = None) -> list[Check]:
    """Every check of a record; grounding against the text and prose cross-checks need ``text``."""
    cells = table_cells(record)  # read the cells once for the checks that walk them all
    checks = check_completeness(record, cells) + check_tables(record, cells) + check_summary(record)
    checks += check_evidence(record, text, cells) + check_missing_evidence(record, cells)
    if text:
        checks += check_narrative(record, text)
    return checks


def status_for(checks: Iterable[Check]) -> Literal["ok", "needs_review"]:
    """``needs_review`` as soon as one check is an error (an incomplete record has one:
    ``reader.incomplete`` / ``template.unknown``)."""
    return "needs_review" if any(c.severity == "error" for c in checks) else "ok"
