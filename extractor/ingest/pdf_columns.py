"""Columns of PDF tables drawn without ruling lines.

Without rulings, a table row is a text line: a label, then numbers at the x positions of their
columns. A blank cell leaves no text, so "3 9 86 98" alone cannot say which columns the numbers
belong to. The numbers of consecutive rows share their columns, though: clustering their x
extents recovers the columns, and each row becomes a grid row with empty cells where the row
printed nothing. Two numbers in one column of one row (a number the PDF split, "1 0") stay
together in that cell; the reader decides with the table's arithmetic."""
from __future__ import annotations

import re
from dataclasses import dataclass

from schemas.grammar import is_value

_HEADING = re.compile(r"^\s*[一二三四五六七八九十]+、")
MAX_PROSE_LABEL = 40  # a longer line without numbers is prose: it ends a table run
MIN_RUN_ROWS = 2      # columns are only inferred from two or more rows with numbers


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    x1: float


def split_label_values(words: list[Word]) -> tuple[list[Word], list[Word]]:
    """Leading label words and the trailing value words of a line."""
    k = len(words)
    while k > 0 and words[k - 1].text.strip() and is_value(words[k - 1].text):  # the cell grammar
        k -= 1
    return words[:k], words[k:]


def table_runs(lines: list[list[Word]]) -> list[tuple[int, int]]:
    """(start, end) index ranges of consecutive lines that form a table without rulings."""
    runs, start, numbered = [], None, 0
    for i, words in enumerate(lines):
        label, values = split_label_values(words)
        text = "".join(w.text for w in label)
        if values:
            if start is None:
                start, numbered = i, 0
            numbered += 1
            continue
        if start is not None and (not words or _HEADING.match(text) or len(text) > MAX_PROSE_LABEL):
            if numbered >= MIN_RUN_ROWS:
                runs.append((start, _last_numbered(lines, start, i)))
            start = None
    if start is not None and numbered >= MIN_RUN_ROWS:
        runs.append((start, _last_numbered(lines, start, len(lines))))
    return runs


def _last_numbered(lines: list[list[Word]], start: int, end: int) -> int:
    last = start
    for i in range(start, end):
        if split_label_values(lines[i])[1]:
            last = i
    return last + 1


def columns(rows: list[list[Word]], tolerance: float) -> list[tuple[float, float]]:
    """x extents of the value columns: overlapping value words (within ``tolerance``) merge."""
    spans = sorted((w.x0, w.x1) for row in rows for w in split_label_values(row)[1])
    out: list[list[float]] = []
    for x0, x1 in spans:
        if out and x0 <= out[-1][1] + tolerance:
            out[-1][1] = max(out[-1][1], x1)
        else:
            out.append([x0, x1])
    return [(a, b) for a, b in out]


def grid_rows(rows: list[list[Word]], tolerance: float) -> list[list[str]] | None:
    """Each line as [label, cell per column] (label-only lines as [label]), or None when the
    columns are not clear (fewer columns than some row has values)."""
    cols = columns(rows, tolerance)
    widest = max(len(split_label_values(r)[1]) for r in rows)
    if len(cols) < 2 or len(cols) < min(widest, 2):
        return None
    out = []
    for row in rows:
        label, values = split_label_values(row)
        label_text = " ".join(w.text for w in label)
        if not values:
            out.append([label_text])
            continue
        cells = [""] * len(cols)
        for w in values:
            k = _column_of(w, cols)
            cells[k] = f"{cells[k]} {w.text}".strip()
        out.append(([label_text] if label_text else []) + cells)
    return out


def _column_of(word: Word, cols: list[tuple[float, float]]) -> int:
    centre = (word.x0 + word.x1) / 2
    return min(range(len(cols)), key=lambda k: 0 if cols[k][0] <= centre <= cols[k][1]
               else min(abs(centre - cols[k][0]), abs(centre - cols[k][1])))


def header_aligned_row(header: list[Word], row: list[Word], tolerance: float) -> list[str] | None:
    """A lone row of values under a header line (表四's one row of 15): each value goes to the
    header word above it, so blank cells keep their place. None unless every value sits under
    a distinct header word and the header has more words than the row has values."""
    label, values = split_label_values(row)
    if label or len(header) <= len(values) or len(values) < 2:
        return None
    cols = [(w.x0 - tolerance, w.x1 + tolerance) for w in header]
    cells = [""] * len(cols)
    for w in values:
        k = _column_of(w, cols)
        lo, hi = cols[k]
        if not lo <= (w.x0 + w.x1) / 2 <= hi or cells[k]:
            return None
        cells[k] = w.text
    return cells
