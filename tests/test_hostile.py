"""The hostile corpus (``tests/hostile_corpus.py``, generated in tmp_path) through the INSTALLED
``nianbao extract``, as a user runs it: one batch of every bomb next to good reports, under a
2 GiB address-space cap and a 10 s per-document budget. Every bad file is one ``failed`` record
naming its problem, the good reports in the same batch read exactly their gold, the batch exits
1 (some document failed). A store that is an empty or corrupt file is refused, untouched."""
from __future__ import annotations

import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evals.score import score_document
from hostile_corpus import write_corpus

ROOT = Path(__file__).resolve().parents[1]
NIANBAO = Path(sys.executable).parent / "nianbao"
GOOD_SAMPLE = ROOT / "samples" / "000_b3cbf005723c64d9.txt"
MEMORY_CAP = 2 << 30  # address space of nianbao and each of its workers
BOMB_BUDGET_S = 10  # NIANBAO_DOC_TIMEOUT_S: a document over it would fail naming that budget
BATCH_BUDGET_S = 60

pytestmark = pytest.mark.skipif(not NIANBAO.exists(), reason="nianbao is not installed in this venv")


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def nianbao(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "NIANBAO_LLM_BASE_URL": "", "OPENAI_API_KEY": "", **(env or {})}
    full_env.pop("NIANBAO_DEBUG", None)
    return subprocess.run([str(NIANBAO), *args], capture_output=True, text=True, cwd=ROOT, env=full_env,
                          preexec_fn=_cap_memory, timeout=BATCH_BUDGET_S * 2)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("hostile") / "in")


@pytest.fixture(scope="module")
def batch(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "records.jsonl"
    started = time.monotonic()
    result = nianbao("extract", str(corpus.folder), "-o", str(out), "-q",
                     env={"NIANBAO_DOC_TIMEOUT_S": str(BOMB_BUDGET_S)})
    seconds = time.monotonic() - started
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return result, records, seconds


def by_name(records: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for record in records:
        out.setdefault(Path(record["source"]["path"]).name, []).append(record)
    return out


def test_every_hostile_file_is_one_failed_record_naming_its_problem(corpus, batch):
    result, records, _ = batch
    named = by_name(records)
    for item in corpus.hostile:
        assert len(named.get(item.name, [])) == 1, item.name
        record = named[item.name][0]
        assert record["status"] == "failed", item.name
        assert re.search(item.expect, record["error"]), (item.name, record["error"])
        assert "internal error" not in record["error"] and "budget" not in record["error"], item.name
    assert "Traceback" not in result.stderr


def test_good_reports_in_the_same_batch_read_their_gold(corpus, batch):
    _, records, _ = batch
    named = by_name(records)
    for good in corpus.good:
        assert len(named.get(good.name, [])) == 1, good.name
        record = named[good.name][0]
        gold = json.loads(good.gold.read_text(encoding="utf-8"))
        score = score_document(gold, record)
        assert record["status"] == "ok" and score["exact"], (good.name, score["wrong"])
    expected = {item.name for item in corpus.hostile} | {good.name for good in corpus.good}
    assert set(by_name(records)) == expected and len(records) == len(expected)


def test_the_batch_exits_1_within_its_budget(batch):
    result, _, seconds = batch
    assert result.returncode == 1, result.stderr  # some document failed
    assert "failed" in result.stderr
    assert seconds < BATCH_BUDGET_S


def _truncated_sqlite(path: Path, scratch: Path) -> None:
    whole = scratch / "whole.db"
    with sqlite3.connect(whole) as conn:
        conn.execute("CREATE TABLE t (x TEXT)")
        conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    conn.close()
    data = whole.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("kind, says", [
    ("empty", "is an empty (0-byte) file, not a database"),
    ("random", "is not a readable SQLite database"),
    ("truncated", "is not a readable SQLite database"),
])
def test_an_empty_or_corrupt_store_is_refused_untouched(tmp_path, kind, says):
    db = tmp_path / "data" / "nianbao.db"
    db.parent.mkdir()
    if kind == "empty":
        db.write_bytes(b"")
    elif kind == "random":
        db.write_bytes(os.urandom(8192))
    else:
        _truncated_sqlite(db, tmp_path)
    before = db.read_bytes()
    out = tmp_path / "r.jsonl"
    result = nianbao("extract", str(GOOD_SAMPLE), "-o", str(out), "-q", "--store",
                     "--data-dir", str(db.parent))
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert says in last and str(db) in last and "backup" in last
    assert "Traceback" not in result.stderr
    assert db.read_bytes() == before
    assert [p.name for p in db.parent.iterdir()] == ["nianbao.db"]  # no -wal/-shm, no new store
    assert not out.exists()


def test_a_huge_file_is_not_read_to_check_the_store(tmp_path):
    """--store looks up every input by its sha256 before extracting; a file over the size limit
    is refused by its size, never read (an 8 GiB sparse file was read whole: 14 s)."""
    huge = tmp_path / "in" / "huge.pdf"
    huge.parent.mkdir()
    with open(huge, "wb") as fh:
        fh.truncate(8 << 30)
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: print('RCHAR', open('/proc/self/io').read().split()[1], file=sys.stderr))\n"
             "from extractor.cli import main\nmain()")
    out = tmp_path / "r.jsonl"
    env = {**os.environ, "NIANBAO_LLM_BASE_URL": "", "OPENAI_API_KEY": ""}
    result = subprocess.run([sys.executable, "-c", probe, "extract", str(huge.parent), "-o", str(out), "-q",
                             "--store", "--data-dir", str(tmp_path / "data"), "--workers", "0"],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    read = int(re.search(r"RCHAR (\d+)", result.stderr).group(1))
    assert read < 1 << 30, f"read {read} bytes"
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["status"] == "failed" and "MB" in record["error"]
