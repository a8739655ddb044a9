"""Rows of label cells and value cells, and placing a row's values under the template's columns.

A number a PDF split in two is joined only when the row's own arithmetic (total = sum of the
parts, the template's equations over that row) confirms it, and the record says so."""
from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from extractor.check.arithmetic import equations_over, holds
from extractor.locate.labels import normalize_label
from extractor.read.layout import Cell, Row
from schemas import Check
from schemas.grammar import cell_value, fold, is_blank, is_split_number, is_value, parse_number


@dataclass
class Reading:
    """What the reader found: values and spans by field path, and notes for the checker."""

    values: dict[str, float | None] = field(default_factory=dict)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # (start, end) of each value's cell
    notes: list[Check] = field(default_factory=list)

    def put(self, path: str, value: float | None, cell: Cell | None) -> None:
        self.values[path] = value
        if value is not None and cell is not None:
            self.spans[path] = (cell.start, cell.end)

    def put_cells(self, paths: Iterable[str], cells: Iterable[Cell]) -> None:
        """Each cell's value (``cell_value``: a blank marker is 0) at its path: ``put`` for a row."""
        for path, cell in zip(paths, cells):
            value = self.values[path] = cell_value(cell.text)
            if value is not None:
                self.spans[path] = (cell.start, cell.end)


class LabelledRow(NamedTuple):
    """A row split into its label cells and the value cells after the last label (immutable)."""

    labels: tuple[Cell, ...]
    values: tuple[Cell, ...]
    row: Row
    last_label: str = ""    # the most specific label cell, normalised
    joined_label: str = ""  # all label cells together, normalised
    filled: tuple[Cell, ...] = ()  # the value cells that print something

    @classmethod
    def of(cls, labels: tuple[Cell, ...], values: tuple[Cell, ...], row: Row) -> "LabelledRow":
        last = normalize_label(labels[-1].text) if labels else ""
        joined = last if len(labels) == 1 else normalize_label("".join([c.text for c in labels]))
        return cls(labels, values, row, last, joined, tuple([c for c in values if c.text.strip()]))


def label_rows(rows: list[Row]) -> list[LabelledRow]:
    """Split each row into its label cells and the value cells after the last label."""
    out = []
    for row in rows:
        is_label = [_label_like(c.text) for c in row.cells]
        if True in is_label:
            last = len(is_label) - 1 - is_label[::-1].index(True)
            labels = tuple([c for c, label in zip(row.cells, is_label) if label])
        else:
            last, labels = -1, ()
        out.append(LabelledRow.of(labels, tuple(row.cells[last + 1:]), row))
    return out


@lru_cache(maxsize=65536)
def _label_like(text: str) -> bool:
    return bool(text.strip()) and not is_value(text)


def put_row(reading: Reading, prefix: str, columns, cells: tuple[Cell, ...]) -> None:
    """Place a row's value cells under ``columns``, joining split numbers when the row sum
    (last column = sum of the others) confirms it."""
    n = len(columns)
    keys = [f"{prefix}.{c.key}" for c in columns]
    cells = trim(cells, n)
    if len(cells) == n and not any(map(is_split_number, [c.text for c in cells])):
        reading.put_cells(keys, cells)
        return
    resolved = _resolve_split(cells, keys)
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


def put_row_plain(reading: Reading, prefix: str, columns, cells) -> None:
    """Place a row's cells under ``columns`` when the counts agree; else leave the row null."""
    cells = trim(cells, len(columns))
    if len(cells) != len(columns):
        for c in columns:
            reading.values[f"{prefix}.{c.key}"] = None
        return
    reading.put_cells([f"{prefix}.{col.key}" for col in columns], cells)


def trim(cells: tuple[Cell, ...], n: int) -> tuple[Cell, ...]:
    """Drop empty edge cells beyond the ``n`` a row needs (spanned grid positions)."""
    cells = tuple(cells)
    while len(cells) > n and cells[-1].text == "":
        cells = cells[:-1]
    while len(cells) > n and cells[0].text == "":
        cells = cells[1:]
    return cells


def _resolve_split(cells: tuple[Cell, ...], keys: list[str]):
    """Candidate readings of cells where a PDF split numbers ('1', '0' as two cells);
    accepted only when exactly one candidate satisfies the row's own equations."""
    n = len(keys)
    row_equations = equations_over(keys)
    if not row_equations:
        return None
    extra = len(cells) - n
    if extra < 0 or extra > 3:
        return None
    digit_idx = [i for i in range(len(cells) - 1)
                 if fold(cells[i].text).isdigit() and fold(cells[i + 1].text).isdigit()]
    candidates = []
    for joins in itertools.combinations(digit_idx, extra):
        if any(b - a == 1 for a, b in zip(joins, joins[1:])):
            continue
        merged = _merge(cells, joins)
        values = [0.0 if is_blank(t) else parse_number(t) for t, _ in merged]
        if None in values or len(values) != n:
            continue
        if all(holds(dict(zip(keys, values)), eq) for eq in row_equations):
            candidates.append((values, [c for _, c in merged],
                               ", ".join(c.text for (t, c) in merged if " " in c.text)))
    return candidates[0] if len(candidates) == 1 else None


def _merge(cells: tuple[Cell, ...], joins: tuple[int, ...]) -> list[tuple[str, Cell]]:
    """The cells with each pair starting at an index in ``joins`` joined into one number."""
    merged, i = [], 0
    while i < len(cells):
        if i in joins:
            a, b = cells[i], cells[i + 1]
            merged.append((fold(a.text) + fold(b.text), Cell(f"{a.text} {b.text}", a.start, b.end)))
            i += 2
        else:
            c = cells[i]
            merged.append((fold(c.text).replace(" ", ""), c))
            i += 1
    return merged
