"""表三 (收到和处理政府信息公开申请情况): rows matched to the template's row labels in order."""
from __future__ import annotations

from extractor.locate.labels import REQUEST_ROW_MATCHER, normalize_label
from extractor.read.reader.rows import LabelledRow, Reading, put_row
from schemas.template import (
    APPEALS_HEADER_ALL,
    APPEALS_HEADER_ANY,
    APPLICANT_COLUMNS,
    REQUEST_ROWS,
    TABLES_BY_KEY,
)

_ORDER = {lab.key: i for i, lab in enumerate(REQUEST_ROWS)}
_GROUP_LABELS = tuple(sorted({normalize_label(lab.group) for lab in REQUEST_ROWS if lab.group},
                             key=len, reverse=True))


def table_start(rows: list[LabelledRow]) -> int | None:
    """Index of 表三's first row (一、本年新收…), or None. A table row is preferred to prose that
    names the label ("本年新收政府信息公开申请数量为999件…"): one with value cells, else one whose
    label holds no figure of its own."""
    first = TABLES_BY_KEY["requests"].first_row
    found = [i for i, r in enumerate(rows) if any(k in r.joined_label for k in first)]
    with_values = [i for i in found if rows[i].values]
    plain = [i for i in found if not any(ch.isdigit() for c in rows[i].labels for ch in c.text[2:])]
    return next(iter(with_values or plain or found), None)


def is_appeals_header(r: LabelledRow) -> bool:
    """A row that opens 表四 (行政复议 with 行政诉讼 or 维持 beside it)."""
    text = r.joined_label
    return all(k in text for k in APPEALS_HEADER_ALL) and any(k in text for k in APPEALS_HEADER_ANY)


class _Pass:
    """One pass over 表三's rows: the template row last placed, label fragments pending since
    the last row with values, and a row of values whose label comes after it."""

    def __init__(self, rows: list[LabelledRow], reading: Reading):
        self.rows, self.reading = rows, reading
        self.pointer, self.orphan = -1, None
        self.pending: list[str] = []

    def match(self, label: str):
        return REQUEST_ROW_MATCHER.best(label, self.pointer + 1)  # template order: rows ahead

    def place(self, lab, values) -> None:
        self.pointer = _ORDER[lab.key]
        put_row(self.reading, f"requests.{lab.key}", APPLICANT_COLUMNS, values)

    def label_only(self, r: LabelledRow) -> None:
        """A row with a label and no values: a label broken over lines, or the label of the
        values printed just above it."""
        lab = self.match(r.last_label) or self.match(r.joined_label)
        if lab is not None and self.orphan is not None:
            self.place(lab, self.orphan.values)
            self.orphan, self.pending = None, []
            return
        fragment = without_group_labels(r.joined_label)
        self.pending = [fragment] if lab is not None else self.pending + [fragment]

    def label_of(self, i: int, r: LabelledRow):
        """The template row a row with values belongs to, or None."""
        lab = (self.match(r.last_label) or self.match(r.joined_label)) if r.labels else None
        if lab is not None and r.last_label in _GROUP_LABELS and self.pending:
            lab = None  # "（六）其他处理" beside the numbers, the row's own label above/below them
        if lab is None:
            # the row's label is around its numbers: lines above (a label broken over lines),
            # below (numbers printed first) or both (a label centred on the row). The first
            # template row ahead named there is theirs.
            around = "".join(without_group_labels(normalize_label(c.text)) for c in r.labels)
            around = "".join(self.pending) + around + labels_below(self.rows, i)
            lab = REQUEST_ROW_MATCHER.first(around, self.pointer + 1) if around else None
        if lab is None and r.labels and r.last_label in _GROUP_LABELS:
            lab = self.match(r.last_label)
        return lab

    def with_values(self, i: int, r: LabelledRow) -> bool:
        """Place a row with values; True when it closes the table."""
        lab = self.label_of(i, r)
        if lab is None and not r.labels:
            self.orphan = r if len(r.filled) >= len(APPLICANT_COLUMNS) else None
            return False
        self.pending, self.orphan = [], None
        if lab is None:
            return False
        self.place(lab, r.values)
        return lab.key == REQUEST_ROWS[-1].key


def read_requests(rows: list[LabelledRow], reading: Reading) -> tuple[int, int] | None:
    """Fill requests.* from 表三; returns (first row, row after the table) or None.

    Rows are matched to the template in order. A label on a row of its own is joined with the
    next row's label (labels broken over lines); values on a row of their own belong to the
    label just before them, or, when none is pending, to the label right after them."""
    start = table_start(rows)
    if start is None:
        return None
    state = _Pass(rows, reading)
    for i in range(start, len(rows)):
        r = rows[i]
        if i > start and is_appeals_header(r):
            return start, i
        # a row of empty cells is a row of zeros when the grid shows all of its cells
        if r.filled or (r.labels and len(r.values) >= len(APPLICANT_COLUMNS)):
            if state.with_values(i, r):
                return start, i + 1
        elif r.labels:
            state.label_only(r)
    return start, len(rows)


def without_group_labels(norm: str) -> str:
    for group in _GROUP_LABELS:
        norm = norm.replace(group, "")
    return norm


def labels_below(rows: list[LabelledRow], i: int, depth: int = 3) -> str:
    """Normalised labels of the label-only rows right after row ``i`` (up to ``depth``)."""
    parts = []
    for r in rows[i + 1: i + 1 + depth]:
        if r.filled or not r.labels:
            break
        parts.append(without_group_labels(r.joined_label))
    return "".join(parts)
