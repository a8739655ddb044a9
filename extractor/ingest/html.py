"""HTML pages: the visible text in document order, block elements as lines, tables as TAB rows.

The encoding comes from a BOM, then the page's own meta charset, then detection (see ``text``).
Scripts, styles and the head are dropped. A table that contains another table is a layout
wrapper (common on government sites): its cells are read as ordinary blocks, and the inner tables
become TAB rows. Written as one pass over the plain lxml tree so a 15 KB report takes a few ms.
"""
from __future__ import annotations

import logging
import re

from lxml import etree

from extractor.errors import InputDocumentError
from extractor.ingest.layout import (
    CJK_CHARS, Ingested, SpanCell, TextBuilder, clean_cell, resolve_grid)
from extractor.ingest.text import decode_bytes, normalize_newlines

log = logging.getLogger(__name__)

_SKIP = frozenset({"script", "style", "noscript", "head", "title", "template", "iframe",
                   "object", "svg", "math", "select", "button", "textarea"})
_BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog",
    "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hr", "html", "legend", "li", "main", "menu", "nav", "ol",
    "p", "section", "summary", "ul", "caption", "tr", "td", "th", "thead", "tbody",
    "tfoot", "table", "option"})
_ROW_GROUPS = frozenset({"thead", "tbody", "tfoot"})
_SPACES = re.compile(r"[ \t\r\n\f]+")
# Source line breaks inside CJK text are not spaces (CSS Text 3 segment-break rule).
_CJK_SEGMENT_BREAK = re.compile(f"(?<=[{CJK_CHARS}])[ \t\f]*\n[ \t\r\n\f]*(?=[{CJK_CHARS}])")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def ingest_html(data: bytes, name: str) -> Ingested:
    """Normalized text of an HTML document."""
    text, encoding = decode_bytes(data, name, declared=_declared_charset(data))
    log.debug("%s decoded as %s", name, encoding)
    root = _parse(text, name)
    builder = TextBuilder()
    _Walker(builder).block(root)
    return Ingested(text=builder.text())


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "ignore") if match else None


def _parse(text: str, name: str):
    text = _XML_DECL.sub("", normalize_newlines(text), count=1)
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = etree.fromstring(text, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        root, error = None, exc
    else:
        error = "no elements"
    if root is None:
        raise InputDocumentError(
            f"{name}: the HTML could not be parsed ({error}); save the page again from a browser "
            "or supply the report as DOCX/PDF")
    return root


def _tag(el) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


class _Walker:
    """Walks the tree once, feeding inline text into the current line and blocks into lines."""

    def __init__(self, builder: TextBuilder) -> None:
        self.builder = builder
        self.inline: list[str] = []

    def flush(self) -> None:
        if self.inline:
            text = _CJK_SEGMENT_BREAK.sub("", "".join(self.inline))
            self.builder.add_line(_SPACES.sub(" ", text))
            self.inline = []

    def block(self, el) -> None:
        """Walk ``el``'s content (not its tail)."""
        if el.text:
            self.inline.append(el.text)
        for child in el:
            self.element(child)

    def element(self, el) -> None:
        tag = _tag(el)
        if tag and tag not in _SKIP:
            if tag == "br":
                self.flush()
            elif tag == "table":
                self.flush()
                self.table(el)
            elif tag == "pre":
                self.flush()
                for line in "".join(el.itertext()).split("\n"):
                    self.builder.add_line(line)
            elif tag in _BLOCK:
                self.flush()
                self.block(el)
                self.flush()
            else:
                self.block(el)
        if el.tail:
            self.inline.append(el.tail)

    def table(self, el) -> None:
        rows = list(_table_rows(el))
        if any(True for _ in el.iterdescendants("table")):
            for row in rows:  # a layout wrapper: read its cells as blocks
                for cell in row:
                    self.flush()
                    self.block(cell)
                    self.flush()
            return
        self.builder.add_table(resolve_grid([[_span_cell(c) for c in row] for row in rows]))


def _table_rows(table):
    """The rows of ``table`` itself (directly or in thead/tbody/tfoot), each a list of cells."""
    for child in table:
        tag = _tag(child)
        if tag == "tr":
            yield _row_cells(child)
        elif tag in _ROW_GROUPS:
            for row in child:
                if _tag(row) == "tr":
                    yield _row_cells(row)


def _row_cells(tr) -> list:
    return [c for c in tr if _tag(c) in ("td", "th")]


def _span_cell(td) -> SpanCell:
    return SpanCell(text=clean_cell(_cell_text(td)),
                    rowspan=_span(td.get("rowspan")), colspan=_span(td.get("colspan")))


def _span(value: str | None) -> int:
    if value is None:
        return 1
    try:
        return max(1, int(str(value).strip()))
    except (TypeError, ValueError):
        return 1


def _cell_text(td) -> str:
    """A cell's text with its block/br structure as newlines (``clean_cell`` joins them)."""
    if not len(td):
        return td.text or ""
    builder = TextBuilder()
    walker = _Walker(builder)
    walker.block(td)
    walker.flush()
    return "\n".join(builder.lines)
