"""Running the pipeline over the eval set: one scored entry per case, plus run metadata.

Each case goes through ``pipeline.run`` exactly as ``nianbao extract`` does; the runner keeps the
normalized text it returns for the report's source snippets."""
from __future__ import annotations

import hashlib
import logging
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from evals import EVALS_DIR
from evals.dataset import Case, gold_record, load_gold
from evals.planted import PLANTED_RULES, checker_scores
from evals.score import aggregate, score_document

log = logging.getLogger(__name__)
REPO_ROOT = EVALS_DIR.parent


@dataclass
class DocContext:
    """What the HTML report shows next to a document's diff (kept out of the saved run)."""

    path: str
    text: str = ""
    evidence: dict[str, tuple[int, int]] = field(default_factory=dict)
    error: str | None = None


@dataclass
class RunResult:
    run: dict
    contexts: dict[str, DocContext]


def extract_case(case: Case, settings, llm) -> tuple[object, str]:
    """The pipeline's record for ``case`` and the normalized text ("" when ingest failed)."""
    from extractor.pipeline import run

    outcome = run(case.doc, settings, llm)
    return outcome.record, outcome.document.text if outcome.document else ""


def declared_errors(gold: dict, case: Case) -> bool:
    return bool(gold.get("source_errors")) or bool(case.source_error_rules)


def evaluate_case(case: Case, settings, llm) -> tuple[dict, DocContext]:
    """Extract, score and checker-test one case."""
    gold = load_gold(case)
    started = time.perf_counter()
    record, text = extract_case(case, settings, llm)
    seconds = time.perf_counter() - started
    pred = None if record.status == "failed" else record.model_dump(mode="json")
    entry = {
        "layout": case.layout,
        "template": gold.get("template", case.template),
        "tags": list(case.tags),
        "status": record.status,
        "error": record.error,
        "seconds": round(seconds, 3),
        "llm_calls": record.extracted_by.llm_calls,
        "tokens": record.extracted_by.tokens,
        "cache_hits": record.extracted_by.cache_hits,
        "versions": {"reader": record.extracted_by.reader_version,
                     "prompt": record.extracted_by.prompt_version,
                     "model": record.extracted_by.model},
        **score_document(gold, pred),
        "checker": checker_scores(gold_record(gold), text or None, declared_errors(gold, case)),
    }
    context = DocContext(path=display_path(case.doc), text=text, error=record.error,
                         evidence={p: (s.start, s.end) for p, s in record.evidence.items()})
    return entry, context


def skipped_entry(case: Case) -> dict:
    missing = case.doc if not case.doc.is_file() else case.gold
    return {"skipped": True, "reason": f"{display_path(missing)} is not available",
            "layout": case.layout, "template": case.template, "tags": list(case.tags)}


def run_cases(cases: list[Case], settings, llm, on_done=None) -> RunResult:
    """Evaluate every case (absent external documents are skipped) and aggregate the metrics."""
    documents: dict[str, dict] = {}
    contexts: dict[str, DocContext] = {}
    for case in cases:
        if not case.available:
            documents[case.id] = skipped_entry(case)
        else:
            documents[case.id], contexts[case.id] = evaluate_case(case, settings, llm)
        if on_done:
            on_done(case)
    run = {"meta": {}, "metrics": aggregate(documents), "checker": checker_coverage(documents),
           "documents": documents}
    return RunResult(run, contexts)


def checker_coverage(documents: dict[str, dict]) -> dict:
    """Rules the checker emitted on the gold and its mutations, and those no mutation plants."""
    seen = sorted({r for d in documents.values() for r in (d.get("checker") or {}).get("rules_seen", ())})
    return {"rules_seen": seen, "unplanted": [r for r in seen if r not in PLANTED_RULES]}


def display_path(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        try:
            return "../" + Path(path).resolve().relative_to(REPO_ROOT.parent).as_posix()
        except ValueError:
            return str(path)


def git_commit() -> dict:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"commit": git("rev-parse", "HEAD") or None,
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def prompt_versions(prompts_dir: Path | None) -> dict[str, str]:
    """Each prompt file of the prompt set and the first 12 hex digits of its sha256."""
    folder = Path(prompts_dir) if prompts_dir else REPO_ROOT / "prompts"
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()[:12]
            for p in sorted(folder.rglob("*")) if p.is_file()}


def reader_version() -> str | None:
    try:
        from extractor.read import rules
    except ImportError:
        return None
    return getattr(rules, "READER_VERSION", None) or getattr(rules, "__version__", None)


def run_meta(name: str, settings, prompts_dir: Path | None, dataset_dir: Path,
             documents: dict[str, dict]) -> dict:
    """Who and what produced a run: versions, model, commit, time."""
    seen = [d.get("versions") or {} for d in documents.values() if not d.get("skipped")]
    llm_on = settings.llm != "off" and settings.llm_configured
    return {
        "name": name,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git": git_commit(),
        "dataset": display_path(dataset_dir),
        "llm": settings.llm,
        "model": settings.llm_model if llm_on else None,
        "llm_mode": settings.llm_mode if llm_on else None,
        "prompts_dir": display_path(prompts_dir) if prompts_dir else None,
        "prompt_versions": prompt_versions(prompts_dir),
        "record_prompt_versions": sorted({v["prompt"] for v in seen if v.get("prompt")}),
        "reader_version": reader_version() or next((v["reader"] for v in seen if v.get("reader")), None),
        "cases": len(documents),
        "skipped": sorted(k for k, d in documents.items() if d.get("skipped")),
    }
