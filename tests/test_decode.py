"""The run-together cell decoder: splits by grammar and the template's equations."""
from extractor.read.decode import RowRun, decode_row, decode_table, digits_of, row_relations
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
