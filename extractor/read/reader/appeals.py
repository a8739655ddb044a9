"""表四 (行政复议、行政诉讼): one row of 15 values after the header, or one row per group."""
from __future__ import annotations

from extractor.locate.labels import best_match
from extractor.read.layout import Cell
from extractor.read.reader.requests import is_appeals_header
from extractor.read.reader.rows import LabelledRow, Reading, put_row, trim
from schemas import Check
from schemas.template import APPEAL_COLUMNS, APPEAL_GROUPS

_APPEALS_CELLS = len(APPEAL_GROUPS) * len(APPEAL_COLUMNS)
_APPEALS_WINDOW = 40  # rows after 表四's first header row that may still be its header or values


def read_appeals(rows: list[LabelledRow], reading: Reading) -> bool:
    """Fill appeals.* from 表四; False when no 表四 header is found."""
    header = next((i for i, r in enumerate(rows) if is_appeals_header(r)), None)
    if header is None:
        return False
    window = rows[header:header + _APPEALS_WINDOW]
    per_group = _appeals_by_group(window)
    if per_group:
        for key, r in per_group.items():
            put_row(reading, f"appeals.{key}", APPEAL_COLUMNS, r.values)
        return True
    cells = _value_run(window[1:])
    if not cells:
        return False
    width = len(APPEAL_COLUMNS)
    if len(cells) == len(APPEAL_GROUPS) * width:
        for g, grp in enumerate(APPEAL_GROUPS):
            put_row(reading, f"appeals.{grp.key}", APPEAL_COLUMNS,
                    tuple(cells[g * width:(g + 1) * width]))
        return True
    for grp in APPEAL_GROUPS:
        for col in APPEAL_COLUMNS:
            reading.values[f"appeals.{grp.key}.{col.key}"] = None
    reading.notes.append(Check(
        rule="reader.unplaced", severity="warning", cells=[],
        message=f"表四: found {len(cells)} value cells for {_APPEALS_CELLS} columns; left null"))
    return True


def _value_run(window: list[LabelledRow]) -> list[Cell]:
    """The value cells after the header (a row of blank cells is zeros unless values follow)."""
    cells: list[Cell] = []
    empty_grid: tuple[Cell, ...] | None = None
    for r in window:
        if r.labels:
            if cells:
                break
            continue
        full_grid = len(r.values) >= _APPEALS_CELLS
        if not r.filled:
            if full_grid and empty_grid is None and not cells:
                empty_grid = trim(tuple(r.values), _APPEALS_CELLS)
            continue
        cells.extend(trim(tuple(r.values), _APPEALS_CELLS) if full_grid else r.filled)
        if len(cells) >= _APPEALS_CELLS:
            break
    if not cells and empty_grid is not None:
        cells = list(empty_grid)
    return cells


def _appeals_by_group(rows: list[LabelledRow]) -> dict[str, LabelledRow]:
    found = {}
    for r in rows:
        if len(r.filled) >= len(APPEAL_COLUMNS) - 1:
            lab = best_match(APPEAL_GROUPS, r.joined_label)
            if lab is not None and lab.key not in found:
                found[lab.key] = r
    return found if len(found) == len(APPEAL_GROUPS) else {}
