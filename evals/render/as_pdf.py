"""The PDF layouts: a ruled reportlab table, and text placed at column positions."""
from __future__ import annotations

import html as html_lib
import io

from evals.render.builder import Block, Cell, FONT
from evals.render.grid import Placed, place_cells

def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def render_pdf(blocks: list[Block]) -> bytes:
    """Ruled tables (platypus), A4 portrait, tables break across pages."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_font()
    body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK",
                          firstLineIndent=21)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=24, alignment=1,
                           firstLineIndent=0)
    head = ParagraphStyle("head", parent=body, firstLineIndent=0)
    cell_style = ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=10, wordWrap="CJK",
                                alignment=1)
    story = []
    for b in blocks:
        if b.kind == "title":
            story.append(Paragraph(html_lib.escape(b.text), title))
        elif b.kind in ("heading", "para"):
            story.append(Paragraph(html_lib.escape(b.text), head if b.kind == "heading" else body))
        else:
            placed, width = place_cells(b.rows)
            grid: list[list[object]] = [[""] * width for _ in b.rows]
            spans = []
            for p in placed:
                text = html_lib.escape(p.cell.text).replace("\n", "<br/>")
                grid[p.row][p.col] = p.cell.text if p.cell.value else Paragraph(text, cell_style)
                if p.cell.rowspan > 1 or p.cell.colspan > 1:
                    spans.append(("SPAN", (p.col, p.row),
                                  (p.col + p.cell.colspan - 1, p.row + p.cell.rowspan - 1)))
            col_widths = _pdf_col_widths(width, 180 * mm)
            table = Table(grid, colWidths=col_widths, splitByRow=1)
            table.setStyle(TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ] + spans))
            story += [Spacer(1, 4), table, Spacer(1, 6)]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=20 * mm, bottomMargin=20 * mm, title=blocks[0].text)
    doc.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buf.getvalue()


def _pdf_col_widths(width: int, total: float) -> list[float]:
    if width == 4:
        return [total * 0.31] + [total * 0.23] * 3
    if width == 10:
        label = [total * 0.08, total * 0.1, total * 0.28]
        rest = (total - sum(label)) / 7
        return label + [rest] * 7
    return [total / width] * width


def _page_number(canvas, doc) -> None:
    from reportlab.lib.pagesizes import A4

    canvas.saveState()
    canvas.setFont(FONT, 9)
    canvas.drawCentredString(A4[0] / 2, 28, f"- {doc.page} -")
    canvas.restoreState()


class TextPdfWriter:
    """Draws text rows at column x positions with no ruling lines (A4 landscape)."""

    def __init__(self, variants: frozenset[str]) -> None:
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.pdfgen import canvas

        _register_font()
        self.variants = variants
        self.buf = io.BytesIO()
        self.size = landscape(A4)
        self.canvas = canvas.Canvas(self.buf, pagesize=self.size)
        self.margin = 40.0
        self.y = self.size[1] - self.margin
        self.page = 1

    def ensure(self, height: float) -> None:
        if self.y - height < self.margin + 20:
            self.canvas.setFont(FONT, 9)
            self.canvas.drawCentredString(self.size[0] / 2, 24, f"- {self.page} -")
            self.canvas.showPage()
            self.page += 1
            self.y = self.size[1] - self.margin

    def paragraph(self, text: str, size: float = 10.5, centred: bool = False) -> None:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        usable = self.size[0] - 2 * self.margin
        line = ""
        lines = []
        for ch in text:
            if stringWidth(line + ch, FONT, size) > usable:
                lines.append(line)
                line = ""
            line += ch
        lines.append(line)
        for ln in lines:
            self.ensure(size * 1.6)
            self.canvas.setFont(FONT, size)
            if centred:
                self.canvas.drawCentredString(self.size[0] / 2, self.y, ln)
            else:
                self.canvas.drawString(self.margin, self.y, ln)
            self.y -= size * 1.6

    def table(self, rows: tuple[tuple[Cell, ...], ...], size: float = 8) -> None:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        placed, width = place_cells(rows)
        widths = [24.0] * width
        for p in placed:
            if p.cell.colspan == 1:
                need = max(stringWidth(t, FONT, size) for t in p.cell.text.split("\n")) + 10
                widths[p.col] = max(widths[p.col], need)
        for p in placed:
            if p.cell.colspan > 1:
                need = max(stringWidth(t, FONT, size) for t in p.cell.text.split("\n")) + 10
                have = sum(widths[p.col:p.col + p.cell.colspan])
                if need > have:
                    widths[p.col + p.cell.colspan - 1] += need - have
        xs = [self.margin]
        for w in widths[:-1]:
            xs.append(xs[-1] + w)
        line_h = size * 1.5
        by_row: dict[int, list[Placed]] = {}
        for p in placed:
            r = p.row
            if p.cell.rowspan > 1 and "centered_spans" in self.variants:
                r = p.row + (p.cell.rowspan - 1) // 2
            by_row.setdefault(r, []).append(p)
        self.y -= 4
        for r in range(len(rows)):
            cells = by_row.get(r, [])
            n_lines = max([len(p.cell.text.split("\n")) for p in cells] + [1])
            height = line_h * n_lines + 4
            self.ensure(height)
            for p in cells:
                parts = p.cell.text.split("\n")
                # the cell's lines centred vertically in the row, like a real table cell
                top = self.y - (height - len(parts) * line_h) / 2 - size
                self.canvas.setFont(FONT, size)
                for i, part in enumerate(parts):
                    self._draw_cell_text(part, xs[p.col], top - i * line_h, size, p.cell.value)
            self.y -= height
        self.y -= 6

    def _draw_cell_text(self, text: str, x: float, y: float, size: float, value: bool) -> None:
        if value and " " in text:
            # a value printed with a gap inside ("1 0"): two pieces a small space apart
            from reportlab.pdfbase.pdfmetrics import stringWidth

            left, right = text.split(" ", 1)
            self.canvas.drawString(x + 4, y, left)
            self.canvas.drawString(x + 4 + stringWidth(left, FONT, size) + size * 0.6, y, right)
            return
        self.canvas.drawString(x + 4, y, text)

    def finish(self) -> bytes:
        self.canvas.setFont(FONT, 9)
        self.canvas.drawCentredString(self.size[0] / 2, 24, f"- {self.page} -")
        self.canvas.save()
        return self.buf.getvalue()


def render_pdf_text(blocks: list[Block], variants: frozenset[str]) -> bytes:
    writer = TextPdfWriter(variants)
    for b in blocks:
        if b.kind == "title":
            writer.paragraph(b.text, size=16, centred=True)
        elif b.kind in ("heading", "para"):
            writer.paragraph(b.text)
        else:
            writer.table(b.rows)
    return writer.finish()
