"""Ingest: a file on disk → one normalized ``schemas.Document``.

This stage owns reading files: refusing what cannot be read (with a message saying what to do),
picking the format (content signature, then extension, then a look at the text), decoding, and
laying the content out in the normalized text convention of ``layout`` (paragraphs as lines, table
rows as TAB-separated lines). One module per format; later stages only ever see ``Document.text``.
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from extractor.errors import InputDocumentError
from extractor.ingest.layout import Ingested
from extractor.ingest.sniff import sniff_format
from extractor.settings import Settings
from schemas import Document
from schemas.common import Format

log = logging.getLogger(__name__)

__all__ = ["ingest_file", "ingest_bytes"]

_MB = 1024 * 1024


def ingest_file(path: Path, settings: Settings) -> Document:
    """Read ``path`` into a normalized Document; raises ``InputDocumentError`` for a bad file."""
    path = Path(path)
    data = _read_checked(path, settings)
    return ingest_bytes(data, path, settings)


def ingest_bytes(data: bytes, path: Path, settings: Settings) -> Document:
    """Normalize a document already in memory (an upload); ``path`` names it and its extension
    is a hint for the format."""
    path = Path(path)
    _check_size(path, len(data), settings)
    fmt = sniff_format(path, data[:4096])
    content = _read_format(fmt, data, str(path), settings)
    for warning in (*content.warnings, *content.lost):
        log.warning("%s: %s", path, warning)
    return Document(path=str(path), sha256=hashlib.sha256(data).hexdigest(), format=fmt,
                    text=content.text, size=len(data), pages=content.pages,
                    warnings=content.warnings, lost=content.lost)


def _read_checked(path: Path, settings: Settings) -> bytes:
    """The file's bytes, after checking it exists, is a file and is not too large."""
    try:
        if not path.exists():
            raise InputDocumentError(_missing_message(path))
        if not path.is_file():
            kind = "a folder" if path.is_dir() else "a FIFO, socket or device"
            raise InputDocumentError(f"{path} is not a regular file ({kind}); pass the report file itself")
        size = path.stat().st_size
        _check_size(path, size, settings)
        with path.open("rb") as handle:
            # read what stat reported plus one byte: a file that grew past the limit since the
            # check is caught by ingest_bytes' size check, and no limit-sized buffer is allocated
            return handle.read(size + 1) + _rest_capped(handle, settings)
    except OSError as exc:
        raise InputDocumentError(
            f"{path} cannot be read ({exc.strerror or exc}); check its permissions") from exc


def _missing_message(path: Path) -> str:
    if not path.is_symlink():
        return f"{path} does not exist; check the path"
    try:
        target = path.readlink()
        path.resolve(strict=True)
    except RuntimeError:  # Python < 3.13 reports a loop this way
        return f"{path} is a symbolic link loop; point the link at the report file"
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            return f"{path} is a symbolic link loop; point the link at the report file"
        return f"{path} is a symbolic link to {target}, which does not exist; fix or remove the link"
    return f"{path} is a symbolic link to {target}, which does not exist; fix or remove the link"


def _rest_capped(handle, settings: Settings) -> bytes:
    """Whatever a growing file gained after stat, up to the limit (normally nothing)."""
    return handle.read(int(settings.max_file_mb * _MB) + 1) if handle.peek(1) else b""


def _check_size(path: Path, size: int, settings: Settings) -> None:
    if size == 0:
        raise InputDocumentError(f"{path} is empty (0 bytes); the download or copy probably "
                                 "failed — fetch the report again")
    limit = settings.max_file_mb * _MB
    if size > limit:
        raise InputDocumentError(
            f"{path} is {size / _MB:.1f} MB, larger than the {settings.max_file_mb:g} MB allowed; "
            "split or compress it, or raise NIANBAO_MAX_FILE_MB")


def _read_format(fmt: Format, data: bytes, name: str, settings: Settings) -> Ingested:
    if fmt == "pdf":
        from extractor.ingest.pdf import ingest_pdf
        content = ingest_pdf(data, name)
    elif fmt == "docx":
        from extractor.ingest.docx import ingest_docx
        content = ingest_docx(data, name, settings)
    elif fmt == "html":
        from extractor.ingest.html import ingest_html
        content = ingest_html(data, name)
    else:
        from extractor.ingest.text import ingest_text
        content = ingest_text(data, name)
    if not content.text.strip():
        raise InputDocumentError(f"{name} contains no text; if it is a scan run OCR first, "
                                 "otherwise supply the report in another format")
    return content
