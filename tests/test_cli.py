"""The CLI end to end on real files: batch isolation, summary, exit codes, CSV, check, schema."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from extractor.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
runner = CliRunner()


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_extract_samples_to_jsonl_and_csv(tmp_path):
    out, table = tmp_path / "r.jsonl", tmp_path / "r.csv"
    result = runner.invoke(app, ["extract", str(SAMPLES), "-o", str(out), "--csv", str(table), "-q"])
    assert result.exit_code == 0, result.output
    recs = records(out)
    assert len(recs) == 5
    assert {r["template"] for r in recs} == {"gov2021", "legacy"}
    assert all(r["status"] == "ok" for r in recs)
    for r in recs:  # a prose figure is either read (with evidence) or listed for an LLM
        for key in ("proactive_total", "fee_collected_yuan", "npc_suggestions", "cppcc_proposals"):
            read = r["summary"][key] is not None
            assert read != (f"summary.{key}" in r["needs_llm"])
            assert not read or f"summary.{key}" in r["evidence"]
    rows = list(csv.DictReader(table.open(encoding="utf-8-sig")))
    assert len(rows) == 5 and "requests.new.total" in rows[0]
    assert "No LLM endpoint configured" in result.output


def test_bad_files_fail_alone_and_the_batch_goes_on(tmp_path):
    shutil.copy(SAMPLES / "000_b3cbf005723c64d9.txt", tmp_path / "good.txt")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "broken.docx").write_bytes(b"this is not a zip")
    (tmp_path / "scan.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    out = tmp_path / "r.jsonl"
    out.write_text("previous content\n")
    result = runner.invoke(app, ["extract", str(tmp_path / "*.*"), "-o", str(out), "-q"])
    assert result.exit_code == 1
    recs = {Path(r["source"]["path"]).name: r for r in records(out)}
    assert recs["good.txt"]["status"] == "ok"
    for name in ("empty.txt", "broken.docx", "scan.pdf"):
        assert recs[name]["status"] == "failed" and recs[name]["error"], name
    assert "failed" in result.output


def test_no_input_files_is_a_clear_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "extractor", "extract", str(tmp_path / "nothing*")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "no report files found" in proc.stderr


def test_check_command_flags_a_hand_edited_record(tmp_path):
    out = tmp_path / "r.jsonl"
    runner.invoke(app, ["extract", str(SAMPLES / "000_b3cbf005723c64d9.txt"), "-o", str(out), "-q"])
    rec = records(out)[0]
    rec["requests"]["new"]["total"] = 4
    (tmp_path / "rec.json").write_text(json.dumps(rec, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["check", str(tmp_path / "rec.json")])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["status"] == "needs_review"
    rules = {c["rule"] for c in report["checks"]}
    assert {"requests.row_sum", "requests.balance", "evidence.grounded"} <= rules


def test_schema_command_prints_json_schema():
    result = runner.invoke(app, ["schema"])
    schema = json.loads(result.output)
    assert "requests" in schema["properties"] and "$defs" in schema
