"""The DOCX layout: a python-docx table with merged cells."""
from __future__ import annotations

import io
import random

from evals.render.builder import Block
from evals.render.grid import place_cells

def render_docx(blocks: list[Block], rng: random.Random) -> bytes:
    from docx import Document as DocxDocument
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = DocxDocument()
    for b in blocks:
        if b.kind == "title":
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run(b.text).bold = True
        elif b.kind == "heading":
            doc.add_paragraph().add_run(b.text).bold = True
        elif b.kind == "para":
            doc.add_paragraph(b.text)
        else:
            placed, width = place_cells(b.rows)
            table = doc.add_table(rows=len(b.rows), cols=width)
            table.style = "Table Grid"
            cells = table._cells  # once: Table.cell() re-walks the whole grid on every call
            at = lambda r, c: cells[r * width + c]  # noqa: E731
            for p in placed:
                cell = at(p.row, p.col)
                parts = p.cell.text.split("\n")
                if len(parts) > 1 and rng.random() < 0.5:
                    cell.text = parts[0]
                    cell.add_paragraph(parts[1])
                else:
                    cell.text = p.cell.text  # "\n" becomes a line break inside the paragraph
            for p in placed:  # merge after filling: the covered cells are empty
                if p.cell.rowspan > 1 or p.cell.colspan > 1:
                    at(p.row, p.col).merge(at(p.row + p.cell.rowspan - 1, p.col + p.cell.colspan - 1))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
