"""The LLM path against the adversary (tests/llm_adversary.py): a hostile model, through the real
HTTP + openai + instructor + tenacity stack, over the eval dataset's reports (public and external
sets included where ../shared has them), in ``--llm auto`` and ``--llm always``.

Per behaviour: (a) no value in a record differs from the gold (a null is allowed, a wrong value is
not); (b) no record loses a value the rule reader (``--llm off``, same file) had; (c) every
document ends within its LLM deadline. One fast test per behaviour runs two reports; the whole
dataset runs are marked ``slow``."""
from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fake_llm_server import FakeLlm
from llm_adversary import BEHAVIOURS, HUGE, PLANTED, Adversary, plant
from llm_oracle import GoldOracle, load_docs

from evals.dataset import load_cases, load_gold
from evals.score import agency_matches, scored_fields, values_equal
from extractor.check.crosscheck import stated_figures
from extractor.ingest import ingest_file
from extractor.pipeline import run
from extractor.read.llm import LlmReader
from extractor.settings import Settings
from schemas import Record, get_path
from schemas.phrasings import PROSE_PATTERNS
from schemas.template import SUMMARY_FIELDS

DOC_TIMEOUT = 20.0  # NIANBAO_LLM_DOC_TIMEOUT of these runs (s); no run may take longer (+ grace)
GRACE = 6.0
# two reports per fast test: a clean text report with every prose figure, and a run-together one
FAST = ("seed-000", "r23-000-run-together")
FAST_FOR = {"label_numbers": ("seed-000", "r26-004-run-together"), "wrong_units": ("seed-000", "r19-syn5-pdf-text-thousands")}


@dataclass
class Result:
    case: str
    seconds: float
    wrong: dict[str, tuple] = field(default_factory=dict)  # path → (gold, record), put there by the LLM
    lost: dict[str, tuple] = field(default_factory=dict)  # path → (reader, record)
    reader_wrong: dict[str, tuple] = field(default_factory=dict)  # the rule reader's own (llm off)


@pytest.fixture(scope="module")
def oracle():
    return GoldOracle(load_docs())


_OFF: dict[Path, dict] = {}


def off_record(path: Path) -> dict:
    """The rule reader's record of ``path`` (``--llm off``), as a plain dict."""
    if path not in _OFF:
        _OFF[path] = run(path, Settings(llm="off")).record.model_dump(mode="json")
    return _OFF[path]


def values_of(record: dict | None, gold: dict) -> dict:
    """Every scored field (tables, summary, metadata) and sheet indicator value of ``record``."""
    if record is None:
        return {}
    out = {path: get_path(record, path) for _, path in scored_fields(gold, record)}
    for i, ind in enumerate(record.get("legacy_indicators") or []):
        out[f"legacy_indicators.{i}.value"] = ind.get("value")
    return out


def wrong_values(record: dict | None, gold: dict) -> dict[str, tuple]:
    """path → (gold, record) of each value the record has that the gold does not."""
    out = {}
    for path, got in values_of(record, gold).items():
        if got is None or path.startswith("legacy_indicators."):
            continue
        ok = agency_matches(gold, got) if path == "agency" else values_equal(get_path(gold, path), got)
        if not ok:
            out[path] = (get_path(gold, path), got)
    return out


def lost_values(record: dict | None, reader: dict, gold: dict) -> dict[str, tuple]:
    """path → (reader, record) of each value the rule reader had that the record has not."""
    mine = values_of(record, gold)
    return {p: (v, mine.get(p)) for p, v in values_of(reader, gold).items()
            if v is not None and not values_equal(v, mine.get(p))}


def prose_states(path: Path, field_path: str, settings: Settings) -> set[float]:
    """The figures the document's prose states for summary field ``field_path`` by the checker's
    own phrasings (``schemas.phrasings.PROSE_PATTERNS``), if it has them."""
    field = field_path.removeprefix("summary.")
    if field not in PROSE_PATTERNS:
        return set()
    lines = unicodedata.normalize("NFKC", ingest_file(path, settings).text).splitlines()
    return {n for n, _ in stated_figures(lines, PROSE_PATTERNS[field])}


class BlindReader:
    """The LLM reader after a rule reader that read nothing — a report from a site whose layout
    the rules do not know: every table, summary figure, sheet value, agency and year is left to
    the LLM, so every value in the record is one the LLM's answers put there."""

    def __init__(self, reader: LlmReader):
        self.reader = reader

    def complete(self, doc, record: Record) -> Record:
        return self.reader.complete(doc, blank(record))


def blank(record: Record) -> Record:
    data = record.model_dump(exclude={"evidence", "checks"})
    data.update(proactive=None, requests=None, appeals=None, agency=None, year=None)
    data["summary"] = dict.fromkeys(f.key for f in SUMMARY_FIELDS)
    for ind in data.get("legacy_indicators") or []:
        ind["value"] = None
    data["needs_llm"] = ["legacy_indicators"] if data.get("legacy_indicators") else []
    return Record.model_validate(data)


def run_adversary(behaviour: str, mode: str, case_ids: tuple[str, ...] | None, oracle: GoldOracle,
                  tmp_path: Path) -> list[Result]:
    """``mode``: auto, always, or blind (auto after a reader that read nothing)."""
    cases = [c for c in load_cases() if c.available and (case_ids is None or c.id in case_ids)]
    assert cases
    adversary = Adversary(behaviour, oracle)
    results = []
    with FakeLlm(default=adversary) as llm:
        settings = Settings(llm="auto" if mode == "blind" else mode, llm_base_url=llm.url, llm_model="adversary", NIANBAO_LLM_API_KEY="x",
                            no_cache=True, cache_dir=tmp_path / "cache", llm_timeout=5,
                            llm_doc_timeout=DOC_TIMEOUT, max_retries=2)
        reader = LlmReader(settings, backoff=0.01, max_backoff=0.05)
        if mode == "blind":
            reader = BlindReader(reader)
        for case in cases:
            path = case.doc
            if behaviour in PLANTED:
                (tmp_path / case.id).mkdir()
                path = plant(case.doc, tmp_path / case.id, (PLANTED[behaviour],))
            gold, off = load_gold(case), off_record(path)
            started = time.monotonic()
            outcome = run(path, settings, reader)
            seconds = time.monotonic() - started
            got = None if outcome.record.status == "failed" else outcome.record.model_dump(mode="json")
            reader_wrong = wrong_values(off, gold)
            wrong = {p: w for p, w in wrong_values(got, gold).items()
                     if not (p in reader_wrong and values_equal(reader_wrong[p][1], w[1]))}
            if mode == "blind":  # the reader had none; the tables were "unread", so the prose's own
                # statement of a table figure (hongze 2024: 受理…申请17件 for the office, 表三 95) is
                # the document disagreeing with itself, which the blind record may take
                wrong = {p: w for p, w in wrong.items() if w[1] not in prose_states(path, p, settings)}
            lost = {} if mode == "blind" else lost_values(got, off, gold)  # (blind: the reader had none)
            results.append(Result(case.id, seconds, wrong, lost, reader_wrong))
        assert llm.requests and adversary.answered  # the adversary was really asked
    return results


def assert_held(results: list[Result]) -> None:
    wrong = {r.case: r.wrong for r in results if r.wrong}
    lost = {r.case: r.lost for r in results if r.lost}
    slow = {r.case: round(r.seconds, 1) for r in results if r.seconds > DOC_TIMEOUT + GRACE}
    assert not wrong, f"wrong values in records: {wrong}"
    assert not lost, f"reader values lost: {lost}"
    assert not slow, f"runs past the deadline: {slow}"


# ---- fast: two reports per behaviour ----------------------------------------------------------
@pytest.mark.parametrize("mode", ["always", "blind"])
@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_a_hostile_model_changes_no_value_on_two_reports(oracle, tmp_path, behaviour, mode):
    results = run_adversary(behaviour, mode, FAST_FOR.get(behaviour, FAST), oracle, tmp_path)
    assert_held(results)
    if behaviour in HUGE:  # refused fast: parsing a megabyte is not an excuse to take seconds
        assert max(r.seconds for r in results) < 10, [(r.case, r.seconds) for r in results]


# ---- slow: the whole dataset, auto and always -------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["auto", "always", "blind"])
@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_a_hostile_model_changes_no_value_in_the_dataset(oracle, tmp_path, behaviour, mode):
    assert_held(run_adversary(behaviour, mode, None, oracle, tmp_path))
