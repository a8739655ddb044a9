"""``pipeline.run`` is the one per-document guard: the batch, the service upload and the eval
runner all get the same ``failed`` record from a bad input or from a bug of ours."""
from __future__ import annotations

from pathlib import Path

import pytest

import extractor.read.rules
from evals.dataset import load_cases
from evals.runner import extract_case
from extractor.batch import iter_records
from extractor.pipeline import run
from extractor.service.review import extract_upload
from extractor.settings import Settings

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.fixture
def report() -> Path:
    return sorted(SAMPLES.glob("*.txt"))[0]


@pytest.fixture
def broken_reader(monkeypatch):
    def crash(doc):
        raise RuntimeError("reader bug")

    monkeypatch.setattr(extractor.read.rules, "read_document", crash)


def test_a_good_report_keeps_its_document(report):
    outcome = run(report, Settings(llm="off"))
    assert outcome.record.status != "failed"
    assert outcome.document is not None and outcome.document.text


def test_a_bad_input_says_what_is_wrong(tmp_path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7 not really")
    outcome = run(bad, Settings(llm="off"))
    assert outcome.record.status == "failed" and outcome.document is None
    assert "internal error" not in outcome.record.error
    assert outcome.record.source.sha256 and outcome.record.source.size == bad.stat().st_size


def test_every_caller_gets_the_same_guard(report, broken_reader):
    settings = Settings(llm="off", workers=0)
    direct = run(report, settings)
    assert direct.record.status == "failed" and direct.document is not None
    assert direct.record.error.startswith("internal error (RuntimeError: reader bug)")
    assert "please report" in direct.record.error

    batch = list(iter_records([report, report], settings))
    assert [r.error for r in batch] == [direct.record.error] * 2

    uploaded, doc = extract_upload(report.read_bytes(), "../../uploads/年报.txt", settings)
    assert uploaded.error == direct.record.error and doc is not None
    assert uploaded.source.path == "年报.txt"  # the upload's own name, no folders
    assert uploaded.source.sha256 == direct.record.source.sha256

    case = load_cases()[0]
    record, text = extract_case(case, settings, None)
    assert record.status == "failed" and record.error.startswith("internal error") and text


def test_an_upload_is_named_by_its_file_name(report):
    record, _ = extract_upload(report.read_bytes(), "sub/report.txt", Settings(llm="off"))
    assert record.source.path == "report.txt" and record.status != "failed"


def test_a_file_refused_for_its_size_is_not_read_to_hash_it(tmp_path):
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as handle:
        handle.truncate(8 << 30)  # sparse: costs no disk, but hashing it would read 8 GB
    record = run(huge, Settings(llm="off")).record
    assert record.status == "failed" and "NIANBAO_MAX_FILE_MB" in record.error
    assert record.source.sha256 == "" and record.source.size == 8 << 30


def test_a_text_that_is_no_report_says_what_ingest_lost(tmp_path):
    page = tmp_path / "deep.html"
    page.write_text("<html><body>" + "<div>字" * 3000 + "</body></html>", encoding="utf-8")
    record = run(page, Settings(llm="off")).record
    assert record.status == "failed"
    assert "not a government information-disclosure annual report" in record.error
    assert "nests more than 2000 elements deep" in record.error
