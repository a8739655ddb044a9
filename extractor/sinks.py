"""Where a batch's records go: the JSONL file (whole lines, resumable) and the running summary.

Crash safety: each record is one ``os.write`` of a complete line on an ``O_APPEND`` descriptor, so
a killed run leaves at most one torn last line; the next ``--append`` run drops it with a warning.
Memory stays flat: the summary keeps counts, never the records."""
from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from extractor.errors import ConfigError
from schemas import Record

TAIL_CHUNK = 1 << 16
SHOWN_FAILURES = 20  # failed documents listed by name in the summary; the rest are counted


def prepare_output(path: Path, what: str) -> None:
    """Fail before the batch starts when ``path`` cannot be written (its folder is created)."""
    if path.is_dir():
        raise ConfigError(f"{what} {path} is a folder; give a file name, e.g. {path / 'records.jsonl'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the folder of {what} {path}: {exc.strerror}") from exc
    target = path if path.exists() else path.parent
    if not os.access(target, os.W_OK):
        raise ConfigError(f"cannot write {what} {path}: permission denied; choose another path")


def drop_torn_tail(path: Path) -> int:
    """Cut a last line that has no newline (a run killed mid-write); returns the bytes dropped."""
    size = path.stat().st_size
    if size == 0:
        return 0
    with path.open("rb+") as fh:
        pos = size
        while pos > 0:
            start = max(0, pos - TAIL_CHUNK)
            fh.seek(start)
            chunk = fh.read(pos - start)
            if pos == size and chunk.endswith(b"\n"):
                return 0
            cut = chunk.rfind(b"\n")
            if cut >= 0:
                keep = start + cut + 1
                fh.truncate(keep)
                return size - keep
            pos = start
        fh.truncate(0)
        return size


def _key(source: dict) -> tuple[str, str]:
    """An input document: its path and its bytes (two copies of a report are two documents)."""
    return source.get("path", ""), source.get("sha256", "")


def written_documents(path: Path) -> set[tuple[str, str]]:
    """The (path, sha256) of every record already in a JSONL file (read line by line)."""
    seen: set[tuple[str, str]] = set()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                seen.add(_key(json.loads(line)["source"]))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
    return seen


class JsonlSink:
    """Append-only JSONL writer. ``append``: keep the file (dropping a torn tail) and skip
    documents it already holds; otherwise start the file afresh."""

    def __init__(self, path: Path, *, append: bool = False):
        self.path = path
        self.torn_bytes = 0
        self.present: set[tuple[str, str]] = set()
        self.append = append
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        if append and path.exists():
            self.torn_bytes = drop_torn_tail(path)
            self.present = written_documents(path)
        else:
            flags |= os.O_TRUNC
        self._fd = os.open(path, flags, 0o644)

    def write(self, record: Record) -> bool:
        """Write one record as one whole line; False when the file already holds its document."""
        key = _key(record.source.model_dump())
        if self.append and key in self.present:
            return False
        os.write(self._fd, (record.model_dump_json() + "\n").encode("utf-8"))
        if self.append:
            self.present.add(key)
        return True

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> JsonlSink:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class BatchSummary:
    """Counts for the end-of-batch table: statuses, rules, fields left for an LLM, LLM use."""

    statuses: Counter = field(default_factory=Counter)
    rules: Counter = field(default_factory=Counter)
    needs_llm: Counter = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)
    llm_calls: int = 0
    cache_hits: int = 0
    tokens: int = 0
    used_llm: bool = False
    reemitted: int = 0
    already_written: int = 0

    def add(self, record: Record) -> None:
        self.statuses[record.status] += 1
        self.rules.update({c.rule for c in record.checks if c.severity != "info"})  # documents per rule
        self.needs_llm.update(record.needs_llm)
        if record.status == "failed" and len(self.failures) < SHOWN_FAILURES:
            self.failures.append((record.source.path, record.error or ""))
        by = record.extracted_by
        self.llm_calls += by.llm_calls or 0
        self.cache_hits += by.cache_hits or 0
        self.tokens += by.tokens or 0
        self.used_llm |= by.method == "rules+llm"

    @property
    def failed(self) -> int:
        return self.statuses.get("failed", 0)

    def llm_totals(self) -> str:
        return f"LLM calls {self.llm_calls}, cache hits {self.cache_hits}, tokens {self.tokens}"
