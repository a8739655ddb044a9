"""The deterministic reader: the national tables read straight from the normalized text.

It matches row labels against the template (schemas.template), takes the value cells that
follow each label, and records the span of every value. A cell it cannot place stays null and
is listed in ``needs_llm``.

Modules by job: ``rows`` (label/value cells, placing a row under columns), ``requests`` (表三),
``appeals`` (表四), ``proactive`` (表二), ``legacy`` (pre-2019 sheets), ``assemble`` (the record)."""
from __future__ import annotations

from extractor.locate.meta import find_year
from extractor.locate.sections import find_sections
from extractor.locate.template import is_legacy_sheet, proactive_form
from extractor.read.layout import split_rows
from extractor.read.prose import with_prose_figures
from extractor.read.reader.appeals import read_appeals
from extractor.read.reader.assemble import READER_VERSION, Found, assemble
from extractor.read.reader.legacy import with_legacy
from extractor.read.reader.proactive import read_proactive, read_proactive_2019
from extractor.read.reader.requests import read_requests
from extractor.read.reader.rows import LabelledRow, Reading, label_rows
from schemas import Document, Record

__all__ = ["READER_VERSION", "read_document"]


def read_document(doc: Document) -> Record:
    """Read one normalized document into a record (no checks yet)."""
    rows = label_rows(split_rows(doc.text))
    reading = Reading()
    reading.notes.extend(note for r in rows for note in r.row.notes)  # run-together cells decoded
    sections = find_sections(doc.text)  # each table is read only inside its own section
    req_rows = _inside(rows, sections.get("requests"))
    req_span = read_requests(req_rows, reading)
    after = rows.index(req_rows[req_span[1] - 1]) + 1 if req_span else 0
    appeals_rows = _inside(rows, sections.get("appeals")) if "appeals" in sections else rows[after:]
    appeals_found = read_appeals(appeals_rows, reading)
    before = rows.index(req_rows[req_span[0]]) if req_span else len(rows)
    proactive_rows = _inside(rows, sections.get("proactive")) if "proactive" in sections else rows[:before]
    form = proactive_form(doc.text)
    proactive_found = read_proactive(proactive_rows, reading) if form != "gov2019" else False
    template = _template(doc, form, req_span is not None or proactive_found, appeals_found)
    record = assemble(doc, reading, Found(template, req_span is not None, appeals_found,
                                          proactive_found and template == "gov2021"))
    if template == "gov2019":
        record = record.model_copy(update={"proactive_2019": read_proactive_2019(proactive_rows)})
    if template == "legacy":
        record = with_legacy(record, rows, doc.text)
    return with_prose_figures(record, doc.text)


def _inside(rows: list[LabelledRow], section: tuple[int, int] | None) -> list[LabelledRow]:
    """The rows that lie in ``section`` (all rows when the report prints no such heading). A row
    that runs across a heading (a crawler dump's one long line) overlaps it and is kept."""
    if section is None:
        return rows
    start, end = section
    return [r for r in rows if r.row.cells and r.row.cells[0].start < end and r.row.cells[-1].end > start]


def _template(doc: Document, form: str | None, has_requests: bool, has_appeals: bool) -> str:
    if has_requests or (form and has_appeals):
        if form:
            return form
        year = find_year(doc.text)
        return "gov2019" if year and year[0] < 2021 else "gov2021"
    if is_legacy_sheet(doc.text):
        return "legacy"
    return "unknown"
