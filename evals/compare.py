"""Comparing a candidate run with a baseline run: every metric side by side, every field that
changed, and whether the candidate is worse by more than the tolerance (the CI gate).

Both runs are re-aggregated on the cases both of them scored, so a case that is missing in one
environment (the external PDFs) does not count as a regression."""
from __future__ import annotations

from dataclasses import dataclass, field

from evals.score import aggregate, metric_direction


@dataclass(frozen=True)
class MetricRow:
    name: str
    baseline: float | None
    candidate: float | None
    direction: int | None  # +1 higher is better, -1 lower is better, None informational

    @property
    def delta(self) -> float | None:
        if self.baseline is None or self.candidate is None:
            return None
        return round(self.candidate - self.baseline, 6)

    def worse_by(self) -> float:
        """How much worse the candidate is (0 when it is not, or when the metric is not gated)."""
        if self.direction is None:
            return 0.0
        if self.candidate is None and self.baseline is not None:
            return float("inf")  # the metric disappeared: nothing left to measure
        if self.delta is None:
            return 0.0
        return max(0.0, -self.delta * self.direction)


@dataclass(frozen=True)
class FieldChange:
    case: str
    path: str
    gold: object
    baseline: object
    candidate: object


@dataclass
class Comparison:
    rows: list[MetricRow]
    regressions: list[MetricRow]
    broke: list[FieldChange]  # right → wrong
    fixed: list[FieldChange]  # wrong → right
    only_baseline: list[str] = field(default_factory=list)
    only_candidate: list[str] = field(default_factory=list)
    tolerance: float = 0.0

    @property
    def worse(self) -> bool:
        return bool(self.regressions)


def scored(run: dict) -> dict[str, dict]:
    return {k: d for k, d in run["documents"].items() if not d.get("skipped")}


def field_changes(case: str, base: dict, cand: dict) -> tuple[list[FieldChange], list[FieldChange]]:
    bw, cw = base.get("wrong", {}), cand.get("wrong", {})
    broke = [FieldChange(case, p, w["gold"], w["gold"], w["pred"]) for p, w in cw.items() if p not in bw]
    # a field right in the candidate and wrong in the baseline: its candidate value is the gold
    fixed = [FieldChange(case, p, w["gold"], w["pred"], w["gold"]) for p, w in bw.items() if p not in cw]
    for p in set(bw) & set(cw):
        if bw[p]["pred"] != cw[p]["pred"]:  # still wrong, but differently: report as a change
            broke.append(FieldChange(case, p, cw[p]["gold"], bw[p]["pred"], cw[p]["pred"]))
    return broke, fixed


def compare_runs(baseline: dict, candidate: dict, tolerance: float = 0.0) -> Comparison:
    """The candidate against the baseline on the cases both scored."""
    base_docs, cand_docs = scored(baseline), scored(candidate)
    common = [k for k in cand_docs if k in base_docs]
    b_metrics = aggregate({k: base_docs[k] for k in common})
    c_metrics = aggregate({k: cand_docs[k] for k in common})
    rows = [MetricRow(name, b_metrics.get(name), c_metrics.get(name), metric_direction(name))
            for name in ordered_names(b_metrics, c_metrics)]
    regressions = [r for r in rows if r.worse_by() > tolerance + 1e-9]
    broke: list[FieldChange] = []
    fixed: list[FieldChange] = []
    for case in common:
        b, f = field_changes(case, base_docs[case], cand_docs[case])
        broke += b
        fixed += f
    return Comparison(rows, regressions, broke, fixed,
                      only_baseline=sorted(set(base_docs) - set(cand_docs)),
                      only_candidate=sorted(set(cand_docs) - set(base_docs)),
                      tolerance=tolerance)


def ordered_names(first: dict, second: dict) -> list[str]:
    names = list(first)
    names += [n for n in second if n not in first]
    return names
