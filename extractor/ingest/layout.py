"""The normalized text layout every ingestor writes, whatever the source format.

Paragraphs are lines. Every table row is one line with its cells separated by a single TAB; a
cell's own text holds no TAB or newline. Row- and column-spans are resolved into the full grid:
the spanning cell's text sits in its top-left position and the other covered positions are empty,
so column positions line up across rows. Each table has a blank line before and after it.
The deterministic table reader depends on exactly this shape, so it is built in one place.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractor.errors import InputDocumentError

# Runs of layout whitespace inside one line of a cell. NBSP and the ideographic space are kept:
# they are characters of the document (the reader normalises them), only edges are stripped.
_SPACE_RUN = re.compile(r"[ \t\r\n\f\v]+")
# Characters of CJK text (ideographs, CJK punctuation, full-width forms): written without spaces.
CJK_CHARS = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
MAX_COLSPAN = 1000  # the HTML limit; guards the grid against absurd span attributes
# Table cells one document may have: its tables' grid positions together, and its cell elements
# (td/th, w:tc). A report's tables have a few hundred; each cell costs ~20 µs to lay out and read,
# so this bounds a cell bomb to a few seconds (10⁶ cells took 21 s and 750 MB).
MAX_GRID_CELLS = 100_000


@dataclass(frozen=True)
class SpanCell:
    """One source cell before the grid is resolved."""

    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Ingested:
    """What a format module hands back: the normalized text and what it noticed."""

    text: str
    pages: int | None = None
    warnings: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # source text it could not read (see Document)


def is_cjk(char: str) -> bool:
    """CJK ideographs, CJK punctuation and full-width forms: text written without spaces."""
    code = ord(char)
    return (0x2E80 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFE30 <= code <= 0xFE4F
            or 0xFF00 <= code <= 0xFFEF or 0x20000 <= code <= 0x3FFFF)


def join_wrapped(parts: list[str]) -> str:
    """Join pieces of text that a line break separated: nothing between two CJK characters
    (a wrapped Chinese phrase), one space otherwise."""
    out = ""
    for part in parts:
        if not part:
            continue
        if out and not (is_cjk(out[-1]) and is_cjk(part[0])):
            out += " "
        out += part
    return out


def clean_cell(text: str) -> str:
    """A cell's text on one line: line breaks joined as in ``join_wrapped``, whitespace runs
    collapsed, edges stripped."""
    lines = [_SPACE_RUN.sub(" ", line).strip() for line in text.splitlines()]
    return join_wrapped(lines).strip()


def resolve_grid(rows: list[list[SpanCell]]) -> list[list[str]]:
    """Lay span cells out on the full grid (rowspan/colspan resolved, rows padded).

    Bounded before anything is built: the grid a table declares (its widest row by colspans, plus
    the columns rowspans can push cells over, times its rows) must fit ``MAX_GRID_CELLS``."""
    check_declared_grid(rows)
    grid: dict[tuple[int, int], str] = {}
    width = 0
    for r, row in enumerate(rows):
        col = 0
        for cell in row:
            while (r, col) in grid:
                col += 1
            rowspan = max(1, min(cell.rowspan, len(rows) - r))
            colspan = max(1, min(cell.colspan, MAX_COLSPAN))
            if len(grid) + rowspan * colspan > MAX_GRID_CELLS:
                raise InputDocumentError(
                    f"a table spans more than {MAX_GRID_CELLS} cells, far beyond any report "
                    "table (crafted or broken span attributes); supply the report as PDF/DOCX")
            for dr in range(rowspan):
                for dc in range(colspan):
                    grid[(r + dr, col + dc)] = ""
            grid[(r, col)] = cell.text
            col += colspan
        width = max(width, col)
    return [[grid.get((r, c), "") for c in range(width)] for r in range(len(rows))]


def check_declared_grid(rows: list[list[SpanCell]]) -> None:
    """Refuse a table whose declared width × height exceeds ``MAX_GRID_CELLS`` (a few hundred
    bytes of span attributes can describe 10⁹ cells)."""
    widest = 0
    for row in rows:
        widest = max(widest, sum(max(1, min(c.colspan, MAX_COLSPAN)) for c in row))
    # a rowspan covers positions in later rows, pushing their cells right by at most its colspan
    pushed = sum(max(1, min(c.colspan, MAX_COLSPAN)) for row in rows for c in row if c.rowspan > 1)
    width = widest + pushed
    if width * max(1, len(rows)) > MAX_GRID_CELLS:
        raise InputDocumentError(
            f"a table declares a grid of about {len(rows)} rows × {width} columns, more than "
            f"{MAX_GRID_CELLS} cells and far beyond any report table (crafted or broken "
            "rowspan/colspan attributes); supply the report as PDF/DOCX or fix the table")


def check_cell_count(count: int, name: str) -> None:
    """Refuse a document with more than ``MAX_GRID_CELLS`` table cells before any is laid out."""
    if count > MAX_GRID_CELLS:
        raise InputDocumentError(
            f"{name} has {count} table cells, more than the {MAX_GRID_CELLS} cells a document may "
            "have and far beyond any report (whose tables have a few hundred); it is crafted or not "
            "a report — supply the report itself as PDF/DOCX")


def table_lines(grid: list[list[str]]) -> list[str]:
    """Rows as TAB-joined lines. A row of empty cells is kept when the table has text after it
    or it is the table's last row: in a statistics table it is a row of blank (= 0) cells, e.g.
    表四's value row left empty. Empty rows before any text are dropped."""
    last_text = max((i for i, row in enumerate(grid) if any(row)), default=-1)
    if last_text < 0:
        return []
    first_text = next(i for i, row in enumerate(grid) if any(row))
    keep = [row for i, row in enumerate(grid) if i >= first_text and (any(row) or len(row) > 1)]
    return ["\t".join(row) for row in keep]


class TextBuilder:
    """Collects paragraph lines and tables into the normalized text."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cells = 0  # grid positions of the tables added so far

    def add_line(self, line: str) -> None:
        """A paragraph: kept when it has any visible text."""
        line = line.strip(" \t\r\n\f\v")
        if line.strip():
            self.lines.append(line)

    def add_table(self, grid: list[list[str]]) -> None:
        """A table's rows; refused once the document's tables hold more than ``MAX_GRID_CELLS``
        positions (each table was bounded before it was built: many tables add up)."""
        self.cells += sum(len(row) for row in grid)
        if self.cells > MAX_GRID_CELLS:
            raise InputDocumentError(
                f"the tables of this document span more than {MAX_GRID_CELLS} cells together, far "
                "beyond any report (crafted or broken tables); supply the report as PDF/DOCX")
        rows = table_lines(grid)
        if not rows:
            return
        if self.lines and self.lines[-1] != "":
            self.lines.append("")
        self.lines.extend(rows)
        self.lines.append("")

    def text(self) -> str:
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines)
