"""Plain text and Markdown: find the encoding (never assume it) and keep the text as it is.

The encoding is decided from a byte-order mark, then strict UTF-8, then GB18030 (the superset of
GB2312/GBK that Chinese government sites use), then charset-normalizer. Bytes that are not text
(NUL bytes outside UTF-16, or a decoding that is mostly control characters) are refused.
TXT tables in the wild are one cell per line and Markdown tables are pipe rows; both are kept
as they are, the reader handles them.
"""
from __future__ import annotations

import codecs
import logging
import re

from extractor.errors import InputDocumentError
from extractor.ingest.layout import Ingested

log = logging.getLogger(__name__)

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters (other than TAB, line ends, form feed and the DOS end-of-file mark),
# C1 controls, the replacement character and the private-use area: not text.
_GARBAGE = re.compile("[\x00-\x08\x0e-\x19\x1b-\x1f\x7f-\x9f\ufffd\ue000-\uf8ff]")
_SINGLE_BYTE_WESTERN = frozenset({"latin-1", "iso8859-1", "cp1252", "ascii", "iso8859-15"})
MAX_GARBAGE_RATIO = 0.02
MIN_PLAUSIBLE = 0.9  # share of ordinary characters a BOM-less UTF-16 guess must reach


def ingest_text(data: bytes, name: str) -> Ingested:
    """Decode a .txt/.md file and normalize its line ends."""
    text, encoding = decode_bytes(data, name)
    log.debug("%s decoded as %s", name, encoding)
    return Ingested(text=normalize_newlines(text))


def normalize_newlines(text: str) -> str:
    """\\r\\n and lone \\r become \\n; a leading BOM character is dropped."""
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")


def decode_bytes(data: bytes, name: str, declared: str | None = None) -> tuple[str, str]:
    """Decode bytes of a text document; ``declared`` is an encoding the document names itself
    (an HTML meta charset), tried after a BOM and strict UTF-8, before guessing."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(_decode_strict(data, encoding, name), name), encoding
    if b"\x00" in data:
        utf16 = _guess_bomless_utf16(data)
        if utf16 is None:
            raise _binary_error(name, "it contains NUL bytes")
        return _checked(_decode_strict(data, utf16, name), name), utf16
    for encoding in _candidates(declared):
        try:
            return _checked(data.decode(encoding), name), encoding
        except UnicodeDecodeError:
            continue
    return _decode_detected(data, name)


def _candidates(declared: str | None) -> list[str]:
    """Strict UTF-8 first even against a declaration: GBK text is almost never valid UTF-8, while
    pages that declare one charset and are saved in another are common. A declared western
    single-byte charset decodes any bytes, so for these reports it comes after GB18030."""
    codec = normalize_encoding_name(declared)
    if codec in _SINGLE_BYTE_WESTERN:
        return ["utf-8", "gb18030", codec]
    return ["utf-8"] + ([codec] if codec and codec != "utf-8" else []) + ["gb18030"]


def normalize_encoding_name(name: str | None) -> str | None:
    """A Python codec for a declared charset; GB2312/GBK are read as their superset GB18030."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("'\"")).name
    except LookupError:
        return None
    return "gb18030" if codec in {"gb2312", "gbk", "gb18030"} else codec


def _decode_detected(data: bytes, name: str) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise _binary_error(name, "no text encoding fits its bytes")
    return _checked(str(best), name), best.encoding


def _decode_strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputDocumentError(
            f"{name}: the text is not valid {encoding} ({exc.reason} at byte {exc.start}); "
            "re-save it as UTF-8") from exc


def _guess_bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: the byte order whose decoding is plausible text (ASCII, CJK and
    CJK punctuation); the wrong order turns line ends and digits into unrelated scripts."""
    sample = data[:8192]
    best, best_score = None, MIN_PLAUSIBLE
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = sample[: len(sample) // 2 * 2].decode(encoding)
        except UnicodeDecodeError:
            continue
        score = sum(1 for ch in text if _plausible(ch)) / max(1, len(text))
        if score > best_score:
            best, best_score = encoding, score
    return best


def _plausible(char: str) -> bool:
    code = ord(char)
    return (0x20 <= code < 0x7F or char in "\t\n\r" or 0x4E00 <= code <= 0x9FFF
            or 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF or 0x2010 <= code <= 0x206F)


def _checked(text: str, name: str) -> str:
    """Refuse a decoding that is mostly control characters: the file is binary."""
    if not text.strip():
        raise InputDocumentError(f"{name}: the file holds no text (only whitespace); "
                                 "supply the report itself")
    sample = text[:20000]
    bad = len(_GARBAGE.findall(sample))
    if bad > MAX_GARBAGE_RATIO * len(sample):
        raise _binary_error(name, f"{bad} of its first {len(sample)} characters are control "
                                  "or unassigned characters")
    return text


def _binary_error(name: str, reason: str) -> InputDocumentError:
    return InputDocumentError(
        f"{name} is not a text document ({reason}); supply the report as TXT, HTML, DOCX or PDF")
