"""The text layouts: one cell per line, TAB rows, Markdown pipe tables, crawler dumps."""
from __future__ import annotations

import random

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


def render_crawler_txt(blocks: list[Block], rng: random.Random) -> str:
    """A crawler's text dump of the web page (``../shared/evalset-public``): a key/value header,
    then the whole article on one line — paragraphs, headings and every table row with its cells
    run together ("…申请数量801000081二、上年结转…"), so the next label's numbering fuses onto the
    digits ("00000002.其他法律…"); now and then a stray space inside a row's digits that marks no
    cell boundary ("30 0 0 0 03")."""
    title = blocks[0].text
    parts: list[str] = []
    for b in blocks[1:]:
        if b.kind != "table":
            parts.append(b.text)
            continue
        for row in b.rows:
            labels = "".join(c.text.replace("\n", "") for c in row if not _is_figure(c.text))
            digits = "".join(c.text for c in row if _is_figure(c.text))
            if len(digits) > 2 and "." not in digits and rng.random() < 0.3:
                cut = rng.randrange(1, len(digits))
                digits = digits[:cut] + " " + digits[cut:]
            parts.append(labels + digits)
    header = [f"标题: {title}", "发布时间: 2024-01-19 15:19", "发布机构: ", "栏目: 政府信息公开年报",
              "==================== 正文 ===================="]
    return "\n".join(header) + "\n" + "".join(parts) + "\n"


def _is_figure(text: str) -> bool:
    return bool(text) and all(ch in "0123456789０１２３４５６７８９.,，" for ch in text)
