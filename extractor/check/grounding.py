"""Grounding: a value with evidence must be what its span of the normalized text says.

``record.evidence[path]`` is a :class:`schemas.Span`. Its ``text`` must be ``text[start:end]`` of
the document, and it must state the field's value: numbers are compared after folding full-width
digits, thousands separators and spaces (582.1 matches "582.10"); a 0 may be grounded by a
blank-cell marker ("", "—", "-", "/", "无") or, in prose, by a negation with no number
("未收到申请")."""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from schemas import Check, Record, Span, get_path

from extractor.check.arithmetic import table_of
from schemas.grammar import figures_in, fold_text, format_number, numbers_in, same_number, states_zero
from extractor.check.values import TableCells, table_cells, table_values

GROUNDED = "evidence.grounded"
MISSING = "evidence.missing"

# Fields a report may print in another unit: the span may state value × factor.
UNIT_FACTORS: dict[str, tuple[float, ...]] = {
    "summary.fee_collected_yuan": (1.0, 1e-4),  # 元, or 万元
}


def span_in_text(span: Span, text: str) -> bool:
    """True when the span's offsets are inside ``text`` and cover exactly ``span.text``."""
    return 0 <= span.start <= span.end <= len(text) and text[span.start:span.end] == span.text


def states_value(span_text: str, value: object, path: str) -> bool:
    """True when ``span_text`` states ``value`` (the value of the field at ``path``)."""
    if isinstance(value, bool) or value is None:
        return True  # nothing a span could contradict
    if isinstance(value, str):
        return fold_text(value) in fold_text(span_text)
    if not isinstance(value, (int, float)):
        return True
    return _states_number(span_text, value, path)


@lru_cache(maxsize=65536)
def _states_number(span_text: str, value: float, path: str) -> bool:
    """Cached: a report's spans are mostly the same few cells ("0", "1") stating the same values."""
    if value == 0 and states_zero(span_text):
        return True
    targets = [value * f for f in UNIT_FACTORS.get(path, (1.0,))]
    stated = numbers_in(span_text) if path == "year" else figures_in(span_text)
    return any(same_number(n, t) for n in stated for t in targets)


def numeric(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def wrong_span_check(path: str, span: Span, value: object, text: str) -> Check:
    found = text[span.start:span.end] if span.start <= span.end <= len(text) else "(out of range)"
    return Check(rule=GROUNDED, severity="error", cells=[path], left=numeric(value),
                 message=(f"{path}: evidence [{span.start}:{span.end}] says {span.text!r} "
                          f"but the text there reads {found!r}"))


def ungrounded_check(path: str, span: Span, value: object) -> Check:
    stated = numbers_in(span.text)
    shown = format_number(value) if numeric(value) is not None else repr(value)
    return Check(rule=GROUNDED, severity="error", cells=[path], left=numeric(value),
                 right=stated[0] if stated else None,
                 message=f"{path} = {shown} is not stated in its evidence {span.text!r}")


def check_span(record: Record | dict, path: str, span: Span, text: str | None,
               known: dict[str, object] | None = None) -> Check | None:
    value = known[path] if known is not None and path in known else get_path(record, path)
    if value is None:
        return None
    if text is not None and not span_in_text(span, text):
        return wrong_span_check(path, span, value, text)
    if not states_value(span.text, value, path):
        return ungrounded_check(path, span, value)
    return None


def check_evidence(record: Record, text: str | None, cells: TableCells | None = None) -> list[Check]:
    """Errors for evidence spans that are not in the text or do not state their field's value
    (``cells``: ``table_cells(record)`` when the caller has it already; a null cell's span has
    nothing to contradict)."""
    data = record.model_dump(exclude={"evidence", "checks", "proactive", "requests", "appeals"})
    known = table_cells(record) if cells is None else cells
    return [c for path, span in record.evidence.items()
            if (c := check_span(data, path, span, text, known)) is not None]


def missing_by_table(paths: Iterable[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in paths:
        out.setdefault(table_of(path), []).append(path)
    return out


def check_missing_evidence(record: Record, cells: TableCells | None = None) -> list[Check]:
    """One warning per table listing its non-null values that have no evidence span."""
    missing = (path for path, _, _ in table_values(record, cells) if path not in record.evidence)
    return [
        Check(rule=MISSING, severity="warning", cells=paths,
              message=f"{table}: {len(paths)} value(s) have no evidence span")
        for table, paths in missing_by_table(missing).items()
    ]
