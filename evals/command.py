"""``nianbao eval``: run the eval set, print the metrics, save the run, compare with a baseline,
write the HTML report. ``extractor/cli.py`` parses the options and calls :func:`run_eval_command`."""
from __future__ import annotations

import logging
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from evals import DEFAULT_DATASET, RUNS_DIR
from evals.compare import Comparison, compare_runs
from evals.dataset import DatasetError, load_cases
from evals.runner import RunResult, run_cases, run_meta
from evals.runs import RunNotFound, default_run_name, load_run, save_run

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalOptions:
    llm: str = "off"
    prompts: Path | None = None
    model: str | None = None
    dataset: Path = DEFAULT_DATASET
    baseline: str | None = None
    tolerance: float = 0.0
    save: bool = True
    html: Path | None = None
    out: str | None = None
    runs_dir: Path = RUNS_DIR
    quiet: bool = False


class EvalError(ValueError):
    """A problem with the eval's inputs (dataset, baseline); the message says what to fix."""


def make_settings(opts: EvalOptions):
    from extractor.settings import Settings

    overrides = {"llm": opts.llm}
    if opts.model:
        overrides["llm_model"] = opts.model
    if opts.prompts is not None:
        if not Path(opts.prompts).is_dir():
            raise EvalError(f"--prompts {opts.prompts} is not a folder of prompt files")
        overrides["prompts_dir"] = opts.prompts
    try:
        return Settings(**overrides)
    except ValueError as exc:  # pydantic's ValidationError: a bad option or NIANBAO_* variable
        raise EvalError(f"invalid settings: {exc}") from exc


def make_reader(settings):
    """The LLM reader, or None (``--llm off``, or no endpoint configured with ``auto``)."""
    if settings.llm == "off":
        return None
    if not settings.llm_configured:
        if settings.llm == "always":
            raise EvalError("--llm always needs an endpoint: set NIANBAO_LLM_BASE_URL (or "
                            "OPENAI_API_KEY) and NIANBAO_LLM_MODEL, or use --llm off")
        return None
    from extractor.read.llm import LlmReader

    return LlmReader(settings)


def run_eval(opts: EvalOptions, console: Console) -> RunResult:
    """Run the dataset through the pipeline and return the scored run (not yet saved)."""
    try:
        cases = load_cases(opts.dataset)
    except DatasetError as exc:
        raise EvalError(str(exc)) from exc
    if not cases:
        raise EvalError(f"the eval set {opts.dataset} lists no cases")
    settings = make_settings(opts)
    reader = make_reader(settings)
    if reader is None and opts.llm != "off":
        console.print("[yellow]no LLM endpoint configured: evaluating the rules reader only[/yellow]")
    status = console.status("evaluating", spinner="dots") if not opts.quiet else nullcontext()
    with status:
        result = run_cases(cases, settings, reader)
    name = Path(opts.out).stem if opts.out else default_run_name()
    result.run["meta"] = run_meta(name, settings, opts.prompts, opts.dataset, result.run["documents"])
    return result


def run_eval_command(opts: EvalOptions, console: Console) -> int:
    """The whole ``nianbao eval``; returns the exit code (1 when worse than the baseline)."""
    baseline = None
    if opts.baseline:
        try:
            baseline = load_run(opts.baseline, opts.runs_dir)
        except RunNotFound as exc:
            raise EvalError(str(exc)) from exc
    result = run_eval(opts, console)
    run = result.run
    print_skipped(run, console)
    comparison = compare_runs(baseline, run, opts.tolerance) if baseline is not None else None
    if comparison is not None:
        print_comparison(comparison, console)
    if opts.save:
        path = save_run(run, output_path(opts.out, run["meta"]["name"], opts.runs_dir))
        console.print(f"run saved to {path}")
    if opts.html:
        from evals.report import write_html

        write_html(result, comparison, opts.html)
        console.print(f"HTML report written to {opts.html}")
    if comparison is None:
        print_metrics(run["metrics"], console)
        print_most_wrong(run, console)
    unplanted = run.get("checker", {}).get("unplanted")
    if unplanted:
        console.print(f"[yellow]checker rules no planted error tests: {', '.join(unplanted)} "
                      "(add a mutation in evals/planted.py)[/yellow]")
    if comparison is not None and comparison.worse:
        names = ", ".join(r.name for r in comparison.regressions)
        console.print(f"[red]FAIL: worse than the baseline by more than {opts.tolerance}: {names}[/red]")
        return 1
    if comparison is not None:
        console.print("[green]OK: not worse than the baseline[/green]")
    return 0


def output_path(out: str | None, name: str, runs_dir: Path) -> Path:
    """``--out`` as a file path when it looks like one (``x.json``, ``dir/x``), else a run name
    under ``runs_dir``."""
    if out and (out.endswith(".json") or "/" in out or "\\" in out):
        return Path(out)
    return runs_dir / f"{name}.json"


def fmt(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def print_metrics(metrics: dict, console: Console) -> None:
    table = Table(title="nianbao eval: metrics")
    table.add_column("metric", overflow="fold")
    table.add_column("value", justify="right")
    for name, value in metrics.items():
        table.add_row(name, fmt(value))
    console.print(table)


def print_most_wrong(run: dict, console: Console, top: int = 10) -> None:
    """The fields wrong in the most documents (where to look first)."""
    counts = Counter(p for d in run["documents"].values() for p in d.get("wrong", {}))
    if counts:
        shown = ", ".join(f"{p} ({n})" for p, n in counts.most_common(top))
        console.print(f"most often wrong (documents): {shown}", markup=False, highlight=False)


def print_comparison(comparison: Comparison, console: Console) -> None:
    table = Table(title="candidate vs baseline (cases scored in both)")
    table.add_column("metric", overflow="fold")
    for col in ("baseline", "candidate", "delta"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    regressed = {r.name for r in comparison.regressions}
    for row in comparison.rows:
        mark = "WORSE" if row.name in regressed else ("" if row.direction else "info")
        table.add_row(row.name, fmt(row.baseline), fmt(row.candidate),
                      "" if row.delta in (None, 0) else f"{row.delta:+.4f}", mark)
    console.print(table)
    for title, changes in (("right → wrong", comparison.broke), ("wrong → right", comparison.fixed)):
        console.print(f"{title}: {len(changes)} field(s)")
        for ch in changes:
            console.print(f"  {ch.case} {ch.path}: gold={fmt(ch.gold)} "
                          f"baseline={fmt(ch.baseline)} candidate={fmt(ch.candidate)}",
                          markup=False, highlight=False)
    if comparison.only_baseline:
        console.print(f"not scored in this run: {', '.join(comparison.only_baseline)}")
    if comparison.only_candidate:
        console.print(f"not in the baseline: {', '.join(comparison.only_candidate)}")


def print_skipped(run: dict, console: Console) -> None:
    for case, doc in run["documents"].items():
        if doc.get("skipped"):
            console.print(f"skipped {case}: {doc['reason']}", markup=False, highlight=False)
