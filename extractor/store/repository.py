"""The record repository: saving extracted records, reading them back for review, and recording
corrections and approvals. SQLAlchemy Core, so SQLite (default) and PostgreSQL both work.

Every write is one transaction. Records are unique per (document sha256, extraction config), so a
batch killed half-way and run again stores each document exactly once."""
from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from extractor.errors import NianbaoError
from extractor.store.risk import RISK_LABELS, risk_of
from extractor.store.tables import approvals, corrections, documents, metadata, record_versions, records
from schemas import Record

log = logging.getLogger(__name__)


MAX_ID = 2**63  # ids are 64-bit integers in every database the store runs on


class RecordNotFound(NianbaoError):
    """No record with that id is stored."""


class VersionConflict(NianbaoError):
    """Someone saved the record since the caller read it: reload, re-apply, save again."""

    def __init__(self, message: str, *, current_version: int):
        super().__init__(message)
        self.current_version = current_version


@dataclass(frozen=True)
class Change:
    """One field a reviewer changed."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class StoredRecord:
    id: int
    sha256: str
    config: str
    version: int
    record: Record
    risk: int
    review_status: str
    approved_by: str | None
    approved_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def risk_label(self) -> str:
        return RISK_LABELS[self.risk]


@dataclass(frozen=True)
class StoredDocument:
    sha256: str
    filename: str
    format: str | None
    size: int | None
    content: bytes | None
    path: str | None
    text: str | None


@dataclass(frozen=True)
class RecordFilter:
    """Filters of the record list; ``None`` means any."""

    status: str | None = None
    template: str | None = None
    agency: str | None = None      # substring
    year: int | None = None
    rule: str | None = None        # a check rule the record has
    review_status: str | None = None
    pending_only: bool = False     # leave out approved records (the review queue)
    extra: dict = field(default_factory=dict)


def source_location(path: str) -> str:
    """Where a batch read the file, made absolute so a service started elsewhere finds it."""
    try:
        return str(Path(path).resolve()) if Path(path).exists() else path
    except OSError:
        return path


CHUNK = 1 << 20


def read_verified(path: Path, sha256: str, size: int | None) -> bytes | None:
    """The bytes of a regular file at ``path`` if they hash to ``sha256`` (read in chunks, never
    past the recorded size); None if it is gone, not a regular file, or changed."""
    try:
        if path.is_symlink() or not path.is_file() or (size is not None and path.stat().st_size != size):
            return None
        digest, parts = hashlib.sha256(), []
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
                parts.append(chunk)
    except OSError:
        return None
    return b"".join(parts) if digest.hexdigest() == sha256 else None


def now() -> datetime:
    return datetime.now(timezone.utc)


def record_columns(record: Record) -> dict:
    """The columns copied out of the record JSON for filtering and ordering."""
    rules = sorted({c.rule for c in record.checks})
    return {
        "data": record.model_dump_json(),
        "status": record.status,
        "template": record.template,
        "agency": record.agency,
        "year": record.year,
        "rules": "|" + "|".join(rules) + "|" if rules else "",
        "risk": risk_of(record),
    }


class Store:
    """Repository over one database. Thread-safe; writes are serialized within the process and,
    on SQLite, take the write lock up front (BEGIN IMMEDIATE) so they never deadlock."""

    def __init__(self, engine: Engine, config: str = "rules"):
        self.engine = engine
        self.config = config
        self._writer = engine.execution_options(nianbao_begin="IMMEDIATE")
        self._lock = threading.Lock()

    def create(self) -> None:
        metadata.create_all(self.engine)

    # -- writes ------------------------------------------------------------------------------
    def _write(self):
        return _WriteTxn(self)

    def has_record(self, sha256: str, config: str | None = None) -> bool:
        return self.find(sha256, config) is not None

    def find(self, sha256: str, config: str | None = None) -> int | None:
        config = config or self.config
        with self.engine.connect() as conn:
            return conn.execute(select(records.c.id).where(
                records.c.sha256 == sha256, records.c.config == config)).scalar()

    def save_record(self, record: Record, config: str | None = None, *, content: bytes | None = None,
                    text: str | None = None, filename: str | None = None) -> int | None:
        """Store a freshly extracted record (and its document) unless one with the same document
        and config is already stored; returns the record id (the existing one if so).

        ``content``/``text`` are the original bytes and normalized text when the caller has them;
        otherwise the document row keeps the source path and the text is filled in on demand."""
        config = config or self.config
        sha = record.source.sha256
        if not sha:
            log.warning("not storing %s: its bytes could not be read", record.source.path)
            return None
        existing = self.find(sha, config)
        if existing is not None:
            return existing
        stamp = now()
        try:
            with self._write() as conn:
                self._ensure_document(conn, record, content, text, filename, stamp)
                record_id = conn.execute(insert(records).values(
                    sha256=sha, config=config, version=1, review_status="unreviewed",
                    created_at=stamp, updated_at=stamp, **record_columns(record),
                )).inserted_primary_key[0]
                conn.execute(insert(record_versions).values(
                    record_id=record_id, version=1, data=record.model_dump_json(),
                    created_by=f"extractor:{record.extracted_by.method}", reason="extracted",
                    created_at=stamp))
            return record_id
        except IntegrityError:  # stored by a concurrent writer in the meantime
            found = self.find(sha, config)
            if found is None:
                raise
            return found

    def _ensure_document(self, conn, record: Record, content, text, filename, stamp) -> None:
        sha = record.source.sha256
        row = conn.execute(select(documents.c.sha256, documents.c.text, documents.c.content)
                           .where(documents.c.sha256 == sha)).first()
        if row is None:
            conn.execute(insert(documents).values(
                sha256=sha, filename=filename or record.source.path.replace("\\", "/").rsplit("/", 1)[-1],
                format=record.source.format, size=record.source.size if content is None else len(content),
                content=content, path=None if content is not None else source_location(record.source.path),
                text=text, created_at=stamp))
        elif (row.text is None and text is not None) or (row.content is None and content is not None):
            values = {}
            if row.text is None and text is not None:
                values["text"] = text
            if row.content is None and content is not None:
                values["content"] = content
            conn.execute(update(documents).where(documents.c.sha256 == sha).values(**values))

    def original_bytes(self, sha256: str) -> bytes | None:
        """The original bytes of a document: those stored, or — for a batch that kept only the
        path — the file at that path if its bytes still hash to ``sha256``, which are then stored
        (so the path is never read again). A path whose file changed is forgotten."""
        doc = self.get_document(sha256)
        if doc is None:
            return None
        if doc.content is not None:
            return doc.content
        if not doc.path:
            return None
        data = read_verified(Path(doc.path), sha256, doc.size)
        with self._write() as conn:
            values = {"content": data} if data is not None else {"path": None}
            conn.execute(update(documents).where(documents.c.sha256 == sha256).values(**values))
        if data is None:
            log.warning("%s no longer holds the document %s; it will not be read again", doc.path, sha256[:12])
        return data

    def set_document_text(self, sha256: str, text: str) -> None:
        with self._write() as conn:
            conn.execute(update(documents).where(documents.c.sha256 == sha256).values(text=text))

    def update_record(self, record_id: int, record: Record, changes: list[Change], *, reviewer: str,
                      reason: str, expected_version: int) -> StoredRecord:
        """Save a reviewer's corrected record as a new version, append one correction per changed
        field, and reset approval. Raises ``VersionConflict`` unless the stored version is still
        ``expected_version``."""
        stamp = now()
        with self._write() as conn:
            new_version = expected_version + 1
            result = conn.execute(
                update(records)
                .where(records.c.id == record_id, records.c.version == expected_version)
                .values(version=new_version, updated_at=stamp, review_status="corrected",
                        approved_by=None, approved_at=None, **record_columns(record)))
            if result.rowcount != 1:
                self._raise_missing_or_conflict(conn, record_id, expected_version)
            conn.execute(insert(record_versions).values(
                record_id=record_id, version=new_version, data=record.model_dump_json(),
                created_by=reviewer, reason=reason, created_at=stamp))
            if changes:
                conn.execute(insert(corrections), [
                    {"record_id": record_id, "version": new_version, "field": c.field,
                     "old": json.dumps(c.old, ensure_ascii=False),
                     "new": json.dumps(c.new, ensure_ascii=False),
                     "reviewer": reviewer, "reason": reason, "created_at": stamp}
                    for c in changes])
        return self.get(record_id)

    def approve(self, record_id: int, *, reviewer: str, expected_version: int | None = None,
                override_reason: str | None = None, overridden: list[dict] | None = None) -> StoredRecord:
        """Mark a record approved (optionally only if it is still at ``expected_version``) and
        append the approval to the audit log, with the override reason and the error checks it
        overrides when there are any."""
        stamp = now()
        with self._write() as conn:
            cond = [records.c.id == record_id]
            if expected_version is not None:
                cond.append(records.c.version == expected_version)
            result = conn.execute(update(records).where(and_(*cond)).values(
                review_status="approved", approved_by=reviewer, approved_at=stamp))
            if result.rowcount != 1:
                self._raise_missing_or_conflict(conn, record_id, expected_version)
            version = conn.execute(select(records.c.version).where(records.c.id == record_id)).scalar()
            conn.execute(insert(approvals).values(
                record_id=record_id, version=version, reviewer=reviewer, override_reason=override_reason,
                overridden=json.dumps(overridden, ensure_ascii=False) if overridden else None,
                created_at=stamp))
        return self.get(record_id)

    def approvals(self, record_id: int) -> list[dict]:
        """The approval audit of a record, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(approvals).where(approvals.c.record_id == record_id)
                                .order_by(approvals.c.id)).all()
        return [{"version": r.version, "reviewer": r.reviewer, "override_reason": r.override_reason,
                 "overridden": json.loads(r.overridden) if r.overridden else [],
                 "created_at": _iso(r.created_at)} for r in rows]

    @staticmethod
    def _raise_missing_or_conflict(conn, record_id: int, expected_version: int | None):
        current = conn.execute(select(records.c.version).where(records.c.id == record_id)).scalar()
        if current is None:
            raise RecordNotFound(f"no record {record_id}")
        raise VersionConflict(
            f"record {record_id} is at version {current}, not {expected_version}: someone else saved "
            "it since you opened it; reload it and apply your change again",
            current_version=current)

    # -- reads -------------------------------------------------------------------------------
    def get(self, record_id: int) -> StoredRecord:
        if not 0 < record_id < MAX_ID:  # not a stored record, and not a database integer either
            raise RecordNotFound(f"no record {record_id} (record ids are 1 to {MAX_ID - 1})")
        with self.engine.connect() as conn:
            row = conn.execute(select(records).where(records.c.id == record_id)).first()
        if row is None:
            raise RecordNotFound(f"no record {record_id}")
        return _stored(row)

    def get_document(self, sha256: str) -> StoredDocument | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(documents).where(documents.c.sha256 == sha256)).first()
        if row is None:
            return None
        return StoredDocument(row.sha256, row.filename, row.format, row.size, row.content, row.path, row.text)

    def _where(self, flt: RecordFilter) -> list:
        cond = []
        if flt.status:
            cond.append(records.c.status == flt.status)
        if flt.template:
            cond.append(records.c.template == flt.template)
        if flt.agency:
            cond.append(records.c.agency.contains(flt.agency, autoescape=True))
        if flt.year is not None:
            cond.append(records.c.year == flt.year)
        if flt.rule:
            cond.append(records.c.rules.contains(f"|{flt.rule}|", autoescape=True))
        if flt.review_status:
            cond.append(records.c.review_status == flt.review_status)
        if flt.pending_only:
            cond.append(records.c.review_status != "approved")
        return cond

    def list_records(self, flt: RecordFilter | None = None, *, order: str = "risk", limit: int = 100,
                     offset: int = 0) -> tuple[list[StoredRecord], int]:
        """Records matching ``flt`` (ordered by risk, then id; or by id) and how many match."""
        cond = self._where(flt or RecordFilter())
        ordering = [records.c.risk, records.c.id] if order == "risk" else [records.c.id]
        with self.engine.connect() as conn:
            rows = conn.execute(select(records).where(*cond).order_by(*ordering)
                                .limit(limit).offset(offset)).all()
            total = conn.execute(select(func.count()).select_from(records).where(*cond)).scalar()
        return [_stored(r) for r in rows], total

    def neighbours(self, record_id: int, flt: RecordFilter | None = None) -> tuple[int | None, int | None]:
        """The previous and next record ids in queue order (risk, id) around ``record_id``."""
        ids = self.ordered_ids(flt)
        if record_id not in ids:
            return (ids[0] if ids else None), (ids[0] if ids else None)
        i = ids.index(record_id)
        return (ids[i - 1] if i > 0 else None), (ids[i + 1] if i + 1 < len(ids) else None)

    def ordered_ids(self, flt: RecordFilter | None = None) -> list[int]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(records.c.id).where(*self._where(flt or RecordFilter()))
                                     .order_by(records.c.risk, records.c.id)).scalars())

    def versions(self, record_id: int) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(record_versions.c.version, record_versions.c.created_by,
                                       record_versions.c.reason, record_versions.c.created_at)
                                .where(record_versions.c.record_id == record_id)
                                .order_by(record_versions.c.version)).all()
        return [{"version": r.version, "created_by": r.created_by, "reason": r.reason,
                 "created_at": _iso(r.created_at)} for r in rows]

    def version_record(self, record_id: int, version: int) -> Record | None:
        with self.engine.connect() as conn:
            data = conn.execute(select(record_versions.c.data).where(
                record_versions.c.record_id == record_id, record_versions.c.version == version)).scalar()
        return None if data is None else Record.model_validate_json(data)

    def corrections(self, record_id: int) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(corrections).where(corrections.c.record_id == record_id)
                                .order_by(corrections.c.id)).all()
        return [{"id": r.id, "version": r.version, "field": r.field, "old": json.loads(r.old),
                 "new": json.loads(r.new), "reviewer": r.reviewer, "reason": r.reason,
                 "created_at": _iso(r.created_at)} for r in rows]

    def corrected_fields(self, record_id: int) -> list[str]:
        return sorted({c["field"] for c in self.corrections(record_id)})

    def all_corrected_fields(self) -> dict[int, list[str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(corrections.c.record_id, corrections.c.field).distinct()).all()
        out: dict[int, set[str]] = {}
        for r in rows:
            out.setdefault(r.record_id, set()).add(r.field)
        return {k: sorted(v) for k, v in out.items()}

    def iter_records(self, flt: RecordFilter | None = None, batch: int = 500) -> Iterator[StoredRecord]:
        """Every matching record, by id, in pages (for exports)."""
        last = 0
        cond = self._where(flt or RecordFilter())
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(select(records).where(records.c.id > last, *cond)
                                    .order_by(records.c.id).limit(batch)).all()
            if not rows:
                return
            for row in rows:
                yield _stored(row)
            last = rows[-1].id

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(records)).scalar()


class _WriteTxn:
    """``with store._write() as conn``: one transaction, serialized within the process."""

    def __init__(self, store: Store):
        self.store = store
        self.ctx = None

    def __enter__(self):
        self.store._lock.acquire()
        try:
            self.ctx = self.store._writer.begin()
            return self.ctx.__enter__()
        except BaseException:
            self.store._lock.release()
            raise

    def __exit__(self, *exc):
        try:
            return self.ctx.__exit__(*exc)
        finally:
            self.store._lock.release()


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def _stored(row) -> StoredRecord:
    return StoredRecord(
        id=row.id, sha256=row.sha256, config=row.config, version=row.version,
        record=Record.model_validate_json(row.data), risk=row.risk, review_status=row.review_status,
        approved_by=row.approved_by, approved_at=row.approved_at, created_at=row.created_at,
        updated_at=row.updated_at)
