"""The labelled eval set: a manifest of cases, each a report and its gold record.

``evals/dataset/manifest.json`` lists every case::

    {"id": "000_html", "doc": "docs/000_html.html", "gold": "gold/000_html.json",
     "layout": "html", "template": "gov2021", "tags": ["rendered"], "external": false}

Paths are relative to the dataset folder. External cases (real PDFs kept outside the project,
``../shared/evalset-external``) are referenced, never copied; when they are absent the case is
skipped, not failed.

A gold file is a record in the contract format (it validates as :class:`schemas.Record`) plus:
``doc`` (file name), ``provenance`` (how it was made), ``layout``, ``source_errors`` (arithmetic or
other inconsistencies of the document itself, which the gold reproduces rather than fixes) and
``notes``. A case may also declare, in the manifest, ``source_error_rules``: checker rules its
document is known to violate (for golds whose ``source_errors`` are free text)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from evals import DEFAULT_DATASET
from schemas import Record

MANIFEST = "manifest.json"
SUFFIX_FORMATS = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html",
                  ".docx": "docx", ".pdf": "pdf"}
# keys of a gold file that are about the case, not the record
GOLD_EXTRA_KEYS = ("doc", "provenance", "layout", "source_errors", "notes", "agency_aliases")


@dataclass(frozen=True)
class Case:
    """One labelled document of the eval set."""

    id: str
    doc: Path
    gold: Path
    layout: str
    template: str
    tags: tuple[str, ...] = ()
    external: bool = False
    source_error_rules: tuple[str, ...] = ()
    variants: tuple[str, ...] = field(default_factory=tuple)

    @property
    def available(self) -> bool:
        return self.doc.is_file() and self.gold.is_file()


class DatasetError(ValueError):
    """The dataset folder or one of its files is malformed (the message names the file)."""


def manifest_path(dataset_dir: Path | None = None) -> Path:
    return Path(dataset_dir or DEFAULT_DATASET) / MANIFEST


def load_cases(dataset_dir: Path | None = None) -> list[Case]:
    """Every case listed in the dataset's manifest, in manifest order."""
    root = Path(dataset_dir or DEFAULT_DATASET)
    path = root / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot read the eval manifest {path}: {exc}") from exc
    return [case_from_entry(root, entry) for entry in manifest.get("cases", [])]


def case_from_entry(root: Path, entry: dict) -> Case:
    try:
        return Case(
            id=entry["id"],
            doc=(root / entry["doc"]).resolve(),
            gold=(root / entry["gold"]).resolve(),
            layout=entry.get("layout", "unknown"),
            template=entry.get("template", "unknown"),
            tags=tuple(entry.get("tags", ())),
            external=bool(entry.get("external", False)),
            source_error_rules=tuple(entry.get("source_error_rules", ())),
            variants=tuple(entry.get("variants", ())),
        )
    except KeyError as exc:
        raise DatasetError(f"manifest entry {entry!r} lacks {exc}") from exc


def file_source(path: Path) -> dict:
    """The contract's ``source`` block for a file: path, sha256, format, size."""
    data = path.read_bytes()
    return {"path": path.name, "sha256": hashlib.sha256(data).hexdigest(),
            "format": SUFFIX_FORMATS.get(path.suffix.lower()), "size": len(data)}


def load_gold(case: Case) -> dict:
    """The gold file of ``case`` as a dict; ``source`` is filled from the document when absent
    (the external golds are used as they are, not copied)."""
    try:
        gold = json.loads(case.gold.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot read gold file {case.gold}: {exc}") from exc
    if "source" not in gold and case.doc.is_file():
        gold["source"] = file_source(case.doc)
    return gold


def gold_record(gold: dict) -> Record:
    """The gold as a typed record (raises pydantic's ValidationError when it is malformed)."""
    return Record.model_validate(gold)


def declares(gold: dict, case: Case, rule: str, cells: list[str]) -> bool:
    """Whether the gold declares, as a source error, the failure of ``rule`` on ``cells``."""
    if rule in case.source_error_rules:
        return True
    texts = [str(s) for s in gold.get("source_errors") or ()]
    return any(rule in t or any(c in t for c in cells) for t in texts)
