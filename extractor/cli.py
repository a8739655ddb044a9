"""The ``nianbao`` command line. Thin: parses options, calls the stages, renders progress and
errors. Logging is configured here and nowhere else."""
from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from extractor.errors import ConfigError, NianbaoError
from extractor.settings import Settings
from schemas import Record

app = typer.Typer(
    help="nianbao: structured data from 政府信息公开工作年度报告 (government information-disclosure "
         "annual reports). Reads the national tables with rules, the rest with an optional LLM, "
         "and checks every number.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True)

LlmOpt = Annotated[str, typer.Option("--llm", help="auto: call the LLM only for what the rules left "
                                     "open (needs an endpoint); off: rules only; always: LLM for every document.")]


def make_settings(**overrides) -> Settings:
    """Environment (NIANBAO_*) plus the CLI options that were given."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except Exception as exc:  # pydantic ValidationError → user-facing message
        raise ConfigError(f"invalid settings: {exc}") from exc


def make_llm(settings: Settings):
    """The LLM reader for these settings, or None when the LLM is off or not configured."""
    if settings.llm == "off":
        return None
    if not settings.llm_configured:
        if settings.llm == "always":
            raise ConfigError("--llm always needs an endpoint: set NIANBAO_LLM_BASE_URL (or "
                              "OPENAI_API_KEY) and NIANBAO_LLM_MODEL, or use --llm off")
        return None
    try:
        from extractor.read.llm import LlmReader
    except ImportError:  # LLM half not installed in this build
        return None
    return LlmReader(settings)


@app.command()
def extract(
    paths: Annotated[list[str], typer.Argument(help="report files, folders or globs")],
    output: Annotated[Path, typer.Option("-o", "--output", help="JSONL file of records (one per line)")] = Path("records.jsonl"),
    csv: Annotated[Optional[Path], typer.Option("--csv", help="also write one wide CSV row per report")] = None,
    llm: LlmOpt = "auto",
    model: Annotated[Optional[str], typer.Option(help="LLM model name (NIANBAO_LLM_MODEL)")] = None,
    base_url: Annotated[Optional[str], typer.Option(help="OpenAI-compatible endpoint (NIANBAO_LLM_BASE_URL)")] = None,
    mode: Annotated[Optional[str], typer.Option(help="instructor mode: tools | json | md_json (NIANBAO_LLM_MODE)")] = None,
    max_retries: Annotated[Optional[int], typer.Option(help="re-asks per LLM task when checks fail")] = None,
    concurrency: Annotated[Optional[int], typer.Option(help="documents processed at once")] = None,
    cache_dir: Annotated[Optional[Path], typer.Option(help="LLM answer cache folder")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="ignore and do not fill the LLM cache")] = False,
    store: Annotated[bool, typer.Option("--store", help="also save records in the store (skips documents already stored with the same config)")] = False,
    data_dir: Annotated[Optional[Path], typer.Option(help="store folder (NIANBAO_DATA_DIR)")] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="no progress bar")] = False,
) -> None:
    """Extract records from reports (.txt .md .html .docx .pdf) into JSONL (and CSV)."""
    from extractor.batch import expand_paths, iter_records

    settings = make_settings(llm=llm, llm_model=model, llm_base_url=base_url, llm_mode=mode,
                             max_retries=max_retries, concurrency=concurrency, cache_dir=cache_dir,
                             no_cache=no_cache or None, data_dir=data_dir)
    files = expand_paths(paths)
    if not files:
        raise ConfigError(f"no report files found in {' '.join(paths)} "
                          "(supported: .txt .md .html .htm .docx .pdf)")
    llm_reader = make_llm(settings)
    if llm_reader is None and settings.llm != "off":
        err.print("[yellow]No LLM endpoint configured: reading tables with rules only. Fields that "
                  "need an LLM are listed in each record's `needs_llm` (set NIANBAO_LLM_BASE_URL "
                  "and NIANBAO_LLM_MODEL to fill them).[/yellow]")
    repo = _open_store(settings) if store else None
    todo, skipped = _skip_stored(files, repo, settings)
    records: list[Record] = []
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as out, _progress(quiet) as progress:
        task = progress.add_task("extracting", total=len(todo))
        for record in iter_records(todo, settings, llm=llm_reader, concurrency=settings.concurrency if llm_reader else 1):
            out.write(record.model_dump_json() + "\n")
            out.flush()
            if repo is not None:
                repo.save_record(record, settings.extraction_config)
            records.append(_slim(record))
            progress.advance(task)
            if llm_reader is not None:
                progress.update(task, description=f"extracting · {_llm_totals(records)}")
    if csv:
        from extractor.export.csv import write_csv

        write_csv(records, csv)
    _print_summary(records, skipped, output)
    failed = sum(r.status == "failed" for r in records)
    raise typer.Exit(1 if failed else 0)


def _slim(record: Record) -> Record:
    """Keep what the summary and CSV need; drop evidence so huge batches stay small in memory."""
    return record.model_copy(update={"evidence": {}})


def _open_store(settings: Settings):
    from extractor.store import open_store

    return open_store(settings)


def _skip_stored(files: list[Path], repo, settings: Settings) -> tuple[list[Path], int]:
    if repo is None:
        return files, 0
    import hashlib

    todo = []
    for path in files:
        try:
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            todo.append(path)
            continue
        if not repo.has_record(sha, settings.extraction_config):
            todo.append(path)
    return todo, len(files) - len(todo)


def _progress(quiet: bool) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, disable=quiet)


def _print_summary(records: list[Record], skipped: int, output: Path) -> None:
    counts = Counter(r.status for r in records)
    table = Table(title=f"nianbao extract → {output}")
    for col in ("status", "documents"):
        table.add_column(col)
    for status in ("ok", "needs_review", "failed"):
        table.add_row(status, str(counts.get(status, 0)))
    if skipped:
        table.add_row("skipped (already stored)", str(skipped))
    err.print(table)
    for r in records:
        if r.status == "failed":
            err.print(f"[red]failed[/red] {r.source.path}: {r.error}")
    if any(r.extracted_by.method == "rules+llm" for r in records):
        err.print(_llm_totals(records))
    needs = Counter(p for r in records for p in r.needs_llm)
    if needs:
        err.print(f"fields left for an LLM: {', '.join(f'{k} ({v})' for k, v in needs.most_common(8))}")


def _llm_totals(records: list[Record]) -> str:
    by = [r.extracted_by for r in records]
    return (f"LLM calls {sum(b.llm_calls for b in by)}, cache hits {sum(b.cache_hits for b in by)}, "
            f"tokens {sum(b.tokens for b in by)}")


@app.command()
def check(
    record_file: Annotated[Path, typer.Argument(help="a record JSON file (or JSONL: every line is checked)")],
    source: Annotated[Optional[Path], typer.Option(help="the report the record came from, to verify evidence spans")] = None,
) -> None:
    """Re-run the checker on a (hand-edited) record and print its checks."""
    from extractor.check import check_record, status_for

    text = None
    if source is not None:
        from extractor.ingest import ingest_file

        text = ingest_file(source, make_settings()).text
    worst = 0
    for record in _load_records(record_file):
        checks = check_record(record, text)
        status = status_for(checks)
        typer.echo(json.dumps({"source": record.source.path, "status": status,
                               "checks": [c.model_dump() for c in checks]}, ensure_ascii=False, indent=2))
        worst = max(worst, 1 if status != "ok" else 0)
    raise typer.Exit(worst)


def _load_records(path: Path) -> list[Record]:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    try:
        if path.suffix == ".jsonl":
            return [Record.model_validate_json(line) for line in raw.splitlines() if line.strip()]
        data = json.loads(raw)
        data.setdefault("source", {"path": str(path), "sha256": ""})
        return [Record.model_validate(data)]
    except ValueError as exc:
        raise ConfigError(f"{path} is not a valid nianbao record: {exc}") from exc


@app.command("eval")
def eval_(
    llm: LlmOpt = "off",
    prompts: Annotated[Optional[Path], typer.Option("--prompts", help="prompt set folder to evaluate (default: prompts/)")] = None,
    model: Annotated[Optional[str], typer.Option(help="LLM model name (NIANBAO_LLM_MODEL)")] = None,
    dataset: Annotated[Optional[Path], typer.Option(help="eval set folder with manifest.json (default: evals/dataset)")] = None,
    baseline: Annotated[Optional[str], typer.Option(help="run to compare with: a run file or a name under evals/runs")] = None,
    tolerance: Annotated[float, typer.Option(help="how much worse than the baseline a metric may get (0.01 = one point)")] = 0.0,
    save: Annotated[bool, typer.Option("--save/--no-save", help="save the run under evals/runs/")] = True,
    html: Annotated[Optional[Path], typer.Option("--html", help="write a self-contained HTML report")] = None,
    out: Annotated[Optional[str], typer.Option("--out", help="run name saved under evals/runs (default: run-<UTC time>), or a .json path")] = None,
) -> None:
    """Score the pipeline on the labelled eval set; with --baseline, fail when it got worse."""
    try:
        import evals  # noqa: F401
    except ImportError:  # an install that predates the evals package: use the checkout's
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from evals.command import EvalError, EvalOptions, run_eval_command

    opts = EvalOptions(llm=llm, prompts=prompts, model=model, baseline=baseline,
                       tolerance=tolerance, save=save, html=html, out=out,
                       **({"dataset": dataset} if dataset else {}))
    try:
        code = run_eval_command(opts, err)
    except EvalError as exc:
        raise ConfigError(str(exc)) from exc
    raise typer.Exit(code)


@app.command()
def schema() -> None:
    """Print the record's JSON Schema."""
    typer.echo(json.dumps(Record.model_json_schema(), ensure_ascii=False, indent=2))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to bind; anything but 127.0.0.1/localhost needs NIANBAO_TOKEN")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    data_dir: Annotated[Optional[Path], typer.Option(help="store folder (NIANBAO_DATA_DIR)")] = None,
    llm: LlmOpt = "auto",
    max_upload_mb: Annotated[Optional[float], typer.Option(help="largest upload accepted (NIANBAO_MAX_UPLOAD_MB)")] = None,
) -> None:
    """Run the review service: JSON API, review pages, OpenAPI docs at /docs."""
    import uvicorn

    from extractor.service.app import create_app
    from extractor.service.auth import check_bind

    settings = make_settings(data_dir=data_dir, llm=llm, max_upload_mb=max_upload_mb)
    check_bind(host, settings.token)
    application = create_app(settings)
    err.print(f"nianbao review service on http://{host}:{port}/ (store: {settings.database_url or settings.data_dir})")
    uvicorn.run(application, host=host, port=port, log_level="warning")


@app.command()
def export(
    output: Annotated[Path, typer.Option("-o", "--output", help="file to write")],
    format: Annotated[str, typer.Option("--format", "-f", help="jsonl | csv | parquet")] = "jsonl",
    status: Annotated[Optional[str], typer.Option(help="only records with this status")] = None,
    review: Annotated[Optional[str], typer.Option(help="only unreviewed | corrected | approved records")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help="store folder (NIANBAO_DATA_DIR)")] = None,
) -> None:
    """Export stored records with reviewers' corrections applied (corrected fields are listed)."""
    from extractor.export.records import export_store
    from extractor.store import RecordFilter

    settings = make_settings(data_dir=data_dir)
    count = export_store(_open_store(settings), format, output, RecordFilter(status=status, review_status=review))
    err.print(f"exported {count} record(s) to {output}")


@app.command()
def promote(
    record_id: Annotated[int, typer.Argument(help="id of the stored record (see the review queue)")],
    dataset: Annotated[Path, typer.Option(help="eval dataset folder")] = Path("evals/dataset"),
    name: Annotated[Optional[str], typer.Option(help="case name (default review_<id>_<sha>)")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace a case of the same name")] = False,
    data_dir: Annotated[Optional[Path], typer.Option(help="store folder (NIANBAO_DATA_DIR)")] = None,
) -> None:
    """Copy a reviewed record and its document into the eval set as a new labelled case."""
    from extractor.export.promote import promote_record

    settings = make_settings(data_dir=data_dir)
    entry = promote_record(_open_store(settings), record_id, dataset, name=name, overwrite=overwrite)
    err.print(f"added case {entry['id']}: {dataset / entry['doc']} + {dataset / entry['gold']}")


def main() -> None:
    """Entry point: run the app, turning nianbao errors into one clean line on stderr."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app(standalone_mode=False)
    except NianbaoError as exc:
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors etc.
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(130)
        raise
