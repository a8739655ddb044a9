"""What a review does to a record, independent of HTTP: extract an upload, apply a reviewer's
edits, re-run the checker, and lay the record's tables out like the national template
(labels and equations come from :mod:`schemas.template`, never restated here)."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from extractor.errors import NianbaoError
from extractor.settings import Settings
from extractor.store import Change
from schemas.rules import rules_of
from schemas import Check, Document, Record, Span, get_path, set_path
from schemas.template import (
    APPEAL_COLUMNS,
    APPEAL_GROUPS,
    APPLICANT_COLUMNS,
    PROACTIVE_DOC_COLUMNS,
    PROACTIVE_DOC_ROWS,
    PROACTIVE_SINGLE_ROWS,
    REQUEST_ROWS,
    SUMMARY_CELLS,
    SUMMARY_FIELDS,
    TABLES_BY_KEY,
    table_fields,
)


# checks made by a reader (not re-derivable by the checker) survive a re-check unless the reviewer
# touched one of their cells
READER_RULES = rules_of("reader") | rules_of("llm")
HUMAN_OVERRIDES = ("evidence.",)  # a value a reviewer typed need not match the extracted span


class InvalidEdit(NianbaoError):
    """A reviewer's change names an unknown field or a value of the wrong kind."""


def editable_fields() -> dict[str, str]:
    """Field path → kind (``int`` | ``decimal`` | ``text``) of everything a reviewer may change."""
    kinds = {f.path: ("decimal" if f.decimal else "int") for f in table_fields()}
    for label in SUMMARY_FIELDS:
        path = f"summary.{label.key}"
        kinds[path] = "decimal" if label.decimal else "int"
    kinds["agency"] = "text"
    kinds["year"] = "int"
    return kinds


MAX_INT = 10**12          # a count on the national form is below 10¹²
MAX_DECIMAL = Decimal(10**12)
LIMITS = {"agency": 200}  # characters
MAX_REASON = 2000
YEARS = (1990, 2100)


def _number_text(path: str, raw: Any) -> Decimal:
    """A submitted number as an exact Decimal (never through float); refuses NaN/Infinity."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        raise InvalidEdit(f"{path}: {raw!r} is not a number; send digits (leave the cell empty for null)")
    text = str(raw).strip().replace(",", "").replace("，", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise InvalidEdit(f"{path}: {raw!r} is not a number (leave the cell empty for null)") from None
    if not number.is_finite():
        raise InvalidEdit(f"{path}: {raw!r} is not a finite number; send digits such as 12 or 3.5")
    return number


def parse_value(path: str, raw: Any, kind: str) -> Any:
    """A submitted value as the record stores it; ``""``/None clears the field (null). Numbers are
    parsed exactly and must lie in the form's range: counts 0 ≤ n < 10¹², amounts ≥ 0, year
    1990–2100; agency at most 200 characters."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if kind == "text":
        text = str(raw).strip()
        limit = LIMITS.get(path, 2000)
        if len(text) > limit:
            raise InvalidEdit(f"{path}: at most {limit} characters allowed (got {len(text)})")
        return text
    number = _number_text(path, raw)
    if kind == "decimal":
        if not 0 <= number < MAX_DECIMAL:
            raise InvalidEdit(f"{path}: {raw!r} is out of range; amounts are ≥ 0 and below 10¹²")
        return float(number)
    if number != number.to_integral_value():
        raise InvalidEdit(f"{path}: {raw!r} must be a whole number")
    value = int(number)
    if path == "year":
        if not YEARS[0] <= value <= YEARS[1]:
            raise InvalidEdit(f"year: {raw!r} is out of range; a report year is {YEARS[0]}–{YEARS[1]}")
    elif not 0 <= value < MAX_INT:
        raise InvalidEdit(f"{path}: {raw!r} is out of range; counts are whole numbers 0 ≤ n < 10¹²")
    return value


def derived_summary(data: dict | Record) -> dict[str, Any]:
    """Summary path → the value its table cells (``SUMMARY_CELLS``) give, for the fields whose
    cells are all read; those fields follow the tables and are not edited by hand."""
    out = {}
    for key, cells in SUMMARY_CELLS.items():
        values = [get_path(data, c) for c in cells]
        if values and all(v is not None for v in values):
            out[f"summary.{key}"] = sum(values)
    return out


def apply_changes(record: Record, changes: dict[str, Any]) -> tuple[Record, list[Change]]:
    """A new record with ``changes`` (field path → value) applied, and the fields that changed.
    Summary figures restating table cells are re-derived from them (and listed as changed when
    they move). Evidence of a changed field is kept (it shows where the value was read) but
    marked ``human``."""
    kinds = editable_fields()
    data = record.model_dump()
    done: list[Change] = []
    parsed = {}
    for path, raw in changes.items():
        if path not in kinds:
            raise InvalidEdit(f"{path} is not an editable field (table cells, summary.*, agency, year)")
        parsed[path] = parse_value(path, raw, kinds[path])
    summaries = {f"summary.{k}" for k in SUMMARY_CELLS}
    for path, new in parsed.items():
        if path not in summaries:
            _set(data, path, new, done)
    touched = {c.field for c in done}
    derived = {p: v for p, v in derived_summary(data).items()
               if touched & set(SUMMARY_CELLS[p.split(".", 1)[1]]) or p in parsed}
    for path, new in parsed.items():
        if path in summaries and path not in derived:
            _set(data, path, new, done)
        elif path in derived and new != derived[path]:
            cells = " + ".join(SUMMARY_CELLS[path.split(".", 1)[1]])
            raise InvalidEdit(f"{path} is derived from the tables ({cells} = {derived[path]}); "
                              "correct those cells instead")
    for path, value in derived.items():
        _set(data, path, value, done)
    try:
        return Record.model_validate(data), done
    except ValidationError as exc:
        raise InvalidEdit(f"the edited record is not valid: {exc}") from exc


def _set(data: dict, path: str, new: Any, done: list[Change]) -> None:
    old = get_path(data, path)
    if old == new and type(old) is type(new):
        return
    set_path(data, path, new)
    done.append(Change(path, old, new))
    span = data["evidence"].get(path)
    if span is not None:
        span["method"] = "human"


class ApprovalRefused(NianbaoError):
    """A record that may not be approved as it stands (failed, or errors without an override)."""


def approval_override(record: Record, record_id: int, override_reason: str | None) -> tuple[str | None, list[dict]]:
    """Whether ``record`` may be approved: never when ``failed``; with error-level checks only
    with an override reason (the reviewer declares them the report's own source errors).
    Returns the reason to record and the overridden checks."""
    if record.status == "failed":
        raise ApprovalRefused(f"record {record_id} failed ({record.error or 'no data was read'}); a failed "
                              "record cannot be approved: fix or re-upload the document")
    errors = [{"rule": c.rule, "cells": list(c.cells), "message": c.message}
              for c in record.checks if c.severity == "error"]
    reason = (override_reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ApprovalRefused(f"override_reason: at most {MAX_REASON} characters allowed (got {len(reason)})")
    if errors and not reason:
        raise ApprovalRefused(
            f"record {record_id} still has {len(errors)} error-level check(s) "
            f"({', '.join(sorted({e['rule'] for e in errors}))}); correct the values, or approve with an "
            "override_reason saying why they are the report's own errors (kept in the audit log)")
    return (reason or None) if errors else None, errors


def recheck(record: Record, text: str | None, human_fields: set[str]) -> Record:
    """Re-run every check on an edited record; keep reader findings on untouched cells and drop
    grounding complaints about values a reviewer typed."""
    from extractor.check import check_record, status_for

    kept = [c for c in record.checks if c.rule in READER_RULES
            and not set(c.cells) & human_fields]
    fresh = [c for c in check_record(record, text)
             if not (c.rule.startswith(HUMAN_OVERRIDES) and c.cells and set(c.cells) <= human_fields)]
    checks = kept + fresh
    status = "failed" if record.status == "failed" and record.template == "unknown" else status_for(checks)
    return record.model_copy(update={"checks": checks, "status": status})


def live_check(record: Record) -> dict:
    """The table checks of an (unsaved) edited record, for the record page as the reviewer types."""
    from extractor.check import check_tables, equation_status

    checks = check_tables(record)
    equations = equation_status(record)
    return {
        "checks": [c.model_dump() for c in checks],
        "equations": equations,
        "violated_cells": violated_cells(equations, checks),
        "errors": sum(c.severity == "error" for c in checks),
        "derived": {p: _fmt(v) for p, v in derived_summary(record).items()},
    }


def violated_cells(equations: list[dict], checks: list[Check]) -> list[str]:
    cells = {c for eq in equations if eq.get("ok") is False for c in eq["cells"]}
    cells |= {c for chk in checks if chk.severity == "error" for c in chk.cells}
    return sorted(cells)


# -- extraction of an upload ------------------------------------------------------------------
def extract_upload(data: bytes, filename: str, settings: Settings, llm=None) -> tuple[Record, Document | None]:
    """Extract an uploaded file through the pipeline's guard (a bad file is a ``failed`` record)."""
    from extractor.pipeline import run

    outcome = run(Path(Path(filename or "upload").name or "upload"), settings, llm, data=data)
    return outcome.record, outcome.document


# -- layout of the tables ---------------------------------------------------------------------
def cell(record: Record, path: str, marks: dict[str, set[str]]) -> dict:
    value = get_path(record, path)
    span: Span | None = record.evidence.get(path)
    return {
        "path": path,
        "value": value,
        "display": "" if value is None else _fmt(value),
        "violated": path in marks["violated"],
        "corrected": path in marks["corrected"],
        "evidence": span.model_dump() if span else None,
    }


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value == int(value):
        return str(int(value)) if abs(value) < 1e15 else str(value)
    return str(value)


def proactive_layout(record: Record, marks) -> dict:
    """表二: the 规章/规范性文件 block, then one block per group of single-figure rows."""
    blocks = [{"columns": [c.text for c in PROACTIVE_DOC_COLUMNS],
               "rows": [{"label": r.text, "groups": [],
                         "cells": [cell(record, f"proactive.{r.key}.{c.key}", marks) for c in PROACTIVE_DOC_COLUMNS]}
                        for r in PROACTIVE_DOC_ROWS]}]
    for row in PROACTIVE_SINGLE_ROWS:
        if blocks[-1].get("group") != row.group:
            blocks.append({"group": row.group, "columns": [row.group], "rows": []})
        blocks[-1]["rows"].append({"label": row.text, "groups": [],
                                   "cells": [cell(record, f"proactive.{row.key}", marks)]})
    return {"key": "proactive", "title": TABLES_BY_KEY["proactive"].caption, "blocks": blocks}


def requests_layout(record: Record, marks) -> dict:
    """表三: 25 rows × 7 applicant columns; a row's group label spans its consecutive rows."""
    rows = []
    for i, row in enumerate(REQUEST_ROWS):
        starts = i == 0 or REQUEST_ROWS[i - 1].group != row.group
        span = 0
        if row.group and starts:
            span = 1
            while i + span < len(REQUEST_ROWS) and REQUEST_ROWS[i + span].group == row.group:
                span += 1
        rows.append({"label": row.text, "group": row.group, "group_span": span,
                     "cells": [cell(record, f"requests.{row.key}.{c.key}", marks) for c in APPLICANT_COLUMNS]})
    return {"key": "requests", "title": TABLES_BY_KEY["requests"].caption,
            "columns": [c.text for c in APPLICANT_COLUMNS], "rows": rows}


def appeals_layout(record: Record, marks) -> dict:
    """表四: the three groups side by side, one row of values, as the national form prints it."""
    return {"key": "appeals", "title": TABLES_BY_KEY["appeals"].caption,
            "groups": [{"label": g.text, "columns": [c.text for c in APPEAL_COLUMNS],
                        "cells": [cell(record, f"appeals.{g.key}.{c.key}", marks) for c in APPEAL_COLUMNS]}
                       for g in APPEAL_GROUPS]}


def summary_layout(record: Record, marks) -> dict:
    """The summary figures; those the tables decide are shown as derived (read-only, with the
    cells they sum) and follow the cells as the reviewer edits them."""
    derived = derived_summary(record)
    rows = []
    for s in SUMMARY_FIELDS:
        c = cell(record, f"summary.{s.key}", marks)
        c["derived"] = " + ".join(s.cells) if c["path"] in derived else None
        rows.append({"label": s.text, "cells": [c]})
    return {"key": "summary", "title": "综合指标 (summary)", "rows": rows}


def table_layout(record: Record, violated: list[str], corrected: list[str]) -> dict:
    """The record's tables as the review page draws them (also served as JSON)."""
    marks = {"violated": set(violated), "corrected": set(corrected)}
    return {
        "proactive": proactive_layout(record, marks) if record.proactive is not None or record.template == "gov2021" else None,
        "requests": requests_layout(record, marks) if record.requests is not None or record.template in ("gov2021", "gov2019") else None,
        "appeals": appeals_layout(record, marks) if record.appeals is not None or record.template in ("gov2021", "gov2019") else None,
        "summary": summary_layout(record, marks),
    }
