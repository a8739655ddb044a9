"""The deterministic reader on small hand-written layouts: each test states a layout a real
report uses and the cells that must come back."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.read.layout import split_rows
from schemas.grammar import is_blank, parse_number
from extractor.read.rules import read_document
from schemas import Document
from schemas.template import APPLICANT_COLUMNS, REQUEST_ROWS

ROOT = Path(__file__).resolve().parents[1]
SAMPLES, GOLD = ROOT / "samples", ROOT / "evals" / "dataset" / "gold"  # the five real samples, in the repo
SHARED = ROOT.parent / "shared"  # evalset-external: read in place, never copied


def doc(text: str) -> Document:
    return Document(path="t.txt", sha256="0" * 64, format="txt", text=text)


def table3_rows(value_of=lambda i, key: [i % 3, 0, 0, 0, 0, 0, i % 3]) -> list[tuple[str, list]]:
    return [(lab.text, value_of(i, lab.key)) for i, lab in enumerate(REQUEST_ROWS)]


def consistent_values(i: int, key: str) -> list[int]:
    """A 表三 whose arithmetic holds: one request granted, nothing else."""
    ones = {"new": 1, "granted": 1, "total": 1}
    v = ones.get(key, 0)
    return [v, 0, 0, 0, 0, 0, v]


HEADER = "某某县人民政府\n2023年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n"


def render(rows, sep: str, blank: str | None = None) -> str:
    def cell(v):
        return blank if (blank is not None and v == 0) else str(v)
    if sep == "|":
        return "\n".join("| " + " | ".join([label] + [cell(v) for v in vals]) + " |" for label, vals in rows)
    return "\n".join(sep.join([label] + [cell(v) for v in vals]) for label, vals in rows)


@pytest.mark.parametrize("sep", ["\t", "|", " "])
def test_table3_rows_in_tab_pipe_and_text_layouts(sep):
    rows = table3_rows(consistent_values)
    rec = read_document(doc(HEADER + render(rows, sep)))
    assert rec.requests is not None
    assert rec.requests.new.total == 1 and rec.requests.granted.natural_person == 1
    assert rec.requests.denied_state_secret.total == 0
    assert rec.summary.requests_received == 1
    assert rec.year == 2023 and rec.agency == "某某县人民政府"


@pytest.mark.parametrize("blank", ["", "—", "-", "/", "无"])
def test_blank_cells_in_a_present_table_are_zero(blank):
    rows = table3_rows(consistent_values)
    rec = read_document(doc(HEADER + render(rows, "\t", blank=blank)))
    assert rec.requests.rejected_duplicate.commercial == 0
    assert rec.requests.new.total == 1
    span = rec.evidence["requests.rejected_duplicate.commercial"]
    assert span.text == blank


def test_cell_block_layout_with_label_broken_over_lines():
    blocks = []
    for label, vals in table3_rows(consistent_values):
        if label.startswith("5.要求"):
            label = "5.要求行政机关确认或重新\n出具已获取信息"
        blocks.append("\n".join(["\t" + label] + [f"\t{v}" for v in vals]))
    rec = read_document(doc(HEADER + "\n\n".join(blocks)))
    assert rec.requests.rejected_confirmation.total == 0
    assert rec.requests.total.total == 1
    assert all(getattr(rec.requests, lab.key) is not None for lab in REQUEST_ROWS)


def test_label_on_its_own_line_joins_the_next_row():
    text = render(table3_rows(consistent_values), "\t").replace(
        "2.其他法律行政法规禁止公开\t", "2.其他法律行政\n法规禁止公开\t")
    rec = read_document(doc(HEADER + text))
    assert rec.requests.denied_prohibited_by_law.total == 0
    assert rec.requests.denied_safety_stability is not None


def test_full_width_digits_and_thousands_separators():
    def vals(i, key):
        return {"new": [1200, 34, 0, 0, 0, 0, 1234], "total": [1200, 34, 0, 0, 0, 0, 1234],
                "granted": [1200, 34, 0, 0, 0, 0, 1234]}.get(key, [0] * 7)
    text = render(table3_rows(vals), "\t")
    text = text.replace("1234", "１，２３４").replace("1200", "1,200")
    rec = read_document(doc(HEADER + text))
    assert rec.requests.new.total == 1234
    assert rec.requests.new.natural_person == 1200
    assert rec.evidence["requests.new.total"].text == "１，２３４"


def test_number_split_in_two_is_joined_only_when_the_row_sum_confirms_it():
    def vals(i, key):
        return {"new": [10, 2, 0, 0, 0, 0, 12]}.get(key, [0] * 7)
    text = render(table3_rows(vals), " ").replace("新收政府信息公开申请数量 10 2", "新收政府信息公开申请数量 1 0 2")
    rec = read_document(doc(HEADER + text))
    assert rec.requests.new.natural_person == 10 and rec.requests.new.total == 12
    assert any(c.rule == "reader.split_number" for c in rec.checks)


def test_ambiguous_split_number_is_left_null_and_flagged():
    def vals(i, key):
        return {"new": [1, 1, 0, 0, 0, 0, 2]}.get(key, [0] * 7)
    # "1 1 0 …": 8 tokens for 7 cells; no join makes total = sum of parts → can't place
    text = render(table3_rows(vals), " ").replace("新收政府信息公开申请数量 1 1", "新收政府信息公开申请数量 1 1 5")
    rec = read_document(doc(HEADER + text))
    assert rec.requests.new is None
    assert "requests.new.total" in rec.needs_llm
    assert any(c.rule == "reader.unplaced" for c in rec.checks)


def test_values_printed_above_their_label():
    text = render(table3_rows(consistent_values), "\t").replace(
        "2.没有现成信息需要另行制作\t0\t0\t0\t0\t0\t0\t0", "3 0 0 0 0 0 3\n2.没有现成信息需要另行制作")
    rec = read_document(doc(HEADER + text))
    assert rec.requests.unavailable_needs_creation.total == 3


def test_single_other_row_goes_to_other_other():
    rows = [(label, vals) for label, vals in table3_rows(consistent_values)
            if not label.startswith(("1.申请人", "2.申请人"))]
    rows = [("（六）其他处理", vals) if label == "3.其他" else (label, vals) for label, vals in rows]
    rec = read_document(doc(HEADER + render(rows, "\t")))
    assert rec.requests.other_other.total == 0
    assert rec.requests.other_no_correction is None and rec.requests.other_no_fee is None
    assert "requests.other_no_correction.total" not in rec.needs_llm


def test_appeals_row_of_fifteen_and_per_group_rows():
    head = ("四、政府信息公开行政复议、行政诉讼情况\n行政复议\t行政诉讼\n"
            "结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t复议后起诉\n")
    rec = read_document(doc(HEADER + head + "\t".join(["1", "0", "0", "0", "1"] + ["0"] * 4 + ["2", "2"] + ["0"] * 3 + ["2"])))
    assert rec.appeals.review.total == 1 and rec.appeals.litigation_direct.total == 2
    assert rec.summary.litigation_total == 4
    per_group = head + "行政复议\t1\t0\t0\t0\t1\n未经复议直接起诉\t0\t0\t0\t0\t0\n复议后起诉\t0\t1\t0\t0\t1\n"
    rec = read_document(doc(HEADER + per_group))
    assert rec.appeals.litigation_after_review.corrected == 1


def test_labels_with_years_in_parentheses_and_label_number_cells():
    text = ("二、主动公开政府信息情况\n信息内容\t本年(2022)制发件数\t本年(2022)废止件数\t现行有效件数(历年)\n"
            "规章 0 0 2\n行政规范性文件\t1\t0\t5\n行政许可 550\n行政处罚\t7\n行政强制\t—\n"
            "信息内容\t本年收费金额（单位：万元）\n行政事业性收费\t7,730.28\n")
    rec = read_document(doc("某市人民政府2022年政府信息公开工作年度报告\n" + text))
    assert rec.template == "gov2021"
    p = rec.proactive
    assert (p.rules.in_force, p.normative_documents.issued, p.licensing, p.penalty, p.coercion) == (2, 1, 550, 7, 0)
    assert p.fees == pytest.approx(7730.28)


def test_unknown_report_says_what_needs_an_llm():
    rec = read_document(doc("某某局关于2023年工作的总结\n今年我们做了很多工作。"))
    assert rec.template == "unknown"
    assert {"requests", "appeals", "proactive"} <= set(rec.needs_llm)


def test_layout_primitives():
    assert parse_number("１２") == 12 and parse_number("1,234") == 1234 and parse_number("582.10") == 582.1
    assert parse_number("12件") == 12 and parse_number("abc") is None and parse_number("1 0") is None
    assert all(is_blank(x) for x in ["", " ", "—", "/", "无", "－"])
    rows = split_rows("| a | 1 | 2 |\n|---|---|---|\n| b | | 3 |")
    assert [[c.text for c in r.cells] for r in rows] == [["a", "1", "2"], ["b", "", "3"]]


@pytest.mark.parametrize("name", ["000_b3cbf005723c64d9", "002_80089ffcafa3ad57",
                                  "003_e296cff3f23d13d6", "004_0df43d9c0ca88a9d"])
def test_samples_every_cell_equals_gold(name):
    text = (SAMPLES / f"{name}.txt").read_text(encoding="utf-8")
    gold = json.loads((GOLD / f"{name}.json").read_text(encoding="utf-8"))
    rec = read_document(doc(text)).model_dump()
    for table in ("proactive", "requests", "appeals"):
        assert rec[table] == gold[table], table
    assert (rec["agency"], rec["year"], rec["template"]) == (gold["agency"], gold["year"], gold["template"])
    for span in read_document(doc(text)).evidence.values():
        assert text[span.start:span.end] == span.text


def test_legacy_sample_is_recognised():
    text = (SAMPLES / "001_b866f9b967b7ab9b.txt").read_text(encoding="utf-8")
    rec = read_document(doc(text))
    assert rec.template == "legacy"
    assert rec.summary.requests_received == 90 and rec.summary.proactive_total == 5060
    assert rec.requests is None and rec.proactive is None
    assert any(i.name.startswith("收到申请数") for i in rec.legacy_indicators)


@pytest.mark.parametrize("name", ["hongze_gov_2023", "hongze_gov_2024", "huaian_gov_2024"])
def test_real_pdf_plain_text_flow_reads_every_cell(name):
    """Without table detection, pdfplumber's text flow prints labels broken over lines, numbers
    above their labels and page numbers inside 表三: every cell must still come back."""
    pdfplumber = pytest.importorskip("pdfplumber")
    pdf_path = SHARED / "evalset-external/docs" / f"{name}.pdf"
    if not pdf_path.exists():
        pytest.skip("shared/evalset-external is not beside the project")
    with pdfplumber.open(pdf_path) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    gold = json.loads((SHARED / "evalset-external/gold" / f"{name}.json").read_text(encoding="utf-8"))
    rec = read_document(doc(text)).model_dump()
    for table in ("proactive", "requests", "appeals"):
        assert rec[table] == gold[table], table
    assert (rec["year"], rec["template"]) == (gold["year"], gold["template"])


def _legacy_sheet(rows: list[tuple[str, str, str]]) -> str:
    cells = "".join(f"\t{name}\n\t{unit}\n\t{value}\n\n" for name, unit, value in rows)
    return ("某县人民政府2016年政府信息公开工作年度报告\n\n本年度我县认真贯彻落实《中华人民共和国政府信息公开条例》。\n\n"
            "2016年度政府信息公开工作情况统计表\n\n\t统计指标\n\t单位\n\t统计数\n\n" + cells)


def test_legacy_indicators_are_read_through_the_synonym_table():
    """Sheets name the same indicator in many ways; each maps to its summary field with evidence."""
    text = _legacy_sheet([("一、主动公开情况", "", ""), ("（一）主动公开文件数", "条", "120"),
                          ("其中：政府网站公开数", "条", "80"),
                          ("二、受理政府信息公开申请总数", "件", "9"),
                          ("三、因政府信息公开申请行政复议数", "件", "1"), ("四、行政诉讼数", "件", "2")])
    rec = read_document(doc(text))
    assert rec.template == "legacy"
    s = rec.summary
    assert (s.proactive_total, s.requests_received, s.review_total, s.litigation_total) == (120, 9, 1, 2)
    assert text[rec.evidence["summary.proactive_total"].start:rec.evidence["summary.proactive_total"].end] == "120"


def test_the_most_specific_legacy_synonym_wins_over_document_order():
    text = _legacy_sheet([("（一）主动公开信息数", "条", "300"), ("（二）主动公开政府信息数", "条", "120"),
                          ("二、收到申请数", "件", "9")])
    assert read_document(doc(text)).summary.proactive_total == 120


def _run_together_sheet(body: str) -> str:
    return ("某局2016年政府信息公开年度报告\n本局2016年受理政府信息公开申请若干。\n"
            "附表指标名称单位2016年度历年累计" + body)


def test_a_run_together_two_column_sheet_is_split_by_its_own_relations():
    """Year | 历年累计 run together, the next label's number fused on: the year's figure is at most
    the cumulative one and an item under 其中 at most its total, which decides each run here."""
    from extractor.check import check_record, status_for

    text = _run_together_sheet("受理政府信息公开申请总数件2331其中：1.当面申请数件392.网上申请数件2022"
                               "行政复议数件01行政诉讼数件00")
    rec = read_document(doc(text))
    assert rec.template == "legacy"
    values = {i.name: i.value for i in rec.legacy_indicators}
    # 2331: 2|331 would leave 网上 (20|22 or 2|022) above it; 23|31 is the only fit
    assert values == {"受理政府信息公开申请总数": 23, "当面申请数": 3, "网上申请数": 20, "行政复议数": 0, "行政诉讼数": 0}
    s = rec.summary
    assert (s.requests_received, s.review_total, s.litigation_total) == (23, 0, 0)
    span = rec.evidence["summary.requests_received"]
    assert text[span.start:span.end] == "23"
    assert status_for(check_record(rec, text)) == "ok"


def test_an_undecided_run_together_figure_is_null_and_sends_the_record_to_review():
    from extractor.check import check_record, status_for

    text = _run_together_sheet("主动公开文件数条6262027受理政府信息公开申请总数件12行政复议数件00")
    rec = read_document(doc(text))
    values = {i.name: i.value for i in rec.legacy_indicators}
    assert values["主动公开文件数"] is None and values["受理政府信息公开申请总数"] == 1
    note = next(c for c in rec.checks if c.rule == "reader.ambiguous")
    assert "626|2027" in note.message and "62|62027" in note.message
    checks = check_record(rec, text)
    assert status_for(checks) == "needs_review"
    assert any(c.rule == "reader.incomplete" and "legacy_indicators.0.value" in c.cells for c in checks)


def test_a_two_column_sheet_in_rows_takes_the_years_column():
    text = ("某局2016年政府信息公开年度报告\n\n统计表\n指标名称\t单位\t历年累计\t本年度\n"
            "主动公开政府信息数\t条\t2027\t626\n受理政府信息公开申请总数\t件\t40\t12\n行政复议数\t件\t3\t1\n")
    rec = read_document(doc(text))
    s = rec.summary
    assert (rec.template, s.proactive_total, s.requests_received, s.review_total) == ("legacy", 626, 12, 1)


def test_label_matcher_decides_as_best_match_and_first_match():
    """The cached matcher 表三 is read with picks what ``best_match``/``first_match`` over the rows
    ahead pick, for every row's label, keyword, group heading and run-together fragments."""
    from extractor.locate.labels import REQUEST_ROW_MATCHER, best_match, first_match, normalize_label

    texts = [t for lab in REQUEST_ROWS for t in (lab.text, lab.group, *lab.keywords)]
    texts += [a + b for a, b in zip(texts, texts[7:])] + ["", "其他", "总计", "其他处理", "本年度办理结果"]
    for norm in {normalize_label(t) for t in texts} | {t.lstrip("=") for t in texts}:
        for start in range(len(REQUEST_ROWS) + 1):
            assert REQUEST_ROW_MATCHER.best(norm, start) == best_match(REQUEST_ROWS[start:], norm), (norm, start)
            assert REQUEST_ROW_MATCHER.first(norm, start) == first_match(REQUEST_ROWS[start:], norm), (norm, start)
