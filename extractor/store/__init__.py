"""The store: extracted records, their documents, versions, corrections and review state, in
SQLite (``<data_dir>/nianbao.db``, WAL) or any SQLAlchemy URL (``NIANBAO_DATABASE_URL``, e.g.
PostgreSQL)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, event

from extractor.errors import ConfigError
from extractor.settings import Settings
from extractor.store.repository import (
    Change,
    RecordFilter,
    RecordNotFound,
    Store,
    StoredDocument,
    StoredRecord,
    VersionConflict,
)
from extractor.store.risk import RISK_LABELS, risk_of

__all__ = ["Change", "RISK_LABELS", "RecordFilter", "RecordNotFound", "Store", "StoredDocument",
           "StoredRecord", "VersionConflict", "database_url", "open_store", "risk_of"]


def database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{settings.data_dir / 'nianbao.db'}"


def check_sqlite_file(path: Path) -> None:
    """Refuse a database file that exists but is empty or fails SQLite's quick_check: it is never
    silently replaced by a new empty store."""
    if not path.exists():
        return
    if path.stat().st_size == 0:
        raise ConfigError(f"the store {path} is an empty (0-byte) file, not a database; restore it from a "
                          "backup, or move it away to start a new store")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"the store {path} is not a readable SQLite database ({exc}); restore it from a "
                          "backup, or move it away to start a new store") from exc
    if result != ["ok"]:
        raise ConfigError(f"the store {path} is corrupt (integrity check: {'; '.join(result[:3])}); restore it "
                          "from a backup, or move it away to start a new store")


def open_store(settings: Settings) -> Store:
    """Open (creating if needed) the store these settings point at; an empty or corrupt SQLite
    file is refused (``ConfigError``)."""
    url = database_url(settings)
    if not settings.database_url:
        check_sqlite_file(settings.data_dir / "nianbao.db")
    try:
        engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    except Exception as exc:  # bad URL, missing driver
        raise ConfigError(f"cannot open the store at {url}: {exc} (check NIANBAO_DATABASE_URL; "
                          "PostgreSQL needs `pip install psycopg`)") from exc
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    store = Store(engine, settings.extraction_config)
    try:
        store.create()
    except Exception as exc:
        raise ConfigError(f"cannot open the store at {url}: {exc}") from exc
    return store


def _tune_sqlite(engine) -> None:
    """WAL (readers never block the writer), a generous busy timeout for a second process, and
    transactions we begin ourselves so writes can take the lock up front."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # let us emit BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        mode = conn.get_execution_options().get("nianbao_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")
