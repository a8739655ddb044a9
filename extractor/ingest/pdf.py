"""PDF files (pypdfium2, see ``pdf_pdfium`` and ``pdf_grid``): per page, ruled tables as TAB rows and the text outside them as lines,
in reading order from top to bottom; pages follow each other.

Only the PDF's text layer is read: a PDF without one (a scan) is refused with a pointer to OCR.
Three things PDF layout adds that the source document did not have are undone here:
- filled background boxes (Word draws shading/white boxes behind text lines) are not rulings, so
  they are ignored when finding tables — otherwise a page of prose becomes a one-column "table";
- a visual line that wraps at the right margin is joined with the next one, so a paragraph is one
  line again (``2023年，我区在政`` + ``府网站…`` → one line);
- justification gaps between two CJK characters (``邮 编 ：``) are not spaces; page-number lines
  (``- 3 -``, ``第3页``) at the top or bottom of a page are dropped.
A table split across pages stays two tables.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from extractor.errors import InputDocumentError
from extractor.ingest.pdf_grid import find_tables, merge_edges, shape_edges, table_text, text_lines
from extractor.ingest.pdf_pdfium import (
    PDFIUM_LOCK, UNMAPPED, Char, PageContent, PasswordProtected, Shape, open_document, read_page,
    reads_unembedded_cjk)
from extractor.ingest.pdf_columns import Word, grid_rows, header_aligned_row, table_runs
from extractor.ingest.layout import (
    CJK_CHARS, Ingested, TextBuilder, clean_cell, is_cjk, join_wrapped)

log = logging.getLogger(__name__)

_CJK_GAP = re.compile(f"(?<=[{CJK_CHARS}]) +(?=[{CJK_CHARS}])")
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-—–－]\s*\d{1,4}\s*[-—–－]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|\d{1,4})\s*$")
MAX_RULING_THICKNESS = 2.0  # points; a filled box thicker than this is shading, not a border
WORD_GAP = 0.15  # ems; a wider gap between two characters is a space
JUSTIFICATION_GAP = 0.6  # ems; narrower gaps between CJK characters are justification, not space
MAX_DRAWINGS = 5000  # table finding is quadratic in drawn lines; maps and charts can have 10⁵
MIN_TEXT_CHARS = 20  # a page image with fewer typed characters than this is a scan
MAX_UNMAPPED_SHARE = 0.5  # more unmapped glyphs than this share: the text layer is unreadable


@dataclass
class _Line:
    text: str
    top: float
    x0: float
    x1: float
    size: float
    page_width: float
    words: tuple[Word, ...] = ()


@dataclass
class _Table:
    grid: list[list[str]]
    top: float
    bbox: tuple[float, float, float, float]


@dataclass
class _Page:
    blocks: list[_Line | _Table]
    chars: int
    unmapped: int  # glyphs without a Unicode mapping (read as U+FFFD)
    images: int
    tables_skipped: bool = False
    lost_text: list[str] = field(default_factory=list)  # fonts of text objects PDFium dropped


def ingest_pdf(data: bytes, name: str) -> Ingested:
    """Normalized text of a PDF's text layer. PDFium is not thread-safe: one document at a time
    per process (``PDFIUM_LOCK``); parallelism is by process."""
    with PDFIUM_LOCK:
        doc = _open(data, name)
        try:
            pages = [_read_page(doc, index, name) for index in range(len(doc))]
        finally:
            doc.close()
    warnings = _check_text_layer(pages, name)
    blocks = [block for page in pages for block in _align_text_tables(_drop_page_numbers(page.blocks))]
    return Ingested(text=_render(_reflow(blocks)), pages=len(pages), warnings=warnings,
                    lost=_lost_text(pages))


def _check_text_layer(pages: list[_Page], name: str) -> list[str]:
    """Refuse a PDF without usable text; warnings for pages that lack it."""
    textless = [number for number, page in enumerate(pages, start=1) if _is_scan(page)]
    if not pages or len(textless) == len(pages):
        raise InputDocumentError(
            f"{name} is a scanned PDF with no text layer; run OCR first (e.g. "
            "`ocrmypdf --language chi_sim in.pdf out.pdf`) or supply the DOCX/HTML version")
    chars = sum(page.chars for page in pages)
    unmapped = sum(page.unmapped for page in pages)
    if unmapped > MAX_UNMAPPED_SHARE * chars:
        raise InputDocumentError(
            f"{name}: {unmapped} of its {chars} characters use fonts without a Unicode mapping, "
            "so its text cannot be read; run OCR over it (e.g. `ocrmypdf --force-ocr --language "
            "chi_sim in.pdf out.pdf`) or supply the DOCX/HTML version")
    warnings = []
    crowded = [number for number, page in enumerate(pages, start=1) if page.tables_skipped]
    if crowded:
        warnings.append(f"pages with too many drawn lines to look for tables (read as text): "
                        f"{crowded}")
    if textless:
        warnings.append(f"pages without a text layer (scanned?) were skipped: {textless}")
    if unmapped:
        warnings.append(f"{unmapped} characters have no Unicode mapping and read as {UNMAPPED}")
    return warnings


def _lost_text(pages: list[_Page]) -> list[str]:
    """What PDFium could not read: lone characters of fonts the PDF does not embed, on a machine
    with no CJK system font to draw them (``pdf_pdfium._lost_text``)."""
    on = [number for number, page in enumerate(pages, start=1) if page.lost_text]
    if not on or reads_unembedded_cjk():
        return []
    fonts = sorted({font for page in pages for font in page.lost_text})
    count = sum(len(page.lost_text) for page in pages)
    return [f"{count} text pieces on pages {on} may not have been read: they use fonts the PDF does "
            f"not embed ({', '.join(fonts)}) and this machine has no Chinese font to draw them; "
            "install one (e.g. `apt install fonts-noto-cjk` or `fonts-wqy-microhei`) and extract again"]


def _is_scan(page: _Page) -> bool:
    """No text, or an image with at most a stray header/page number typed on it."""
    return page.chars == 0 or (page.images > 0 and page.chars < MIN_TEXT_CHARS)


def _open(data: bytes, name: str):
    import pypdfium2

    try:
        return open_document(data)
    except PasswordProtected as exc:
        raise InputDocumentError(
            f"{name} is a password-protected (encrypted) PDF and cannot be read without its "
            "password; remove the protection (e.g. `qpdf --password=PASSWORD --decrypt in.pdf "
            "out.pdf`) or supply the DOCX/HTML version") from exc
    except pypdfium2.PdfiumError as exc:
        log.debug("pdfium could not open %s", name, exc_info=True)
        raise _unreadable(name, exc) from exc


def _unreadable(name: str, exc: Exception) -> InputDocumentError:
    detail = f"{type(exc).__name__}: {exc}".strip(": ")
    return InputDocumentError(
        f"{name} cannot be read as a PDF ({detail}); it is corrupt or truncated — download it "
        "again, repair it (e.g. `qpdf in.pdf out.pdf`), or supply the DOCX/HTML version")


def _read_page(doc, index: int, name: str) -> _Page:
    """The page's blocks in top-to-bottom order, with what is needed to judge its text layer."""
    try:
        content = read_page(doc, index, MAX_DRAWINGS)
    except Exception as exc:  # a broken content stream surfaces here, not at open
        log.debug("pdfium failed on %s page %d", name, index + 1, exc_info=True)
        raise _unreadable(f"{name} (page {index + 1})", exc) from exc
    crowded = len(content.shapes) > MAX_DRAWINGS
    tables = [] if crowded else _find_tables(content)
    boxes = [t.bbox for t in tables]
    blocks: list[_Line | _Table] = list(tables)
    outside = [c for c in content.chars if not _centre_in(_char_box(c), boxes)]
    blocks.extend(_text_lines(outside, content.width))
    unmapped = sum(1 for char in content.chars if char.unmapped)
    return _Page(sorted(blocks, key=lambda b: b.top), len(content.chars), unmapped,
                 content.images, crowded, content.lost_text)


def _char_box(char: Char) -> tuple[float, float, float, float]:
    return (char.x0, char.top, char.x1, char.bottom)


def _find_tables(content: PageContent) -> list[_Table]:
    """Tables found on the page's rulings (``pdf_grid``), minus rows that are only prose.

    Word often draws a filled white box behind every line of text; those boxes make whole pages
    of prose look like a one-column table glued to the real table below it. A row is kept when it
    has two or more cells, or when it lies inside a table still found once such shading boxes
    are ignored (real rulings); runs of kept rows become tables, the rest is read as text."""
    found = find_tables(merge_edges(shape_edges(content.shapes)))
    if all(_is_not_shading(shape) for shape in content.shapes):
        ruled = [t.bbox for t in found]
    else:
        rulings = [shape for shape in content.shapes if _is_not_shading(shape)]
        ruled = [t.bbox for t in find_tables(merge_edges(shape_edges(rulings)))]
    tables: list[_Table] = []
    for table in found:
        run: list[tuple[tuple, list]] = []
        for box, cells, texts in table_text(table, content.chars):
            if sum(c is not None for c in cells) >= 2 or _centre_in(box, ruled):
                run.append((box, texts))
            else:
                tables.extend(_table_from_rows(run, table.bbox))
                run = []
        tables.extend(_table_from_rows(run, table.bbox))
    return tables


def _table_from_rows(run, table_box) -> list[_Table]:
    if not run:
        return []
    top = min(bbox[1] for bbox, _ in run)
    bottom = max(bbox[3] for bbox, _ in run)
    grid = [[_pdf_text(clean_cell(cell or "")) for cell in cells] for _, cells in run]
    return [_Table(grid, top, (table_box[0], top, table_box[2], bottom))]


def _centre_in(bbox, boxes) -> bool:
    x = (bbox[0] + bbox[2]) / 2
    y = (bbox[1] + bbox[3]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


def _is_not_shading(shape: Shape) -> bool:
    """A filled, unstroked rectangle thicker than a ruling is background shading."""
    if shape.kind != "rect" or shape.stroke or not shape.fill:
        return True
    return min(shape.width, shape.height) <= MAX_RULING_THICKNESS


def _text_lines(chars: list[Char], page_width: float) -> list[_Line]:
    lines = []
    for line in text_lines(chars):
        visible = [c for c in line.chars if c.text.strip()]
        text = _line_text(visible)
        if text:
            lines.append(_Line(text, line.top, line.x0, line.x1, visible[0].size, page_width,
                               tuple(_words(visible))))
    return lines


def _words(chars: list[Char]) -> list[Word]:
    """The line's words with their x extents (split where ``_line_text`` puts a space)."""
    words: list[Word] = []
    group: list[Char] = []
    for char in chars:
        if group and _is_word_gap(group[-1], char):
            words.append(_word(group))
            group = []
        group.append(char)
    if group:
        words.append(_word(group))
    return words


def _word(chars: list[Char]) -> Word:
    return Word(_pdf_text("".join(c.text for c in chars)), chars[0].x0, chars[-1].x1)


def _align_text_tables(blocks: list[_Line | _Table]) -> list[_Line | _Table]:
    """Runs of text lines that form a table without rulings become grid tables, so a blank cell
    keeps its column (see ``pdf_columns``)."""
    out: list[_Line | _Table] = []
    i = 0
    while i < len(blocks):
        j = i
        while j < len(blocks) and isinstance(blocks[j], _Line):
            j += 1
        out.extend(_align_lines(blocks[i:j]))
        if j < len(blocks):
            out.append(blocks[j])
        i = j + 1
    return out


def _align_lines(lines: list[_Line]) -> list[_Line | _Table]:
    if len(lines) < 2:
        return list(lines)
    words = [list(line.words) for line in lines]
    out: list[_Line | _Table] = []
    done = 0
    for start, end in table_runs(words):
        tolerance = 0.6 * max(lines[start].size, 1.0)
        grid = grid_rows(words[start:end], tolerance)
        if grid is None:
            continue
        out.extend(lines[done:start])
        top, bottom = lines[start].top, lines[end - 1].top
        out.append(_Table(grid, top, (0.0, top, lines[start].page_width, bottom)))
        done = end
    out.extend(lines[done:])
    return _align_lone_rows(out)


def _align_lone_rows(blocks: list[_Line | _Table]) -> list[_Line | _Table]:
    """A single line of values right under a header line becomes a grid row aligned on the
    header's words (see ``pdf_columns.header_aligned_row``)."""
    out: list[_Line | _Table] = []
    for block in blocks:
        if isinstance(block, _Line) and block.words:
            header = _header_words(out)
            cells = header_aligned_row(header, list(block.words), 0.3 * block.size) if header else None
            if cells is not None:
                out.append(_Table([cells], block.top, (0.0, block.top, block.page_width, block.top)))
                continue
        out.append(block)
    return out


def _header_words(before: list[_Line | _Table], depth: int = 3) -> list[Word]:
    """Column headings above a line: the words of up to ``depth`` header lines, the lowest line
    first (its headings are the most specific), upper words kept where nothing below covers
    them (a two-level header: 行政诉讼 over 结果维持 … 总计)."""
    words: list[Word] = []
    for block in reversed(before[-depth:]):
        if not isinstance(block, _Line):
            break
        for w in block.words:
            if not any(w.x0 < o.x1 and o.x0 < w.x1 for o in words):
                words.append(w)
    return sorted(words, key=lambda w: w.x0)


def _line_text(chars) -> str:
    """A line's text from its characters, with a space wherever the gap between two characters
    is a word gap — except the justification gaps Word puts between CJK characters
    (``邮 编 ：``), which are narrower than a character. Wide gaps (table columns without
    rulings) keep their space."""
    parts: list[str] = []
    prev = None
    for char in chars:
        if prev is not None and _is_word_gap(prev, char):
            parts.append(" ")
        parts.append(char.text)
        prev = char
    return "".join(parts)


def _is_word_gap(prev: Char, char: Char) -> bool:
    size = max(prev.size, 1.0)
    gap = char.x0 - prev.x1
    if gap <= WORD_GAP * size:
        return False
    both_cjk = is_cjk(prev.text[-1]) and is_cjk(char.text[0])
    return not (both_cjk and gap < JUSTIFICATION_GAP * size)


def _pdf_text(text: str) -> str:
    return _CJK_GAP.sub("", text)


def _drop_page_numbers(blocks: list[_Line | _Table]) -> list[_Line | _Table]:
    ends = {0, len(blocks) - 1}
    return [b for i, b in enumerate(blocks)
            if not (i in ends and isinstance(b, _Line) and _PAGE_NUMBER.match(b.text))]


def _reflow(blocks: list[_Line | _Table]) -> list[_Line | _Table]:
    """Join visual lines that wrapped at the right margin into one paragraph line."""
    lines = [b for b in blocks if isinstance(b, _Line)]
    if not lines:
        return blocks
    left = Counter(round(line.x0) for line in lines).most_common(1)[0][0]
    out: list[_Line | _Table] = []
    for block in blocks:
        prev = out[-1] if out else None
        if isinstance(block, _Line) and isinstance(prev, _Line) and \
                _wraps_into(prev, block, left):
            out[-1] = _Line(join_wrapped([prev.text, block.text]), prev.top, prev.x0,
                            block.x1, block.size, block.page_width)
        else:
            out.append(block)
    return out


def _wraps_into(prev: _Line, nxt: _Line, left: float) -> bool:
    """``nxt`` continues ``prev``: prev runs to the right margin (taken to mirror the left one),
    nxt starts at the left margin (a new paragraph is indented or follows a short line), in the
    same font size."""
    right = prev.page_width - left
    if _ENDS_WITH_FIGURE.search(prev.text) or _STARTS_NUMBERED.match(nxt.text):
        return False  # a text table row that reaches the margin, or the next row / heading
    return (prev.x1 >= right - 2 * prev.size and nxt.x0 <= left + 0.5 * nxt.size
            and abs(prev.size - nxt.size) < 1.0)


# a row of a table without ruling lines ends in a number cell: "… 926 1417 3948"
_ENDS_WITH_FIGURE = re.compile(r"\s[\d０-９][\d０-９,，.．]*\s*$")
# a numbered row label or heading: 一、 （一） 1. 1、 (1)
_STARTS_NUMBERED = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.．、])")


def _render(blocks: list[_Line | _Table]) -> str:
    builder = TextBuilder()
    for block in blocks:
        if isinstance(block, _Table):
            builder.add_table(block.grid)
        else:
            builder.add_line(block.text)
    return builder.text()
