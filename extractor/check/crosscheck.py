"""Cross-checks: the summary against the tables, and figures stated in prose against the tables.

``SUMMARY_CELLS`` says which table cells each summary figure restates; the prose patterns are keyed
by the same summary fields, so both checks compare against the same cells. Prose often states a
subset (one office's requests, one kind of case), so a prose mismatch is only a warning."""
from __future__ import annotations

import re
from functools import cache

from schemas import Check, Record, get_path
from schemas.phrasings import PROSE_PATTERNS
from schemas.template import SUMMARY_CELLS, SUMMARY_FIELDS, table_fields

from schemas.grammar import format_number, nfkc, parse_number, same_number

CONSISTENCY = "summary.consistency"
NARRATIVE = "narrative.mismatch"



@cache
def cell_labels() -> dict[str, str]:
    return {f.path: f.label for f in table_fields()}


@cache
def summary_labels() -> dict[str, str]:
    return {f.key: f.text for f in SUMMARY_FIELDS}


def table_sum(record: Record, cells: tuple[str, ...]) -> float | None:
    """The sum of ``cells``, or None when any of them is null."""
    values = [get_path(record, c) for c in cells]
    return None if any(v is None for v in values) else float(sum(values))


def describe_cells(cells: tuple[str, ...]) -> str:
    return " + ".join(cell_labels().get(c, c) for c in cells)


def consistency_check(record: Record, field: str, cells: tuple[str, ...]) -> Check | None:
    stated = getattr(record.summary, field)
    table = table_sum(record, cells)
    if stated is None or table is None or same_number(stated, table):
        return None
    return Check(rule=CONSISTENCY, severity="error", cells=[f"summary.{field}", *cells],
                 left=stated, right=table,
                 message=(f"summary.{field} ({summary_labels()[field]}) = {format_number(stated)} "
                          f"but {describe_cells(cells)} = {format_number(table)}"))


def check_summary(record: Record) -> list[Check]:
    """Errors where a summary figure disagrees with the table cells it restates."""
    found = (consistency_check(record, f, cells) for f, cells in SUMMARY_CELLS.items())
    return [c for c in found if c is not None]


def prose_lines(text: str) -> list[str]:
    """Lines of running text: table rows (TAB-separated, or markdown pipes) are left out."""
    return [line for line in text.splitlines() if "\t" not in line and line.count("|") < 2]


def stated_figures(lines: list[str],
                   patterns: tuple[re.Pattern[str], ...]) -> list[tuple[float, str]]:
    """``(number, matched phrase)`` for every place one of ``patterns`` matches a line of the
    prose, by line, then pattern, then place. ``patterns`` are line-local (``schemas.phrasings``)."""
    matches = _matches_in_joined(lines, patterns)
    if matches is None:
        matches = [m for line in lines for pattern in patterns for m in pattern.finditer(line)]
    return [(n, m.group(0)) for m in matches if (n := parse_number(m.group(1))) is not None]


def _matches_in_joined(lines: list[str], patterns: tuple[re.Pattern[str], ...]) -> list[re.Match] | None:
    """The matches of ``patterns`` line by line, found by one search of the joined lines per
    pattern (a report has a hundred prose lines and a few matches; offsets are in the joined
    lines). A line-local pattern matches a line exactly where it matches the joined lines unless
    one of those matches runs over a line break: then None, and the lines are searched one by one."""
    prose = "\n".join(lines)  # already NFKC-folded by check_narrative
    found = [(k, m) for k, pattern in enumerate(patterns) for m in pattern.finditer(prose)]
    if any("\n" in m.group() for _, m in found):
        return None
    found.sort(key=lambda km: (prose.count("\n", 0, km[1].start()), km[0], km[1].start()))
    return [m for _, m in found]


def narrative_check(record: Record, lines: list[str], field: str) -> Check | None:
    cells = SUMMARY_CELLS[field]
    table = table_sum(record, cells)
    stated = stated_figures(lines, PROSE_PATTERNS[field]) if table is not None else []
    if not stated or any(same_number(n, table) for n, _ in stated):
        return None
    number, phrase = stated[0]
    return Check(rule=NARRATIVE, severity="warning", cells=list(cells), left=number, right=table,
                 message=(f"正文“{phrase}” = {format_number(number)} but "
                          f"{describe_cells(cells)} = {format_number(table)}"))


def check_narrative(record: Record, text: str) -> list[Check]:
    """Warnings where no figure the prose states matches the table (prose may state a subset)."""
    lines = nfkc("\n".join(prose_lines(text))).split("\n")  # fold once
    found = (narrative_check(record, lines, field) for field in PROSE_PATTERNS)
    return [c for c in found if c is not None]
