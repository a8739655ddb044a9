"""Scoring a predicted record against its gold, and adding document scores up into metrics.

A document score keeps, per group (the three tables, ``summary``, ``metadata``), how many fields
were scored and how many were right, plus every wrong field with both values. Metrics are computed
from document scores only, so two runs can be compared on the cases both of them scored.

What is scored:

* table cells (``schemas.template.table_fields``): every cell of a table the gold has; of a table
  the gold has not (``null``), only the cells the prediction filled (each one is wrong);
* the seven ``summary`` fields, always;
* metadata: ``agency`` (the gold's ``agency_aliases`` also count), ``year``, ``template``.

Numbers are compared as numbers (``582.1 == 582.10``, ``3 == 3.0``); ``null`` equals only ``null``,
and ``null`` against ``0`` is counted separately as a null-vs-0 confusion."""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from schemas import get_path
from schemas.template import SUMMARY_FIELDS, table_fields

TABLES = ("proactive", "requests", "appeals")
METADATA = ("agency", "year", "template")
GROUPS = TABLES + ("summary", "metadata")
NUMBER_TOLERANCE = 1e-6

# kinds of a wrong field
WRONG, MISSED, SPURIOUS, NULL_VS_ZERO, MISSING_DOC = (
    "wrong", "missed", "spurious", "null_vs_zero", "missing_document")


def values_equal(gold: Any, pred: Any) -> bool:
    """``null`` only equals ``null``; numbers compare numerically; strings after trimming."""
    if gold is None or pred is None:
        return gold is None and pred is None
    if isinstance(gold, bool) or isinstance(pred, bool):
        return gold == pred
    if isinstance(gold, (int, float)) and isinstance(pred, (int, float)):
        return math.isclose(float(gold), float(pred), rel_tol=0.0, abs_tol=NUMBER_TOLERANCE)
    return normalize_text(str(gold)) == normalize_text(str(pred))


def normalize_text(text: str) -> str:
    return re.sub(r"\s+", "", text)


def is_zero(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0


def wrong_kind(gold: Any, pred: Any) -> str:
    if (gold is None and is_zero(pred)) or (pred is None and is_zero(gold)):
        return NULL_VS_ZERO
    if pred is None:
        return MISSED
    if gold is None:
        return SPURIOUS
    return WRONG


def agency_matches(gold: dict, pred: Any) -> bool:
    names = [gold.get("agency"), *(gold.get("agency_aliases") or ())]
    if gold.get("agency") is None:
        return pred is None
    return pred is not None and any(n is not None and values_equal(n, pred) for n in names)


def scored_fields(gold: dict, pred: dict | None) -> Iterable[tuple[str, str]]:
    """``(group, path)`` of every field scored for this gold/prediction pair."""
    for info in table_fields():
        table = info.path.split(".", 1)[0]
        if gold.get(table) is not None:
            yield table, info.path
        elif pred is not None and get_path(pred, info.path) is not None:
            yield table, info.path
    for label in SUMMARY_FIELDS:
        yield "summary", f"summary.{label.key}"
    for key in METADATA:
        yield "metadata", key


def score_document(gold: dict, pred: dict | None) -> dict:
    """The score of one predicted record (a plain dict, ``None`` when the document has no
    prediction) against its gold."""
    counts = {g: [0, 0] for g in GROUPS}
    wrong: dict[str, dict] = {}
    for group, path in scored_fields(gold, pred):
        expected = get_path(gold, path)
        got = None if pred is None else get_path(pred, path)
        ok = pred is not None and (agency_matches(gold, got) if path == "agency"
                                   else values_equal(expected, got))
        counts[group][1] += 1
        if ok:
            counts[group][0] += 1
        else:
            kind = MISSING_DOC if pred is None else wrong_kind(expected, got)
            wrong[path] = {"gold": expected, "pred": got, "kind": kind}
    return {
        "counts": counts,
        "exact": pred is not None and not wrong,
        "null_vs_zero": sum(w["kind"] == NULL_VS_ZERO for w in wrong.values()),
        # a value given that differs from gold (as opposed to a gap: null where gold has one)
        "wrong_values": sum(w["pred"] is not None and not path.startswith(METADATA)
                            for path, w in wrong.items()),
        "wrong": wrong,
    }


def ratio(num: float, den: float) -> float | None:
    return round(num / den, 6) if den else None


def sum_counts(docs: Iterable[dict], groups: Iterable[str]) -> tuple[int, int]:
    right = total = 0
    for doc in docs:
        for g in groups:
            c, t = doc["counts"].get(g, (0, 0))
            right, total = right + c, total + t
    return right, total


def cell_metrics(docs: dict[str, dict]) -> dict[str, float | None]:
    """Cell accuracy overall, per table, per gold template and per layout."""
    out: dict[str, float | None] = {"cells.accuracy": ratio(*sum_counts(docs.values(), TABLES))}
    for table in TABLES:
        out[f"cells.table.{table}"] = ratio(*sum_counts(docs.values(), (table,)))
    for key in ("template", "layout"):
        for value in sorted({d[key] for d in docs.values()}):
            subset = [d for d in docs.values() if d[key] == value]
            right, total = sum_counts(subset, TABLES)
            if total:
                out[f"cells.{key}.{value}"] = ratio(right, total)
    return out


def metadata_metrics(docs: dict[str, dict]) -> dict[str, float | None]:
    out = {"metadata.accuracy": ratio(*sum_counts(docs.values(), ("metadata",)))}
    for key in METADATA:
        right = sum(key not in d["wrong"] for d in docs.values())
        out[f"metadata.{key}"] = ratio(right, len(docs))
    return out


def checker_metrics(docs: dict[str, dict]) -> dict[str, float | None]:
    """Checker recall on planted errors (overall and per rule) and false flags on clean golds."""
    fired: dict[str, list[int]] = {}
    clean = flagged = 0
    for doc in docs.values():
        checker = doc.get("checker") or {}
        for rule, (hits, planted) in (checker.get("planted") or {}).items():
            acc = fired.setdefault(rule, [0, 0])
            acc[0], acc[1] = acc[0] + hits, acc[1] + planted
        if checker.get("clean"):
            clean += 1
            flagged += bool(checker.get("false_flags"))
    out: dict[str, float | None] = {
        "checker.recall": ratio(sum(h for h, _ in fired.values()), sum(p for _, p in fired.values())),
        "checker.false_flag_rate": ratio(flagged, clean),
    }
    for rule in sorted(fired):
        out[f"checker.recall.{rule}"] = ratio(*fired[rule])
    return out


def usage_metrics(docs: dict[str, dict]) -> dict[str, float | None]:
    n = len(docs)
    return {
        "llm.calls_per_doc": ratio(sum(d.get("llm_calls", 0) for d in docs.values()), n),
        "llm.tokens_per_doc": ratio(sum(d.get("tokens", 0) for d in docs.values()), n),
        "llm.cache_hits_per_doc": ratio(sum(d.get("cache_hits", 0) for d in docs.values()), n),
        "time.seconds_per_doc": ratio(sum(d.get("seconds", 0.0) for d in docs.values()), n),
    }


def aggregate(docs: dict[str, dict]) -> dict[str, float | None]:
    """Every metric of a run, from its document scores."""
    scored = {k: d for k, d in docs.items() if not d.get("skipped")}
    n = len(scored)
    cells_right, cells_total = sum_counts(scored.values(), TABLES)
    nvz = sum(d["null_vs_zero"] for d in scored.values())
    metrics: dict[str, float | None] = {
        "documents": n,
        "documents.exact": ratio(sum(d["exact"] for d in scored.values()), n),
        "documents.failed": sum(d.get("status") == "failed" for d in scored.values()),
        "fields.scored": cells_total + sum_counts(scored.values(), ("summary", "metadata"))[1],
    }
    metrics.update(cell_metrics(scored))
    metrics["summary.accuracy"] = ratio(*sum_counts(scored.values(), ("summary",)))
    metrics.update(metadata_metrics(scored))
    metrics["null_vs_zero.count"] = nvz
    metrics["values.wrong"] = sum(d.get("wrong_values", 0) for d in scored.values())
    metrics["null_vs_zero.rate"] = ratio(nvz, cells_total + sum_counts(scored.values(), ("summary",))[1])
    metrics.update(checker_metrics(scored))
    metrics.update(usage_metrics(scored))
    return metrics


# How each metric moves when things get better; None: informational, never gated.
def metric_direction(name: str) -> int | None:
    if name.startswith(("llm.", "time.")) or name in ("documents", "fields.scored",
                                                          "null_vs_zero.count"):
        return None
    if name in ("null_vs_zero.rate", "checker.false_flag_rate", "documents.failed", "values.wrong"):
        return -1
    return 1
