"""What the ``nianbao`` command line shows on stderr: messages, the progress bar, the batch summary.
Kept apart from ``extractor.cli`` so rich is imported only when something is shown (``--help`` starts
without it)."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


@cache
def err() -> Console:
    """The stderr console; messages stay one line, whatever the width."""
    return Console(stderr=True, soft_wrap=True)


def say(markup: str, *plain: object) -> None:
    """Print ``markup`` with each of ``plain`` escaped into its ``{}`` slots."""
    err().print(markup.format(*(escape(str(p)) for p in plain)))


def progress(quiet: bool) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err(), disable=quiet)


def print_summary(summary, output: Path) -> None:
    """The batch's counts by status, its failures, frequent rules and fields left for an LLM."""
    table = Table(title=f"nianbao extract → {escape(str(output))}")
    for col in ("status", "documents"):
        table.add_column(col)
    for status in ("ok", "needs_review", "failed"):
        table.add_row(status, str(summary.statuses.get(status, 0)))
    if summary.reemitted:
        table.add_row("of which from the store", str(summary.reemitted))
    if summary.already_written:
        table.add_row(f"already in {escape(output.name)} (not written again)", str(summary.already_written))
    console = err()
    console.print(table)
    for path, error in summary.failures:
        say("[red]failed[/red] {}: {}", path, error)
    if summary.failed > len(summary.failures):
        say("… and {} more failed (see `error` in {})", summary.failed - len(summary.failures), output)
    if summary.rules:
        console.print("most frequent rules: " + ", ".join(f"{escape(k)} ({v})" for k, v in summary.rules.most_common(6))
                      + " — `nianbao schema` explains each")
    if summary.used_llm:
        console.print(summary.llm_totals())
    if summary.needs_llm:
        console.print(f"fields left for an LLM: {', '.join(f'{escape(k)} ({v})' for k, v in summary.needs_llm.most_common(8))}")
