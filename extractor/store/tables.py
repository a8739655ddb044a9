"""The store's schema, as SQLAlchemy Core tables (portable between SQLite and PostgreSQL).

* ``documents``: one row per distinct input file (sha256): name, original bytes (or the path they
  were read from) and the normalized text the evidence spans point into.
* ``records``: the current version of one record per (document sha256, extraction config), with the
  columns the queue filters and orders on copied out of the JSON.
* ``record_versions``: every version of every record (version 1 is what the extractor produced).
* ``corrections``: append-only audit of reviewer edits: field, old, new, who, when, why.
* ``approvals``: append-only audit of approvals, with the override reason and the error checks
  a reviewer declared the report's own (source errors) when approving a record that has them.
"""
from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

documents = Table(
    "documents",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("filename", Text, nullable=False),
    Column("format", String(16)),
    Column("size", Integer),
    Column("content", LargeBinary),  # the original bytes, when we have them
    Column("path", Text),            # where the bytes were read from (CLI batches)
    Column("text", Text),            # normalized text; filled lazily when unknown at save time
    Column("created_at", DateTime(timezone=True), nullable=False),
)

records = Table(
    "records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), ForeignKey("documents.sha256"), nullable=False),
    Column("config", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("data", Text, nullable=False),  # the record JSON of the current version
    # copied out of ``data`` for filtering and ordering
    Column("status", String(16), nullable=False, index=True),
    Column("template", String(16), index=True),
    Column("agency", Text),
    Column("year", Integer, index=True),
    Column("rules", Text, nullable=False, default=""),  # "|rule|rule|" of the current checks
    Column("risk", Integer, nullable=False, index=True),
    # review state
    Column("review_status", String(16), nullable=False, default="unreviewed", index=True),
    Column("approved_by", Text),
    Column("approved_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("sha256", "config", name="uq_records_document_config"),
)

record_versions = Table(
    "record_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", Integer, ForeignKey("records.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("data", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("record_id", "version", name="uq_record_versions"),
)

corrections = Table(
    "corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", Integer, ForeignKey("records.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),  # the version this correction produced
    Column("field", Text, nullable=False),
    Column("old", Text),  # JSON
    Column("new", Text),  # JSON
    Column("reviewer", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

approvals = Table(
    "approvals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", Integer, ForeignKey("records.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),  # the version that was approved
    Column("reviewer", Text, nullable=False),
    # set when the version still had error-level checks: why the reviewer approved anyway (the
    # errors are the report's own), and those checks as JSON [{"rule", "cells", "message"}]
    Column("override_reason", Text),
    Column("overridden", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
