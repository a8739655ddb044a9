"""``ok`` means complete: template known, every table of it found, every cell read (CONTRACT, Statuses)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.check import check_record, status_for
from extractor.check.completeness import check_completeness, not_a_report
from extractor.pipeline import extract_file
from extractor.settings import Settings
from schemas import Record, set_path
from schemas.template import TEMPLATES_BY_KEY, table_fields

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "evals" / "dataset" / "gold"
SAMPLES = ROOT / "samples"


def gold(name: str) -> Record:
    data = json.loads((GOLD / f"{name}.json").read_text(encoding="utf-8"))
    data["source"] = {"path": data["doc"], "sha256": "0" * 64}
    return Record.model_validate(data)


def without(record: Record, *paths: str) -> Record:
    data = record.model_dump()
    for path in paths:
        set_path(data, path, None)
    return Record.model_validate(data)


def gold_names(template: str) -> list[str]:
    names = []
    for path in sorted(GOLD.glob("*.json")):
        if json.loads(path.read_text(encoding="utf-8")).get("template") == template:
            names.append(path.stem)
    return names


@pytest.mark.parametrize("name", gold_names("gov2021") + gold_names("gov2019"))
def test_complete_gold_records_pass(name):
    assert check_completeness(gold(name)) == []


@pytest.mark.parametrize("path", [f.path for f in table_fields() if f.path.startswith("requests.")][::7])
def test_one_unread_cell_makes_the_record_needs_review(path):
    record = without(gold("000_b3cbf005723c64d9"), path)
    [found] = check_completeness(record)
    assert found.rule == "reader.incomplete" and found.severity == "error"
    assert found.cells == [path]
    assert path in found.message
    assert status_for(check_record(record)) == "needs_review"


def test_a_missing_table_is_named():
    record = gold("000_b3cbf005723c64d9").model_copy(update={"appeals": None})
    [found] = check_completeness(record)
    assert "表四 not found" in found.message


def test_many_unread_cells_are_listed_in_cells_and_counted_in_the_message():
    paths = [f.path for f in table_fields() if f.path.startswith("requests.")]
    [found] = check_completeness(without(gold("000_b3cbf005723c64d9"), *paths))
    assert found.cells == paths
    assert f"{len(paths)} cell(s) not read" in found.message and "more" in found.message


def test_unknown_template_is_an_error():
    record = gold("000_b3cbf005723c64d9").model_copy(update={"template": "unknown"})
    assert [c.rule for c in check_completeness(record)] == ["template.unknown"]


def test_prose_fields_left_for_an_llm_do_not_demote():
    record = gold("000_b3cbf005723c64d9")
    record = without(record, "summary.proactive_total", "summary.fee_collected_yuan",
                     "summary.npc_suggestions", "summary.cppcc_proposals")
    record = record.model_copy(update={"needs_llm": ["summary.proactive_total"]})
    assert check_completeness(record) == []


def test_single_other_row_layout_is_complete_without_the_two_rows_it_lacks():
    record = without(gold("000_b3cbf005723c64d9"),
                     *[f.path for f in table_fields()
                       if f.path.startswith(("requests.other_no_correction.", "requests.other_no_fee."))])
    assert check_completeness(record) == []
    # …but not when 其他处理 itself is unread too
    assert check_completeness(without(record, "requests.other_other.total"))


def test_legacy_needs_its_declared_summary_figures():
    for name in gold_names("legacy"):
        record = gold(name)
        assert check_completeness(record) == []
        for key in TEMPLATES_BY_KEY["legacy"].summary:
            assert check_completeness(without(record, f"summary.{key}"))[0].rule == "reader.incomplete"


# ---------------------------------------------------------------------- end to end through a file
def run(tmp_path: Path, name: str, text: str) -> Record:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return extract_file(path, Settings(llm="off"))


def test_unrelated_text_is_failed_with_a_reason(tmp_path):
    record = run(tmp_path, "recipe.txt", "红烧肉的做法\n\n五花肉500克，冰糖30克。先焯水，再小火慢炖一小时。\n")
    assert record.status == "failed"
    assert "not a government information-disclosure annual report" in record.error


def test_a_report_titled_page_without_tables_is_not_ok(tmp_path):
    record = run(tmp_path, "title.txt", "某某局2023年政府信息公开工作年度报告\n\n本报告由某某局编制。\n")
    assert record.status == "needs_review"
    assert {c.rule for c in record.checks} & {"template.unknown", "reader.incomplete"}


def test_a_report_missing_its_table_three_is_not_ok(tmp_path):
    text = (SAMPLES / "000_b3cbf005723c64d9.txt").read_text(encoding="utf-8")
    start = text.index("三、收到和处理政府信息公开申请情况")
    end = text.index("四、政府信息公开行政复议")
    record = run(tmp_path, "no-table-three.txt", text[:start] + text[end:])
    assert record.status == "needs_review"
    assert any(c.rule == "reader.incomplete" and "表三" in c.message for c in record.checks)


def test_not_a_report_keeps_reports_and_near_reports():
    record = gold("000_b3cbf005723c64d9")
    assert not_a_report(record, "") is None  # it has tables
    empty = Record(source=record.source)
    assert not_a_report(empty, "二、主动公开政府信息情况\n……") is None  # a section of the form
    assert not_a_report(empty, "今天天气很好") is not None
