"""The wide CSV export: header layout, values round-trip, nulls stay empty, BOM for Excel."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from extractor.check import check_record, status_for
from extractor.export.csv import csv_header, record_to_row, write_csv
from schemas import Record, Source, Summary
from schemas.template import table_fields

GOLD = Path(__file__).resolve().parents[1] / "evals" / "dataset" / "gold"


def gold_record(name: str) -> Record:
    data = json.loads((GOLD / f"{name}.json").read_text(encoding="utf-8"))
    data["source"] = {"path": f"reports/{data['doc']}", "sha256": "ab" * 32, "format": "txt"}
    record = Record.model_validate(data)
    checks = check_record(record, None)
    return record.model_copy(update={"checks": checks, "status": status_for(checks)})


@pytest.fixture
def records() -> list[Record]:
    if not GOLD.is_dir():
        pytest.skip("shared eval set not available")
    hand_made = Record(source=Source(path="坏.pdf", sha256="", format="pdf"), status="failed",
                       error="扫描件，没有文字层")
    return [gold_record("000_b3cbf005723c64d9"), gold_record("001_b866f9b967b7ab9b"), hand_made]


def read_back(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, so Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_header_layout():
    header = csv_header()
    assert len(header) == len(set(header))
    assert header[:8] == ["source.path", "source.sha256", "source.format", "agency", "year",
                          "template", "status", "error"]
    paths = [f.path for f in table_fields()]
    assert header[8:8 + len(paths)] == paths  # every table path, once, in template order
    summary = [f"summary.{name}" for name in Summary.model_fields]
    assert header[8 + len(paths):-4] == summary
    assert header[-4:] == ["n_errors", "n_warnings", "rules", "needs_llm"]


def test_values_round_trip(tmp_path, records):
    out = tmp_path / "records.csv"
    assert write_csv(records, out) == 3
    rows = read_back(out)
    assert len(rows) == 3
    for record, row in zip(records, rows):
        assert list(row) == csv_header()
        for column, value in record_to_row(record).items():
            assert row[column] == ("" if value is None else str(value)), column
    first = rows[0]
    assert first["agency"] == "泰安市人力资源和社会保障局"
    assert first["requests.new.total"] == "3"
    assert first["proactive.fees"] == "582.1"
    assert first["summary.npc_suggestions"] == "15"


def test_null_stays_empty(tmp_path, records):
    out = tmp_path / "records.csv"
    write_csv(records, out)
    legacy, failed = read_back(out)[1:]
    assert legacy["template"] == "legacy"
    assert legacy["requests.new.total"] == ""
    assert legacy["summary.fee_collected_yuan"] == ""
    assert legacy["summary.requests_received"] == "90"
    assert failed["status"] == "failed" and failed["error"] == "扫描件，没有文字层"
    assert failed["year"] == "" and failed["proactive.fees"] == ""


def test_check_columns(records):
    row = record_to_row(records[0])
    assert row["n_errors"] == 0
    assert row["n_warnings"] == 3  # evidence.missing for each table of a gold record
    assert row["rules"] == "evidence.missing"
    broken = records[0].model_copy(update={"summary": Summary(requests_received=4)})
    checks = check_record(broken, None)
    row = record_to_row(broken.model_copy(update={"checks": checks}))
    assert row["n_errors"] == 1
    assert row["rules"].split(";") == ["summary.consistency", "evidence.missing"]


def test_row_values_are_typed(records):
    row = record_to_row(records[0])
    assert row["requests.new.total"] == 3 and row["proactive.fees"] == 582.1
    assert row["year"] == 2023 and row["summary.proactive_total"] == 1776
    assert record_to_row(records[2])["agency"] is None


def test_writes_to_open_files(records):
    binary = io.BytesIO()
    write_csv(records[:1], binary)
    assert binary.getvalue().startswith(b"\xef\xbb\xbfsource.path,")
    text = io.StringIO()
    write_csv(records[:1], text)
    assert text.getvalue().splitlines()[0] == ",".join(csv_header())


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_cells_are_neutralised(tmp_path, records, start):
    """CSV injection: a file name, agency or error message a spreadsheet would run as a formula is
    written as text (a leading '); numbers stay numbers."""
    hostile = start + "HYPERLINK(\"http://evil.example\")"
    record = records[0].model_copy(update={
        "agency": hostile, "error": hostile,
        "source": records[0].source.model_copy(update={"path": hostile + ".txt"})})
    out = tmp_path / "x.csv"
    write_csv([record], out)
    [row] = read_back(out)
    for column in ("agency", "error", "source.path"):
        assert row[column].startswith("'" + start), row[column]
    assert row["requests.new.total"] == str(record.requests.new.total)


def test_needs_llm_has_a_column(tmp_path, records):
    record = records[0].model_copy(update={"needs_llm": ["summary.npc_suggestions", "summary.cppcc_proposals"]})
    out = tmp_path / "x.csv"
    write_csv([record], out)
    assert read_back(out)[0]["needs_llm"] == "summary.npc_suggestions;summary.cppcc_proposals"
