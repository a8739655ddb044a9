"""Table geometry: spans placed on a grid, the full grid and the DOCX-like rows."""
from __future__ import annotations

from dataclasses import dataclass

from evals.render.builder import Cell

@dataclass(frozen=True)
class Placed:
    row: int
    col: int
    cell: Cell


def place_cells(rows: tuple[tuple[Cell, ...], ...]) -> tuple[list[Placed], int]:
    """Grid positions of the source cells (HTML span rules) and the grid width."""
    taken: set[tuple[int, int]] = set()
    placed: list[Placed] = []
    width = 0
    for r, row in enumerate(rows):
        col = 0
        for cell in row:
            while (r, col) in taken:
                col += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, col + dc))
            placed.append(Placed(r, col, cell))
            col += cell.colspan
            width = max(width, col)
    return placed, width


def full_grid(rows: tuple[tuple[Cell, ...], ...]) -> list[list[str]]:
    """Spans resolved: text in the top-left position, covered positions empty."""
    placed, width = place_cells(rows)
    grid = [[""] * width for _ in rows]
    for p in placed:
        grid[p.row][p.col] = p.cell.text
    return grid


def docx_like_rows(rows: tuple[tuple[Cell, ...], ...]) -> list[list[str]]:
    """Rows as a Word table reports them: a column span is one cell, a row-span continuation is
    an empty cell in each later row (the shape of the sample TXT files)."""
    placed, width = place_cells(rows)
    start = {(p.row, p.col): p.cell for p in placed}
    cover: dict[tuple[int, int], Cell] = {}
    for p in placed:
        for dr in range(1, p.cell.rowspan):
            cover[(p.row + dr, p.col)] = p.cell
    out = []
    for r in range(len(rows)):
        line, col = [], 0
        while col < width:
            if (r, col) in start:
                cell = start[(r, col)]
                line.append(cell.text)
                col += cell.colspan
            elif (r, col) in cover:
                line.append("")
                col += cover[(r, col)].colspan
            else:
                col += 1
        out.append(line)
    return out
