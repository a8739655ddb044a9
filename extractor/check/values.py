"""Plausibility of single table values: counts are non-negative whole numbers
(``proactive.fees``, in 万元, is the one decimal field: ``schemas.template.DECIMAL_FIELDS``)."""
from __future__ import annotations

from schemas import Check, Record
from schemas.template import table_fields

from schemas.grammar import format_number

NON_NEGATIVE = "values.non_negative"
INTEGER = "values.integer"


TableCells = dict[str, float | None]  # every table cell's path → its value (None: null)


def table_cells(record: Record) -> TableCells:
    """Every table cell of the record by path, None where it is null (or its row or table is):
    one dump, flattened once, for the checks that walk every cell."""
    flat: dict[str, object] = {}
    _flatten(record.model_dump(include={"proactive", "requests", "appeals"}), "", flat)
    return {field.path: flat.get(field.path) for field in table_fields()}


def _flatten(data: dict, prefix: str, out: dict[str, object]) -> None:
    for key, value in data.items():
        if isinstance(value, dict):
            _flatten(value, f"{prefix}{key}.", out)
        else:
            out[prefix + key] = value


def table_values(record: Record, cells: TableCells | None = None) -> list[tuple[str, bool, float]]:
    """``(path, is_decimal, value)`` for every non-null table cell of the record (``cells``:
    ``table_cells(record)`` when the caller has it already)."""
    cells = table_cells(record) if cells is None else cells
    return [(field.path, field.decimal, cells[field.path]) for field in table_fields()
            if cells[field.path] is not None]


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


def check_values(record: Record, cells: TableCells | None = None) -> list[Check]:
    """Errors for negative values and for fractional counts."""
    return [c for path, decimal, value in table_values(record, cells)
            for c in value_checks(path, decimal, value)]
