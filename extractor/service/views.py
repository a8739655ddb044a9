"""The data behind each page and API answer, built once so every page has an identical JSON twin."""
from __future__ import annotations

import logging
from pathlib import Path

from extractor.service.review import live_check, table_layout
from extractor.settings import Settings
from extractor.store import RISK_LABELS, RecordFilter, Store, StoredRecord

PENDING = RecordFilter(pending_only=True)  # a record page's prev/next walk the open queue

log = logging.getLogger(__name__)


def record_summary(sr: StoredRecord) -> dict:
    """One line of the queue / record list."""
    r = sr.record
    errors = [c for c in r.checks if c.severity == "error"]
    first = errors[0] if errors else (r.checks[0] if r.checks else None)
    return {
        "id": sr.id,
        "version": sr.version,
        "sha256": sr.sha256,
        "config": sr.config,
        "filename": r.source.path,
        "agency": r.agency,
        "year": r.year,
        "template": r.template,
        "status": r.status,
        "error": r.error,
        "risk": sr.risk,
        "risk_label": RISK_LABELS[sr.risk],
        "review_status": sr.review_status,
        "approved_by": sr.approved_by,
        "approved_at": sr.approved_at.isoformat() if sr.approved_at else None,
        "n_errors": len(errors),
        "n_checks": len(r.checks),
        "rules": sorted({c.rule for c in r.checks}),
        "first_issue": first.message if first else (r.error or None),
        "needs_llm": len(r.needs_llm),
        "url": f"/records/{sr.id}",
    }


def document_text(store: Store, settings: Settings, sha256: str) -> str | None:
    """The normalized text of a stored document; ingested (and cached) on first view when the
    record was stored by a batch that kept only the path."""
    doc = store.get_document(sha256)
    if doc is None:
        return None
    if doc.text is not None:
        return doc.text
    from extractor.errors import InputDocumentError
    from extractor.ingest import ingest_bytes

    content = store.original_bytes(sha256)  # the stored bytes; a changed source file is not read
    if content is None:
        return None
    try:
        text = ingest_bytes(content, Path(doc.filename), settings).text
    except (InputDocumentError, OSError) as exc:
        log.info("no text for %s: %s", sha256, exc)
        return None
    store.set_document_text(sha256, text)
    return text


def record_detail(store: Store, settings: Settings, record_id: int, flt: RecordFilter | None = None) -> dict:
    """Everything the record page shows: the record, its tables laid out, equations, the source
    text, history, and the neighbours in the queue."""
    sr = store.get(record_id)
    record = sr.record
    doc = store.get_document(sr.sha256)
    corrected = store.corrected_fields(record_id)
    checked = live_check(record) if record.template in ("gov2021", "gov2019") else \
        {"equations": [], "violated_cells": sorted({c for k in record.checks if k.severity == "error" for c in k.cells})}
    prev_id, next_id = store.neighbours(record_id, flt)
    equations = sorted(checked["equations"], key=lambda e: (e["ok"] is not False, e["rule"]))
    return {
        **record_summary(sr),
        "record": record.model_dump(mode="json"),
        "document": {
            "filename": doc.filename if doc else record.source.path,
            "format": doc.format if doc else record.source.format,
            "size": doc.size if doc else record.source.size,
            "has_original": bool(doc and (doc.content is not None or doc.path)),
            "text": document_text(store, settings, sr.sha256),
        },
        "tables": table_layout(record, checked["violated_cells"], corrected),
        "equations": equations,
        "violated_equations": [e for e in equations if e["ok"] is False],
        "violated_cells": checked["violated_cells"],
        "checks": [c.model_dump() for c in record.checks],
        "corrected_fields": corrected,
        "history": {"versions": store.versions(record_id), "corrections": store.corrections(record_id),
                    "approvals": store.approvals(record_id)},
        "prev_id": prev_id,
        "next_id": next_id,
    }


