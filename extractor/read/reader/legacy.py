"""Pre-2019 statistics sheets (统计表): indicators kept as printed, mapped to summary fields."""
from __future__ import annotations

from extractor.locate.labels import normalize_label
from extractor.read.reader.rows import LabelledRow
from schemas import Record, Span, Summary
from schemas.grammar import UNITS, parse_number
from schemas.legacy import LEGACY_SUMMARY_MAP, LegacyIndicator


def with_legacy(record: Record, rows: list[LabelledRow]) -> Record:
    """The record with the sheet's indicators and the summary fields they state."""
    indicators, spans = [], {}
    summary = record.summary.model_dump()
    evidence = dict(record.evidence)
    for r in rows:
        labels = [c for c in r.labels if c.text.strip()]
        values = r.filled
        if not labels or len(values) != 1 or parse_number(values[0].text) is None:
            continue
        unit = labels[-1].text.strip() if labels[-1].text.strip() in UNITS else None
        name_cells = labels[:-1] if unit else labels
        if not name_cells:
            continue
        name = normalize_label("".join(c.text for c in name_cells))
        indicators.append(LegacyIndicator(name=name, unit=unit, value=parse_number(values[0].text)))
        spans.setdefault(name, values[0])
    for field_name, keywords in LEGACY_SUMMARY_MAP.items():
        found = legacy_match(indicators, keywords)
        if found is not None and summary.get(field_name) is None:
            hit = indicators[found]
            summary[field_name] = int(hit.value) if hit.value == int(hit.value) else hit.value
            cell = spans[hit.name]
            evidence[f"summary.{field_name}"] = Span(start=cell.start, end=cell.end, text=cell.text)
    needs = [p for p in record.needs_llm
             if not (p.startswith("summary.") and summary.get(p[8:]) is not None)]
    return record.model_copy(update={"legacy_indicators": indicators or None,
                                     "summary": Summary(**summary), "evidence": evidence,
                                     "needs_llm": needs})


def legacy_match(indicators: list[LegacyIndicator], keywords: tuple[str, ...]) -> int | None:
    """Index of the indicator named by the earliest keyword (synonyms, most specific first)."""
    names = [normalize_label(i.name) if i.value is not None else None for i in indicators]
    for keyword in keywords:
        key = normalize_label(keyword)
        hit = next((n for n, name in enumerate(names) if name is not None and key in name), None)
        if hit is not None:
            return hit
    return None
