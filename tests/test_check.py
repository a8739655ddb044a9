"""The checker: gold records pass, every rule fires on a planted error, nulls, grounding, purity."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from extractor.check import check_record, check_tables, equation_status, status_for
from schemas import Check, Record, Source, Span
from schemas.template import equations

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"  # evalset-external is read in place, never copied
GOLD_DIRS = (ROOT / "evals" / "dataset" / "gold", SHARED / "evalset-external" / "gold")
DOCS = ROOT / "samples"
CLEAN = ("000_b3cbf005723c64d9", "002_80089ffcafa3ad57", "003_e296cff3f23d13d6",
         "004_0df43d9c0ca88a9d", "hongze_gov_2024", "huaian_gov_2024")


def gold_path(name: str) -> Path:
    found = next((d / f"{name}.json" for d in GOLD_DIRS if (d / f"{name}.json").exists()), None)
    if found is None:
        pytest.skip(f"gold {name} not available (../shared/evalset-external missing)")
    return found


def load_gold(name: str) -> Record:
    data = json.loads(gold_path(name).read_text(encoding="utf-8"))
    data["source"] = {"path": data["doc"], "sha256": "0" * 64}
    return Record.model_validate(data)


def doc_text(name: str) -> str | None:
    path = DOCS / f"{name}.txt"
    return path.read_text(encoding="utf-8") if path.exists() else None


def with_value(model: BaseModel, path: str, value: object) -> BaseModel:
    """A copy of ``model`` with ``path`` set, without validation (so 2.5 can go in an int field)."""
    head, _, rest = path.partition(".")
    if not rest:
        return model.model_copy(update={head: value})
    return model.model_copy(update={head: with_value(getattr(model, head), rest, value)})


def with_values(record: Record, **values: object) -> Record:
    """``with_values(r, requests__new__total=4)``: several paths at once (``__`` for ``.``)."""
    for key, value in values.items():
        record = with_value(record, key.replace("__", "."), value)
    return record


def errors(checks: list[Check], rule: str | None = None) -> list[Check]:
    return [c for c in checks if c.severity == "error" and rule in (None, c.rule)]


def warnings(checks: list[Check], rule: str) -> list[Check]:
    return [c for c in checks if c.severity == "warning" and c.rule == rule]


@pytest.fixture
def clean() -> Record:
    return load_gold("000_b3cbf005723c64d9")


# --------------------------------------------------------------------------------- gold records
@pytest.mark.parametrize("name", CLEAN)
def test_clean_gold_records_have_no_errors(name):
    checks = check_record(load_gold(name), doc_text(name))
    assert errors(checks) == []
    assert status_for(checks) == "ok"


def test_hongze_2023_gets_exactly_its_two_published_errors():
    checks = check_record(load_gold("hongze_gov_2023"), None)
    found = errors(checks)
    assert [c.rule for c in found] == ["appeals.group_sum", "appeals.group_sum"]
    review, after_review = found
    assert review.cells[0] == "appeals.review.total"
    assert (review.left, review.right) == (0, 11)
    assert after_review.cells[0] == "appeals.litigation_after_review.total"
    assert (after_review.left, after_review.right) == (0, 5)
    assert status_for(checks) == "needs_review"


def test_legacy_record_has_no_table_checks():
    assert check_tables(load_gold("001_b866f9b967b7ab9b")) == []


def test_failed_record_has_no_checks():
    record = Record(source=Source(path="x.pdf", sha256=""), status="failed", error="scanned")
    assert check_record(record, None) == []


# --------------------------------------------------------------------------------- arithmetic
def test_balance_fires_with_cells_sides_and_template_labels(clean):
    record = with_values(clean, requests__carried_forward__total=1)
    [balance] = errors(check_tables(record), "requests.balance")
    assert balance.cells == ["requests.new.total", "requests.carried_over.total",
                             "requests.total.total", "requests.carried_forward.total"]
    assert (balance.left, balance.right) == (3, 4)
    assert balance.message == ("一、本年新收 + 二、上年结转 = 3 but "
                               "（七）总计 + 四、结转下年度继续办理 = 4 [total]")


def test_result_sum_fires_per_column(clean):
    record = with_values(clean, requests__granted__natural_person=3, requests__granted__total=3)
    found = errors(check_tables(record))
    assert {c.rule for c in found} == {"requests.result_sum"}
    assert sorted(c.cells[0] for c in found) == ["requests.total.natural_person",
                                                 "requests.total.total"]
    assert all((c.left, c.right) == (3, 4) for c in found)  # the gold 总计 is 3
    assert {c.cells[1] for c in found} == {"requests.granted.natural_person",
                                           "requests.granted.total"}


def test_row_sum_fires_for_the_row(clean):
    record = with_values(clean, requests__new__commercial=1)
    [row] = errors(check_tables(record), "requests.row_sum")
    assert row.cells[0] == "requests.new.total"
    assert "requests.new.commercial" in row.cells
    assert (row.left, row.right) == (3, 4)
    assert row.message.endswith("[new]")


def test_group_sum_fires_for_the_group(clean):
    record = with_values(clean, appeals__review__upheld=2)
    [group] = errors(check_tables(record))
    assert group.rule == "appeals.group_sum"
    assert group.cells == ["appeals.review.total", "appeals.review.upheld",
                           "appeals.review.corrected", "appeals.review.other",
                           "appeals.review.pending"]
    assert (group.left, group.right) == (0, 2)


def test_equation_message_uses_template_labels(clean):
    record = with_values(clean, appeals__litigation_direct__pending=1)
    [group] = errors(check_tables(record))
    assert group.message == ("总计 = 0 but 结果维持 + 结果纠正 + 其他结果 + 尚未审结 = 1 "
                             "[litigation_direct]")


# --------------------------------------------------------------------------------- null handling
def test_absent_rows_count_as_zero():
    record = load_gold("hongze_gov_2024")  # single （六）其他处理 row: two rows are null
    assert record.requests.other_no_correction is None
    checks = check_tables(record)
    assert checks == []


def test_row_of_null_cells_counts_as_absent(clean):
    blank = clean.requests.other_no_fee
    row = blank.model_copy(update=dict.fromkeys(type(blank).model_fields))
    assert check_tables(with_values(clean, requests__other_no_fee=row)) == []


def test_null_cell_in_present_row_is_unverifiable_not_error(clean):
    record = with_values(clean, requests__granted__commercial=None,
                         requests__denied_state_secret__research=None,
                         appeals__review__pending=None)
    checks = check_tables(record)
    assert errors(checks) == []
    found = warnings(checks, "arithmetic.unverifiable")
    assert len(found) == 2  # one per table
    by_table = {c.cells[0].split(".")[0]: c for c in found}
    assert by_table["requests"].cells == ["requests.granted.commercial",
                                          "requests.denied_state_secret.research"]
    assert by_table["appeals"].cells == ["appeals.review.pending"]
    assert status_for(checks) == "ok"


def test_null_table_is_skipped(clean):
    record = with_values(clean, requests=None, appeals=None)
    assert check_tables(record) == []
    assert equation_status(record) == []


def test_gov2019_record_is_checked_too(clean):
    record = with_values(clean, template="gov2019", proactive=None, appeals__review__upheld=1)
    assert [c.rule for c in errors(check_tables(record))] == ["appeals.group_sum"]


# --------------------------------------------------------------------------------- values
def test_negative_value(clean):
    record = with_values(clean, appeals__review__upheld=-1, appeals__review__total=-1)
    found = errors(check_tables(record), "values.non_negative")
    assert [c.cells for c in found] == [["appeals.review.upheld"], ["appeals.review.total"]]
    assert (found[0].left, found[0].right) == (-1, 0)


def test_fractional_count_but_decimal_fees(clean):
    record = with_values(clean, proactive__licensing=2.5, proactive__fees=582.15)
    [found] = errors(check_tables(record))
    assert found.rule == "values.integer"
    assert found.cells == ["proactive.licensing"]
    assert (found.left, found.right) == (2.5, 2)


# --------------------------------------------------------------------------------- summary
@pytest.mark.parametrize("field, value, cells", [
    ("requests_received", 4, ["requests.new.total"]),
    ("review_total", 1, ["appeals.review.total"]),
    ("litigation_total", 2, ["appeals.litigation_direct.total",
                             "appeals.litigation_after_review.total"]),
])
def test_summary_consistency(clean, field, value, cells):
    record = with_value(clean, f"summary.{field}", value)
    [found] = errors(check_record(record, None))
    assert found.rule == "summary.consistency"
    assert found.cells == [f"summary.{field}", *cells]
    assert (found.left, found.right) == (value, 3 if field == "requests_received" else 0)


def test_summary_null_is_not_compared(clean):
    record = with_values(clean, summary__requests_received=None, requests__new=None)
    assert errors(check_record(record, None), "summary.consistency") == []


# --------------------------------------------------------------------------------- narrative
def test_narrative_mismatch_is_a_warning(clean):
    text = doc_text("000_b3cbf005723c64d9")
    assert "申请3件" in text
    checks = check_record(clean, text.replace("申请3件", "申请5件"))
    [found] = warnings(checks, "narrative.mismatch")
    assert found.cells == ["requests.new.total"]
    assert (found.left, found.right) == (5, 3)
    assert status_for(checks) == "ok"


def test_narrative_appeals_and_full_width_digits(clean):
    text = "本年度发生政府信息公开行政复议２件，行政诉讼1件。\n"
    found = warnings(check_record(clean, text), "narrative.mismatch")
    assert [(c.cells, c.left, c.right) for c in found] == [
        (["appeals.review.total"], 2, 0),
        (["appeals.litigation_direct.total", "appeals.litigation_after_review.total"], 1, 0)]


def test_narrative_subset_and_table_lines_are_not_flagged(clean):
    text = ("区政府办受理政府信息公开申请17件，全年共收到政府信息公开申请3件。\n"
            "行政复议\t2件\t0\n| 行政诉讼 | 1件 |\n")
    assert warnings(check_record(clean, text), "narrative.mismatch") == []


# --------------------------------------------------------------------------------- grounding
def span_of(text: str, needle: str, value: str, method: str = "rules") -> Span:
    """The span of ``value`` inside the first occurrence of ``needle``."""
    start = text.index(needle) + needle.index(value)
    return Span(start=start, end=start + len(value), text=value, method=method)


@pytest.fixture
def grounded(clean) -> tuple[Record, str]:
    text = doc_text("000_b3cbf005723c64d9")
    evidence = {
        "requests.new.total": span_of(text, "公开申请3件", "3"),
        "proactive.fees": span_of(text, "582.1", "582.1"),
        "summary.proactive_total": span_of(text, "信息共1776条", "1776"),
        "agency": span_of(text, "泰安市人力资源和社会保障局", "泰安市人力资源和社会保障局"),
    }
    return clean.model_copy(update={"evidence": evidence}), text


def test_grounded_record_passes(grounded):
    record, text = grounded
    assert errors(check_record(record, text)) == []


def test_wrong_span_offsets(grounded):
    record, text = grounded
    span = record.evidence["requests.new.total"]
    moved = span.model_copy(update={"start": span.start + 1, "end": span.end + 1})
    evidence = {**record.evidence, "requests.new.total": moved}
    record = record.model_copy(update={"evidence": evidence})
    [found] = errors(check_record(record, text))
    assert found.rule == "evidence.grounded"
    assert found.cells == ["requests.new.total"]


def test_value_not_in_span(grounded):
    record, text = grounded
    [found] = errors(check_record(with_values(record, proactive__fees=58.21), text))
    assert found.rule == "evidence.grounded"
    assert found.cells == ["proactive.fees"]
    assert (found.left, found.right) == (58.21, 582.1)


def test_injected_999_is_caught_with_and_without_text(grounded):
    record, text = grounded
    span = record.evidence["requests.new.total"].model_copy(update={"text": "999"})
    record = record.model_copy(update={"evidence": {**record.evidence, "requests.new.total": span}})
    [with_text] = errors(check_record(record, text))
    assert with_text.rule == "evidence.grounded" and "999" in with_text.message
    [without_text] = errors(check_record(record, None))
    assert without_text.rule == "evidence.grounded"
    assert (without_text.left, without_text.right) == (3, 999)


def test_span_out_of_range(grounded):
    record, text = grounded
    span = Span(start=len(text) + 5, end=len(text) + 6, text="3")
    record = record.model_copy(update={"evidence": {"requests.new.total": span}})
    assert [c.rule for c in errors(check_record(record, text))] == ["evidence.grounded"]


@pytest.mark.parametrize("path, value, span_text", [
    ("proactive.fees", 582.1, "582.10"),
    ("proactive.fees", 582.1, "５８２．１万元"),
    ("requests.new.total", 1234, "1,234"),
    ("requests.new.total", 1234, "1 234"),
    ("requests.new.total", 0, ""),
    ("requests.new.total", 0, "—"),
    ("requests.new.total", 0, "－"),
    ("requests.new.total", 0, "/"),
    ("requests.new.total", 0, "　无　"),
    ("summary.requests_received", 0, "未收到政府信息公开申请"),
    ("summary.fee_collected_yuan", 3940, "0.394万元"),
])
def test_value_forms_that_ground(clean, path, value, span_text):
    record = with_value(clean, path, value)
    text = "前文" + span_text + "后文"
    span = Span(start=2, end=2 + len(span_text), text=span_text)
    record = record.model_copy(update={"evidence": {path: span}})
    assert errors(check_record(record, text), "evidence.grounded") == []


@pytest.mark.parametrize("value, span_text", [(3, "13"), (0, "3"), (0, "未收到3件"), (3, "—")])
def test_value_forms_that_do_not_ground(clean, value, span_text):
    record = with_values(clean, proactive__licensing=value)
    span = Span(start=0, end=len(span_text), text=span_text)
    record = record.model_copy(update={"evidence": {"proactive.licensing": span}})
    assert [c.rule for c in errors(check_record(record, span_text))] == ["evidence.grounded"]


def test_missing_evidence_is_a_warning_per_table(grounded):
    record, text = grounded
    found = warnings(check_record(record, text), "evidence.missing")
    assert [c.cells[0].split(".")[0] for c in found] == ["proactive", "requests", "appeals"]
    requests = found[1]
    assert "requests.new.total" not in requests.cells
    assert "requests.new.natural_person" in requests.cells
    assert "proactive.fees" not in found[0].cells


# --------------------------------------------------------------------------------- purity, UI
def test_check_record_never_mutates(grounded):
    record, text = grounded
    record = with_values(record, requests__new__total=4, appeals__review__pending=None,
                         summary__review_total=3, proactive__licensing=-1)
    before = record.model_dump()
    checks = check_record(record, text)
    assert errors(checks)
    assert record.model_dump() == before
    with pytest.raises(Exception):
        checks[0].message = "edited"  # checks are frozen


def test_equation_status_for_the_ui(clean):
    rows = equation_status(clean)
    assert len(rows) == len(equations("gov2021"))
    assert all(r["ok"] is True and r["state"] == "ok" for r in rows)
    bad = equation_status(load_gold("hongze_gov_2023"))
    broken = [r for r in bad if r["ok"] is False]
    assert [(r["item"], r["left"], r["right"]) for r in broken] == [
        ("review", 0, 11), ("litigation_after_review", 0, 5)]
    assert broken[0]["cells"] == broken[0]["left_cells"] + broken[0]["right_cells"]
    absent = [r for r in bad if r["state"] == "absent"]
    assert {r["item"] for r in absent} == {"other_no_correction", "other_no_fee"}


def test_equation_status_marks_unverifiable(clean):
    record = with_values(clean, requests__new__research=None)
    rows = [r for r in equation_status(record) if r["state"] == "unverifiable"]
    assert rows and all(r["ok"] is None and "requests.new.research" in r["null_cells"]
                        for r in rows)


def test_status_for():
    warning = Check(rule="reader.unplaced", message="m")
    error = Check(rule="requests.balance", message="m")
    assert (warning.severity, error.severity) == ("warning", "error")  # from schemas/rules.py
    assert status_for([]) == "ok"
    assert status_for([warning]) == "ok"
    assert status_for([warning, error]) == "needs_review"


# ------------------------------------------------------------------------------ one evaluator
def test_holds_is_the_checkers_evaluator_over_plain_cells():
    from extractor.check.arithmetic import equations_over, holds

    row = {f"requests.new.{c}": v for c, v in zip(
        ("natural_person", "commercial", "research", "nonprofit", "legal_service", "other_org", "total"),
        (3, 1, 0, 0, 0, 0, 4))}
    [eq] = equations_over(row)
    assert eq.rule == "requests.row_sum"
    assert holds(row, eq) is True
    assert holds({**row, "requests.new.total": 5}, eq) is False
    assert holds({**row, "requests.new.research": None}, eq) is None


def test_prose_patterns_are_line_local():
    """The narrative cross-check searches the joined prose lines at once: that finds what a
    search line by line finds only for patterns that never look at a line's end and never match
    empty (schemas.phrasings.PROSE_PATTERNS)."""
    import re
    import re._parser as sre_parse

    from schemas.phrasings import PROSE_PATTERNS

    line_aware = {"AT", "ASSERT", "ASSERT_NOT", "ATOMIC_GROUP", "POSSESSIVE_REPEAT", "GROUPREF",
                  "GROUPREF_EXISTS"}
    for pattern in (p for patterns in PROSE_PATTERNS.values() for p in patterns):
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
        assert not line_aware & set(re.findall(r"\b[A-Z_]+\b", repr(parsed))), pattern.pattern
        assert parsed.getwidth()[0] > 0, pattern.pattern


def test_stated_figures_in_the_joined_prose_are_those_line_by_line():
    from extractor.check.crosscheck import prose_lines, stated_figures
    from schemas.grammar import nfkc, parse_number
    from schemas.phrasings import PROSE_PATTERNS

    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "samples").glob("*.txt"))]
    texts += ["本年度收到政府信息公开申请\n共计12件，受理3件申请。\n行政复议案件共计2件，行政诉讼1起",
              "收到申请5件\n收到申请6件，行政复议4件收到申请7件\n受理\n8件申请",
              "新收申请，共计9件收到申请10件\n\n行政诉讼案件合计3起行政复议1件"]
    for text in texts:
        lines = nfkc("\n".join(prose_lines(text))).split("\n")
        for patterns in PROSE_PATTERNS.values():
            by_line = [(n, m.group(0)) for line in lines for p in patterns for m in p.finditer(line)
                       if (n := parse_number(m.group(1))) is not None]
            assert stated_figures(lines, patterns) == by_line
