"""`nianbao extract --store` killed with SIGKILL half-way through a batch and run again: every
document ends up stored exactly once, with its first version, and nothing already stored is lost."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from review_fixtures import ROOT, sample_docs

pytestmark = pytest.mark.slow
N_FILES = 40


def make_batch(folder: Path) -> list[Path]:
    """40 distinct reports (copies of the samples, each made unique) plus two bad files."""
    folder.mkdir()
    docs = sample_docs()
    files = []
    for i in range(N_FILES - 2):
        path = folder / f"r{i:02d}.txt"
        path.write_bytes(docs[i % len(docs)].read_bytes() + f"\n（副本 {i}）\n".encode())
        files.append(path)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7 cut short")
    return files + [folder / "empty.txt", folder / "broken.pdf"]


def stored(db: Path) -> tuple[list[str], int, int]:
    """(sha256 of every record row, number of versions, records without a first version)."""
    conn = sqlite3.connect(db, timeout=30)
    try:
        shas = [r[0] for r in conn.execute("SELECT sha256 FROM records")]
        versions = conn.execute("SELECT count(*) FROM record_versions").fetchone()[0]
        orphans = conn.execute("SELECT count(*) FROM records r WHERE NOT EXISTS (SELECT 1 FROM "
                               "record_versions v WHERE v.record_id = r.id AND v.version = 1)").fetchone()[0]
        return shas, versions, orphans
    finally:
        conn.close()


def count_records(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        return len(stored(db)[0])
    except sqlite3.OperationalError:  # tables not created yet, or busy
        return 0


def extract_cmd(inputs: Path, data: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "extractor", "extract", str(inputs), "--store", "--data-dir", str(data),
            "-o", str(out), "-q", "--llm", "off"]


def jsonl_shas(path: Path) -> list[str]:
    return [json.loads(line)["source"]["sha256"] for line in path.read_text(encoding="utf-8").splitlines()]


def kill_mid_batch(cmd: list[str], cwd: Path, env: dict, db: Path) -> None:
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while count_records(db) < 5 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the batch finished before it could be killed"


@pytest.mark.parametrize("append", [False, True], ids=["rewrite", "append"])
def test_killed_batch_resumes_without_duplicates_or_losses(tmp_path, append):
    files = make_batch(tmp_path / "in")
    data, db, out = tmp_path / "data", tmp_path / "data" / "nianbao.db", tmp_path / "records.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = extract_cmd(tmp_path / "in", data, out) + (["--append"] if append else [])
    kill_mid_batch(cmd, tmp_path, env, db)
    before, _, orphans = stored(db)
    assert 0 < len(before) < N_FILES and orphans == 0
    with out.open("ab") as fh:  # what a kill in the middle of a write leaves behind
        fh.write(b'{"source": {"path": "torn')

    expected = {hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    for attempt in range(2):  # resume, then run the finished batch once more
        rerun = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert rerun.returncode == 1, rerun.stderr  # 1: the two bad files failed, as they should
        if attempt == 0 and append:
            assert "torn last line" in rerun.stderr
        shas, versions, orphans = stored(db)
        assert len(shas) == len(set(shas)), "a document was stored twice"
        assert set(shas) == expected, "a document is missing from the store"
        assert set(before) <= set(shas)
        assert versions == len(shas) and orphans == 0
        written = jsonl_shas(out)
        assert sorted(written) == sorted(expected), "the JSONL must hold every document of the batch once"
    assert ("already in" if append else "from the store") in rerun.stderr
