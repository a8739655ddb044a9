"""A record from what the reader found: table cells in template order, summary figures the
tables decide, agency and year, and the paths left for an LLM."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from extractor import __version__
from extractor.locate.meta import find_agency, find_year
from extractor.read.reader.rows import Reading
from schemas import Document, ExtractedBy, Record, Source, Span, Summary, get_path
from schemas.template import (
    APPLICANT_COLUMNS,
    PROSE_SUMMARY_FIELDS,
    SINGLE_OTHER_ABSENT_ROWS,
    SUMMARY_CELLS,
    FieldInfo,
    table_fields,
)

READER_VERSION = f"rules-{__version__}"


@dataclass(frozen=True)
class Found:
    """Which tables the reader found, and the template it decided."""

    template: str
    requests: bool
    appeals: bool
    proactive: bool


def assemble(doc: Document, reading: Reading, found: Found) -> Record:
    present = {"requests": found.requests, "appeals": found.appeals, "proactive": found.proactive}
    data: dict = {}
    needs: list[str] = []
    for f, parts in _field_parts():
        if not present[parts[0]]:
            continue
        value = reading.values.get(f.path)
        if value is not None and not f.decimal:
            value = int(value) if value == int(value) else value
        _set(data, parts, value)
        if value is None and not _conventionally_null(f.path, reading):
            needs.append(f.path)
    # a span shows what the document prints there (a decoded cell's digits may hold a stray space)
    # (Span fields, validated once by Record)
    evidence = {k: {"start": s, "end": e, "text": doc.text[s:e]} for k, (s, e) in reading.spans.items()}
    summary = _summary_from_tables(data, evidence)
    needs += [f"summary.{k}" for k in PROSE_SUMMARY_FIELDS]
    agency, year = find_agency(doc.text), find_year(doc.text)
    if agency:
        evidence["agency"] = Span(start=agency[1], end=agency[2], text=doc.text[agency[1]:agency[2]])
    if year and doc.text[year[1]:year[2]] == str(year[0]):
        evidence["year"] = Span(start=year[1], end=year[2], text=str(year[0]))
    needs += [k for k, v in (("agency", agency), ("year", year)) if v is None]
    if found.template == "unknown":
        needs += ["template", "proactive", "requests", "appeals"]
    return Record(
        source=Source(path=doc.path, sha256=doc.sha256, format=doc.format, size=doc.size),
        agency=agency[0] if agency else None,
        year=year[0] if year else None,
        template=found.template,
        proactive=data.get("proactive") if found.proactive else None,
        requests=_requests_with_absent_rows(data.get("requests")) if found.requests else None,
        appeals=data.get("appeals") if found.appeals else None,
        summary=summary,
        evidence=evidence,
        checks=reading.notes,
        needs_llm=needs,
        extracted_by=ExtractedBy(method="rules", reader_version=READER_VERSION),
    )


def _conventionally_null(path: str, reading: Reading) -> bool:
    """The single （六）其他处理 layout leaves other_no_correction / other_no_fee null."""
    row = path.split(".")[1] if path.startswith("requests.") else ""
    if row in SINGLE_OTHER_ABSENT_ROWS:
        return all(reading.values.get(f"requests.{row}.{c.key}") is None for c in APPLICANT_COLUMNS) \
            and reading.values.get("requests.other_other.total") is not None
    return False


def _requests_with_absent_rows(requests: dict | None) -> dict | None:
    if requests is None:
        return None
    return {k: (None if isinstance(v, dict) and all(x is None for x in v.values()) else v)
            for k, v in requests.items()}


def _summary_from_tables(data: dict, evidence: dict[str, Span]) -> Summary:
    out = {}
    for field_name, cells in SUMMARY_CELLS.items():
        values = [get_path(data, path) for path in cells]
        if None in values:
            continue
        out[field_name] = sum(values)
        if len(cells) == 1 and cells[0] in evidence:
            evidence[f"summary.{field_name}"] = evidence[cells[0]]
    return Summary(**out)


@cache
def _field_parts() -> tuple[tuple[FieldInfo, tuple[str, ...]], ...]:
    """Every table field with its path split into keys (once, not per document)."""
    return tuple((f, tuple(f.path.split("."))) for f in table_fields())


def _set(data: dict, parts: tuple[str, ...], value) -> None:
    cur = data
    for part in parts[:-1]:
        cur = cur.setdefault(part, {})
    cur[parts[-1]] = value
