"""``nianbao extract --workers N``: the same records as one process, in input order, and a document
that kills or hangs its worker costs that document only (a failed record naming the limit)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NIANBAO = Path(sys.executable).parent / "nianbao"
pytestmark = pytest.mark.skipif(not NIANBAO.exists(), reason="nianbao is not installed in this venv")


def batch(folder: Path, copies: int = 4) -> list[Path]:
    folder.mkdir()
    out = []
    for i in range(copies):
        for sample in sorted((ROOT / "samples").glob("*.txt")):
            path = folder / f"{i}-{sample.name}"
            shutil.copy(sample, path)
            out.append(path)
    return out


def extract(folder: Path, out: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(NIANBAO), "extract", str(folder), "-o", str(out), "-q", "--llm", "off", *args],
                          capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_two_workers_write_the_same_records_in_input_order(tmp_path):
    files = batch(tmp_path / "in")
    one = extract(tmp_path / "in", tmp_path / "one.jsonl", "--workers", "0")
    two = extract(tmp_path / "in", tmp_path / "two.jsonl", "--workers", "2")
    assert one.returncode == two.returncode == 0, two.stderr
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert [r["source"]["path"] for r in records(tmp_path / "two.jsonl")] == [str(p) for p in files]


@pytest.mark.parametrize("fault, says", [("crash", "worker process extracting it died"),
                                         ("hang", "per-document budget")])
def test_a_document_that_kills_or_hangs_its_worker_costs_only_itself(tmp_path, fault, says):
    files = batch(tmp_path / "in", copies=2)
    result = extract(tmp_path / "in", tmp_path / "r.jsonl", "--workers", "2",
                     env={"NIANBAO_TEST_FAULT": f"{fault}:1-002", "NIANBAO_DOC_TIMEOUT_S": "5"})
    assert result.returncode == 1  # one document failed
    got = records(tmp_path / "r.jsonl")
    assert [r["source"]["path"] for r in got] == [str(p) for p in files]
    failed = [r for r in got if r["status"] == "failed"]
    assert [Path(r["source"]["path"]).name for r in failed] == ["1-002_80089ffcafa3ad57.txt"]
    assert says in failed[0]["error"]
    assert sum(r["status"] == "ok" for r in got) == len(files) - 1


@pytest.mark.parametrize("inherited, expected", [((1 << 30, 1 << 30), (1 << 30, 1 << 30)),
                                                 ((1 << 30, -1), (1 << 30, 1 << 30)),
                                                 ((-1, -1), (4096 << 20, 4096 << 20))])
def test_a_worker_never_raises_the_memory_limit_it_inherited(inherited, expected):
    """Under ``ulimit -v`` / ``prlimit --as`` below NIANBAO_DOC_MEMORY_MB every worker used to
    die at start (ValueError: not allowed to raise maximum limit) and the batch exited 2."""
    code = ("import resource\n"
            f"resource.setrlimit(resource.RLIMIT_AS, {inherited})\n"
            "from extractor.workers import _limit_memory\n"
            "_limit_memory(4096)\n"
            "print(resource.getrlimit(resource.RLIMIT_AS))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(expected)
