"""Cell streams: a table printed one cell per line with a trailing '|', as web-page text dumps
of government sites render HTML tables ("规章 |", "0 |", "|" for an empty cell, "||" or "|||" where
the source had a run of spanned cells). Rows are not marked reliably, so they are rebuilt from
the cells themselves: every label cell starts a row and the value cells after it fill it; a line of
pipes ends one.

Every cell keeps its span in the document text."""
from __future__ import annotations

import re

from schemas.grammar import is_blank, is_value, nfkc
from schemas.template import COLUMN_HEADINGS

from extractor.read.layout import Cell, Row

_CELL_LINE = re.compile(r"^(?P<body>[^|\t]*?)\s*\|\s*$")  # "规章 |", "0 |", "|"
_BREAK_LINE = re.compile(r"^\s*\|{2,}\s*$")  # "||", "|||"
MIN_CELL_LINES = 12


def looks_like_cell_stream(lines: list[Cell]) -> bool:
    """Most non-empty lines are one cell closed by a single '|' (and none is a TAB or pipe row)."""
    cells = breaks = other = 0
    for line in lines:
        text = line.text
        if not text.strip():
            continue
        if _BREAK_LINE.match(text):
            breaks += 1
        elif _CELL_LINE.match(text):
            cells += 1
        else:
            other += 1
    return cells >= MIN_CELL_LINES and cells > 2 * other


def stream_rows(lines: list[Cell]) -> list[Row]:
    """Rows rebuilt from a cell stream (plain lines between tables stay rows of their own)."""
    rows: list[Row] = []
    cells: list[Cell] = []
    first = 0

    def close() -> None:
        nonlocal cells
        if cells:
            rows.append(Row(tuple(cells), first))
        cells = []

    for i, line in enumerate(lines):
        text = line.text
        match = _CELL_LINE.match(text)
        if _BREAK_LINE.match(text) or not text.strip():
            close()
            continue
        if match is None:  # prose or a heading between tables
            close()
            rows.append(Row((Cell(text.strip(), line.start + len(text) - len(text.lstrip()),
                                  line.start + len(text.rstrip())),), i))
            continue
        body = match.group("body")
        lead = len(body) - len(body.lstrip())
        cell = Cell(body.strip(), line.start + lead, line.start + lead + len(body.strip()))
        is_label = bool(cell.text) and not is_value(cell.text) and not is_blank(cell.text)
        if is_label:
            close()  # every label opens a row: its values follow it
        elif len(cells) == 1 and _squeezed(cells[0].text) in COLUMN_HEADINGS:
            close()  # a column heading owns no values: they start a row without a label
        if not cells:
            first = i
        cells.append(cell)
    close()
    return rows


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", nfkc(text))
