"""The text layouts: one cell per line, TAB rows, Markdown pipe tables."""
from __future__ import annotations

from evals.render.builder import Block, Cell, FOOTER_AFTER_ROW
from evals.render.grid import docx_like_rows, full_grid

def ragged_rows(rows: tuple[tuple[Cell, ...], ...]) -> list[list[str]]:
    """Only the cells that start in each row (no placeholders for row spans), padded with
    empty cells at the end to the longest row: the shape of TXT tables pasted out of some
    editors (sample 003)."""
    out = [[c.text for c in row] for row in rows]
    width = max(len(r) for r in out)
    return [r + [""] * (width - len(r)) for r in out]


def _footer(rows: tuple, index: int, variants: frozenset[str], page: int = 2) -> list[str]:
    """The page-footer lines to insert before row ``index`` of a table, if any."""
    if "page_footer" in variants and len(rows) > 20 and index == FOOTER_AFTER_ROW:
        return ["", f"- {page} -", ""]
    return []


def render_cells_txt(blocks: list[Block], variants: frozenset[str] = frozenset()) -> str:
    lines: list[str] = []
    for b in blocks:
        if b.kind != "table":
            lines.append(b.text)
            continue
        for i, row in enumerate(docx_like_rows(b.rows)):
            if i:
                lines.append("")
            lines.extend(_footer(b.rows, i, variants)[1:-1])
            lines.extend("\t" + cell for cell in row)
        lines += ["", ""]
    return "\n".join(lines) + "\n"


def render_tab_txt(blocks: list[Block], variants: frozenset[str] = frozenset()) -> str:
    lines: list[str] = []
    for b in blocks:
        if b.kind != "table":
            lines.append(b.text)
            continue
        grid = ragged_rows(b.rows) if "ragged_rows" in variants else full_grid(b.rows)
        for i, row in enumerate(grid):
            lines.extend(_footer(b.rows, i, variants))
            # a cell printed on two lines keeps its line break, as a table copied out of Word
            # does: the row then runs over two lines, split inside that cell
            lines.append("\t".join(row))
        lines.append("")
    return "\n".join(lines) + "\n"


def render_pipe_md(blocks: list[Block], variants: frozenset[str] = frozenset()) -> str:
    lines: list[str] = []
    for b in blocks:
        if b.kind == "title":
            lines += [f"# {b.text}", ""]
        elif b.kind == "heading":
            lines += [f"## {b.text}", ""]
        elif b.kind == "para":
            lines += [b.text, ""]
        else:
            grid = ragged_rows(b.rows) if "ragged_rows" in variants else full_grid(b.rows)
            for i, row in enumerate(grid):
                lines.extend(_footer(b.rows, i, variants))
                lines.append("| " + " | ".join(c.replace("\n", "<br>") for c in row) + " |")
                if i == 0:
                    lines.append("|" + "---|" * len(row))
            lines.append("")
    return "\n".join(lines) + "\n"
