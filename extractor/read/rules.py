"""The deterministic reader: the national tables read straight from the normalized text.

It matches row labels against the template (schemas.template), takes the value cells that
follow each label, and records the span of every value. A cell it cannot place stays null and
is listed in ``needs_llm``; a number a PDF split in two is joined only when the table's own
arithmetic confirms it (and the record says so)."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from extractor import __version__
from extractor.locate.labels import best_match, first_match, normalize_label
from extractor.locate.meta import find_agency, find_year
from extractor.locate.template import is_legacy_sheet, proactive_form
from extractor.read.layout import Cell, Row, split_rows
from schemas.grammar import UNITS, cell_value, fold, is_blank, is_split_number, is_value, parse_number
from schemas import Check, Document, ExtractedBy, Record, Source, Span, Summary
from schemas.gov2019 import Proactive2019, Proactive2019Row
from schemas.legacy import LEGACY_SUMMARY_MAP, LegacyIndicator
from schemas.template import (
    APPEAL_COLUMNS,
    APPEAL_GROUPS,
    APPLICANT_COLUMNS,
    PROACTIVE_DOC_COLUMNS,
    PROACTIVE_DOC_ROWS,
    PROACTIVE_SINGLE_ROWS,
    PROACTIVE_2019_ROW_KEYWORDS,
    PROSE_SUMMARY_FIELDS,
    REQUEST_ROWS,
    SINGLE_OTHER_ABSENT_ROWS,
    SUMMARY_CELLS,
    table_fields,
)

READER_VERSION = f"rules-{__version__}"


@dataclass
class Reading:
    """What the reader found: values and spans by field path, and notes for the checker."""

    values: dict[str, float | None] = field(default_factory=dict)
    spans: dict[str, dict] = field(default_factory=dict)  # Span fields; validated once by Record
    notes: list[Check] = field(default_factory=list)

    def put(self, path: str, value: float | None, cell: Cell | None) -> None:
        self.values[path] = value
        if value is not None and cell is not None:
            self.spans[path] = {"start": cell.start, "end": cell.end, "text": cell.text}


@dataclass(frozen=True)
class LabelledRow:
    labels: tuple[Cell, ...]
    values: tuple[Cell, ...]
    row: Row
    last_label: str = ""    # the most specific label cell, normalised
    joined_label: str = ""  # all label cells together, normalised

    @classmethod
    def of(cls, labels: tuple[Cell, ...], values: tuple[Cell, ...], row: Row) -> "LabelledRow":
        return cls(labels, values, row,
                   normalize_label(labels[-1].text) if labels else "",
                   normalize_label("".join(c.text for c in labels)))


def label_rows(rows: list[Row]) -> list[LabelledRow]:
    """Split each row into its label cells and the value cells after the last label."""
    out = []
    for row in rows:
        last = max((i for i, c in enumerate(row.cells) if c.text.strip() and not _value_like(c)),
                   default=-1)
        labels = tuple(c for c in row.cells[: last + 1] if c.text.strip() and not _value_like(c))
        out.append(LabelledRow.of(labels, tuple(row.cells[last + 1:]), row))
    return out


def _value_like(cell: Cell) -> bool:
    return is_value(cell.text)


# --------------------------------------------------------------------------------------------
def read_document(doc: Document) -> Record:
    """Read one normalized document into a record (no checks yet)."""
    rows = label_rows(split_rows(doc.text))
    reading = Reading()
    reading.notes.extend(note for r in rows for note in r.row.notes)  # run-together cells decoded
    req_span = read_requests(rows, reading)
    after = req_span[1] if req_span else 0
    appeals_found = read_appeals(rows[after:], reading)
    before = req_span[0] if req_span else len(rows)
    form = proactive_form(doc.text)
    proactive_found = read_proactive(rows[:before], reading) if form != "gov2019" else False
    template = _template(doc, form, req_span is not None or proactive_found, appeals_found)
    record = _assemble(doc, reading, template, req_span is not None, appeals_found,
                       proactive_found and template == "gov2021")
    if template == "gov2019":
        record = record.model_copy(update={"proactive_2019": read_proactive_2019(rows[:before])})
    if template == "legacy":
        record = _with_legacy(record, rows)
    return record


def _template(doc: Document, form: str | None, has_requests: bool, has_appeals: bool) -> str:
    if has_requests or (form and has_appeals):
        if form:
            return form
        year = find_year(doc.text)
        return "gov2019" if year and year[0] < 2021 else "gov2021"
    if is_legacy_sheet(doc.text):
        return "legacy"
    return "unknown"


# ---- 表三 -----------------------------------------------------------------------------------
def read_requests(rows: list[LabelledRow], reading: Reading) -> tuple[int, int] | None:
    """Fill requests.* from 表三; returns (first row, row after the table) or None.

    Rows are matched to the template in order. A label on a row of its own is joined with the
    next row's label (labels broken over lines); values on a row of their own belong to the
    label just before them, or, when none is pending, to the label right after them (a PDF
    that printed a row's numbers above its label)."""
    start = next((i for i, r in enumerate(rows) if "本年新收" in r.joined_label), None)
    if start is None:
        return None
    order = {lab.key: i for i, lab in enumerate(REQUEST_ROWS)}
    pointer, orphan, end = -1, None, len(rows)
    pending: list[str] = []  # label fragments seen since the last row with values

    def match(label: str):
        return best_match(REQUEST_ROWS[pointer + 1:], label)  # template order: only rows ahead

    for i in range(start, len(rows)):
        r = rows[i]
        if i > start and _is_appeals_header(r):
            end = i
            break
        # a row of empty cells is a row of zeros when the grid shows all of its cells
        has_values = any(c.text.strip() for c in r.values) or (
            bool(r.labels) and len(r.values) >= len(APPLICANT_COLUMNS))
        if not has_values:
            if not r.labels:
                continue
            lab = match(r.last_label) or match(r.joined_label)
            if lab is not None and orphan is not None:
                pointer = order[lab.key]
                _put_row(reading, f"requests.{lab.key}", APPLICANT_COLUMNS, orphan.values)
                orphan, pending = None, []
                continue
            fragment = _without_group_labels(r.joined_label)
            pending = [fragment] if lab is not None else pending + [fragment]
            continue
        lab = (match(r.last_label) or match(r.joined_label)) if r.labels else None
        if lab is not None and r.last_label in _GROUP_LABELS and pending:
            lab = None  # "（六）其他处理" beside the numbers, the row's own label above/below them
        if lab is None:
            # the row's label is around its numbers: lines above (a label broken over lines),
            # below (a PDF that printed the numbers first) or both (a label centred on the row,
            # maybe with its group label beside the numbers). The first template row ahead
            # named there is theirs.
            around = "".join(_without_group_labels(normalize_label(c.text)) for c in r.labels)
            around = "".join(pending) + around + _labels_below(rows, i)
            lab = first_match(REQUEST_ROWS[pointer + 1:], around) if around else None
        if lab is None and r.labels and r.last_label in _GROUP_LABELS:
            lab = match(r.last_label)
        if lab is None and not r.labels:
            full = len([c for c in r.values if c.text.strip()]) >= len(APPLICANT_COLUMNS)
            orphan = r if full else None
            continue
        pending, orphan = [], None
        if lab is None:
            continue
        pointer = order[lab.key]
        _put_row(reading, f"requests.{lab.key}", APPLICANT_COLUMNS, r.values)
        if lab.key == "carried_forward":
            end = i + 1
            break
    return start, end


_GROUP_LABELS = tuple(sorted({normalize_label(lab.group) for lab in REQUEST_ROWS if lab.group}, key=len,
                             reverse=True))


def _without_group_labels(norm: str) -> str:
    for group in _GROUP_LABELS:
        norm = norm.replace(group, "")
    return norm


def _labels_below(rows: list[LabelledRow], i: int, depth: int = 3) -> str:
    """Normalised labels of the label-only rows right after row ``i`` (up to ``depth``)."""
    parts = []
    for r in rows[i + 1: i + 1 + depth]:
        if any(c.text.strip() for c in r.values) or not r.labels:
            break
        parts.append(_without_group_labels(r.joined_label))
    return "".join(parts)


def _is_appeals_header(r: LabelledRow) -> bool:
    text = r.joined_label
    return "行政复议" in text and ("行政诉讼" in text or "维持" in text)


def _put_row(reading: Reading, prefix: str, columns, cells: tuple[Cell, ...]) -> None:
    """Place a row's value cells under ``columns``, joining split numbers when the row sum
    (last column = sum of the others) confirms it."""
    n = len(columns)
    keys = [f"{prefix}.{c.key}" for c in columns]
    cells = _trim(cells, n)
    if len(cells) == n and not any(is_split_number(c.text) for c in cells):
        values = [_cell_value(c) for c in cells]
        for key, value, cell in zip(keys, values, cells):
            reading.put(key, value, cell)
        return
    resolved = _resolve_split(cells, n)
    if resolved is not None:
        values, spans, how = resolved
        for key, value, cell in zip(keys, values, spans):
            reading.put(key, value, cell)
        reading.notes.append(Check(
            rule="reader.split_number", severity="info", cells=keys,
            message=f"{prefix}: joined {how} so that the row's total equals the sum of its parts"))
        return
    for key in keys:
        reading.values[key] = None
    reading.notes.append(Check(
        rule="reader.unplaced", severity="warning", cells=keys,
        message=f"{prefix}: found {len(cells)} value cells ({' | '.join(c.text for c in cells)}) "
                f"for {n} columns; left null"))


def _trim(cells: tuple[Cell, ...], n: int) -> tuple[Cell, ...]:
    cells = tuple(cells)
    while len(cells) > n and cells[-1].text == "":
        cells = cells[:-1]
    while len(cells) > n and cells[0].text == "":
        cells = cells[1:]
    return cells


def _cell_value(cell: Cell) -> float | None:
    return cell_value(cell.text)


def _resolve_split(cells: tuple[Cell, ...], n: int):
    """Candidate readings of cells where a PDF split numbers ('1 0' in one cell, or '1', '0' as
    two cells); accepted only when exactly one candidate satisfies total = sum(parts)."""
    tokens: list[list[Cell]] = []
    for c in cells:
        if is_split_number(c.text):
            tokens.append([c])  # a split inside one cell: join its digits
        else:
            tokens.append([c])
    candidates = []
    extra = len(tokens) - n
    if extra < 0 or extra > 3:
        return None
    digit_idx = [i for i in range(len(tokens) - 1)
                 if fold(tokens[i][0].text).isdigit() and fold(tokens[i + 1][0].text).isdigit()]
    for joins in itertools.combinations(digit_idx, extra):
        if any(b - a == 1 for a, b in zip(joins, joins[1:])):
            continue
        merged, i = [], 0
        while i < len(tokens):
            if i in joins:
                a, b = tokens[i][0], tokens[i + 1][0]
                merged.append((fold(a.text) + fold(b.text), Cell(f"{a.text} {b.text}", a.start, b.end)))
                i += 2
            else:
                c = tokens[i][0]
                merged.append((fold(c.text).replace(" ", ""), c))
                i += 1
        values = [0.0 if is_blank(t) else parse_number(t) for t, _ in merged]
        if None in values or len(values) != n:
            continue
        if abs(sum(values[:-1]) - values[-1]) < 1e-6:
            candidates.append((values, [c for _, c in merged],
                               ", ".join(c.text for (t, c) in merged if " " in c.text)))
    if len(candidates) == 1:
        return candidates[0]
    return None


# ---- 表四 -----------------------------------------------------------------------------------
_APPEALS_CELLS = len(APPEAL_GROUPS) * len(APPEAL_COLUMNS)
_APPEALS_WINDOW = 40  # rows after 表四's first header row that may still be its header or values


def read_appeals(rows: list[LabelledRow], reading: Reading) -> bool:
    """Fill appeals.* from 表四: one row of 15 values after the header, or one row per group."""
    header = next((i for i, r in enumerate(rows) if _is_appeals_header(r)), None)
    if header is None:
        return False
    window = rows[header:header + _APPEALS_WINDOW]
    per_group = _appeals_by_group(window)
    if per_group:
        for key, r in per_group.items():
            _put_row(reading, f"appeals.{key}", APPEAL_COLUMNS, r.values)
        return True
    cells: list[Cell] = []
    empty_grid: tuple[Cell, ...] | None = None  # a row of 15 blank cells: zeros, unless values follow
    for r in window[1:]:
        if r.labels:
            if cells:
                break
            continue
        full_grid = len(r.values) >= _APPEALS_CELLS
        if not any(c.text.strip() for c in r.values):
            if full_grid and empty_grid is None and not cells:
                empty_grid = _trim(tuple(r.values), _APPEALS_CELLS)
            continue
        cells.extend(_trim(tuple(r.values), _APPEALS_CELLS) if full_grid
                     else [c for c in r.values if c.text.strip()])
        if len(cells) >= _APPEALS_CELLS:
            break
    if not cells and empty_grid is not None:
        cells = list(empty_grid)
    if not cells:
        return False
    width = len(APPEAL_COLUMNS)
    if len(cells) == 3 * width:
        for g, grp in enumerate(APPEAL_GROUPS):
            _put_row(reading, f"appeals.{grp.key}", APPEAL_COLUMNS,
                     tuple(cells[g * width:(g + 1) * width]))
        return True
    for grp in APPEAL_GROUPS:
        for col in APPEAL_COLUMNS:
            reading.values[f"appeals.{grp.key}.{col.key}"] = None
    reading.notes.append(Check(
        rule="reader.unplaced", severity="warning", cells=[],
        message=f"表四: found {len(cells)} value cells for 15 columns; left null"))
    return True


def _appeals_by_group(rows: list[LabelledRow]) -> dict[str, LabelledRow]:
    found = {}
    for r in rows:
        if len([c for c in r.values if c.text.strip()]) >= 4:
            lab = best_match(APPEAL_GROUPS, r.joined_label)
            if lab is not None and lab.key not in found:
                found[lab.key] = r
    return found if len(found) == len(APPEAL_GROUPS) else {}


# ---- 表二 -----------------------------------------------------------------------------------
def read_proactive(rows: list[LabelledRow], reading: Reading) -> bool:
    """Fill proactive.* (2021 columns) from the rows before 表三."""
    found = False
    for lab in PROACTIVE_DOC_ROWS:
        r = _first_row_with_values(rows, lab, 3)
        if r is not None:
            _put_row_plain(reading, f"proactive.{lab.key}", PROACTIVE_DOC_COLUMNS, r.values)
            found = True
    bare: list[tuple[str, LabelledRow]] = []
    for lab in PROACTIVE_SINGLE_ROWS:
        r = _first_row_with_values(rows, lab, 1)
        path = f"proactive.{lab.key}"
        if r is not None:
            cell = _trim(r.values, 1)[0]
            reading.put(path, _cell_value(cell), cell)
            found = True
        elif (r := _bare_label_row(rows, lab)) is not None:
            bare.append((path, r))
    if found:
        _put_bare_rows(reading, bare)
    return found


def _bare_label_row(rows: list[LabelledRow], lab) -> LabelledRow | None:
    """A line that is exactly a one-value row's label with nothing after it."""
    target = normalize_label(lab.text)
    return next((r for r in rows if not r.values and len(r.labels) == 1
                 and r.last_label == target), None)


def _put_bare_rows(reading: Reading, bare: list[tuple[str, LabelledRow]]) -> None:
    """In a 表二 that is present, a row label printed with nothing after it is a blank cell (= 0)
    in a layout that drops empty cells (PDF text); said in an info check, not silently."""
    for path, r in bare:
        end = r.labels[-1].end
        reading.put(path, 0.0, Cell("", end, end))
    if bare:
        reading.notes.append(Check(
            rule="reader.blank_row", severity="info", cells=[p for p, _ in bare],
            message="表二 rows printed with no value in a present table were read as blank (0)"))


def read_proactive_2019(rows: list[LabelledRow]) -> Proactive2019 | None:
    """表二 of the 2019 form, kept as labelled rows of numbers (its columns differ from 2021's)."""
    out = []
    for r in rows:
        label = r.last_label
        vals = [c for c in r.values if c.text.strip()]
        if vals and len(r.labels) <= 3 and any(k in label for k in PROACTIVE_2019_ROW_KEYWORDS):
            out.append(Proactive2019Row(label=label, values=[_cell_value(c) for c in r.values]))
    return Proactive2019(rows=out) if out else None


def _first_row_with_values(rows: list[LabelledRow], lab, n: int) -> LabelledRow | None:
    for r in rows:
        shown = any(c.text.strip() for c in r.values) or len(r.values) >= n  # empty grid = zeros
        if best_match((lab,), r.last_label) and len(r.values) >= n and shown and len(r.labels) <= 3:
            return r
    return None


def _put_row_plain(reading: Reading, prefix: str, columns, cells) -> None:
    cells = _trim(cells, len(columns))
    if len(cells) != len(columns):
        for c in columns:
            reading.values[f"{prefix}.{c.key}"] = None
        return
    for col, cell in zip(columns, cells):
        reading.put(f"{prefix}.{col.key}", _cell_value(cell), cell)


# ---- legacy 统计表 ---------------------------------------------------------------------------


def _with_legacy(record: Record, rows: list[LabelledRow]) -> Record:
    indicators, spans = [], {}
    summary = record.summary.model_dump()
    evidence = dict(record.evidence)
    for r in rows:
        labels = [c for c in r.labels if c.text.strip()]
        values = [c for c in r.values if c.text.strip()]
        if not labels or len(values) != 1 or parse_number(values[0].text) is None:
            continue
        unit = labels[-1].text.strip() if labels[-1].text.strip() in UNITS else None
        name_cells = labels[:-1] if unit else labels
        if not name_cells:
            continue
        name = normalize_label("".join(c.text for c in name_cells))
        value = parse_number(values[0].text)
        indicators.append(LegacyIndicator(name=name, unit=unit, value=value))
        spans.setdefault(name, values[0])
    for field_name, keywords in LEGACY_SUMMARY_MAP.items():
        hit = next((i for i in indicators if any(k in i.name for k in keywords)), None)
        if hit is not None and summary.get(field_name) is None:
            summary[field_name] = int(hit.value) if hit.value == int(hit.value) else hit.value
            cell = spans[hit.name]
            evidence[f"summary.{field_name}"] = Span(start=cell.start, end=cell.end, text=cell.text)
    needs = [p for p in record.needs_llm if not (p.startswith("summary.") and summary.get(p[8:]) is not None)]
    return record.model_copy(update={"legacy_indicators": indicators or None,
                                     "summary": Summary(**summary), "evidence": evidence,
                                     "needs_llm": needs})


# ---- assembly -------------------------------------------------------------------------------
def _assemble(doc: Document, reading: Reading, template: str, has_requests: bool,
              has_appeals: bool, has_proactive: bool) -> Record:
    data: dict = {}
    present = {"requests": has_requests, "appeals": has_appeals, "proactive": has_proactive}
    needs: list[str] = []
    for f in table_fields():
        table = f.path.split(".")[0]
        if not present[table]:
            continue
        value = reading.values.get(f.path)
        if value is not None and not f.decimal:
            value = int(value) if value == int(value) else value
        _set(data, f.path, value)
        if value is None and not _conventionally_null(f.path, reading):
            needs.append(f.path)
    evidence = dict(reading.spans)
    summary = _summary_from_tables(data, evidence)
    needs += [f"summary.{k}" for k in PROSE_SUMMARY_FIELDS]
    agency, year = find_agency(doc.text), find_year(doc.text)
    if agency:
        evidence["agency"] = Span(start=agency[1], end=agency[2], text=doc.text[agency[1]:agency[2]])
    if year and doc.text[year[1]:year[2]] == str(year[0]):
        evidence["year"] = Span(start=year[1], end=year[2], text=str(year[0]))
    needs += [k for k, v in (("agency", agency), ("year", year)) if v is None]
    if template == "unknown":
        needs += ["template", "proactive", "requests", "appeals"]
    return Record(
        source=Source(path=doc.path, sha256=doc.sha256, format=doc.format, size=doc.size),
        agency=agency[0] if agency else None,
        year=year[0] if year else None,
        template=template,
        proactive=data.get("proactive") if has_proactive else None,
        requests=_requests_with_absent_rows(data.get("requests")) if has_requests else None,
        appeals=data.get("appeals") if has_appeals else None,
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
    def get(path: str):
        cur = data
        for part in path.split("."):
            if not isinstance(cur, dict):
                return None
            cur = cur.get(part)
        return cur

    out = {}
    for field_name, cells in SUMMARY_CELLS.items():
        values = [get(path) for path in cells]
        if None in values:
            continue
        out[field_name] = sum(values)
        if len(cells) == 1 and cells[0] in evidence:
            evidence[f"summary.{field_name}"] = evidence[cells[0]]
    return Summary(**out)


def _set(data: dict, path: str, value) -> None:
    parts = path.split(".")
    cur = data
    for part in parts[:-1]:
        cur = cur.setdefault(part, {})
    cur[parts[-1]] = value
