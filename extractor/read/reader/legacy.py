"""Pre-2019 statistics sheets (统计表): indicators kept as printed, mapped to summary fields.

A sheet is read from its rows (one value per indicator, or one per column of the header, the
report's year chosen over 历年累计), or, when a crawler ran it together, from its text: each
indicator's digits are split into the header's columns by ``read.decode`` and kept only when one
split satisfies the sheet's relations (year ≤ cumulative; an item under 其中 ≤ its total)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from extractor.locate.labels import normalize_label
from extractor.read.decode import Split, decode_row, digits_of
from extractor.read.layout import Cell
from extractor.read.reader.rows import LabelledRow
from schemas import Check, Record, Span, Summary
from schemas.grammar import UNITS, parse_number
from schemas.legacy import (CUMULATIVE_COLUMN_WORDS, LEGACY_SUMMARY_MAP, PARTS_MARKER, SHEET_COLUMN, SHEET_HEADER,
                            SHEET_ITEM, LegacyIndicator)

_MIN_ITEMS = 3  # indicators a run-together sheet must hold


def with_legacy(record: Record, rows: list[LabelledRow], text: str = "") -> Record:
    """The record with the sheet's indicators and the summary fields they state."""
    header = SHEET_HEADER.search(text)  # found once: both readings need it
    year = _year_column(header)
    read = _run_together_sheet(text, header, year) or _sheet_rows(rows, year)
    indicators = [LegacyIndicator(name=name, unit=unit, value=value) for name, unit, value, _ in read.items]
    spans: dict[str, Cell] = {}
    for name, _, _, cell in read.items:
        if cell is not None:
            spans.setdefault(name, cell)
    summary = record.summary.model_dump()
    evidence = dict(record.evidence)
    for i, (name, _, _, cell) in enumerate(read.items):
        if cell is not None:
            evidence[f"legacy_indicators.{i}.value"] = Span(start=cell.start, end=cell.end, text=cell.text)
    conflicted = prose_conflicts(record.checks)
    for field_name, keywords in LEGACY_SUMMARY_MAP.items():
        found = legacy_match(indicators, keywords)
        # the sheet is the fallback for a figure the prose does not state, not a tie-breaker
        # for one it states two ways (that is the reviewer's call)
        if found is not None and summary.get(field_name) is None and \
                f"summary.{field_name}" not in conflicted:
            hit = indicators[found]
            summary[field_name] = int(hit.value) if hit.value == int(hit.value) else hit.value
            cell = spans[hit.name]
            evidence[f"summary.{field_name}"] = Span(start=cell.start, end=cell.end, text=cell.text)
    needs = [p for p in record.needs_llm
             if not (p.startswith("summary.") and summary.get(p[8:]) is not None)]
    return record.model_copy(update={"legacy_indicators": indicators or None,
                                     "summary": Summary(**summary), "evidence": evidence,
                                     "needs_llm": needs, "checks": list(record.checks) + read.notes})


def prose_conflicts(checks) -> set[str]:
    """The summary paths the prose states in conflicting ways (``reader.prose_conflict``)."""
    return {cell for c in checks if c.rule == "reader.prose_conflict" for cell in c.cells}


@dataclass
class _Sheet:
    items: list[tuple[str, str | None, float | None, Cell | None]]  # name, unit, value, its cell
    notes: list[Check]


def _year_column(header: re.Match[str] | None) -> tuple[int, int] | None:
    """(index of the report year's column, number of value columns) from the sheet's header
    (``SHEET_HEADER``'s match); None when it names no column besides a cumulative one."""
    if header is None:
        return None
    cols = [c.group() for c in SHEET_COLUMN.finditer(header.group("cols"))]
    year = [i for i, c in enumerate(cols) if not any(w in c for w in CUMULATIVE_COLUMN_WORDS)]
    return (year[0], len(cols)) if len(year) == 1 else None


def _sheet_rows(rows: list[LabelledRow], year: tuple[int, int] | None) -> _Sheet:
    """Indicators from sheet rows: one value, or one per header column (the year's is taken)."""
    sheet = _Sheet([], [])
    for r in rows:
        labels = [c for c in r.labels if c.text.strip()]
        values = r.filled
        if len(values) == 1:
            cell = values[0]
        elif year is not None and len(values) == year[1] > 1:
            cell = values[year[0]]
        else:
            continue
        if not labels or parse_number(cell.text) is None:
            continue
        unit = labels[-1].text.strip() if labels[-1].text.strip() in UNITS else None
        name_cells = labels[:-1] if unit else labels
        if not name_cells:
            continue
        name = _indicator_name("".join(c.text for c in name_cells))
        sheet.items.append((name, unit, parse_number(cell.text), Cell(cell.text, cell.start, cell.end)))
    return sheet


@dataclass
class _Item:
    name: str
    unit: str | None
    run: Cell
    total: int | None  # index of the indicator this one is listed under (其中)
    kept: tuple[Split, ...] = ()


def _run_together_sheet(text: str, header: re.Match[str] | None, year: tuple[int, int] | None) -> _Sheet | None:
    """The sheet of a crawler dump that ran it together (``header``: the sheet's header, ``year``:
    its year column); None when the text holds no such sheet."""
    if header is None or year is None:
        return None
    items = _items(text, header.end())
    if len(items) < _MIN_ITEMS:
        return None
    n = year[1]
    cumulative = [i for i in range(n) if i != year[0]] if n > 1 else []
    for it in items:
        res = decode_row(digits_of(it.run.text, it.run.start), n)
        it.kept = () if res.exhausted else tuple(
            s for s in res.candidates if all(s.values[year[0]] <= s.values[c] for c in cumulative))
    _narrow_by_totals(items)
    sheet = _Sheet([], [])
    for it in items:
        if len(it.kept) == 1:
            value, (start, end) = it.kept[0].values[year[0]], it.kept[0].spans[year[0]]
            sheet.items.append((it.name, it.unit, float(value), Cell(text[start:end], start, end)))
            continue
        sheet.items.append((it.name, it.unit, None, None))
        shown = "; ".join("|".join(map(str, s.values)) for s in it.kept[:8]) or "none"
        sheet.notes.append(Check(rule="reader.ambiguous", severity="warning", cells=[f"legacy.{it.name}"],
                                 message=f"统计表 {it.name}: run-together figures {it.run.text!r} split "
                                         f"into {n} columns several ways or none ({shown}); left null"))
    return sheet


def _items(text: str, start: int) -> list[_Item]:
    """The sheet's indicators after its header, each with its digit run (a next label's fused
    numbering "2." cut off the run) and the total it is listed under."""
    items: list[_Item] = []
    pos, total, number = start, None, None
    while True:
        m = SHEET_ITEM.match(text, pos) or SHEET_ITEM.match(text, _skip_space(text, pos))
        if m is None:
            break
        if m.group("parts"):
            total = len(items) - 1 if items else None
        elif m.group("no") is None:
            total = None
        number = int(m.group("no")) if m.group("no") else None
        run_start, run_end = m.start("run"), m.end("run")
        nxt = str(number + 1) if number is not None else "1"
        if text[run_end:run_end + 1] in ".．、" and text[run_start:run_end].endswith(nxt) \
                and run_end - len(nxt) > run_start:
            run_end -= len(nxt)  # the next label's number: "62620272.政府公报" = 6262027 + "2."
        run = text[run_start:run_end].rstrip()
        items.append(_Item(_indicator_name(m.group("name")), m.group("unit"),
                           Cell(run, run_start, run_start + len(run)), total if m.group("no") else None))
        pos = run_end
    return items


def _indicator_name(printed: str) -> str:
    """An indicator's name without 其中 and its numbering: "其中：1.政府网站公开数" → "政府网站公开数"."""
    return normalize_label(PARTS_MARKER.sub("", printed))


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\u3000":
        pos += 1
    return pos


def _narrow_by_totals(items: list[_Item]) -> None:
    """Keep the splits of each total and each of its items that can hold together: an item is at
    most its total in every column. Repeated until nothing changes."""
    def fits(part: Split, whole: Split) -> bool:
        return all(p <= w for p, w in zip(part.values, whole.values))

    changed = True
    while changed:
        changed = False
        for it in items:
            if it.total is None:
                continue
            whole = items[it.total]
            kept_whole = tuple(w for w in whole.kept if any(fits(p, w) for p in it.kept))
            kept_part = tuple(p for p in it.kept if any(fits(p, w) for w in whole.kept))
            if (kept_whole, kept_part) != (whole.kept, it.kept):
                whole.kept, it.kept, changed = kept_whole, kept_part, True


def legacy_match(indicators: list[LegacyIndicator], keywords: tuple[str, ...]) -> int | None:
    """Index of the indicator named by the earliest keyword (synonyms, most specific first)."""
    names = [normalize_label(i.name) if i.value is not None else None for i in indicators]
    for keyword in keywords:
        key = normalize_label(keyword)
        hit = next((n for n, name in enumerate(names) if name is not None and key in name), None)
        if hit is not None:
            return hit
    return None
