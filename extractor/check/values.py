"""Plausibility of single table values: counts are non-negative whole numbers
(``proactive.fees``, in 万元, is the one decimal field: ``schemas.template.DECIMAL_FIELDS``)."""
from __future__ import annotations

from schemas import Check, Record, get_path
from schemas.template import table_fields

from schemas.grammar import format_number

NON_NEGATIVE = "values.non_negative"
INTEGER = "values.integer"


def table_values(record: Record) -> list[tuple[str, bool, float]]:
    """``(path, is_decimal, value)`` for every non-null table cell of the record."""
    data = record.model_dump(include={"proactive", "requests", "appeals"})  # one dump, dict lookups
    out = []
    for field in table_fields():
        value = get_path(data, field.path)
        if value is not None:
            out.append((field.path, field.decimal, value))
    return out


def value_checks(path: str, decimal: bool, value: float) -> list[Check]:
    checks = []
    if value < 0:
        checks.append(Check(rule=NON_NEGATIVE, severity="error", cells=[path], left=value, right=0,
                            message=f"{path} = {format_number(value)} is negative"))
    if not decimal and not float(value).is_integer():
        checks.append(Check(rule=INTEGER, severity="error", cells=[path], left=value,
                            right=round(value),
                            message=f"{path} = {format_number(value)} is not a whole number"))
    return checks


def check_values(record: Record, values: list[tuple[str, bool, float]] | None = None) -> list[Check]:
    """Errors for negative values and for fractional counts (``values``: ``table_values(record)``
    when the caller has it already)."""
    return [c for path, decimal, value in (values if values is not None else table_values(record))
            for c in value_checks(path, decimal, value)]
