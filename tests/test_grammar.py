"""The cell grammar (schemas/grammar.py) and the rule registry (schemas/rules.py) are declared once:
the reader and the checker read a cell the same way, and every rule name a stage emits is declared."""
from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

from extractor.pipeline import extract_document
from extractor.read.rules import read_document
from extractor.service.review import recheck
from extractor.settings import Settings
from schemas import Check, Document
from schemas.grammar import BLANK_MARKERS, cell_value, figures_in, is_blank, nfkc, parse_number, states_zero
from schemas.rules import RULE_NAMES

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "000_b3cbf005723c64d9.txt"


@pytest.mark.parametrize("marker", BLANK_MARKERS)
def test_every_blank_marker_is_zero(marker):
    assert is_blank(marker) and cell_value(marker) == 0


@pytest.mark.parametrize("text,value", [("12件", 12), ("3.5万元", 3.5), ("１,２３４", 1234), ("7", 7)])
def test_numbers_with_units_and_widths(text, value):
    assert parse_number(text) == value


def _zero_cell_replaced(marker: str) -> str:
    """The sample with its 表三 上年结转 自然人 cell (a 0) printed as ``marker``."""
    text = SAMPLE.read_text(encoding="utf-8")
    record = read_document(Document(path="s.txt", sha256="0" * 64, format="txt", text=text))
    span = record.evidence["requests.carried_over.natural_person"]
    assert span.text == "0"
    return text[:span.start] + marker + text[span.end:]


@pytest.mark.parametrize("marker", ["─", "-—", "/-", "－"])
def test_reader_and_checker_agree_on_a_blank_marker(marker):
    """Once a bug: the reader read '─' as 0 and the checker called the 0 ungrounded."""
    text = _zero_cell_replaced(marker)
    doc = Document(path="s.txt", sha256="0" * 64, format="txt", text=text)
    record = extract_document(doc, Settings(llm="off"))
    assert record.requests.carried_over.natural_person == 0
    assert not [c for c in record.checks if c.rule == "evidence.grounded"], record.checks


def test_recheck_keeps_reader_findings():
    """Once a bug: a re-check kept only checks named "read.*", dropping the reader's warnings."""
    text = SAMPLE.read_text(encoding="utf-8")
    doc = Document(path="s.txt", sha256="0" * 64, format="txt", text=text)
    record = extract_document(doc, Settings(llm="off"))
    note = Check(rule="reader.unplaced", cells=["requests.new.research"], message="planted")
    rechecked = recheck(record.model_copy(update={"checks": [*record.checks, note]}), text, set())
    assert note in rechecked.checks
    # … unless the reviewer edited one of its cells
    assert note not in recheck(record.model_copy(update={"checks": [note]}), text,
                               {"requests.new.research"}).checks


def test_unknown_rule_names_are_refused():
    with pytest.raises(ValueError, match="reader.unplaced"):
        Check(rule="read.unplaced", message="a typo")
    with pytest.raises(ValueError, match="declared with severity"):
        Check(rule="requests.balance", severity="warning", message="m")
    assert "reader.unplaced" in RULE_NAMES


def test_record_schema_lists_the_rules():
    from schemas import Record

    schema = Record.model_json_schema()
    assert set(schema["$defs"]["Check"]["properties"]["rule"]["enum"]) == set(RULE_NAMES)


@pytest.mark.parametrize("text, figures", [
    ("1.属于国家秘密", ()),                       # a label's numbering is not a figure
    ("2、其他法律行政法规禁止公开 3", (3.0,)),
    ("2024年度本机关未收取信息处理费。", ()),      # a year is not a figure
    ("8 1 0 0 0 0 9", (8.0, 1.0, 0.0, 9.0, 8100009.0)),  # spaced cells, or a number a PDF split
    ("共收费3.5万元", (3.5,)),
    ("１,２３４条", (1234.0,)),
])
def test_figures_a_span_states(text, figures):
    assert figures_in(text) == figures


@pytest.mark.parametrize("text", ["2024年度本机关未收取信息处理费。", "本机关⽆收取信息处理费", "—"])
def test_zero_stated_without_a_figure(text):
    assert states_zero(text)


def test_a_number_in_a_zero_sentence_is_not_zero():
    assert not states_zero("本机关未收取信息处理费，减免3件")


def test_nfkc_is_unicode_nfkc():
    """The fast fold is NFKC exactly: every BMP code point, the samples, and random strings of
    characters that compose (combining marks, Hangul jamo, Indic vowel signs) or fold (full width)."""
    bmp = [chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000]
    assert [nfkc(c) for c in bmp] == [unicodedata.normalize("NFKC", c) for c in bmp]
    text = SAMPLE.read_text(encoding="utf-8")
    assert nfkc(text) == unicodedata.normalize("NFKC", text)
    pool = [chr(c) for lo, hi in ((0x41, 0x7B), (0x300, 0x370), (0x1100, 0x1200), (0xAC00, 0xAC20),
                                  (0x0B00, 0x0B80), (0x3000, 0x3040), (0xFF00, 0xFF60), (0x3200, 0x3260))
            for c in range(lo, hi)]
    rng = random.Random(13)
    for _ in range(20_000):
        s = "".join(rng.choices(pool, k=rng.randint(1, 10)))
        assert nfkc(s) == unicodedata.normalize("NFKC", s), s
