"""The arithmetic relations (勾稽关系) of ``schemas.template``, evaluated on a record.

The equations themselves are declared once in :mod:`schemas.template`; this module only adds them
up. Null handling follows the contract:

* a table that is null is not checked;
* a row (or 表四 group) that is entirely null (null itself, or all its cells null) — e.g.
  ``other_no_correction`` / ``other_no_fee`` in the single （六）其他处理 layout — is absent and
  counts as 0; an equation made only of absent cells (the row sum of an absent row) is skipped;
* a null cell inside a present row makes its equations unverifiable: one ``arithmetic.unverifiable``
  warning per table lists those cells (not an error: the reader left a gap, the report may be fine).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Literal, NamedTuple

from extractor.check.values import TableCells, table_cells
from schemas import Check, Record
from schemas.template import Equation, equations, table_fields

from schemas.grammar import format_number, same_number

State = Literal["ok", "mismatch", "unverifiable", "absent"]
UNVERIFIABLE = "arithmetic.unverifiable"


class Side(NamedTuple):
    """One side of an equation: its sum, or None when a cell is unknown. (Frozen results are
    NamedTuples here: a record evaluates dozens of equations, and they build 2× faster.)"""

    total: float | None
    null_cells: tuple[str, ...]
    absent: bool  # every cell of this side lies in an absent row


class EquationResult(NamedTuple):
    equation: Equation
    left: Side
    right: Side
    state: State


def table_of(path: str) -> str:
    return path.split(".", 1)[0]


Cells = dict[str, tuple[float | None, bool]]  # path → (value, row is absent)


def cell_values(record: Record, cells: TableCells | None = None) -> Cells:
    """Every 表三/表四 cell's value and whether its row is absent (``cells``: ``table_cells(record)``
    when the caller has it already)."""
    cells = table_cells(record) if cells is None else cells
    out: Cells = {}
    for paths in _row_paths():
        absent = all(cells[p] is None for p in paths)
        for p in paths:
            out[p] = (None if absent else cells[p], absent)
    return out


@cache
def _row_paths() -> tuple[tuple[str, ...], ...]:
    """The cell paths of each 表三 row and 表四 group, the rows equations add up."""
    rows: dict[str, list[str]] = {}
    for field in table_fields():
        table, row, *_ = field.path.split(".")
        if table in ("requests", "appeals"):
            rows.setdefault(f"{table}.{row}", []).append(field.path)
    return tuple(tuple(paths) for paths in rows.values())


_MISSING = (None, True)  # a cell of a missing row: its row is absent


def read_cell(cells: Cells, path: str) -> tuple[float | None, bool]:
    """The value at ``path`` and whether its row is absent (a missing row is absent)."""
    return cells.get(path, _MISSING)


def sum_side(cells: Cells, paths: tuple[str, ...]) -> Side:
    total, nulls, absent = 0.0, [], 0
    for path in paths:
        value, row_absent = cells.get(path, _MISSING)  # read_cell, inlined: the checker's inner loop
        if row_absent:
            absent += 1  # an absent row counts as 0
        elif value is None:
            nulls.append(path)
        else:
            total += value
    return Side(None if nulls else total, tuple(nulls), absent == len(paths))


def evaluate(cells: Cells, equation: Equation) -> EquationResult:
    """Add up both sides of one equation."""
    left = sum_side(cells, equation.left)
    right = sum_side(cells, equation.right)
    if left.absent and right.absent:
        state: State = "absent"
    elif left.total is None or right.total is None:
        state = "unverifiable"
    elif same_number(left.total, right.total):
        state = "ok"
    else:
        state = "mismatch"
    return EquationResult(equation, left, right, state)


def holds(values: Mapping[str, float | None], equation: Equation) -> bool | None:
    """Whether ``equation`` holds over plain ``path → value`` cells (a candidate reading, an LLM
    answer): True/False, None when a cell is unknown. The one evaluator: the checker, the LLM
    validator and the reader's split-number resolver all add equations up here."""
    cells: Cells = {path: (value, False) for path, value in values.items()}
    state = evaluate(cells, equation).state
    return {"ok": True, "mismatch": False}.get(state)


def equations_over(paths: Iterable[str], template: str = "gov2021") -> list[Equation]:
    """The template's equations whose every cell is among ``paths``."""
    known = set(paths)
    return [eq for eq in equations(template) if all(p in known for p in eq.cells)]


def evaluate_record(record: Record, cells: TableCells | None = None) -> list[EquationResult]:
    """Every equation of the record's template whose table is present."""
    values = cell_values(record, cells)
    return [
        evaluate(values, eq)
        for eq in equations(record.template)
        if getattr(record, table_of(eq.left[0]), None) is not None
    ]


def side_labels(equation: Equation) -> tuple[str, str, str]:
    """``(left label, right label, "[item]")`` taken from the relation title in the template."""
    base, bracket, item = equation.title.partition(" [")
    left, _, right = base.partition(" = ")
    return left, right, (f"[{item}" if bracket else "")


def mismatch_message(result: EquationResult) -> str:
    left, right, item = side_labels(result.equation)
    text = (f"{left} = {format_number(result.left.total)} but "
            f"{right} = {format_number(result.right.total)}")
    return f"{text} {item}".rstrip()


def mismatch_check(result: EquationResult) -> Check:
    return Check(
        rule=result.equation.rule,
        severity="error",
        cells=list(result.equation.cells),
        message=mismatch_message(result),
        left=result.left.total,
        right=result.right.total,
    )


def unverifiable_checks(results: list[EquationResult]) -> list[Check]:
    """One warning per table, listing the null cells that stop its equations being verified."""
    by_table: dict[str, dict[str, None]] = {}
    counts: dict[str, int] = {}
    for result in results:
        if result.state != "unverifiable":
            continue
        table = table_of(result.equation.left[0])
        cells = by_table.setdefault(table, {})
        cells.update(dict.fromkeys(result.left.null_cells + result.right.null_cells))
        counts[table] = counts.get(table, 0) + 1
    return [
        Check(rule=UNVERIFIABLE, severity="warning", cells=list(cells),
              message=(f"{table}: {len(cells)} null cell(s) leave {counts[table]} equation(s) "
                       f"unverifiable: {', '.join(cells)}"))
        for table, cells in by_table.items()
    ]


def check_arithmetic(record: Record, cells: TableCells | None = None) -> list[Check]:
    """Errors for equations that do not hold; warnings for those that cannot be verified."""
    results = evaluate_record(record, cells)
    errors = [mismatch_check(r) for r in results if r.state == "mismatch"]
    return errors + unverifiable_checks(results)


def equation_status(record: Record) -> list[dict]:
    """Each concrete equation of the record, for the review UI: its cells, both sums and state.

    ``ok`` is True/False when the equation could be evaluated and None otherwise
    (``state`` is then ``unverifiable`` or ``absent``)."""
    out = []
    for result in evaluate_record(record):
        left_label, right_label, item = side_labels(result.equation)
        out.append({
            "rule": result.equation.rule,
            "title": result.equation.title,
            "left_label": left_label,
            "right_label": right_label,
            "item": item.strip("[]"),
            "left_cells": list(result.equation.left),
            "right_cells": list(result.equation.right),
            "cells": list(result.equation.cells),
            "null_cells": list(result.left.null_cells + result.right.null_cells),
            "left": result.left.total,
            "right": result.right.total,
            "state": result.state,
            "ok": {"ok": True, "mismatch": False}.get(result.state),
        })
    return out
