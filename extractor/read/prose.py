"""Prose figures read deterministically: the summary fields no table gives (主动公开信息总数,
信息处理费, 人大代表建议, 政协提案), from the phrasings declared in ``schemas.phrasings``.

Each value keeps the span of the figure it was read from (or of the phrase that states zero). A
field stated with two different figures is left null with ``reader.prose_conflict``; an approximate
figure (约/余/多 …) is left null with ``reader.approximate``. Whatever stays null remains in
``needs_llm``."""
from __future__ import annotations

from schemas import Check, Record, Span
from schemas.grammar import nfkc
from schemas.phrasings import APPROXIMATE_WORDS, CELL_PHRASINGS, CUMULATIVE_REACH, CUMULATIVE_WORDS, PROSE_FIGURES

MAX_CHARS = 400_000  # prose figures sit in the report's text, not in megabytes of filler


def prose_figures(text: str) -> tuple[dict[str, tuple[float, Span]], list[Check]]:
    """``field → (value, span)`` for every prose figure the text decides, and the notes."""
    text = text[:MAX_CHARS]
    found: dict[str, tuple[float, Span]] = {}
    notes: list[Check] = []
    for field, patterns in PROSE_FIGURES.items():
        readings, approximate = {}, False
        for pattern in patterns:
            for m in pattern.finditer(text):
                has_figure = "n" in pattern.groupindex and m.group("n") is not None
                if _cumulative(text, m.start(), m.start("n") if has_figure else m.end()):
                    continue
                if has_figure:
                    if any(w in text[max(0, m.start("n") - 2):m.end("n") + 2] for w in APPROXIMATE_WORDS):
                        approximate = True
                        continue
                    value = float(m.group("n").replace(",", ""))
                    span = Span(start=m.start("n"), end=m.end("n"), text=m.group("n"))
                else:
                    value, span = 0.0, Span(start=m.start(), end=m.end(), text=m.group())
                readings.setdefault(value, span)
        if len(readings) == 1:
            found[field] = next(iter(readings.items()))
        elif len(readings) > 1:
            shown = ", ".join(f"{v:g}" for v in readings)
            notes.append(Check(rule="reader.prose_conflict", cells=[f"summary.{field}"],
                               message=f"the prose states summary.{field} as {shown}; left null"))
        elif approximate:
            notes.append(Check(rule="reader.approximate", cells=[f"summary.{field}"],
                               message=f"the prose gives summary.{field} only approximately; left null"))
    return found, notes


def stated_cells(text: str) -> dict[str, dict[int, str]]:
    """``path → {value: phrase}`` for the table cells the prose states exactly (``CELL_PHRASINGS``);
    the reader uses them only to choose among the splits of a run-together row."""
    text = nfkc(text[:MAX_CHARS])
    out: dict[str, dict[int, str]] = {}
    for path, patterns in CELL_PHRASINGS.items():
        for pattern in patterns:
            for m in pattern.finditer(text):
                near = text[max(0, m.start("n") - 2):m.end("n") + 2]
                if "." in m.group("n") or any(w in near for w in APPROXIMATE_WORDS) or \
                        _cumulative(text, m.start(), m.start("n")):
                    continue
                out.setdefault(path, {}).setdefault(int(m.group("n").replace(",", "")), m.group())
    return out


def _cumulative(text: str, start: int, figure: int) -> bool:
    """The phrase counts all years: a cumulative word just before it, or inside it before the figure."""
    clause = text[max(0, start - CUMULATIVE_REACH):max(figure, start)]
    clause = clause[max(clause.rfind(c) for c in "。；;\n") + 1:]
    return any(w in clause for w in CUMULATIVE_WORDS)


def with_prose_figures(record: Record, text: str) -> Record:
    """The record with the prose figures it still lacks filled in (and their evidence)."""
    found, notes = prose_figures(text)
    summary = record.summary.model_dump()
    evidence = dict(record.evidence)
    filled = []
    for field, (value, span) in found.items():
        if summary.get(field) is None:
            summary[field] = value if field == "fee_collected_yuan" else int(value)
            evidence[f"summary.{field}"] = span
            filled.append(f"summary.{field}")
    needs = [p for p in record.needs_llm if p not in filled]
    return record.model_copy(update={"summary": record.summary.model_validate(summary), "evidence": evidence,
                                     "needs_llm": needs, "checks": list(record.checks) + notes})
