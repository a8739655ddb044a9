"""Decide a file's format: by its content signature first (an extension can lie), then by its
extension, then by a look at text content. Binary files of a kind we cannot read are refused
with a message naming what they are and what to supply instead."""
from __future__ import annotations

import re
from pathlib import Path

from extractor.errors import InputDocumentError
from schemas.common import Format

EXTENSIONS: dict[str, Format] = {
    ".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
    ".html": "html", ".htm": "html", ".xhtml": "html", ".shtml": "html",
    ".docx": "docx", ".pdf": "pdf",
}

# Binary kinds we recognise but cannot read, with what to do instead.
_UNSUPPORTED = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
     "an old binary Word/Office (.doc/.xls) file or a password-protected Office file",
     "convert it: libreoffice --headless --convert-to docx FILE (remove any password first)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "run OCR on it or supply the report as text"),
    (b"\xff\xd8\xff", "a JPEG image", "run OCR on it or supply the report as text"),
    (b"GIF8", "a GIF image", "run OCR on it or supply the report as text"),
    (b"II*\x00", "a TIFF image", "run OCR on it or supply the report as text"),
    (b"MM\x00*", "a TIFF image", "run OCR on it or supply the report as text"),
    (b"{\\rtf", "an RTF document", "convert it: libreoffice --headless --convert-to docx FILE"),
    (b"Rar!", "a RAR archive", "unpack it and extract the report inside"),
    (b"\x1f\x8b", "a gzip archive", "unpack it and extract the report inside"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "unpack it and extract the report inside"),
)
_HTML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<(?:!doctype\s+html|html|head|body|meta|table)\b",
                         re.IGNORECASE)
_HTML_ANYWHERE = re.compile(rb"<(?:html|body|table|div|p)\b[^>]*>", re.IGNORECASE)


def sniff_format(path: Path, head: bytes) -> Format:
    """The format to read ``path`` as, from the first bytes of its content and its name."""
    by_content = _format_by_signature(path, head)
    if by_content:
        return by_content
    by_name = EXTENSIONS.get(path.suffix.lower())
    if by_name in ("docx", "pdf"):
        raise _mismatch_error(path, by_name, head)
    if by_name in ("txt", "md") and _HTML_START.match(head):
        return "html"
    if by_name:
        return by_name
    return "html" if _HTML_START.match(head) or _HTML_ANYWHERE.search(head) else "txt"


def _format_by_signature(path: Path, head: bytes) -> Format | None:
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "docx"
    for magic, what, fix in _UNSUPPORTED:
        if head.startswith(magic):
            raise InputDocumentError(f"{path} is {what}, which nianbao cannot read; {fix}")
    return None


def _mismatch_error(path: Path, expected: Format, head: bytes) -> InputDocumentError:
    looks = "text" if _looks_textual(head) else "unrecognised binary data"
    return InputDocumentError(
        f"{path} is named .{expected} but its content is {looks}, not a {expected.upper()} file; "
        "check that the download is complete and the right file, or rename it to its real type")


def _looks_textual(head: bytes) -> bool:
    return b"\x00" not in head[:1024]
