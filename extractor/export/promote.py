"""Promote a reviewed record into the eval set: its document goes to ``<dataset>/docs/<name>.<ext>``
and its corrected record to ``<dataset>/gold/<name>.json`` in the gold format of
:mod:`evals.dataset` (the record's fields plus ``doc``, ``provenance``, ``layout``,
``source_errors``); the case is appended to ``<dataset>/manifest.json``."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from extractor.errors import ConfigError
from extractor.store import Store

GOLD_RECORD_KEYS = ("agency", "year", "template", "proactive", "requests", "appeals", "summary")
OPTIONAL_KEYS = ("proactive_2019", "legacy_indicators")
SUFFIXES = {"txt": ".txt", "md": ".md", "html": ".html", "docx": ".docx", "pdf": ".pdf"}


def case_name(record_id: int, sha256: str) -> str:
    return f"review_{record_id:05d}_{sha256[:12]}"


def gold_for(store: Store, record_id: int, doc_name: str, fmt: str | None) -> dict:
    """The gold dict of a stored record: its current (corrected) values; the errors the checker
    still finds are the report's own inconsistencies, kept as ``source_errors``."""
    sr = store.get(record_id)
    data = sr.record.model_dump(mode="json")
    corrected = store.corrected_fields(record_id)
    reviewers = sorted({c["reviewer"] for c in store.corrections(record_id)} | ({sr.approved_by} - {None}))
    gold = {
        "doc": doc_name,
        "provenance": (f"promoted from the review store: record {record_id} version {sr.version} "
                       f"({sr.review_status}; reviewed by {', '.join(reviewers) or 'nobody'}; "
                       f"corrected fields: {', '.join(corrected) or 'none'}) on "
                       f"{datetime.now(timezone.utc).date().isoformat()}"),
        "layout": fmt or "unknown",
    }
    gold.update({k: data[k] for k in GOLD_RECORD_KEYS})
    gold.update({k: data[k] for k in OPTIONAL_KEYS if data.get(k) is not None})
    gold["source_errors"] = [c.message for c in sr.record.checks if c.severity == "error"]
    gold["notes"] = f"sha256 {sr.sha256}; extraction config {sr.config}"
    return gold


def document_bytes(store: Store, sha256: str) -> tuple[bytes, str, str | None]:
    """The original bytes, its suffix and format; falls back to the normalized text as .txt."""
    doc = store.get_document(sha256)
    if doc is None:
        raise ConfigError(f"document {sha256} is not in the store")
    content = store.original_bytes(sha256)
    if content is not None:
        return content, _suffix(doc.filename, doc.format), doc.format
    if doc.text is not None:
        return doc.text.encode("utf-8"), ".txt", "txt"
    raise ConfigError(f"the document of {doc.filename} is no longer available (neither its bytes "
                      f"nor {doc.path}); re-upload it before promoting")


def _suffix(filename: str, fmt: str | None) -> str:
    suffix = Path(filename).suffix.lower()
    return suffix if suffix in (".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf") else SUFFIXES.get(fmt or "", ".txt")


def declared_source_errors(store: Store, record_id: int) -> None:
    """Refuse a record whose remaining error checks are not declared as the document's own:
    failed records, and errors a reviewer did not acknowledge with an override when approving
    the current version."""
    sr = store.get(record_id)
    if sr.record.status == "failed":
        raise ConfigError(f"record {record_id} failed ({sr.record.error}); a failed record cannot be gold")
    errors = {(c.rule, tuple(c.cells)) for c in sr.record.checks if c.severity == "error"}
    if not errors:
        return
    declared = {(o["rule"], tuple(o["cells"])) for a in store.approvals(record_id)
                if a["version"] == sr.version and a["override_reason"] for o in a["overridden"]}
    missing = sorted(rule for rule, _ in errors - declared)
    if missing or sr.review_status != "approved":
        raise ConfigError(f"record {record_id} still has error checks not declared as the report's own source "
                          f"errors ({', '.join(missing) or 'not approved'}); correct them in review, or approve "
                          "it with an override reason saying the report itself is inconsistent, then promote")


def promote_record(store: Store, record_id: int, dataset_dir: Path, name: str | None = None,
                   overwrite: bool = False) -> dict:
    """Write the case files and its manifest entry; returns the entry. Refuses a record whose
    remaining errors are not declared source errors (:func:`declared_source_errors`)."""
    declared_source_errors(store, record_id)
    sr = store.get(record_id)
    name = name or case_name(record_id, sr.sha256)
    content, suffix, fmt = document_bytes(store, sr.sha256)
    doc_path = dataset_dir / "docs" / f"{name}{suffix}"
    gold_path = dataset_dir / "gold" / f"{name}.json"
    if not overwrite and (doc_path.exists() or gold_path.exists()):
        raise ConfigError(f"case {name} already exists in {dataset_dir}; pass --name or --overwrite")
    gold = gold_for(store, record_id, doc_path.name, fmt)
    doc_path.parent.mkdir(parents=True, exist_ok=True)
    gold_path.parent.mkdir(parents=True, exist_ok=True)
    doc_path.write_bytes(content)
    gold_path.write_text(json.dumps(gold, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    entry = {"id": name, "doc": f"docs/{doc_path.name}", "gold": f"gold/{gold_path.name}",
             "layout": gold["layout"], "template": gold["template"], "tags": ["promoted"],
             "external": False}
    error_rules = sorted({c.rule for c in sr.record.checks if c.severity == "error"})
    if error_rules:
        entry["source_error_rules"] = error_rules
    add_to_manifest(dataset_dir / "manifest.json", entry)
    return entry


def add_to_manifest(path: Path, entry: dict) -> None:
    manifest = {"cases": []}
    if path.exists():
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ConfigError(f"{path} is not valid JSON ({exc}); fix it before promoting") from exc
    cases = [c for c in manifest.setdefault("cases", []) if c.get("id") != entry["id"]]
    manifest["cases"] = cases + [entry]
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
