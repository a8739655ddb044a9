"""CSV export: one wide row per record, one column per table cell and summary figure.

The row layout (:func:`csv_header`, :func:`record_to_row`) is plain typed data — ints, floats,
strings and None — so other flat exports (parquet) can reuse it; only :func:`write_csv` is about
the CSV file itself. UTF-8 with a BOM, so Excel opens the Chinese text correctly."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from schemas import Record, Summary, get_path
from schemas.template import table_fields

RECORD_COLUMNS = ("source.path", "source.sha256", "source.format", "agency", "year", "template",
                  "status", "error")
CHECK_COLUMNS = ("n_errors", "n_warnings", "rules", "needs_llm")
# a text cell starting with one of these is a formula to a spreadsheet (CSV injection): it gets a
# leading ' so it shows as text. Numbers are written as numbers (every figure of the form is ≥ 0,
# so a real value never starts with "-"); only strings are neutralised.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
RULE_SEPARATOR = ";"
ENCODING = "utf-8-sig"  # the BOM tells Excel the file is UTF-8


def summary_columns() -> list[str]:
    return [f"summary.{name}" for name in Summary.model_fields]


def value_columns() -> list[str]:
    """The columns read straight from a field path: record keys, table cells, summary figures."""
    return [*RECORD_COLUMNS, *(f.path for f in table_fields()), *summary_columns()]


def csv_header() -> list[str]:
    """Every column of the wide CSV, in order."""
    return [*value_columns(), *CHECK_COLUMNS]


def check_columns(record: Record) -> dict[str, object]:
    """Counts of error and warning checks and the violated rule ids (first-seen order)."""
    rules = dict.fromkeys(c.rule for c in record.checks)
    return {
        "n_errors": sum(c.severity == "error" for c in record.checks),
        "n_warnings": sum(c.severity == "warning" for c in record.checks),
        "rules": RULE_SEPARATOR.join(rules),
        "needs_llm": RULE_SEPARATOR.join(record.needs_llm),
    }


def neutralise(value: object) -> object:
    """A cell value safe to open in a spreadsheet: text that a spreadsheet would run as a formula
    gets a leading ``'``; numbers and None are returned as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: dict[str, object]) -> dict[str, object]:
    return {k: neutralise(v) for k, v in row.items()}


def record_to_row(record: Record) -> dict[str, object]:
    """One record as a flat row keyed by :func:`csv_header`; a null value stays None."""
    row: dict[str, object] = {path: get_path(record, path) for path in value_columns()}
    row.update(check_columns(record))
    return row


@contextmanager
def open_target(path_or_file: str | Path | IO[str] | IO[bytes]) -> Iterator[IO[str]]:
    """A text stream to write to: a path is opened (and closed) as UTF-8 with BOM, a binary file is
    wrapped the same way (and left open), a text file is used as is."""
    if isinstance(path_or_file, (str, Path)):
        with open(path_or_file, "w", encoding=ENCODING, newline="") as out:
            yield out
    elif isinstance(path_or_file, io.TextIOBase):
        yield path_or_file
    else:
        wrapper = io.TextIOWrapper(path_or_file, encoding=ENCODING, newline="")
        try:
            yield wrapper
        finally:
            wrapper.flush()
            wrapper.detach()  # the caller owns the binary file


def write_csv(records: Iterable[Record], path_or_file: str | Path | IO[str] | IO[bytes]) -> int:
    """Write the records as CSV and return the row count.

    ``path_or_file`` is a path or a binary file (both get UTF-8 with BOM), or a text file, written
    as is (open it with ``encoding="utf-8-sig", newline=""`` for Excel)."""
    count = 0
    with open_target(path_or_file) as out:
        writer = csv.DictWriter(out, fieldnames=csv_header())
        writer.writeheader()
        for record in records:
            writer.writerow(safe_row(record_to_row(record)))
            count += 1
    return count
