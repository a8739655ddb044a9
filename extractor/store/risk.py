"""How urgently a record needs a human, as a rank the review queue sorts on (lower = first)."""
from __future__ import annotations

from schemas import Record, get_path
from schemas.rules import rule
from schemas.template import table_fields

ERROR, DISAGREEMENT, MISSING, OK = 0, 1, 2, 3
RISK_LABELS = {ERROR: "error", DISAGREEMENT: "disagreement", MISSING: "missing", OK: "ok"}
DISAGREEMENT_RULE = rule("llm.disagreement").name


def risk_of(record: Record) -> int:
    """Failed records and error checks first, then LLM/reader disagreements (``llm.disagreement``,
    an error too, but the reader's value is usually right), then records with missing (null)
    values or warnings, then clean records."""
    checks = record.checks
    disagreements = [c for c in checks if c.rule == DISAGREEMENT_RULE]
    if record.status == "failed" or any(c.severity == "error" and c not in disagreements for c in checks):
        return ERROR
    if disagreements:
        return DISAGREEMENT
    if record.needs_llm or checks or record.template == "unknown" or has_null_cells(record):
        return MISSING
    return OK


def has_null_cells(record: Record) -> bool:
    """A null cell inside a table the record has (a table that is entirely null is not a gap)."""
    data = record.model_dump()
    for field in table_fields():
        table = field.path.split(".", 1)[0]
        if data.get(table) is not None and get_path(data, field.path) is None:
            row = field.path.rsplit(".", 1)[0]
            if get_path(data, row) is not None:
                return True
    return False
