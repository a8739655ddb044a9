"""The store: saving is idempotent per (document, config), versions and corrections are kept,
the version check refuses stale saves, the queue is ordered by risk."""
from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import func, select

from extractor.store import Change, RecordFilter, VersionConflict, open_store
from extractor.store.risk import DISAGREEMENT, ERROR, MISSING, OK, risk_of
from extractor.store.tables import corrections, metadata, record_versions, records
from schemas import Check, Record
from review_fixtures import WRONG_CELL, gold_record, misread, settings_for, with_checks


POSTGRES_URL = os.environ.get("NIANBAO_TEST_DATABASE_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """The store on SQLite, and on PostgreSQL when NIANBAO_TEST_DATABASE_URL names a scratch
    database (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/nianbao_test; it is wiped)."""
    if request.param == "sqlite":
        yield open_store(settings_for(tmp_path))
        return
    if not POSTGRES_URL:
        pytest.skip("set NIANBAO_TEST_DATABASE_URL to a scratch PostgreSQL database to run this")
    store = open_store(settings_for(tmp_path, database_url=POSTGRES_URL))
    metadata.drop_all(store.engine)
    metadata.create_all(store.engine)
    yield store
    store.engine.dispose()


def test_sqlite_file_in_data_dir_uses_wal(tmp_path):
    store = open_store(settings_for(tmp_path))
    assert (tmp_path / "data" / "nianbao.db").is_file()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_save_is_keyed_by_document_and_config(store):
    record, raw, text = gold_record()
    first = store.save_record(record, "rules", content=raw, text=text)
    assert store.save_record(record, "rules") == first  # same key: no duplicate
    other = store.save_record(record, "llm=auto;model=x;mode=tools")
    assert other != first
    assert store.has_record(record.source.sha256, "rules")
    assert not store.has_record("0" * 64, "rules")
    assert store.count() == 2
    doc = store.get_document(record.source.sha256)
    assert doc.content == raw and doc.text == text and doc.filename == record.source.path


def test_record_without_bytes_is_not_stored(store):
    record = Record.model_validate({"source": {"path": "gone.pdf", "sha256": ""}, "status": "failed"})
    assert store.save_record(record) is None
    assert store.count() == 0


def test_concurrent_saves_of_one_document_store_it_once(store):
    record, raw, text = gold_record()
    ids = []

    def save():
        ids.append(store.save_record(record, "rules", content=raw, text=text))

    threads = [threading.Thread(target=save) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 1 and store.count() == 1


def test_update_keeps_versions_and_appends_corrections(store):
    record, raw, text = gold_record()
    rid = store.save_record(record, content=raw, text=text)
    bad = misread(record)
    updated = store.update_record(rid, bad, [Change(WRONG_CELL, 1, 8)], reviewer="ann",
                                  reason="typo", expected_version=1)
    assert updated.version == 2 and updated.review_status == "corrected"
    assert updated.record.get(WRONG_CELL) == bad.get(WRONG_CELL)
    assert [v["version"] for v in store.versions(rid)] == [1, 2]
    assert store.version_record(rid, 1).get(WRONG_CELL) == record.get(WRONG_CELL)
    [corr] = store.corrections(rid)
    assert corr == {**corr, "field": WRONG_CELL, "old": 1, "new": 8, "reviewer": "ann", "reason": "typo",
                    "version": 2}
    assert store.corrected_fields(rid) == [WRONG_CELL]
    assert store.all_corrected_fields() == {rid: [WRONG_CELL]}


def test_stale_version_is_refused_and_nothing_is_written(store):
    record, raw, text = gold_record()
    rid = store.save_record(record, content=raw, text=text)
    store.update_record(rid, record, [Change("agency", None, "A")], reviewer="ann", reason="r",
                        expected_version=1)
    with pytest.raises(VersionConflict) as err:
        store.update_record(rid, record, [Change("agency", None, "B")], reviewer="bob", reason="r",
                            expected_version=1)
    assert err.value.current_version == 2
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(record_versions)).scalar() == 2
        assert conn.execute(select(func.count()).select_from(corrections)).scalar() == 1
    with pytest.raises(VersionConflict):
        store.approve(rid, reviewer="bob", expected_version=1)


def test_approve_then_edit_resets_approval(store):
    record, raw, text = gold_record()
    rid = store.save_record(record, content=raw, text=text)
    approved = store.approve(rid, reviewer="ann", expected_version=1)
    assert approved.review_status == "approved" and approved.approved_by == "ann" and approved.approved_at
    again = store.update_record(rid, record, [], reviewer="bob", reason="recheck", expected_version=1)
    assert again.review_status == "corrected" and again.approved_by is None


def test_risk_order_and_filters(store):
    record, raw, text = gold_record()
    clean = record.model_copy(update={"checks": [], "status": "ok"})
    flagged = with_checks(misread(record), text)
    disagree = clean.model_copy(update={"checks": [Check(rule="llm.disagreement", severity="error",
                                                         cells=["requests.new.total"], message="x")]})
    missing = clean.model_copy(update={"needs_llm": ["summary.proactive_total"]})
    failed = Record.model_validate({"source": {"path": "bad.pdf", "sha256": "f" * 64}, "status": "failed",
                                    "error": "corrupt"})
    assert [risk_of(r) for r in (flagged, disagree, missing, clean, failed)] == [ERROR, DISAGREEMENT, MISSING, OK, ERROR]
    ids = {}
    for i, (name, r) in enumerate([("clean", clean), ("missing", missing), ("disagree", disagree),
                                   ("flagged", flagged), ("failed", failed)]):
        r = r.model_copy(update={"source": r.source.model_copy(update={"sha256": f"{i:064d}"})})
        ids[name] = store.save_record(r)
    items, total = store.list_records(order="risk")
    assert total == 5
    assert [s.id for s in items] == [ids["flagged"], ids["failed"], ids["disagree"], ids["missing"], ids["clean"]]
    rule = next(c.rule for c in flagged.checks if c.severity == "error")
    assert [s.id for s in store.list_records(RecordFilter(rule=rule))[0]] == [ids["flagged"]]
    assert store.list_records(RecordFilter(status="failed"))[1] == 1
    assert store.list_records(RecordFilter(template="gov2021"))[1] == 4
    assert store.list_records(RecordFilter(agency="泰安", year=2023))[1] == 4
    assert store.list_records(RecordFilter(year=1999))[1] == 0
    store.approve(ids["flagged"], reviewer="ann")
    assert ids["flagged"] not in store.ordered_ids(RecordFilter(pending_only=True))
    prev_id, next_id = store.neighbours(ids["disagree"], RecordFilter(pending_only=True))
    assert (prev_id, next_id) == (ids["failed"], ids["missing"])


def test_saving_is_one_transaction(store, monkeypatch):
    """A failure between the record row and its first version leaves neither behind."""
    record, raw, text = gold_record()
    import extractor.store.repository as repo

    real_insert = repo.insert

    def failing_insert(table):
        if table is record_versions:
            raise RuntimeError("disk full")
        return real_insert(table)

    monkeypatch.setattr(repo, "insert", failing_insert)
    with pytest.raises(RuntimeError):
        store.save_record(record, content=raw, text=text)
    monkeypatch.setattr(repo, "insert", real_insert)
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(records)).scalar() == 0
    assert store.save_record(record, content=raw, text=text) is not None


def test_empty_database_file_is_refused_not_replaced(tmp_path):
    from extractor.errors import ConfigError
    from extractor.store import open_store
    from review_fixtures import settings_for

    settings = settings_for(tmp_path)
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "nianbao.db").write_bytes(b"")
    with pytest.raises(ConfigError, match="empty"):
        open_store(settings)
    assert (settings.data_dir / "nianbao.db").stat().st_size == 0


def test_corrupt_database_file_is_refused(tmp_path):
    from extractor.errors import ConfigError
    from extractor.store import open_store
    from review_fixtures import gold_record, settings_for

    settings = settings_for(tmp_path)
    store = open_store(settings)
    record, raw, text = gold_record()
    store.save_record(record, content=raw, text=text)
    store.engine.dispose()
    db = settings.data_dir / "nianbao.db"
    for suffix in ("-wal", "-shm"):
        (settings.data_dir / f"nianbao.db{suffix}").unlink(missing_ok=True)
    data = bytearray(db.read_bytes())
    page = 4096
    data[page + 8: 3 * page] = b"\xff" * (2 * page - 8)  # scribble over the b-tree pages after the header
    db.write_bytes(bytes(data))
    with pytest.raises(ConfigError, match="corrupt|not a readable"):
        open_store(settings)
