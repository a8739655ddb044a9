"""What the PDF reader needs from a page, read with pypdfium2 (PDFium): characters with boxes,
and the painted path objects (rulings, cell borders, shading boxes).

Coordinates are those the rest of ``ingest.pdf`` was written against: x from the left edge,
``top``/``bottom`` measured down from the top of the MediaBox, a character's box running from its
origin over its advance width (x) and from the font's descent over one font size (y) — the box
pdfminer gave, so thresholds in ems and points keep their meaning.

PDFium is not thread-safe: every call into it goes through ``PDFIUM_LOCK`` (one document at a
time per process). Parallel extraction is by process, where each process has its own PDFium.
"""
from __future__ import annotations

import ctypes
import functools
import threading
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as raw

def _int_handles():
    """PDFium's text-object and font getters returning plain ints (cheap to compare and hash,
    unlike ctypes pointers), for the per-text-object font cache."""
    from pypdfium2_raw import bindings

    lib = bindings._libs["pdfium"]
    get_object = lib["FPDFText_GetTextObject"]
    get_object.argtypes, get_object.restype = [raw.FPDF_TEXTPAGE, ctypes.c_int], ctypes.c_void_p
    get_font = lib["FPDFTextObj_GetFont"]
    get_font.argtypes, get_font.restype = [ctypes.c_void_p], ctypes.c_void_p
    get_descent = lib["FPDFFont_GetDescent"]
    get_descent.argtypes = [ctypes.c_void_p, ctypes.c_float, ctypes.POINTER(ctypes.c_float)]
    get_descent.restype = ctypes.c_int
    get_width = lib["FPDFFont_GetGlyphWidth"]
    get_width.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_float,
                          ctypes.POINTER(ctypes.c_float)]
    get_width.restype = ctypes.c_int
    return get_object, get_font, get_descent, get_width


_GET_OBJECT, _GET_FONT, _GET_DESCENT, _GET_WIDTH = _int_handles()
PDFIUM_LOCK = threading.RLock()  # PDFium keeps global state: one caller at a time
UNMAPPED = "\ufffd"  # the text of a glyph whose font has no Unicode mapping for it
MAX_FORM_DEPTH = 8  # nested form XObjects followed this deep for path objects
# the standard Latin fonts, which PDFium always has glyphs for (its own built-in fonts)
LATIN_FONTS = ("Helvetica", "Times", "Courier", "Symbol", "ZapfDingbats", "Arial")


@dataclass(slots=True)
class Char:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    upright: bool = True
    unmapped: bool = False


@dataclass(slots=True)
class Shape:
    """A painted path (sub)path, classified as pdfminer did: a two-point ``line``, an
    axis-aligned closed four-corner ``rect``, or any other ``curve`` (``pts`` its vertices)."""

    kind: str
    pts: list[tuple[float, float]]
    stroke: bool
    fill: bool
    x0: float = 0.0
    x1: float = 0.0
    top: float = 0.0
    bottom: float = 0.0

    def __post_init__(self) -> None:
        xs = [p[0] for p in self.pts]
        ys = [p[1] for p in self.pts]
        self.x0, self.x1, self.top, self.bottom = min(xs), max(xs), min(ys), max(ys)

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass
class PageContent:
    width: float
    height: float
    chars: list[Char] = field(default_factory=list)
    shapes: list[Shape] = field(default_factory=list)
    images: int = 0
    # the base font name of each text object in a non-embedded font that PDFium's text layer
    # dropped (see ``_lost_text``)
    lost_text: list[str] = field(default_factory=list)


class PasswordProtected(Exception):
    """The PDF needs a password to be opened."""


def open_document(data: bytes) -> pdfium.PdfDocument:
    """The document; ``PasswordProtected`` when it is encrypted with a user password, PDFium's
    own error otherwise."""
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == raw.FPDF_ERR_PASSWORD:
            raise PasswordProtected(str(exc)) from exc
        raise


def read_page(doc: pdfium.PdfDocument, index: int, max_shapes: int | None = None) -> PageContent:
    """Characters, path shapes and the image count of page ``index``. With ``max_shapes`` set,
    collecting shapes stops once there are more than that many (the caller then skips table
    finding on the page: maps and charts can have 10⁵ drawn lines)."""
    page = doc[index]
    try:
        x0, y0, x1, y1 = page.get_mediabox()
        flip = y0 + y1  # top = flip - y: measured down from the MediaBox top
        content = PageContent(width=x1 - x0, height=y1 - y0)
        texts: dict[int, object] = {}
        _walk_objects(page.raw, content, flip, max_shapes, texts)
        textpage = page.get_textpage()
        try:
            seen: set[int] = set()
            content.chars = _chars(textpage.raw, flip, seen)
        finally:
            textpage.close()
        content.lost_text = _lost_text(obj for handle, obj in texts.items() if handle not in seen)
    finally:
        page.close()
    return content


def _walk_objects(raw_page, content: PageContent, flip: float, limit: int | None,
                  texts: dict) -> None:
    """Shapes and the image count into ``content``; every text object into ``texts`` (by its
    handle as an int, as ``_chars`` sees it)."""
    stack = [(raw.FPDFPage_CountObjects(raw_page), lambda i: raw.FPDFPage_GetObject(raw_page, i),
              None, 0)]
    while stack:
        count, get, matrix, depth = stack.pop()
        for i in range(count):
            obj = get(i)
            kind = raw.FPDFPageObj_GetType(obj)
            if kind == raw.FPDF_PAGEOBJ_PATH:
                if limit is None or len(content.shapes) <= limit:
                    content.shapes.extend(_shapes(obj, matrix, flip))
            elif kind == raw.FPDF_PAGEOBJ_TEXT:
                texts[ctypes.cast(obj, ctypes.c_void_p).value] = obj
            elif kind == raw.FPDF_PAGEOBJ_IMAGE:
                content.images += 1
            elif kind == raw.FPDF_PAGEOBJ_FORM and depth < MAX_FORM_DEPTH:
                inner = _compose(_matrix(obj), matrix)
                stack.append((raw.FPDFFormObj_CountObjects(obj),
                              lambda j, form=obj: raw.FPDFFormObj_GetObject(form, j),
                              inner, depth + 1))


def _matrix(obj) -> tuple[float, ...]:
    m = raw.FS_MATRIX()
    if not raw.FPDFPageObj_GetMatrix(obj, m):
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner, outer):
    """``inner`` then ``outer`` (PDF row-vector convention)."""
    if outer is None:
        return inner
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)


def _shapes(obj, outer, flip: float) -> list[Shape]:
    fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
    if not raw.FPDFPath_GetDrawMode(obj, fill_mode, stroke):
        return []
    is_fill, is_stroke = fill_mode.value != 0, bool(stroke.value)
    if not (is_fill or is_stroke):
        return []
    a, b, c, d, e, f = _compose(_matrix(obj), outer)
    x, y = ctypes.c_float(), ctypes.c_float()
    subpaths: list[list[tuple[str, tuple[float, float]]]] = []
    pending_bezier = 0
    for i in range(raw.FPDFPath_CountSegments(obj)):
        seg = raw.FPDFPath_GetPathSegment(obj, i)
        raw.FPDFPathSegment_GetPoint(seg, x, y)
        px, py = float(x.value), float(y.value)
        point = (a * px + c * py + e, flip - (b * px + d * py + f))
        kind = raw.FPDFPathSegment_GetType(seg)
        if kind == raw.FPDF_SEGMENT_MOVETO or not subpaths:
            subpaths.append([("m", point)])
            pending_bezier = 0
        elif kind == raw.FPDF_SEGMENT_BEZIERTO:
            pending_bezier += 1
            if pending_bezier == 3:  # two control points, then the end point
                subpaths[-1].append(("c", point))
                pending_bezier = 0
        else:
            subpaths[-1].append(("l", point))
        if raw.FPDFPathSegment_GetClose(seg):
            subpaths[-1].append(("h", subpaths[-1][0][1]))
    return [shape for ops in subpaths if (shape := _classify(ops, is_stroke, is_fill))]


def _classify(ops, stroke: bool, fill: bool) -> Shape | None:
    shape = "".join(op for op, _ in ops)
    pts = [p for _, p in ops]
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape = shape[:-2] + "h"
        pts.pop()
    if len(pts) < 2 and shape != "m":
        return None
    if shape == "m":
        return None  # a lone move paints nothing
    if shape in ("mlh", "ml"):
        return Shape("line", pts[:2], stroke, fill)
    if shape in ("mlllh", "mllll"):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or \
                 (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)
        if pts[0] == pts[4] and square:
            return Shape("rect", pts[:4], stroke, fill)
    return Shape("curve", pts, stroke, fill)


def _chars(textpage, flip: float, seen: set[int]) -> list[Char]:
    """The text layer's characters; the handle of every text object they come from into ``seen``."""
    chars: list[Char] = []
    rect = raw.FS_RECTF()
    ox, oy = ctypes.c_double(), ctypes.c_double()
    objects: dict[int, tuple] = {}  # text object → what its characters share
    descents: dict[tuple, float] = {}
    widths: dict[tuple, float | None] = {}  # (font, code, size) → advance width
    count = raw.FPDFText_CountChars(textpage)
    codes = _codes(textpage, count)
    for i in range(count):
        handle = _GET_OBJECT(textpage, i)
        if not handle:
            continue  # spaces and line breaks PDFium infers (no text object); pdfminer had none
        code = codes[i] if codes is not None else raw.FPDFText_GetUnicode(textpage, i)
        unmapped = raw.FPDFText_HasUnicodeMapError(textpage, i) == 1
        text = UNMAPPED if unmapped or code in (0, 0xFFFE, 0xFFFF) else chr(code)
        shared = objects.get(handle)
        if shared is None:
            shared = objects[handle] = _object_info(textpage, i, handle, descents)
        upright, scale_x, scale_y, size_pt, font, font_descent = shared
        if not upright:
            raw.FPDFText_GetLooseCharBox(textpage, i, rect)
            chars.append(Char(text, rect.left, rect.right, flip - rect.top, flip - rect.bottom,
                              abs(rect.right - rect.left), False, unmapped))
            continue
        raw.FPDFText_GetCharOrigin(textpage, i, ox, oy)
        x0 = ox.value
        size = size_pt * abs(scale_y)
        key = (font, code, size_pt)
        if key not in widths:
            widths[key] = _advance(font, code, size_pt) if font and not unmapped else None
        width = widths[key]
        if width is None:  # no width from the font: PDFium's loose box (it adds Tc)
            raw.FPDFText_GetLooseCharBox(textpage, i, rect)
            x0, x1 = rect.left, rect.right
        else:
            x1 = x0 + width * scale_x
        if x1 < x0:  # vertical writing: the advance runs down, the box is one em wide
            x1 = x0 + size  # (its top can sit ~0.14 em lower than pdfminer put it)
        bottom = flip - (oy.value + font_descent * scale_y)
        chars.append(Char(text, x0, x1, bottom - size, bottom, size, True, unmapped))
    seen.update(objects)
    return chars


_BOUNDS = tuple(ctypes.c_float() for _ in range(4))
_NAME = ctypes.create_string_buffer(256)


def _lost_text(objects) -> list[str]:
    """The base font name of each of ``objects`` (text objects no character of the text layer
    came from) that PDFium may have dropped for want of glyphs: it skips a text object whose box
    is empty, and a lone character in a font the PDF does not embed has an empty box when no
    system font has its glyph (a CJK character in SimSun/STSong on a machine without CJK fonts).
    A lone space has an empty box too; PDFium does not tell the two apart, so the caller only
    warns when this machine cannot read such characters (``reads_unembedded_cjk``)."""
    lost = []
    for obj in objects:
        left, bottom, right, top = _BOUNDS
        if raw.FPDFPageObj_GetBounds(obj, *map(ctypes.byref, _BOUNDS)) and \
                (right.value - left.value > 0.01 or top.value - bottom.value > 0.01):
            continue  # its box is not empty: not what PDFium drops
        font = raw.FPDFTextObj_GetFont(obj)
        if not font or raw.FPDFFont_GetIsEmbedded(font) == 1:
            continue  # an embedded font has its glyphs: an empty box is a space
        size = raw.FPDFFont_GetBaseFontName(font, _NAME, len(_NAME))
        name = _NAME.value.decode("latin-1", "replace") if size else "?"
        if not name.startswith(LATIN_FONTS):  # PDFium has built-in glyphs for these
            lost.append(name)
    return lost


# One character (规) in STSong-Light, not embedded, encoded UniGB-UCS2-H: PDFium reads it only
# when a system font has CJK glyphs. (No xref: PDFium rebuilds it.)
_CJK_PROBE = b"""%PDF-1.4
1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj
2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj
3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 100 100]/Resources<</Font<</F1 5 0 R>>>>/Contents 4 0 R>> endobj
4 0 obj <</Length 34>> stream
BT /F1 12 Tf 10 10 Td <89C4> Tj ET
endstream endobj
5 0 obj <</Type/Font/Subtype/Type0/BaseFont/STSong-Light/Encoding/UniGB-UCS2-H/DescendantFonts[6 0 R]>> endobj
6 0 obj <</Type/Font/Subtype/CIDFontType0/BaseFont/STSong-Light/CIDSystemInfo<</Registry(Adobe)/Ordering(GB1)/Supplement 2>>/FontDescriptor 7 0 R/DW 1000>> endobj
7 0 obj <</Type/FontDescriptor/FontName/STSong-Light/Flags 6/FontBBox[0 -200 1000 900]/ItalicAngle 0/Ascent 880/Descent -120/CapHeight 880/StemV 93>> endobj
trailer <</Root 1 0 R>>
%%EOF
"""


@functools.cache
def reads_unembedded_cjk() -> bool:
    """Whether PDFium here reads a lone character of a Chinese font a PDF does not embed (it
    needs a CJK system font, e.g. Debian's fonts-noto-cjk or fonts-wqy-microhei)."""
    with PDFIUM_LOCK:
        doc = pdfium.PdfDocument(_CJK_PROBE)
        try:
            page = doc[0]
            textpage = page.get_textpage()
            try:
                return textpage.get_text_range() == "规"
            finally:
                textpage.close()
                page.close()
        finally:
            doc.close()


def _codes(textpage, count: int) -> list[int] | None:
    """Every character's code point in one call (None when the UTF-16 text does not line up
    one unit per character, e.g. characters beyond the BMP: then they are asked one by one)."""
    if count <= 0:
        return []
    buffer = (ctypes.c_ushort * (count + 1))()
    written = raw.FPDFText_GetText(textpage, 0, count, buffer)
    if written != count + 1:
        return None
    units = list(buffer[:count])
    if any(0xD800 <= u <= 0xDFFF for u in units):
        return None
    return units


_MATRIX = raw.FS_MATRIX()
_DESCENT = ctypes.c_float()


def _object_info(textpage, index: int, handle: int, descents: dict) -> tuple:
    """(upright, x scale, y scale, font size, font, descent) of a character's text object;
    ``descents`` caches the font descent per (font, size) across the page's objects."""
    m = _MATRIX
    raw.FPDFText_GetMatrix(textpage, index, m)
    size_pt = raw.FPDFText_GetFontSize(textpage, index)
    font = _GET_FONT(handle) if handle else None
    descent = descents.get((font, size_pt))
    if descent is None:
        ok = font and _GET_DESCENT(font, size_pt, _DESCENT)
        descent = descents[(font, size_pt)] = _DESCENT.value if ok else 0.0
    return (m.b == 0 and m.c == 0, m.a, m.d, size_pt, font, descent)


_WIDTH = ctypes.c_float()


def _advance(font: int, code: int, size_pt: float) -> float | None:
    """The glyph's advance width in text space. PDFium's loose box also counts the text
    object's character spacing (Tc); pdfminer's box, which the thresholds were tuned on, did not."""
    if code <= 0 or not _GET_WIDTH(font, code, size_pt, _WIDTH):
        return None
    return _WIDTH.value
