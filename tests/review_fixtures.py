"""Shared data for the store / service / resume / browser tests: the sample reports, records made
from their gold labels, and a record with one misread cell (a flagged record to review)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from extractor.settings import Settings
from schemas import Record, Source

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "evalset"
DOC_DIRS = (ROOT / "samples", SHARED / "docs")
GOLD_DIRS = (ROOT / "evals" / "dataset" / "gold", SHARED / "gold")
SAMPLE = "000_b3cbf005723c64d9.txt"  # gov2021, 表三 new.total = 3
GOLD_EXTRA = ("doc", "provenance", "source_errors", "layout", "notes", "agency_aliases")
WRONG_CELL = "requests.granted.natural_person"


def sample_docs() -> list[Path]:
    for folder in DOC_DIRS:
        docs = sorted(p for p in folder.glob("*.txt")) if folder.is_dir() else []
        if docs:
            return docs
    pytest.skip("no sample reports (samples/ or ../shared/evalset/docs)")


def sample(name: str = SAMPLE) -> Path:
    for doc in sample_docs():
        if doc.name == name:
            return doc
    pytest.skip(f"sample {name} not available")


def settings_for(tmp_path: Path, **extra) -> Settings:
    return Settings(data_dir=tmp_path / "data", llm="off", cache_dir=tmp_path / "cache", **extra)


def gold_record(name: str = SAMPLE) -> tuple[Record, bytes, str]:
    """The hand-labelled record of a sample (checks filled in), its bytes and its text."""
    doc = sample(name)
    gold_path = next((d / (doc.stem + ".json") for d in GOLD_DIRS if (d / (doc.stem + ".json")).is_file()), None)
    if gold_path is None:
        pytest.skip(f"no gold for {name}")
    data = {k: v for k, v in json.loads(gold_path.read_text(encoding="utf-8")).items() if k not in GOLD_EXTRA}
    raw = doc.read_bytes()
    data["source"] = Source(path=doc.name, sha256=hashlib.sha256(raw).hexdigest(), format="txt",
                            size=len(raw)).model_dump()
    return with_checks(Record.model_validate(data), raw.decode("utf-8")), raw, raw.decode("utf-8")


def with_checks(record: Record, text: str | None) -> Record:
    from extractor.check import check_record, status_for

    checks = check_record(record, text)
    return record.model_copy(update={"checks": checks, "status": status_for(checks)})


def misread(record: Record, path: str = WRONG_CELL, delta: int = 7) -> Record:
    """The record as a reader that misread one cell would produce it (checked again)."""
    from schemas import get_path, set_path

    data = record.model_dump()
    set_path(data, path, (get_path(data, path) or 0) + delta)
    return Record.model_validate(data)


def extracted_flagged(settings: Settings, name: str = SAMPLE) -> tuple[Record, bytes, str]:
    """A real pipeline record of a sample with one cell misread: a record the checker flags."""
    from extractor.ingest import ingest_file
    from extractor.pipeline import extract_document

    doc = ingest_file(sample(name), settings)
    record = extract_document(doc, settings)
    bad = with_checks(misread(record), doc.text)
    assert bad.status == "needs_review"
    return bad, sample(name).read_bytes(), doc.text
