"""The extraction pipeline for one document: ingest → read (rules, then LLM) → check → record.

Each stage is a function of typed data; this module only wires them and turns a bad input into
a ``failed`` record so a batch goes on."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from extractor.errors import InputDocumentError
from extractor.settings import Settings
from schemas import Check, Document, Record, Source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """One document's result: its record, and its normalized text when ingest succeeded."""

    record: Record
    document: Document | None = None


def run(path: Path, settings: Settings, llm=None, data: bytes | None = None) -> Outcome:
    """The one per-document guard, used by the batch, the service upload and the eval runner.

    ``data`` is the file's bytes when they are already in memory (an upload); ``path`` then only
    names it. Never raises for a document: a bad input is a ``failed`` record saying what is wrong,
    an exception of ours is a ``failed`` record asking for a report."""
    from extractor.ingest import ingest_bytes, ingest_file

    path = Path(path)
    try:
        doc = ingest_file(path, settings) if data is None else ingest_bytes(data, path, settings)
    except InputDocumentError as exc:
        return Outcome(_failed(path, data, str(exc), settings))
    except Exception as exc:  # noqa: BLE001 - our bug: fail this document, keep the batch going
        log.exception("internal error ingesting %s", path)
        return Outcome(_failed(path, data, internal_error(exc), settings))
    try:
        record = extract_document(doc, settings, llm=llm)
    except Exception as exc:  # noqa: BLE001
        log.exception("internal error extracting %s", path)
        return Outcome(_failed(path, data, internal_error(exc), settings), doc)
    if data is not None:  # the record names the upload, not a temporary path
        record = record.model_copy(update={"source": record.source.model_copy(update={"path": str(path)})})
    return Outcome(record, doc)


def extract_file(path: Path, settings: Settings, llm=None) -> Record:
    """Extract one file. Never raises for a document: the record has status ``failed``."""
    return run(path, settings, llm).record


def internal_error(exc: Exception) -> str:
    return f"internal error ({type(exc).__name__}: {exc}); please report this with the input file"


def _failed(path: Path, data: bytes | None, message: str, settings: Settings) -> Record:
    if data is None:
        return failed_record(path, message, max_hash_mb=settings.max_file_mb)
    return Record(source=Source(path=str(path), sha256=hashlib.sha256(data).hexdigest(), size=len(data)),
                  status="failed", error=message)


def extract_document(doc: Document, settings: Settings, llm=None) -> Record:
    """Read, optionally complete with the LLM, and check a normalized document."""
    from extractor.check import check_record, not_a_report, status_for
    from extractor.read.rules import read_document

    record = read_document(doc)
    if llm is not None:
        record = llm.complete(doc, record)
    reason = not_a_report(record, doc.text)
    if reason:
        if doc.warnings:  # what ingest lost may be why (a page nested past the parser's limit)
            reason += "; reading it: " + "; ".join(doc.warnings)
        return record.model_copy(update={"status": "failed", "error": reason})
    checks = list(record.checks) + check_record(record, doc.text)
    checks += [Check(rule="ingest.text_lost", severity="error", message=m) for m in doc.lost]
    # the LLM step marks a record failed when it was the only reader and its endpoint failed
    status = "failed" if record.status == "failed" else status_for(checks)
    return record.model_copy(update={"checks": checks, "status": status})


HASH_CHUNK = 1 << 20


def file_sha256(path: Path) -> tuple[str, int]:
    """The file's sha256 and size, read in 1 MiB chunks (never the whole file at once)."""
    if not Path(path).is_file():  # a FIFO would block, a folder cannot be hashed
        raise IsADirectoryError(f"{path} is not a regular file")
    digest, size = hashlib.sha256(), 0
    with Path(path).open("rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def failed_record(path: Path, message: str, max_hash_mb: float | None = None) -> Record:
    """The record of a document that could not be read at all. A file larger than
    ``max_hash_mb`` keeps its size but no sha256: a file refused unread for its size (an 8 GB
    sparse file) is not read whole just to name it."""
    try:
        size = Path(path).stat().st_size if Path(path).is_file() else None
        if size is None or (max_hash_mb is not None and size > max_hash_mb * 1024 * 1024):
            sha = ""
        else:
            sha, size = file_sha256(path)
    except OSError:
        sha, size = "", None
    return Record(
        source=Source(path=str(path), sha256=sha, format=None, size=size),
        status="failed",
        error=message,
    )
