"""DOCX files: the body in document order, paragraphs as lines and tables as TAB rows.

The zip is checked before anything is unpacked (a DOCX that unpacks to more than
``settings.max_docx_uncompressed_mb``, or with an extreme compression ratio, is refused as a zip
bomb), and the main part is read with a hard size cap (``settings.max_docx_xml_mb``: parsing XML
costs ~15× its size in memory) because member headers can lie. The XML is
walked directly with lxml (python-docx repeats a merged cell's text in every grid position it
covers; the raw ``gridSpan``/``vMerge`` markup lets a merged cell's text appear once). A table
that contains another table is a layout wrapper: its cells are read as ordinary blocks.
"""
from __future__ import annotations

import io
import logging
import posixpath
import zipfile
import zlib

from lxml import etree

from extractor.errors import InputDocumentError
from extractor.ingest.layout import (
    Ingested, SpanCell, TextBuilder, check_cell_count, clean_cell, resolve_grid)
from extractor.settings import Settings

log = logging.getLogger(__name__)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_OFFICE_DOCUMENT = "/officeDocument"
_MB = 1024 * 1024
MAX_RATIO = 200  # real DOCX compress 3–20×; hundreds-fold is a crafted archive
_RATIO_FLOOR_MB = 5  # ratios are only judged once an archive unpacks to at least this much
_CONTAINERS = frozenset({_W + "sdt", _W + "sdtContent", _W + "customXml", _W + "smartTag"})
_TR_PR, _TC_PR, _VAL = _W + "trPr", _W + "tcPr", _W + "val"
_GRID_BEFORE, _GRID_SPAN = _W + "gridBefore", _W + "gridSpan"
_V_MERGE, _H_MERGE = _W + "vMerge", _W + "hMerge"
_INLINE = {_W + "tab": "\t", _W + "br": "\n", _W + "cr": "\n", _W + "noBreakHyphen": "-"}


def ingest_docx(data: bytes, name: str, settings: Settings) -> Ingested:
    """Normalized text of a DOCX file."""
    archive = _open_zip(data, name)
    limit = int(settings.max_docx_uncompressed_mb * _MB)
    _refuse_zip_bomb(archive, name, limit)
    body = _read_body(archive, name, int(settings.max_docx_xml_mb * _MB))
    check_cell_count(sum(1 for _ in body.iter(_W + "tc")), name)
    builder = TextBuilder()
    _walk_blocks(body, builder)
    return Ingested(text=builder.text())


def _open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise InputDocumentError(
            f"{name} is not a valid DOCX (it is not a readable zip archive: {exc}); if it is an "
            "old .doc file convert it with `libreoffice --headless --convert-to docx FILE`, "
            "otherwise download it again") from exc


def _refuse_zip_bomb(archive: zipfile.ZipFile, name: str, limit: int) -> None:
    infos = archive.infolist()
    unpacked = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    if unpacked > limit:
        raise InputDocumentError(
            f"{name} would unpack to {unpacked / _MB:.0f} MB, more than the "
            f"{limit / _MB:.0f} MB allowed (max_docx_uncompressed_mb); this looks like a zip bomb. "
            "Supply the report as PDF/HTML, or raise NIANBAO_MAX_DOCX_UNCOMPRESSED_MB if you "
            "trust the file")
    if unpacked > _RATIO_FLOOR_MB * _MB and unpacked / packed > MAX_RATIO:
        raise InputDocumentError(
            f"{name} has a compression ratio of {unpacked / packed:.0f}:1, which real Word files "
            "never reach; this looks like a zip bomb. Re-save it from Word/LibreOffice or supply "
            "the report as PDF/HTML")


def _read_body(archive: zipfile.ZipFile, name: str, limit: int):
    part = _main_part_name(archive)
    if part not in archive.NameToInfo:
        raise InputDocumentError(
            f"{name} is a zip archive but not a Word document (no {part} inside); supply the "
            "report as DOCX saved by Word/LibreOffice, or as PDF/HTML")
    xml = _read_capped(archive, part, name, limit)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise InputDocumentError(
            f"{name}: its {part} is not well-formed XML ({exc}); open and re-save the file in "
            "Word/LibreOffice, or supply it as PDF") from exc
    _drop_fallbacks(root)
    body = root.find(_W + "body")
    if body is None:
        raise InputDocumentError(f"{name}: its {part} has no document body; re-save the file "
                                 "in Word/LibreOffice, or supply it as PDF")
    return body


def _main_part_name(archive: zipfile.ZipFile) -> str:
    """The main document part named by the package relationships (usually word/document.xml)."""
    try:
        rels = etree.fromstring(archive.read("_rels/.rels"),
                                etree.XMLParser(resolve_entities=False, no_network=True))
    except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, OSError):
        return "word/document.xml"
    for rel in rels.iter(_REL):
        if rel.get("Type", "").endswith(_OFFICE_DOCUMENT):
            return posixpath.normpath(rel.get("Target", "").lstrip("/"))
    return "word/document.xml"


def _read_capped(archive: zipfile.ZipFile, part: str, name: str, limit: int) -> bytes:
    """Read one member, stopping at ``limit`` bytes whatever its header claims."""
    try:
        with archive.open(part) as member:
            data = member.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, NotImplementedError) as exc:
        raise InputDocumentError(
            f"{name}: {part} cannot be unpacked ({exc}); the file is corrupt or encrypted — "
            "remove the password / re-save it in Word, or supply it as PDF") from exc
    if len(data) > limit:
        raise InputDocumentError(
            f"{name}: its text part {part} unpacks to more than {limit / _MB:.0f} MB "
            "(max_docx_xml_mb; a long report's is a few MB, and parsing it takes ~15× its size in "
            "memory). Supply the report as PDF/HTML, or raise NIANBAO_MAX_DOCX_XML_MB if you trust "
            "the file")
    return data


def _drop_fallbacks(root) -> None:
    """mc:Fallback repeats its mc:Choice (text boxes, shapes); keep only one copy."""
    for fallback in list(root.iter(_MC_FALLBACK)):
        fallback.getparent().remove(fallback)


def _children(el):
    """Block-level children, looking through content controls and custom-XML wrappers."""
    for child in el:
        if child.tag in _CONTAINERS:
            yield from _children(child)
        else:
            yield child


def _walk_blocks(container, builder: TextBuilder) -> None:
    for child in _children(container):
        if child.tag == _W + "p":
            for line in paragraph_text(child).split("\n"):
                builder.add_line(line)
        elif child.tag == _W + "tbl":
            _add_table(child, builder)


def paragraph_text(p) -> str:
    """The text of one w:p: runs in order, w:tab as TAB, breaks as newlines."""
    parts = []
    for el in p.iter():
        if el.tag == _W + "t":
            parts.append(el.text or "")
        else:
            parts.append(_INLINE.get(el.tag, ""))
    return "".join(parts)


def _add_table(tbl, builder: TextBuilder) -> None:
    rows = [row for row in _children(tbl) if row.tag == _W + "tr"]
    if tbl.find(".//" + _W + "tbl") is not None:
        for row in rows:  # a layout wrapper: read its cells as blocks
            for tc in _row_cells(row):
                _walk_blocks(tc, builder)
        return
    builder.add_table(resolve_grid([_span_cells(row) for row in rows]))


def _row_cells(tr) -> list:
    return [c for c in _children(tr) if c.tag == _W + "tc"]


def _span_cells(tr) -> list[SpanCell]:
    cells = []
    row_props = tr.find(_TR_PR)
    before = _int_val(row_props.find(_GRID_BEFORE) if row_props is not None else None, 0)
    if before:
        cells.append(SpanCell("", colspan=before))
    for tc in _row_cells(tr):
        props = tc.find(_TC_PR)
        if props is None:
            cells.append(SpanCell(_cell_text(tc)))
            continue
        text = "" if _continues_merge(props) else _cell_text(tc)
        cells.append(SpanCell(text, colspan=_int_val(props.find(_GRID_SPAN), 1)))
    return cells


def _continues_merge(props) -> bool:
    """A w:tc covered by the merged cell above (vMerge) or to its left (legacy hMerge)."""
    for tag in (_V_MERGE, _H_MERGE):
        merge = props.find(tag)
        if merge is not None and merge.get(_VAL, "continue") == "continue":
            return True
    return False


def _cell_text(tc) -> str:
    lines = [paragraph_text(p) for p in tc.iter(_W + "p")]
    return clean_cell("\n".join(lines))


def _int_val(el, default: int) -> int:
    if el is None:
        return default
    try:
        return max(0, int(el.get(_VAL, default)))
    except ValueError:
        return default
