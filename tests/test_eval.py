"""The eval harness: the scorer, the dataset's gold files, run comparison and the CLI gate."""
from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from typer.testing import CliRunner

from evals import DEFAULT_DATASET, RUNS_DIR
from evals.compare import compare_runs
from evals.dataset import declares, gold_record, load_cases, load_gold
from evals.planted import MUTATIONS, checker_scores
from evals.report import render_html
from evals.runner import DocContext, RunResult
from evals.score import (
    MISSED,
    MISSING_DOC,
    NULL_VS_ZERO,
    SPURIOUS,
    WRONG,
    aggregate,
    score_document,
    values_equal,
)
from extractor.check import check_record
from extractor.cli import app
from schemas import set_path
from schemas.template import table_fields

runner = CliRunner()
CASES = load_cases()
GOLD_000 = DEFAULT_DATASET / "gold" / "000_b3cbf005723c64d9.json"


@pytest.fixture()
def gold() -> dict:
    return json.loads(GOLD_000.read_text(encoding="utf-8"))


def broken(record: dict, path: str, value) -> dict:
    out = copy.deepcopy(record)
    set_path(out, path, value)
    return out


# --- scorer -------------------------------------------------------------------------------------
def test_exact_match_scores_every_field_right(gold):
    score = score_document(gold, copy.deepcopy(gold))
    assert score["exact"] and score["wrong"] == {} and score["null_vs_zero"] == 0
    assert score["counts"]["requests"] == [25 * 7, 25 * 7]
    assert score["counts"]["appeals"] == [15, 15]
    assert score["counts"]["proactive"] == [10, 10]
    assert score["counts"]["summary"] == [7, 7] and score["counts"]["metadata"] == [3, 3]


def test_null_vs_zero_is_wrong_and_counted_both_ways(gold):
    pred = broken(gold, "requests.granted.research", None)  # gold 0, predicted null
    gold2 = broken(gold, "summary.npc_suggestions", None)   # gold null, predicted 0
    pred = broken(pred, "summary.npc_suggestions", 0)
    score = score_document(gold2, pred)
    assert not score["exact"]
    assert score["wrong"]["requests.granted.research"]["kind"] == NULL_VS_ZERO
    assert score["wrong"]["summary.npc_suggestions"]["kind"] == NULL_VS_ZERO
    assert score["null_vs_zero"] == 2


def test_decimals_in_wan_yuan_compare_as_numbers(gold):
    assert values_equal(582.1, 582.10) and values_equal(3, 3.0)
    assert not values_equal(582.1, 582.2) and not values_equal(0, None)
    assert score_document(gold, broken(gold, "proactive.fees", 582.10))["exact"]
    wrong = score_document(gold, broken(gold, "proactive.fees", 582.2))["wrong"]
    assert wrong == {"proactive.fees": {"gold": 582.1, "pred": 582.2, "kind": WRONG}}


def test_missing_document_counts_every_field_wrong(gold):
    score = score_document(gold, None)
    assert not score["exact"]
    assert score["counts"]["requests"] == [0, 175]
    assert {w["kind"] for w in score["wrong"].values()} == {MISSING_DOC}
    assert "requests.new.total" in score["wrong"] and "agency" in score["wrong"]


def test_missing_table_and_missing_field_are_missed(gold):
    pred = broken(gold, "appeals", None)
    pred = broken(pred, "summary.proactive_total", None)
    score = score_document(gold, pred)
    assert score["counts"]["appeals"] == [0, 15]
    assert score["wrong"]["summary.proactive_total"]["kind"] == MISSED
    assert score["wrong"]["appeals.review.total"]["kind"] == NULL_VS_ZERO  # gold 0


def test_extra_keys_are_ignored_and_extra_tables_are_spurious(gold):
    pred = dict(copy.deepcopy(gold), needs_llm=["summary.x"], evidence={}, unknown_key=1)
    assert score_document(gold, pred)["exact"]
    legacy = dict(copy.deepcopy(gold), template="legacy", proactive=None, requests=None, appeals=None)
    pred = dict(copy.deepcopy(legacy), requests={"new": {"total": 3}})
    score = score_document(legacy, pred)
    assert score["counts"]["requests"] == [0, 1]
    assert score["wrong"]["requests.new.total"] == {"gold": None, "pred": 3, "kind": SPURIOUS}
    assert score["counts"]["proactive"] == [0, 0]  # absent on both sides: not scored


def test_agency_aliases_and_whitespace(gold):
    g = dict(gold, agency_aliases=["泰安市人社局"])
    assert "agency" not in score_document(g, dict(gold, agency="泰安市人社局"))["wrong"]
    assert "agency" not in score_document(g, dict(gold, agency=" 泰安市人力资源和社会保障局\n"))["wrong"]
    assert "agency" in score_document(g, dict(gold, agency="泰安市人民政府"))["wrong"]


def test_aggregate_metrics(gold):
    docs = {
        "a": {**score_document(gold, gold), "layout": "html", "template": "gov2021"},
        "b": {**score_document(gold, broken(gold, "requests.new.total", 4)), "layout": "pdf",
              "template": "gov2021"},
        "c": {"skipped": True, "layout": "pdf_real", "template": "gov2021"},
    }
    m = aggregate(docs)
    assert m["documents"] == 2 and m["documents.exact"] == 0.5
    assert m["cells.layout.html"] == 1.0 and m["cells.layout.pdf"] < 1.0
    assert "cells.layout.pdf_real" not in m
    assert m["cells.accuracy"] == pytest.approx(1 - 1 / (2 * 200))


# --- dataset ------------------------------------------------------------------------------------
def test_manifest_has_enough_cases_of_every_kind():
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)
    layouts = {c.layout for c in CASES}
    assert {"html", "docx", "pdf", "pdf_text", "pipe_md", "tab_txt", "gbk_txt"} <= layouts
    tags = {t for c in CASES for t in c.tags}
    assert {"blank_cells", "split_labels", "fullwidth", "split_number", "template2019",
            "source_error"} <= tags
    assert any(c.template == "gov2019" for c in CASES)


def test_local_docs_exist_and_external_docs_are_not_copied():
    for case in CASES:
        inside = DEFAULT_DATASET.resolve() in case.doc.parents
        if case.external:
            assert not inside and ("evalset-external" in str(case.doc) or "evalset-public" in str(case.doc))
        else:
            assert inside and case.doc.is_file() and case.gold.is_file(), case.id
    assert not list(DEFAULT_DATASET.rglob("hongze*")) and not list(DEFAULT_DATASET.rglob("huaian*"))
    assert not list(DEFAULT_DATASET.rglob("pt_*"))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gold_validates_and_declares_its_source_errors(case):
    if not case.available:
        pytest.skip(f"{case.doc} is not available")
    gold = load_gold(case)
    for key in ("doc", "provenance", "source_errors"):
        assert key in gold, f"{case.id}: gold lacks {key}"
    record = gold_record(gold)  # the contract's schema
    assert record.template == case.template
    assert record.source.sha256, case.id
    if not case.external:
        assert gold["layout"] == case.layout
        from evals.dataset import file_source

        assert file_source(case.doc)["sha256"] == record.source.sha256, "doc changed: rebuild"
    errors = [c for c in check_record(record, None) if c.severity == "error"]
    undeclared = [f"{c.rule}: {c.message}" for c in errors if not declares(gold, case, c.rule, c.cells)]
    assert not undeclared, f"{case.id}: the checker flags its gold but it declares no source error"
    if "source_error" in case.tags:
        assert errors and gold["source_errors"], "a planted source error must show"


def test_every_planted_mutation_applies_to_a_rich_record():
    case = next(c for c in CASES if c.id.startswith("r12-"))
    record = gold_record(load_gold(case))
    assert all(m.plant(record, "text") is not None for m in MUTATIONS)
    scores = checker_scores(record, case.doc.read_bytes().decode("utf-8", "replace"), False)
    assert scores["clean"] and scores["false_flags"] == []
    assert set(scores["planted"]) == {m.rule for m in MUTATIONS}


# --- comparison ---------------------------------------------------------------------------------
def fake_run(gold: dict, preds: dict[str, dict | None]) -> dict:
    docs = {k: {**score_document(gold, p), "layout": "html", "template": "gov2021"}
            for k, p in preds.items()}
    return {"meta": {"name": "x"}, "metrics": aggregate(docs), "documents": docs}


def test_compare_names_broken_and_fixed_fields(gold):
    base = fake_run(gold, {"a": gold, "b": broken(gold, "appeals.review.total", 9)})
    cand = fake_run(gold, {"a": broken(gold, "appeals.review.upheld", 4), "b": gold})
    cmp = compare_runs(base, cand, tolerance=0.0)
    assert [(c.case, c.path, c.baseline, c.candidate) for c in cmp.broke] == [
        ("a", "appeals.review.upheld", 0, 4)]
    assert [(c.case, c.path) for c in cmp.fixed] == [("b", "appeals.review.total")]
    assert not cmp.worse  # one cell of 表四 broke, one was fixed: no accuracy changed
    cand2 = fake_run(gold, {"a": broken(gold, "requests.new.total", 4),
                            "b": broken(gold, "appeals.review.total", 9)})
    cmp2 = compare_runs(base, cand2, tolerance=0.0)
    assert cmp2.worse and "cells.accuracy" in {r.name for r in cmp2.regressions}
    # documents.exact 0.5 → 0 is within the tolerance; the wrong value given (a count) is not
    assert {r.name for r in compare_runs(base, cand2, tolerance=0.5).regressions} == {"values.wrong"}


def test_compare_uses_only_cases_scored_in_both(gold):
    base = fake_run(gold, {"a": gold, "ext": broken(gold, "requests.new.total", 4)})
    cand = fake_run(gold, {"a": gold})
    cand["documents"]["ext"] = {"skipped": True, "layout": "html", "template": "gov2021"}
    cmp = compare_runs(base, cand)
    assert not cmp.worse and cmp.only_baseline == ["ext"]


def test_html_report_escapes_and_shows_snippets(gold):
    pred = broken(gold, "agency", "<script>alert(1)</script>")
    run = fake_run(gold, {"a<b>": pred})
    text = "前言<img src=x onerror=alert(1)>\n一、本年新收政府信息公开申请数量\t3\n"
    result = RunResult(run, {"a<b>": DocContext(path="x.txt", text=text)})
    cmp = compare_runs(fake_run(gold, {"a<b>": gold}), run)
    soup = BeautifulSoup(render_html(result, cmp), "html.parser")
    assert soup.find("script") is None and soup.find("img") is None
    assert "<script>alert(1)</script>" in soup.get_text()
    assert "right → wrong (1)" in soup.get_text().lower()


# --- CLI ----------------------------------------------------------------------------------------
@pytest.fixture()
def small_dataset(tmp_path: Path) -> Path:
    """Three text cases of the eval set in a folder of their own."""
    out = tmp_path / "dataset"
    (out / "docs").mkdir(parents=True)
    (out / "gold").mkdir()
    manifest = json.loads((DEFAULT_DATASET / "manifest.json").read_text(encoding="utf-8"))
    keep = [e for e in manifest["cases"] if e["id"] in ("seed-000", "r05-000-pipe-md", "r10-002-fullwidth")]
    for entry in keep:
        shutil.copy(DEFAULT_DATASET / entry["doc"], out / entry["doc"])
        shutil.copy(DEFAULT_DATASET / entry["gold"], out / entry["gold"])
    (out / "manifest.json").write_text(json.dumps({"cases": keep}, ensure_ascii=False), encoding="utf-8")
    return out


def test_cli_eval_gate_names_a_broken_field_and_fails(small_dataset, tmp_path, monkeypatch):
    base = tmp_path / "base.json"
    result = runner.invoke(app, ["eval", "--llm", "off", "--dataset", str(small_dataset),
                                 "--out", str(base)])
    assert result.exit_code == 0, result.output
    assert base.is_file() and "cells.accuracy" in result.output
    saved = json.loads(base.read_text(encoding="utf-8"))
    assert saved["meta"]["name"] == "base" and saved["meta"]["git"]["commit"]
    assert set(saved["documents"]) == {"seed-000", "r05-000-pipe-md", "r10-002-fullwidth"}

    same = runner.invoke(app, ["eval", "--dataset", str(small_dataset), "--baseline", str(base),
                               "--no-save"])
    assert same.exit_code == 0, same.output
    assert "not worse than the baseline" in same.output

    # a reader change that breaks one field of one document
    import extractor.read.rules as rules

    original = rules.read_document

    def broken_reader(doc):
        record = original(doc)
        if doc.path.endswith("r05-000-pipe-md.md"):
            record.requests.granted.natural_person = 7
        return record

    monkeypatch.setattr(rules, "read_document", broken_reader)
    report = tmp_path / "report.html"
    worse = runner.invoke(app, ["eval", "--dataset", str(small_dataset), "--baseline", str(base),
                                "--no-save", "--html", str(report)])
    assert worse.exit_code == 1, worse.output
    assert "r05-000-pipe-md requests.granted.natural_person" in worse.output
    assert "right → wrong: 1 field(s)" in worse.output
    assert "FAIL" in worse.output and "cells.accuracy" in worse.output
    assert not list(tmp_path.glob("run-*.json"))
    soup = BeautifulSoup(report.read_text(encoding="utf-8"), "html.parser")
    assert "requests.granted.natural_person" in soup.get_text()

    lenient = runner.invoke(app, ["eval", "--dataset", str(small_dataset), "--baseline", str(base),
                                  "--no-save", "--tolerance", "0.05"])
    # the accuracy drop is within the tolerance, but a wrong value given (a count) is not
    assert lenient.exit_code == 1, lenient.output
    assert "FAIL" in lenient.output and "values.wrong" in lenient.output


def test_cli_eval_reports_a_missing_baseline(small_dataset, tmp_path):
    result = runner.invoke(app, ["eval", "--dataset", str(small_dataset), "--baseline",
                                 str(tmp_path / "nope.json"), "--no-save"])
    assert result.exit_code != 0
    assert "no eval run" in str(result.exception) + result.output


@pytest.mark.slow
def test_committed_baseline_matches_the_offline_eval(tmp_path):
    """The CI gate passes, and the committed baseline is what the offline eval prints now (on the
    cases this machine has), so a better reader cannot hide behind a stale baseline."""
    baseline = RUNS_DIR / "baseline.json"
    assert {c.id for c in CASES} == set(json.loads(baseline.read_text(encoding="utf-8"))["documents"])
    out = tmp_path / "now.json"
    result = runner.invoke(app, ["eval", "--llm", "off", "--baseline", str(baseline), "--out", str(out)])
    assert result.exit_code == 0, result.output
    cmp = compare_runs(json.loads(baseline.read_text(encoding="utf-8")),
                       json.loads(out.read_text(encoding="utf-8")))
    changed = [f"{r.name}: {r.baseline} → {r.candidate}" for r in cmp.rows if r.direction and r.delta]
    changed += [f"{c.case} {c.path}" for c in cmp.broke + cmp.fixed]
    assert not changed, ("evals/runs/baseline.json is stale; regenerate it with "
                         "`nianbao eval --llm off --out evals/runs/baseline.json`: " + "; ".join(changed))


@pytest.mark.slow
def test_dataset_build_writes_the_committed_manifest(tmp_path):
    """The build script makes every case of the committed manifest, and golds that validate. (The
    rendered bytes follow evals/render/: `python -m evals.build_dataset --check` lists what a
    renderer change would alter.)"""
    from evals.build_dataset import build, builder_owned

    built = build(tmp_path)
    committed = json.loads((DEFAULT_DATASET / "manifest.json").read_text(encoding="utf-8"))["cases"]
    assert built == [e for e in committed if builder_owned(e)]
    for case in load_cases(tmp_path):
        if case.available:
            gold_record(load_gold(case))


def test_table_fields_cover_the_scored_cells(gold):
    assert len(table_fields()) == 10 + 175 + 15


def test_cli_eval_with_an_llm_counts_calls_and_reuses_the_cache(small_dataset, tmp_path, monkeypatch):
    """``--llm always`` (the rules read every prose figure of this report, so ``auto`` asks nothing) against the scripted chat-completions server: LLM calls and tokens are
    reported, the model is recorded, and an unchanged re-run is served from the cache."""
    from fake_llm_server import Answer, FakeLlm

    good = {
        "proactive_total": {"value": 1776, "quote": "年内主动公开信息共1776条"},
        "fee_collected_yuan": {"value": 0, "quote": "未发生政府信息公开方面的收费和减免事项"},
        "npc_suggestions": {"value": 15, "quote": "人大代表建议15件"},
        "cppcc_proposals": {"value": 40, "quote": "政协提案40件"},
    }
    manifest = json.loads((small_dataset / "manifest.json").read_text(encoding="utf-8"))
    manifest["cases"] = [c for c in manifest["cases"] if c["id"] == "seed-000"]
    (small_dataset / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with FakeLlm(default=lambda body: Answer(good)) as llm:
        for key, value in {"NIANBAO_LLM_BASE_URL": llm.url, "NIANBAO_LLM_MODEL": "fake-model",
                           "NIANBAO_LLM_API_KEY": "test", "NIANBAO_LLM_TIMEOUT": "5",
                           "NIANBAO_MAX_RETRIES": "0", "NIANBAO_CACHE_DIR": str(tmp_path / "cache")}.items():
            monkeypatch.setenv(key, value)
        first = runner.invoke(app, ["eval", "--llm", "always", "--dataset", str(small_dataset),
                                    "--out", str(tmp_path / "llm.json")])
        assert first.exit_code == 0, first.output
        calls = len(llm.requests)
        again = runner.invoke(app, ["eval", "--llm", "always", "--dataset", str(small_dataset),
                                    "--out", str(tmp_path / "again.json")])
        assert again.exit_code == 0, again.output
        assert len(llm.requests) == calls > 0  # the re-run costs no request
        prompts = tmp_path / "prompts-new"
        shutil.copytree(Path(__file__).resolve().parents[1] / "prompts", prompts)
        (prompts / "summary.v99.md").write_text("CANDIDATE PROMPT: read the figures.", encoding="utf-8")
        candidate = runner.invoke(app, ["eval", "--llm", "always", "--dataset", str(small_dataset),
                                        "--prompts", str(prompts), "--no-save"])
        assert candidate.exit_code == 0, candidate.output
        assert len(llm.requests) > calls  # a new prompt is not served from the cache
        assert "CANDIDATE PROMPT" in json.dumps(llm.requests[-1], ensure_ascii=False)
    run = json.loads((tmp_path / "llm.json").read_text(encoding="utf-8"))
    assert run["meta"]["model"] == "fake-model" and run["meta"]["llm"] == "always"
    assert run["metrics"]["llm.calls_per_doc"] > 0 and run["metrics"]["llm.tokens_per_doc"] > 0
    assert run["metrics"]["summary.accuracy"] == 1.0
    cached = json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))
    assert cached["metrics"]["llm.calls_per_doc"] == 0
    assert cached["metrics"]["summary.accuracy"] == 1.0


def test_cli_eval_records_the_prompt_set(small_dataset, tmp_path):
    prompts = tmp_path / "prompts-new"
    prompts.mkdir()
    (prompts / "summary.v2.md").write_text("new prompt", encoding="utf-8")
    out = tmp_path / "p.json"
    result = runner.invoke(app, ["eval", "--dataset", str(small_dataset), "--prompts", str(prompts),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    meta = json.loads(out.read_text(encoding="utf-8"))["meta"]
    assert list(meta["prompt_versions"]) == ["summary.v2.md"] and meta["reader_version"]
