"""The checker, measured on the gold: recall on planted errors and false flags on clean documents.

For every gold record the checker finds consistent (no error), each :data:`MUTATIONS` entry plants
one error of a known kind into a copy of the record (or its text) and we look for a check of the
expected rule naming the planted cell. A gold the checker flags although it declares no source error
is a false flag. Rules the checker emitted that no mutation plants are listed as ``unplanted`` so a
new rule cannot hide from the recall figure."""
from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from schemas import Record, Span

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plant:
    """A mutated record (and text) and the cell the checker must name under ``rule``."""

    record: Record
    text: str | None
    cell: str


@dataclass(frozen=True)
class Mutation:
    rule: str
    description: str
    plant: Callable[[Record, str | None], Plant | None]  # None: not applicable to this record


def set_cell(record: Record, path: str, value) -> Record:
    """A deep copy of ``record`` with ``path`` set (no validation: a planted value may be one the
    record type would refuse, e.g. a fraction in a count)."""
    copy = record.model_copy(deep=True)
    *parents, last = path.split(".")
    obj = copy
    for part in parents:
        obj = getattr(obj, part, None)
        if obj is None:
            return copy
    object.__setattr__(obj, last, value)
    return copy


def cell(record: Record, path: str):
    return record.get(path)


def shift(record: Record, text: str | None, paths: tuple[str, ...], delta: float,
          target: str) -> Plant | None:
    if any(cell(record, p) is None for p in paths):
        return None
    out = record
    for p in paths:
        out = set_cell(out, p, cell(record, p) + delta)
    return Plant(out, text, target)


def plant_balance(r: Record, t: str | None) -> Plant | None:
    # 结转下年 grows in one column and its 总计: 一+二 = 七+四 breaks, the row still adds up
    return shift(r, t, ("requests.carried_forward.natural_person", "requests.carried_forward.total"),
                 1, "requests.carried_forward.natural_person")


def plant_result_sum(r: Record, t: str | None) -> Plant | None:
    # 予以公开 grows in one column and its 总计, （七）总计 does not
    return shift(r, t, ("requests.granted.natural_person", "requests.granted.total"), 1,
                 "requests.granted.natural_person")


def plant_row_sum(r: Record, t: str | None) -> Plant | None:
    return shift(r, t, ("requests.denied_third_party.total",), 2, "requests.denied_third_party.total")


def plant_group_sum(r: Record, t: str | None) -> Plant | None:
    return shift(r, t, ("appeals.review.upheld",), 1, "appeals.review.upheld")


def plant_negative(r: Record, t: str | None) -> Plant | None:
    path = "appeals.litigation_direct.pending"
    return Plant(set_cell(r, path, -1), t, path) if cell(r, path) is not None else None


def plant_fraction(r: Record, t: str | None) -> Plant | None:
    path = "requests.new.natural_person"
    value = cell(r, path)
    return Plant(set_cell(r, path, value + 0.5), t, path) if value is not None else None


def plant_unverifiable(r: Record, t: str | None) -> Plant | None:
    path = "requests.granted.commercial"
    return Plant(set_cell(r, path, None), t, path) if cell(r, path) is not None else None


def plant_incomplete(r: Record, t: str | None) -> Plant | None:
    # a whole 表四 group unread: the record is not complete
    paths = tuple(f"appeals.review.{c}" for c in ("upheld", "corrected", "other", "pending", "total"))
    if r.appeals is None:
        return None
    out = r
    for p in paths:
        out = set_cell(out, p, None)
    return Plant(out, t, paths[0])


def plant_summary(r: Record, t: str | None) -> Plant | None:
    stated = r.summary.requests_received
    if stated is None or cell(r, "requests.new.total") is None:
        return None
    return Plant(set_cell(r, "summary.requests_received", stated + 3), t, "summary.requests_received")


def plant_grounding(r: Record, t: str | None) -> Plant | None:
    path = "requests.new.total"
    value = cell(r, path)
    if value is None:
        return None
    wrong = str(int(value) + 7)
    copy = r.model_copy(deep=True)
    copy.evidence = {**copy.evidence, path: Span(start=0, end=len(wrong), text=wrong)}
    return Plant(copy, t, path)


def plant_missing_evidence(r: Record, t: str | None) -> Plant | None:
    path = "requests.new.total"
    if cell(r, path) is None:
        return None
    copy = r.model_copy(deep=True)
    copy.evidence = {k: v for k, v in copy.evidence.items() if k != path}
    return Plant(copy, t, path)


def plant_narrative(r: Record, t: str | None) -> Plant | None:
    # the table grows by 5 while the prose (its own statements plus one added line) keeps the old
    # figure, so no figure stated in the prose matches the table any more
    value = cell(r, "requests.new.total")
    if value is None or t is None:
        return None
    shifted = shift(r, t, ("requests.new.natural_person", "requests.new.total"), 5,
                    "requests.new.total")
    if shifted is None:
        return None
    line = f"\n本年度共收到政府信息公开申请{int(value)}件。\n"
    return Plant(shifted.record, t + line, "requests.new.total")


MUTATIONS: tuple[Mutation, ...] = (
    Mutation("requests.balance", "结转下年度 +1 in one column and its total", plant_balance),
    Mutation("requests.result_sum", "予以公开 +1 in one column and its total", plant_result_sum),
    Mutation("requests.row_sum", "保护第三方 总计 +2", plant_row_sum),
    Mutation("appeals.group_sum", "行政复议 结果维持 +1", plant_group_sum),
    Mutation("values.non_negative", "a count set to -1", plant_negative),
    Mutation("values.integer", "a count set to a fraction", plant_fraction),
    Mutation("arithmetic.unverifiable", "a cell of a present row set to null", plant_unverifiable),
    Mutation("reader.incomplete", "the 行政复议 group of 表四 left unread", plant_incomplete),
    Mutation("summary.consistency", "summary.requests_received +3", plant_summary),
    Mutation("evidence.grounded", "evidence span that does not state the value", plant_grounding),
    Mutation("evidence.missing", "a value without evidence", plant_missing_evidence),
    Mutation("narrative.mismatch", "新收申请 +5 in the table, the prose keeps the old figure",
             plant_narrative),
)
PLANTED_RULES = frozenset(m.rule for m in MUTATIONS)


def load_checker():
    """``check_record`` of the checker, or None when this build has none."""
    try:
        from extractor.check import check_record
    except ImportError:
        return None
    return check_record


def fires(checks, rule: str, target: str) -> bool:
    return any(c.rule == rule and (not c.cells or target in c.cells) for c in checks)


def run_checker(check_record, record: Record, text: str | None) -> list:
    try:
        with warnings.catch_warnings():  # a planted fraction in a count field: pydantic says so
            warnings.filterwarnings("ignore", message="Pydantic serializer warnings")
            return list(check_record(record, text))
    except Exception:  # noqa: BLE001 - a checker crash is a finding, not an eval crash
        log.exception("checker crashed")
        return []


def checker_scores(gold: Record, text: str | None, declared_errors: bool) -> dict | None:
    """Planted-error recall and false flags of the checker on one gold record (None when there is
    no checker). ``declared_errors``: the gold declares source errors (not a clean document)."""
    check_record = load_checker()
    if check_record is None:
        return None
    base = run_checker(check_record, gold, text)
    errors = sorted({c.rule for c in base if c.severity == "error"})
    out = {"clean": not declared_errors, "false_flags": [] if declared_errors else errors,
           "rules_seen": sorted({c.rule for c in base}), "planted": {}, "missed": []}
    if errors:
        return out  # plant only into documents the checker finds consistent
    for mutation in MUTATIONS:
        plant = mutation.plant(gold, text)
        if plant is None:
            continue
        checks = run_checker(check_record, plant.record, plant.text)
        hit = fires(checks, mutation.rule, plant.cell)
        out["planted"][mutation.rule] = [int(hit), 1]
        out["rules_seen"] = sorted(set(out["rules_seen"]) | {c.rule for c in checks})
        if not hit:
            out["missed"].append(mutation.rule)
    return out
