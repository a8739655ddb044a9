"""The ``nianbao`` command line. Thin: parses options, calls the stages; what it shows is in
``extractor.cli_display``. Logging is configured here and nowhere else.

Start-up is kept short (``nianbao --help`` imports typer and nothing heavy): pydantic, rich, the
settings and the stages are imported inside the commands that use them."""
from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from extractor.errors import ConfigError, NianbaoError

if TYPE_CHECKING:
    from extractor.settings import Settings
    from schemas import Record

app = typer.Typer(
    help="nianbao: structured data from 政府信息公开工作年度报告 (government information-disclosure "
         "annual reports). Reads the national tables with rules, the rest with an optional LLM, "
         "and checks every number.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rendering it with rich would double the start-up time
    epilog="Exit codes: 0 nothing failed; 1 some document failed, the eval is worse than its "
           "baseline, or `check` found an error; 2 usage or setup error.",
)

LlmOpt = Annotated[str, typer.Option("--llm", help="auto: call the LLM only for what the rules left "
                                     "open (needs an endpoint); off: rules only; always: LLM for every document.")]


def make_settings(**overrides) -> Settings:
    """Environment (NIANBAO_*) plus the CLI options that were given."""
    from pydantic import ValidationError

    from extractor.settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:  # → one line naming the setting, its variable and what is allowed
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'} (NIANBAO_{str(e['loc'][0]).upper() if e['loc'] else ''}): "
            f"{e['msg']}, got {e.get('input')!r}" for e in exc.errors())
        raise ConfigError(f"invalid settings: {problems}") from exc


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
    paths: Annotated[list[str], typer.Argument(metavar="PATH", help="report files, folders or globs")],
    output: Annotated[Path, typer.Option("-o", "--output", help="JSONL file of records (one per line)")] = Path("records.jsonl"),
    csv: Annotated[Optional[Path], typer.Option("--csv", help="also write one wide CSV row per report")] = None,
    llm: LlmOpt = "auto",
    model: Annotated[Optional[str], typer.Option(help="LLM model name (NIANBAO_LLM_MODEL)")] = None,
    base_url: Annotated[Optional[str], typer.Option(help="OpenAI-compatible endpoint (NIANBAO_LLM_BASE_URL)")] = None,
    mode: Annotated[Optional[str], typer.Option(help="instructor mode: tools | json | md_json (NIANBAO_LLM_MODE)")] = None,
    max_retries: Annotated[Optional[int], typer.Option(help="re-asks per LLM task when checks fail")] = None,
    concurrency: Annotated[Optional[int], typer.Option(help="documents processed at once with an LLM (threads)")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", "-j", help="worker processes for rules-only runs (default: all cores; 0: in this process); each document within NIANBAO_DOC_TIMEOUT_S / NIANBAO_DOC_MEMORY_MB")] = None,
    unordered: Annotated[bool, typer.Option("--unordered", help="write records as they finish, not in input order")] = False,
    cache_dir: Annotated[Optional[Path], typer.Option(help="LLM answer cache folder")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="ignore and do not fill the LLM cache")] = False,
    store: Annotated[bool, typer.Option("--store", help="also save records in the store; documents already stored with the same config are not extracted again, their stored records are written to -o")] = False,
    append: Annotated[bool, typer.Option("--append", help="add to the -o file instead of rewriting it (documents it already holds are not written twice; a torn last line from a killed run is dropped)")] = False,
    data_dir: Annotated[Optional[Path], typer.Option(help="store folder (NIANBAO_DATA_DIR)")] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="no progress bar")] = False,
) -> None:
    """Extract records from reports (.txt .md .html .docx .pdf) into JSONL (and CSV).

    Exit code 0 when no document failed, 1 when some did, 2 for a usage or setup error."""
    from extractor.batch import expand_paths, iter_records
    from extractor.cli_display import err, print_summary, progress, say
    from extractor.sinks import BatchSummary, JsonlSink, prepare_output

    settings = make_settings(llm=llm, llm_model=model, llm_base_url=base_url, llm_mode=mode,
                             max_retries=max_retries, concurrency=concurrency, cache_dir=cache_dir,
                             no_cache=no_cache or None, data_dir=data_dir, workers=workers)
    prepare_output(output, "-o/--output")
    if csv is not None:
        prepare_output(csv, "--csv")
    files = expand_paths(paths)
    if not files:
        raise ConfigError(f"no report files found in {' '.join(paths)} "
                          "(supported: .txt .md .html .htm .docx .pdf)")
    llm_reader = make_llm(settings)
    if llm_reader is None and settings.llm != "off":
        err().print("[yellow]No LLM endpoint configured: reading tables with rules only. Fields that "
                  "need an LLM are listed in each record's `needs_llm` (set NIANBAO_LLM_BASE_URL "
                  "and NIANBAO_LLM_MODEL to fill them).[/yellow]")
    repo = _open_store(settings) if store else None
    todo, stored = _split_stored(files, repo, settings)
    summary = BatchSummary()
    with JsonlSink(output, append=append) as sink, _csv_rows(csv) as csv_row, progress(quiet) as bar:
        if sink.torn_bytes:
            say("[yellow]warning:[/yellow] dropped a torn last line ({} bytes) from {}, left by a run "
                "that was killed", sink.torn_bytes, output)
        task = bar.add_task("extracting", total=len(files))

        def emit(record: Record, from_store: bool = False) -> None:
            if not sink.write(record):
                summary.already_written += 1
            elif from_store:
                summary.reemitted += 1
            csv_row(record)
            summary.add(record)
            bar.advance(task)

        for record in stored:
            emit(record, from_store=True)
        for record in iter_records(todo, settings, llm=llm_reader, ordered=not unordered,
                                   concurrency=settings.concurrency if llm_reader else 1):
            if repo is not None:
                repo.save_record(record, settings.extraction_config)
            emit(record)
            if llm_reader is not None:
                bar.update(task, description=f"extracting · {summary.llm_totals()}")
    print_summary(summary, output)
    raise typer.Exit(1 if summary.failed else 0)


@contextmanager
def _csv_rows(path: Optional[Path]):
    """A function writing one CSV row per record as it arrives (a no-op without ``--csv``)."""
    if path is None:
        yield lambda record: None
        return
    import csv as csvlib

    from extractor.export.csv import csv_header, open_target, record_to_row

    with open_target(path) as out:
        writer = csvlib.DictWriter(out, fieldnames=csv_header())
        writer.writeheader()
        yield lambda record: writer.writerow(record_to_row(record))


def _open_store(settings: Settings):
    from extractor.store import open_store

    return open_store(settings)


def _split_stored(files: list[Path], repo, settings: Settings) -> tuple[list[Path], Iterator[Record]]:
    """The files still to extract, and (lazily) the stored records of the others."""
    if repo is None:
        return files, iter(())
    from extractor.pipeline import file_sha256

    todo, ids = [], []
    for path in files:
        try:
            if path.stat().st_size > settings.max_file_mb * 1024 * 1024:
                todo.append(path)  # refused for its size without being read (extraction says so)
                continue
            sha, _ = file_sha256(path)
        except OSError:
            todo.append(path)  # extract_file reports why it cannot be read
            continue
        found = repo.find(sha, settings.extraction_config)
        if found is None:
            todo.append(path)
        else:
            ids.append((found, path))
    return todo, (_as_read_from(repo.get(i).record, path) for i, path in ids)


def _as_read_from(record: Record, path: Path) -> Record:
    """A stored record re-emitted for this input file (two copies of a report share one record)."""
    return record.model_copy(update={"source": record.source.model_copy(update={"path": str(path)})})


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
    from schemas import Record

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
    from extractor.cli_display import err

    opts = EvalOptions(llm=llm, prompts=prompts, model=model, baseline=baseline,
                       tolerance=tolerance, save=save, html=html, out=out,
                       **({"dataset": dataset} if dataset else {}))
    try:
        code = run_eval_command(opts, err())
    except EvalError as exc:
        raise ConfigError(str(exc)) from exc
    raise typer.Exit(code)


@app.command()
def schema() -> None:
    """Print the record's JSON Schema."""
    from schemas import Record

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
    from extractor.cli_display import err

    err().print(f"nianbao review service on http://{host}:{port}/ (store: {settings.database_url or settings.data_dir})")
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
    from extractor.cli_display import err

    err().print(f"exported {count} record(s) to {output}")


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
    from extractor.cli_display import err

    err().print(f"added case {entry['id']}: {dataset / entry['doc']} + {dataset / entry['gold']}")


def _usage_error_types() -> tuple[type[BaseException], ...]:
    """The click exception classes typer may raise: its bundled copy (typer ≥ 0.24 vendors click as
    ``typer._click``) and the standalone click, whichever are importable."""
    import importlib

    found = []
    for module in ("typer._click.exceptions", "click.exceptions"):
        try:
            found.append(importlib.import_module(module).ClickException)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def _usage_line(exc: BaseException) -> str:
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    if type(exc).__name__ == "NoArgsIsHelpError":  # no arguments at all: the help on stdout
        typer.echo(message)
        message = "missing command"
    elif not message.strip():
        message = "missing command"
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "nianbao"
    return f"{message.strip()} — try '{where} --help'"


def _say(markup: str, *plain: object) -> None:
    from extractor.cli_display import say

    say(markup, *plain)


def main() -> None:
    """Entry point. Exit codes: 0 nothing failed; 1 a document failed, the eval is worse than its
    baseline or ``check`` found an error; 2 a usage or setup error (one line on stderr)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        code = app(standalone_mode=False)  # typer.Exit(n) comes back as the return value n
    except NianbaoError as exc:
        _say("[red]error:[/red] {}", exc)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        _say("interrupted")
        sys.exit(130)
    except _usage_error_types() as exc:
        _say("[red]error:[/red] {}", _usage_line(exc))
        sys.exit(2)
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("NIANBAO_DEBUG"):
            raise
        _say("[red]internal error:[/red] {} (a bug in nianbao; rerun with NIANBAO_DEBUG=1 for the "
             "traceback and report it)", f"{type(exc).__name__}: {exc}")
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
