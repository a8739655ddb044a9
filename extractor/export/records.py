"""Exports from the store: the current (reviewer-corrected) version of every record, saying which
fields a reviewer changed. JSONL keeps the whole record; CSV and parquet are the wide row of
:mod:`extractor.export.csv` plus review columns."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Literal

from extractor.errors import ConfigError
from extractor.store import RecordFilter, Store, StoredRecord

Format = Literal["jsonl", "csv", "parquet"]
FORMATS: tuple[str, ...] = ("jsonl", "csv", "parquet")
REVIEW_COLUMNS = ("record_id", "version", "review_status", "approved_by", "approved_at", "corrected_fields")
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8",
               "parquet": "application/vnd.apache.parquet"}


def stored_items(store: Store, flt: RecordFilter | None = None) -> Iterator[tuple[StoredRecord, list[str]]]:
    corrected = store.all_corrected_fields()
    for sr in store.iter_records(flt):
        yield sr, corrected.get(sr.id, [])


def review_columns(sr: StoredRecord, corrected: list[str]) -> dict:
    return {"record_id": sr.id, "version": sr.version, "review_status": sr.review_status,
            "approved_by": sr.approved_by,
            "approved_at": sr.approved_at.isoformat() if sr.approved_at else None,
            "corrected_fields": corrected}


def jsonl_line(sr: StoredRecord, corrected: list[str]) -> str:
    data = sr.record.model_dump(mode="json")
    review = review_columns(sr, corrected)
    data.update({"record_id": sr.id, "version": sr.version, "corrected_fields": corrected,
                 "review": {k: review[k] for k in ("review_status", "approved_by", "approved_at")}})
    return json.dumps(data, ensure_ascii=False)


def flat_row(sr: StoredRecord, corrected: list[str]) -> dict:
    from extractor.export.csv import record_to_row

    return {**review_columns(sr, corrected), **record_to_row(sr.record)}


def flat_header() -> list[str]:
    from extractor.export.csv import csv_header

    return [*REVIEW_COLUMNS, *csv_header()]


def write_jsonl(items: Iterable[tuple[StoredRecord, list[str]]], out: IO[bytes]) -> int:
    n = 0
    for sr, corrected in items:
        out.write((jsonl_line(sr, corrected) + "\n").encode("utf-8"))
        n += 1
    return n


def write_flat_csv(items: Iterable[tuple[StoredRecord, list[str]]], out: IO[bytes]) -> int:
    from extractor.export.csv import RULE_SEPARATOR, open_target, safe_row

    n = 0
    with open_target(out) as text:
        writer = csv.DictWriter(text, fieldnames=flat_header(), extrasaction="ignore")
        writer.writeheader()
        for sr, corrected in items:
            row = flat_row(sr, corrected)
            row["corrected_fields"] = RULE_SEPARATOR.join(corrected)
            writer.writerow(safe_row(row))
            n += 1
    return n


def write_parquet(items: Iterable[tuple[StoredRecord, list[str]]], out: IO[bytes]) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ConfigError("parquet export needs pyarrow: pip install 'nianbao[parquet]'") from exc
    header = flat_header()
    rows = [flat_row(sr, corrected) for sr, corrected in items]
    columns = {}
    for name in header:
        values = [r.get(name) for r in rows]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed kinds: keep them readable as text
            columns[name] = pa.array([None if v is None else str(v) for v in values], pa.string())
    if not rows:
        columns = {name: pa.array([], pa.list_(pa.string()) if name == "corrected_fields" else pa.string())
                   for name in header}
    pq.write_table(pa.table(columns), out)
    return len(rows)


WRITERS = {"jsonl": write_jsonl, "csv": write_flat_csv, "parquet": write_parquet}


def export_store(store: Store, fmt: str, out: str | Path | IO[bytes], flt: RecordFilter | None = None) -> int:
    """Write every (matching) stored record in ``fmt`` to a path or binary file; returns the count."""
    if fmt not in WRITERS:
        raise ConfigError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    items = stored_items(store, flt)
    if isinstance(out, (str, Path)):
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        with open(out, "wb") as fh:
            return WRITERS[fmt](items, fh)
    return WRITERS[fmt](items, out)
