"""表二 (主动公开政府信息情况): the 2021 columns by row label; the 2019 form as labelled rows."""
from __future__ import annotations

from extractor.locate.labels import names, normalize_label
from extractor.read.layout import Cell
from extractor.read.reader.rows import LabelledRow, Reading, put_row_plain, trim
from schemas import Check
from schemas.gov2019 import Proactive2019, Proactive2019Row
from schemas.grammar import cell_value
from schemas.template import (
    PROACTIVE_2019_ROW_KEYWORDS,
    PROACTIVE_DOC_COLUMNS,
    PROACTIVE_DOC_ROWS,
    PROACTIVE_SINGLE_ROWS,
)


def read_proactive(rows: list[LabelledRow], reading: Reading) -> bool:
    """Fill proactive.* (2021 columns) from the rows of 表二's section."""
    found = False
    for lab in PROACTIVE_DOC_ROWS:
        r = _first_row_with_values(rows, lab, len(PROACTIVE_DOC_COLUMNS))
        if r is not None:
            put_row_plain(reading, f"proactive.{lab.key}", PROACTIVE_DOC_COLUMNS, r.values)
            found = True
    bare: list[tuple[str, LabelledRow]] = []
    for lab in PROACTIVE_SINGLE_ROWS:
        r = _first_row_with_values(rows, lab, 1)
        path = f"proactive.{lab.key}"
        if r is not None:
            cell = trim(r.values, 1)[0]
            reading.put(path, cell_value(cell.text), cell)
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
        if r.filled and len(r.labels) <= 3 and any(k in label for k in PROACTIVE_2019_ROW_KEYWORDS):
            out.append(Proactive2019Row(label=label, values=[cell_value(c.text) for c in r.values]))
    return Proactive2019(rows=out) if out else None


def _first_row_with_values(rows: list[LabelledRow], lab, n: int) -> LabelledRow | None:
    for r in rows:
        # n value cells (an empty grid = zeros) under at most 3 label cells, the last naming ``lab``
        if len(r.values) >= n and len(r.labels) <= 3 and names(lab, r.last_label):
            return r
    return None
