"""Run the pipeline over many files: expand paths, extract each in isolation, yield records.

One document's failure never stops the batch: ``pipeline.run`` turns bad input, and any
exception of ours, into a ``failed`` record."""
from __future__ import annotations

import glob
import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from extractor.pipeline import run
from extractor.settings import Settings
from schemas import Record

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf")


def expand_paths(inputs: Iterable[str | Path]) -> list[Path]:
    """Files, folders (recursively, supported suffixes only) and globs → sorted unique files."""
    found: list[Path] = []
    for item in inputs:
        text = str(item)
        literal = not glob.has_magic(text) or Path(text).exists()  # 年报[2023].pdf is a name, not a glob
        matches = [Path(text)] if literal else [Path(m) for m in sorted(glob.glob(text, recursive=True))]
        for path in matches:
            if path.is_dir():
                found.extend(p for p in sorted(path.rglob("*"))
                             if p.suffix.lower() in SUPPORTED_SUFFIXES and (p.is_file() or p.is_symlink() or _is_special(p)))
            else:
                found.append(path)
    seen: set[Path] = set()
    unique = []
    for p in found:
        if p not in seen:
            seen.add(p)
            unique.append(p)
    return unique


def _is_special(path: Path) -> bool:
    """A FIFO, socket or device among the reports: listed so it gets a ``failed`` record."""
    try:
        return not path.is_dir() and path.exists() and not path.is_file()
    except OSError:
        return True


def extract_one(path: Path, settings: Settings, llm=None) -> Record:
    """One document of the batch, through the pipeline's per-document guard."""
    return run(path, settings, llm).record


def iter_records(paths: list[Path], settings: Settings, llm=None, concurrency: int = 1,
                 on_done: Callable[[Record], None] | None = None, ordered: bool = True) -> Iterator[Record]:
    """Extract ``paths`` (in input order unless ``ordered=False``).

    Rules-only batches run in ``settings.workers`` processes, each document inside the
    per-document budget (:mod:`extractor.workers`); with an LLM, ``concurrency`` documents run at
    once in threads (their time goes to waiting on the endpoint)."""
    for record in _records(paths, settings, llm, concurrency, ordered):
        if on_done:
            on_done(record)
        yield record


def _records(paths: list[Path], settings: Settings, llm, concurrency: int, ordered: bool) -> Iterator[Record]:
    if llm is None and settings.workers >= 1 and len(paths) > 1:
        from extractor.workers import WorkerPool

        yield from WorkerPool(settings, settings.workers).run(paths, ordered=ordered)
    elif concurrency <= 1:
        for path in paths:
            yield extract_one(path, settings, llm)
    else:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            yield from pool.map(lambda p: extract_one(p, settings, llm), paths)
