"""Render a record as a complete, plausible annual report in one of several layouts.

Used by the layout tests (the reader must return the cells it was rendered from, whatever the
layout), by the eval dataset builder and by the extraction benchmark. The tables are built from
:mod:`schemas.template` (labels, groups, columns), so the renderer and the reader share one
declaration of the form; only the layout differs.

Layouts (``LAYOUTS``):
  cells_txt  one table cell per line, TAB-prefixed, rows separated by blank lines (the samples)
  tab_txt    one table row per line, cells TAB-separated (spans resolved into the full grid)
  pipe_md    Markdown pipe-table rows
  html       a web page with a real <table> (rowspan/colspan, inline styles, a <script> in head)
  docx       python-docx table with merged cells
  pdf        reportlab table with a ruled grid, CJK font, page breaks inside the tables
  pdf_text   reportlab text placed at column x positions, no ruling lines
  gbk_txt    tab_txt encoded as GB18030

Variants (``VARIANTS``) change how values and labels are printed; ``expected_record`` gives the
record the reader must return for a rendering (normally the same cells). Everything is seeded
(``random.Random(seed)``); nothing touches the network.

Modules: ``builder`` (the report as layout-free blocks, from the record and the template),
``grid`` (span placement), one ``as_<format>`` module per output format, and ``report`` (the
public API below, with ``RENDERERS``: layout → renderer).
"""
from evals.render.builder import (LAYOUT_ONLY, LAYOUTS, PDF_LAYOUTS, RUN_TOGETHER_LAYOUTS, TEXT_LAYOUTS, VARIANTS,
                                  ZERO_STYLES)
from evals.render.report import RENDERERS, expected_record, main, render_input, render_report, synthetic_record

__all__ = ["LAYOUTS", "LAYOUT_ONLY", "PDF_LAYOUTS", "RENDERERS", "RUN_TOGETHER_LAYOUTS", "TEXT_LAYOUTS", "VARIANTS", "ZERO_STYLES",
           "expected_record", "main", "render_input", "render_report", "synthetic_record"]
