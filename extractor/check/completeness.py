"""Completeness: what ``ok`` promises (``shared/CONTRACT.md``, "Statuses").

A record is complete when its template is identified and every table that template has
(``schemas.template.TEMPLATES``) was found with every cell read (for a pre-2019 sheet: every
indicator it lists has its figure). Anything less is an error-level
check naming what is missing, so the record goes to ``needs_review``. Prose summary figures left for
an LLM are not part of it: they stay in ``needs_llm`` and do not demote a record by themselves."""
from __future__ import annotations

import re

from extractor.check.values import TableCells, table_cells
from schemas import Check, Record
from schemas.grammar import nfkc
from schemas.template import (
    APPLICANT_COLUMNS, REPORT_TITLE_MARKERS, SECTION_HEADINGS, SINGLE_OTHER_ABSENT_ROWS, TABLES_BY_KEY,
    TEMPLATES_BY_KEY, table_fields,
)

LISTED_CELLS = 12  # unread cells named in the message; the check's ``cells`` lists them all
_HEAD_CHARS = 400_000  # how much of a text the not-a-report test looks at


def check_completeness(record: Record, cells: TableCells | None = None) -> list[Check]:
    """``template.unknown`` or ``reader.incomplete`` when the record is not complete."""
    if record.status == "failed":
        return []  # nothing was read: the record's error says why
    info = TEMPLATES_BY_KEY.get(record.template)
    if info is None or record.template == "unknown":
        return [Check(rule="template.unknown",
                      message="no known template (2021 national form, 2019 form or a pre-2019 "
                              "statistics sheet) was recognised, so no table was read")]
    cells = table_cells(record) if cells is None else cells
    present = {t for t in info.tables if getattr(record, t) is not None}
    missing = [TABLES_BY_KEY[t].number for t in info.tables if t not in present]
    unread = _unread_cells(cells, present)
    unread += [f"summary.{key}" for key in info.summary if getattr(record.summary, key) is None]
    unread += [f"legacy_indicators.{i}.value" for i, ind in enumerate(record.legacy_indicators or [])
               if ind.value is None]  # a statistics-sheet figure that could not be read
    if not missing and not unread:
        return []
    return [Check(rule="reader.incomplete", cells=unread, message=_incomplete_message(missing, unread))]


def _unread_cells(cells: TableCells, present: set[str]) -> list[str]:
    out = []
    for field in table_fields():
        if cells[field.path] is not None:
            continue
        table, row, *_ = field.path.split(".")
        if table not in present or _single_other_layout(cells, row):
            continue
        out.append(field.path)
    return out


def _single_other_layout(cells: TableCells, row: str) -> bool:
    """The 2019/2020 表三 prints one （六）其他处理 row: the two rows it lacks are null by contract."""
    if row not in SINGLE_OTHER_ABSENT_ROWS:
        return False
    absent = all(cells[f"requests.{key}.{c.key}"] is None
                 for key in SINGLE_OTHER_ABSENT_ROWS for c in APPLICANT_COLUMNS)
    return absent and any(cells[f"requests.other_other.{c.key}"] is not None for c in APPLICANT_COLUMNS)


def _incomplete_message(missing: list[str], unread: list[str]) -> str:
    parts = []
    if missing:
        parts.append(f"{'、'.join(missing)} not found")
    if unread:
        shown = ", ".join(unread[:LISTED_CELLS])
        more = f" and {len(unread) - LISTED_CELLS} more" if len(unread) > LISTED_CELLS else ""
        parts.append(f"{len(unread)} cell(s) not read: {shown}{more}")
    return "; ".join(parts) + " — fill them from the source (or with an LLM) before relying on the record"


def not_a_report(record: Record, text: str) -> str | None:
    """Why a readable text is not an information-disclosure annual report, or None when it may be
    one: no template, no table, no summary figure, and neither a report title nor a section
    heading of the national form."""
    if record.template != "unknown" or any(getattr(record, t) is not None for t in TABLES_BY_KEY):
        return None
    if any(v is not None for v in record.summary.model_dump().values()):
        return None
    flat = re.sub(r"\s+", "", nfkc(text[:_HEAD_CHARS]))
    if any(all(m in flat for m in markers) for markers in REPORT_TITLE_MARKERS):
        return None
    flat = re.sub(r"[^\w]", "", flat)
    if any(h in flat for headings in SECTION_HEADINGS.values() for h in headings):
        return None
    return ("not a government information-disclosure annual report (政府信息公开工作年度报告): "
            "no report title, no section of the national form and no statistics table were found; "
            "if it is one, check that the file holds the report's text (not only page chrome)")
