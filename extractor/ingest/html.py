"""HTML pages: the visible text in document order, block elements as lines, tables as TAB rows.

The encoding comes from a BOM, then the page's own meta charset, then detection (see ``text``).
Scripts, styles and the head are dropped, except the head's report title and a report that a
script writes into the page (``html_page``). A table that contains another table is a layout
wrapper (common on government sites): its cells are read as ordinary blocks, and the inner tables
become TAB rows. Written as one iterative pass over the plain lxml tree, so a 15 KB report takes
a few ms and a page nested thousands deep cannot overflow the stack.
"""
from __future__ import annotations

import logging
import re

from lxml import etree

from extractor.errors import InputDocumentError
from extractor.ingest.layout import (
    CJK_CHARS, Ingested, SpanCell, TextBuilder, check_cell_count, clean_cell, resolve_grid)
from extractor.ingest.html_page import escaped_markup, is_report_title, page_title, richer, script_markup
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
_NOT_CHAINABLE = _SKIP | {"", "br", "table", "pre"}
_SPACES = re.compile(r"[ \t\r\n\f]+")
# Source line breaks inside CJK text are not spaces (CSS Text 3 segment-break rule).
_CJK_SEGMENT_BREAK = re.compile(f"(?<=[{CJK_CHARS}])[ \t\f]*\n[ \t\r\n\f]*(?=[{CJK_CHARS}])")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_INLINE_TAGS = re.compile(
    r"</?(?:font|span|b|i|u|s|em|strong|small|big|a|sup|sub|o:p|strike|ins|del)\b[^>]*>",
    re.IGNORECASE)
_TITLE_REACH, _TITLE_LINES, _TITLE_CHARS = 3000, 20, 80  # where and how a body prints its own title
_SENTENCE = re.compile(r"[。，；,;]")  # a title is not a sentence
_MAX_DEPTH = 2000  # libxml2's limit with huge_tree
_MAX_TABLE_NESTING = 20  # deeper tables are read as plain blocks (bounds the recursion)


def ingest_html(data: bytes, name: str) -> Ingested:
    """Normalized text of an HTML document."""
    text, encoding = decode_bytes(data, name, declared=_declared_charset(data))
    log.debug("%s decoded as %s", name, encoding)
    root, warnings = _parse(text, name)
    check_cell_count(sum(1 for _ in root.iter("td", "th")), name)
    builder = TextBuilder()
    _Walker(builder).walk(root)
    body = builder.text()
    hidden = script_markup(root)
    if hidden is None or not richer(hidden, body):  # the report is not written by a script …
        hidden = escaped_markup(body)  # … nor printed as escaped markup
    if hidden is not None:
        inner, more = _parse(hidden, name)
        check_cell_count(sum(1 for _ in inner.iter("td", "th")), name)
        builder = TextBuilder()
        _Walker(builder).walk(inner)
        body, warnings = builder.text(), warnings + more
    title = page_title(root)
    if title and not _prints_a_title(body):
        body = f"{title}\n{body}"
    return Ingested(text=body, warnings=warnings)


def _prints_a_title(body: str) -> bool:
    """The body's opening lines hold a report title of its own (a short line naming the report)."""
    lines = body[:_TITLE_REACH].splitlines()[:_TITLE_LINES]
    return any(len(line) <= _TITLE_CHARS and not _SENTENCE.search(line) and is_report_title(line)
               for line in lines)


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "ignore") if match else None


def _parse(text: str, name: str) -> tuple[etree._Element, list[str]]:
    """The element tree, and a warning if the page nests too deep for the parser.

    libxml2 silently drops everything below ~2000 levels of nesting; pages with thousands of
    unclosed <font>/<span> tags reach that. Those inline tags carry no structure, so the page is
    parsed again without them before giving up with a warning."""
    text = _XML_DECL.sub("", normalize_newlines(text), count=1)
    root, too_deep = _parse_tree(text, name)
    if too_deep:
        root, too_deep = _parse_tree(_INLINE_TAGS.sub("", text), name)
    warnings = [f"the HTML nests more than {_MAX_DEPTH} elements deep; text below that depth "
                "is lost — save the page again from a browser"] if too_deep else []
    return root, warnings


def _parse_tree(text: str, name: str) -> tuple[etree._Element, bool]:
    parser = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True,
                              huge_tree=True)
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
    too_deep = any("depth" in entry.message.lower() for entry in parser.error_log)
    return root, too_deep


def _tag(el) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


class _Walker:
    """Walks a tree once (iteratively: pages can nest thousands deep), feeding inline text into
    the current line and blocks into lines."""

    def __init__(self, builder: TextBuilder, table_depth: int = 0) -> None:
        self.builder = builder
        self.inline: list[str] = []
        self.table_depth = table_depth

    def flush(self) -> None:
        if self.inline:
            text = _CJK_SEGMENT_BREAK.sub("", "".join(self.inline))
            self.builder.add_line(_SPACES.sub(" ", text))
            self.inline = []

    def walk(self, top) -> None:
        """Walk ``top``'s content (not its tail) and flush the last line."""
        events = etree.iterwalk(top, events=("start", "end"))
        for event, el in events:
            if event == "start":
                if self.start(el):
                    events.skip_subtree()
            elif el is not top:
                self.end(el)
        self.flush()

    def start(self, el) -> bool:
        """Handle an element's start; True when its content was consumed here."""
        tag = _tag(el)
        if not tag or tag in _SKIP or _hidden(el):
            return True
        if tag == "br" or tag in _BLOCK:
            self.flush()
        if tag == "table" and self.table_depth < _MAX_TABLE_NESTING:
            self.table(el)
            return True
        if tag == "pre":
            for line in "".join(el.itertext()).split("\n"):
                self.builder.add_line(line)
            return True
        if el.text:
            self.inline.append(el.text)
        return False

    def end(self, el) -> None:
        if _tag(el) in _BLOCK:
            self.flush()
        if el.tail:
            self.inline.append(el.tail)

    def table(self, el) -> None:
        for caption in el.iterchildren("caption", "CAPTION"):
            _Walker(self.builder, _MAX_TABLE_NESTING).walk(caption)
        rows = list(_table_rows(el))
        if any(True for _ in el.iterdescendants("table")):
            for row in rows:  # a layout wrapper: read its cells as blocks
                for cell in row:
                    _Walker(self.builder, self.table_depth + 1).walk(cell)
            return
        self.builder.add_table(resolve_grid([[_span_cell(c) for c in row] for row in rows]))


def _hidden(el) -> bool:
    """Content the page hides (``hidden``, ``display:none``) is not part of the report."""
    if el.get("hidden") is not None:
        return True
    style = el.get("style")
    return bool(style) and "display:none" in style.replace(" ", "").lower()


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
    simple = _single_text(td)
    if simple is not None:
        return simple
    builder = TextBuilder()
    _Walker(builder, _MAX_TABLE_NESTING).walk(td)
    return "\n".join(builder.lines)


def _single_text(el) -> str | None:
    """Fast path for the usual cell, a chain like <td><p><span>text</span></p></td>: its text."""
    while len(el):
        child = el[0]
        if len(el) > 1 or _tag(child) in _NOT_CHAINABLE or (el.text or "").strip() \
                or (child.tail or "").strip():
            return None
        el = child
    return el.text or ""
