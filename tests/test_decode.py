"""The run-together cell decoder: splits by grammar and the template's equations."""
from extractor.read.decode import RowRun, decode_row, decode_table, digits_of, prefer_stated, row_relations
from extractor.read.layout import split_rows
from extractor.read.prose import stated_cells
from schemas.template import APPLICANT_COLUMNS, equations

ROW = tuple(f"requests.new.{c.key}" for c in APPLICANT_COLUMNS)
RELS = row_relations(ROW, equations("gov2021"))


def test_row_relation_comes_from_the_template():
    assert len(RELS) == 1 and RELS[0].total == 6 and RELS[0].parts == tuple(range(6))


def test_unique_split_with_spans_on_the_digits():
    text = "数量 801000081"
    res = decode_row(digits_of(text[3:], 3), 7, RELS)
    split = res.unique
    assert split is not None and split.values == (80, 1, 0, 0, 0, 0, 81)
    assert text[split.spans[0][0]:split.spans[0][1]] == "80"
    assert text[split.spans[6][0]:split.spans[6][1]] == "81"


def test_stray_spaces_are_not_boundaries():
    text = "30 0 0 0 03"
    split = decode_row(digits_of(text), 7, RELS).unique
    assert split is not None and split.values == (3, 0, 0, 0, 0, 0, 3)
    assert text[split.spans[6][0]:split.spans[6][1]] == "3"


def test_no_relation_several_splits_is_not_a_guess():
    res = decode_row(digits_of("34089"), 3)
    assert res.unique is None
    assert (34, 0, 89) in [c.values for c in res.candidates]
    assert all(len(str(v)) == 1 or not str(v).startswith("0") for c in res.candidates for v in c.values)


def test_forced_split_that_breaks_the_sum_is_kept_as_the_documents_error():
    res = decode_row(digits_of("10000"), 5, (RELS[0].__class__(4, (0, 1, 2, 3)),))
    assert res.forced and res.unique is not None and res.unique.values == (1, 0, 0, 0, 0)


def test_search_is_bounded():
    res = decode_row(digits_of("1234561234561234567"), 7, RELS)
    assert res.unique is None


def test_table_equations_break_a_tie():
    """carried_over decoded without its row relation is ambiguous; the balance
    new + carried_over = total + carried_forward over the columns decides it."""
    eqs = equations("gov2021")
    runs = []
    for key, digits in (("new", "1000001"), ("total", "110000011"), ("carried_forward", "0000000")):
        paths = tuple(f"requests.{key}.{c.key}" for c in APPLICANT_COLUMNS)
        runs.append(RowRun(paths, decode_row(digits_of(digits), 7, row_relations(paths, eqs))))
    paths = tuple(f"requests.carried_over.{c.key}" for c in APPLICANT_COLUMNS)
    amb = RowRun(paths, decode_row(digits_of("100000010"), 7))
    assert len(amb.kept) > 1
    decode_table([*runs, amb], {}, eqs)
    assert [s.values for s in amb.kept] == [(10, 0, 0, 0, 0, 0, 10)]


DOCS = tuple(f"proactive.normative_documents.{k}" for k in ("issued", "repealed", "in_force"))


def test_prose_breaks_a_tie_the_equations_leave_open():
    """表二 has no equation: `15621` splits many ways; the report's 制定…15件, 废止…6件 settle it."""
    row = RowRun(DOCS, decode_row(digits_of("15621"), 3))
    assert len(row.kept) > 3
    prefer_stated(row, stated_cells("2024年，我局废止规范性文件6件，制定规范性文件15件。"))
    assert [s.values for s in row.kept] == [(15, 6, 21)] and len(row.confirmed_by) == 2


def test_prose_that_no_split_agrees_with_chooses_nothing():
    row = RowRun(DOCS, decode_row(digits_of("15621"), 3))
    before = row.kept
    prefer_stated(row, stated_cells("现行有效规范性文件424件，约制定规范性文件15件。"))  # 424 fits no split; 约 is not exact
    assert row.kept == before and not row.confirmed_by


def test_a_prose_tie_break_is_recorded_on_the_row():
    text = ("本年度制发规范性文件34件。\n"
            "第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数规章000行政规范性文件34089"
            "第二十条第（五）项信息内容本年处理决定数量行政许可0第二十条第（六）项信息内容本年处理决定数量"
            "行政处罚0行政强制0第二十条第（八）项信息内容本年收费金额（单位：万元）行政事业性收费0"
            "三、收到和处理政府信息公开申请情况一、本年新收政府信息公开申请数量142000016")
    notes = [n for r in split_rows(text) for n in r.notes if "34089" in n.message]
    assert notes and notes[0].rule == "reader.decoded" and "制发规范性文件34件" in notes[0].message
