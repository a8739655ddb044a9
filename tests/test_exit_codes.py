"""Exit codes and messages of the INSTALLED ``nianbao`` script, run as a user runs it (subprocess).

0 nothing failed · 1 a document failed / the eval is worse than its baseline / ``check`` found an
error · 2 usage or setup error: one line on stderr, never a traceback."""
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
SAMPLE = ROOT / "samples" / "000_b3cbf005723c64d9.txt"

pytestmark = pytest.mark.skipif(not NIANBAO.exists(), reason="nianbao is not installed in this venv")


def run(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "NIANBAO_LLM_BASE_URL": "", "OPENAI_API_KEY": "", **(env or {})}
    full_env.pop("NIANBAO_DEBUG", None)
    return subprocess.run([str(NIANBAO), *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          env=full_env, timeout=300)


def one_clean_line(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "╭" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("args, says", [
    (("no-such-command",), "No such command"),
    (("extract", "--no-such-option", "x.txt"), "No such option"),
    ((), "missing command"),
    (("extract",), "Missing argument"),
])
def test_usage_errors_exit_2_with_one_line(args, says):
    result = run(*args)
    assert result.returncode == 2
    line = one_clean_line(result)
    assert says in line and "--help" in line


def test_a_bad_setting_is_a_setup_error(tmp_path):
    result = run("extract", str(SAMPLE), "-o", str(tmp_path / "r.jsonl"), "-q",
                 env={"NIANBAO_LLM_MODE": "telepathy"})
    assert result.returncode == 2
    assert "invalid settings" in one_clean_line(result)


def test_an_output_path_that_is_a_folder_is_refused_before_the_batch(tmp_path):
    result = run("extract", str(SAMPLE), "-o", str(tmp_path), "-q")
    assert result.returncode == 2
    assert "is a folder" in one_clean_line(result)


def test_no_files_found_is_a_setup_error(tmp_path):
    result = run("extract", str(tmp_path), "-o", str(tmp_path / "r.jsonl"), "-q")
    assert result.returncode == 2
    assert "no report files found" in one_clean_line(result)


def test_all_good_exits_0(tmp_path):
    result = run("extract", str(SAMPLE), "-o", str(tmp_path / "r.jsonl"), "-q")
    assert result.returncode == 0, result.stderr
    assert len((tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()) == 1


@pytest.mark.parametrize("bad", ["missing", "empty"])
def test_a_failed_document_exits_1_and_the_batch_goes_on(tmp_path, bad):
    path = tmp_path / "bad.txt"
    if bad == "empty":
        path.write_bytes(b"")
    result = run("extract", str(path), str(SAMPLE), "-o", str(tmp_path / "r.jsonl"), "-q")
    assert result.returncode == 1
    records = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["status"] for r in records] == ["failed", "ok"]
    assert "failed" in result.stderr and str(path) in result.stderr


def test_check_exit_codes(tmp_path):
    ok = json.loads((ROOT / "evals" / "dataset" / "gold" / "000_b3cbf005723c64d9.json").read_text(encoding="utf-8"))
    ok["source"] = {"path": "r.txt", "sha256": ""}
    (tmp_path / "ok.json").write_text(json.dumps(ok, ensure_ascii=False), encoding="utf-8")
    ok["requests"]["new"]["total"] += 1
    (tmp_path / "bad.json").write_text(json.dumps(ok, ensure_ascii=False), encoding="utf-8")
    assert run("check", str(tmp_path / "ok.json")).returncode == 0
    bad = run("check", str(tmp_path / "bad.json"))
    assert bad.returncode == 1 and "requests.row_sum" in bad.stdout
    missing = run("check", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "cannot read" in one_clean_line(missing)


def test_markup_in_names_and_messages_prints_literally(tmp_path):
    path = tmp_path / "年报[red].txt"
    shutil.copy(SAMPLE, path)
    (tmp_path / "empty[bold].txt").write_bytes(b"")
    result = run("extract", str(path), str(tmp_path / "empty[bold].txt"), "-o", str(tmp_path / "r.jsonl"), "-q")
    assert result.returncode == 1
    assert "empty[bold].txt" in result.stderr
    lines = (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["source"]["path"] == str(path)  # a name with brackets is not a glob


@pytest.mark.slow
def test_the_readme_gate_fails_on_a_broken_gold_label(tmp_path):
    dataset = tmp_path / "dataset"
    shutil.copytree(ROOT / "evals" / "dataset", dataset)
    gold = dataset / "gold" / "000_b3cbf005723c64d9.json"
    data = json.loads(gold.read_text(encoding="utf-8"))
    data["requests"]["new"]["total"] += 1
    gold.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    gate = ("eval", "--llm", "off", "--baseline", "evals/runs/baseline.json", "--no-save")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "nianbao " + " ".join(gate) in readme or "nianbao eval --llm off --baseline" in readme
    broken = run(*gate, "--dataset", str(dataset))
    assert broken.returncode == 1
    assert "FAIL" in broken.stderr + broken.stdout


def test_the_summary_names_the_most_frequent_rules(tmp_path):
    no_table_four = SAMPLE.read_text(encoding="utf-8").split("四、政府信息公开行政复议")[0]
    (tmp_path / "cut.txt").write_text(no_table_four, encoding="utf-8")
    result = run("extract", str(tmp_path / "cut.txt"), "-o", str(tmp_path / "r.jsonl"), "-q")
    assert result.returncode == 0  # needs_review is not a failure
    assert "most frequent rules: reader.incomplete (1)" in result.stderr


def test_help_starts_without_the_heavy_libraries():
    """`nianbao --help` imports typer and nothing heavy: the start-up target (< 0.2 s, measured by
    bench/bench_extract.py) rests on pydantic, rich, lxml and the LLM stack staying out of it."""
    probe = ("import sys\nsys.argv = ['nianbao', '--help']\nfrom extractor.cli import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "heavy = ('pydantic', 'pydantic_settings', 'rich', 'lxml', 'openai', 'instructor', 'pypdfium2', 'schemas')\n"
             "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in heavy))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "Usage: nianbao" in result.stdout
    assert "LOADED []" in result.stdout, result.stdout[-500:]
