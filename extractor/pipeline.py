"""The extraction pipeline for one document: ingest → read (rules, then LLM) → check → record.

Each stage is a function of typed data; this module only wires them and turns a bad input into
a ``failed`` record so a batch goes on."""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from extractor.errors import InputDocumentError
from extractor.settings import Settings
from schemas import Document, Record, Source

log = logging.getLogger(__name__)


def extract_file(path: Path, settings: Settings, llm=None) -> Record:
    """Extract one file. Never raises for a bad input: the record has status ``failed``."""
    from extractor.ingest import ingest_file

    try:
        doc = ingest_file(Path(path), settings)
    except InputDocumentError as exc:
        return failed_record(Path(path), str(exc))
    return extract_document(doc, settings, llm=llm)


def extract_document(doc: Document, settings: Settings, llm=None) -> Record:
    """Read, optionally complete with the LLM, and check a normalized document."""
    from extractor.check import check_record, not_a_report, status_for
    from extractor.read.rules import read_document

    record = read_document(doc)
    if llm is not None:
        record = llm.complete(doc, record)
    reason = not_a_report(record, doc.text)
    if reason:
        return record.model_copy(update={"status": "failed", "error": reason})
    checks = list(record.checks) + check_record(record, doc.text)
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


def failed_record(path: Path, message: str) -> Record:
    """The record of a document that could not be read at all."""
    try:
        sha, size = file_sha256(path) if Path(path).is_file() else ("", None)
    except OSError:
        sha, size = "", None
    return Record(
        source=Source(path=str(path), sha256=sha, format=None, size=size),
        status="failed",
        error=message,
    )
