"""Turn a stretch of normalized text into table rows of cells, whatever the layout.

Layouts met in real reports (and produced by ingest):
- row lines: one table row per line, cells separated by TAB (HTML/DOCX/PDF tables) or '|'
  (markdown, pipe text);
- cell blocks: one cell per line, each line TAB-prefixed, rows separated by blank lines (Word
  exported to text, as in the samples); a line without the TAB continues the previous cell;
- text rows: a label followed by numbers separated by spaces (PDF text without table lines);
- cell streams: one cell per line closed by '|', rows rebuilt from the cells (``streams.py``).

Every cell keeps its span in the document text, so every value can carry evidence.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from extractor.locate.labels import REQUEST_ROW_MATCHER, best_match, normalize_label
from extractor.read.decode import RowRun, decode_row, decode_table, digits_of, prefer_stated, row_relations
from schemas import Check
from schemas.grammar import UNITS, fold, is_value
from schemas.template import (APPEAL_COLUMNS, APPEAL_GROUPS, APPLICANT_COLUMNS, PROACTIVE_DOC_COLUMNS,
                              PROACTIVE_DOC_ROWS, PROACTIVE_SINGLE_ROWS, equations)

_TOKEN = re.compile(r"\S+")
_PAD = " \u3000\u00a0"  # what a cell's text is trimmed of
_TAB_PAD = "\t" + _PAD
_WIDE_GAP = re.compile(r"(?:\s{2,}|\u3000+)")  # separates label cells in a text row
_MD_SEPARATOR = re.compile(r"\s*\|?(?:\s*:?-{3,}:?\s*\|)+(?:\s*:?-{3,}:?\s*)?")
# page numbers a PDF prints inside a table that runs over pages: "- 3 -", "第 3 页", "3/7"
_PAGE_MARK = re.compile(r"^\s*(?:[-—–]\s*\d{1,3}\s*[-—–]|第\s*\d{1,3}\s*页(?:\s*共\s*\d+\s*页)?|\d{1,3}\s*/\s*\d{1,3})\s*$")


class Cell(NamedTuple):
    """A cell's text and its span in the document. Immutable; a NamedTuple because a report
    makes hundreds and a frozen dataclass costs 4× as much to build."""

    text: str
    start: int
    end: int

    @property
    def folded(self) -> str:
        return fold(self.text)


class Row(NamedTuple):
    cells: tuple[Cell, ...]
    line: int  # index of the row's first line in the region
    notes: tuple[Check, ...] = ()  # what decoding run-together cells found (reader.decoded/ambiguous)

    @property
    def start(self) -> int:
        return self.cells[0].start if self.cells else 0


# --------------------------------------------------------------------------------------------
def split_rows(text: str, offset: int = 0) -> list[Row]:
    """All rows of ``text`` (a region of the document starting at ``offset``)."""
    from extractor.read.streams import looks_like_cell_stream, stream_rows  # (imports Cell/Row)

    raw = text.split("\n")
    if _looks_like_cell_blocks(raw):
        return _block_rows(raw, offset)
    lines = _lines(raw, offset)
    if looks_like_cell_stream(lines):
        return stream_rows(lines)
    out: list[Row] = []
    prose = _Prose(text)
    for i, line in enumerate(lines):
        if _PAGE_MARK.match(line.text):
            continue
        runs = _run_rows(line, i, prose) if _RUN_HINT.search(line.text) and "\t" not in line.text else None
        out.extend(runs if runs is not None else [row for row in [_line_row(line, i)] if row.cells])
    return out


def _lines(raw: list[str], offset: int) -> list[Cell]:
    out, pos = [], offset
    for line in raw:
        out.append(Cell(line, pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _looks_like_cell_blocks(raw: list[str]) -> bool:
    """Cell-per-line layout: most non-empty lines are a single TAB-prefixed cell."""
    single = multi = 0
    for line in raw:
        if not line.strip():
            continue
        n_tabs = line.count("\t")
        if line.startswith("\t") and n_tabs == 1:
            single += 1
        elif n_tabs >= 1:
            multi += 1
    return single >= 8 and single > 3 * multi


def _block_rows(raw: list[str], offset: int) -> list[Row]:
    """Rows of the cell-block layout, from the region's lines (``raw``, starting at ``offset``)."""
    rows: list[Row] = []
    cells: list[Cell] = []
    first, pos = 0, offset
    for i, text in enumerate(raw):
        start, pos = pos, pos + len(text) + 1
        if text.startswith("\t"):
            if not cells:
                first = i
            if text.count("\t") == 1:  # the layout's usual line: one cell (_trimmed, inlined)
                body = text.strip(_TAB_PAD)
                at = start + (text.find(body) if body else len(text))
                cells.append(Cell(body, at, at + len(body)))
            else:
                cells.extend(_tab_cells(Cell(text, start, start + len(text))))
        elif not text.strip() or _PAGE_MARK.match(text):
            if cells:
                rows.append(Row(tuple(cells), first))
            cells = []
        elif cells:  # continuation of the previous cell (a label broken over lines)
            prev = cells[-1]
            cells[-1] = Cell(prev.text + text, prev.start, start + len(text))
        else:  # a plain line between blocks: a row of its own
            row = _line_row(Cell(text, start, start + len(text)), i)
            if row.cells:
                rows.append(row)
    if cells:
        rows.append(Row(tuple(cells), first))
    return rows


def _tab_cells(line: Cell) -> list[Cell]:
    """Cells of a TAB-separated line; the empty string before a leading TAB is not a cell in
    the cell-block layout, but is a (spanned) grid position in row lines — callers decide."""
    parts = line.text.split("\t")
    cells, pos = [], line.start
    for k, part in enumerate(parts):
        if k > 0 or part:
            cells.append(_trimmed(part, pos))
        pos += len(part) + 1
    return cells


def _trimmed(part: str, pos: int) -> Cell:
    body = part.strip(_PAD)
    lead = part.find(body) if body else len(part)  # body starts at the first character not stripped
    return Cell(body, pos + lead, pos + lead + len(body))


def _line_row(line: Cell, index: int) -> Row:
    text = line.text
    if "\t" in text:
        parts = text.split("\t")
        cells, pos = [], line.start
        for part in parts:
            cells.extend(_split_label_numbers(_trimmed(part, pos)))
            pos += len(part) + 1
        return Row(tuple(cells), index)
    stripped = text.strip()
    if stripped.startswith("|") or stripped.count("|") >= 2:
        return _pipe_row(line, index)
    return _text_row(line, index)


def _split_label_numbers(cell: Cell) -> list[Cell]:
    """A cell holding a label and its numbers ('行政许可 550', '规章 0 0 0') becomes a label cell
    plus one cell per number; any other cell is returned as is."""
    if " " not in cell.text.strip() or is_value(cell.text):
        return [cell]
    row = _text_row(cell, 0)
    has_label = any(not is_value(c.text) for c in row.cells)
    return list(row.cells) if has_label and is_value(row.cells[-1].text) else [cell]


def _pipe_row(line: Cell, index: int) -> Row:
    text = line.text
    if _MD_SEPARATOR.fullmatch(text):  # markdown header separator |---|:--:|
        return Row((), index)
    parts = text.split("|")
    cells, pos = [], line.start
    for k, part in enumerate(parts):
        edge = (k == 0 or k == len(parts) - 1) and not part.strip()
        if not edge:
            cells.extend(_split_label_numbers(_trimmed(part, pos)))
        pos += len(part) + 1
    return Row(tuple(cells), index)


def _text_row(line: Cell, index: int) -> Row:
    """'一、本年新收… 21 0 0 0 0 0 21': label text, then each trailing number is a cell.
    Wide gaps (2+ spaces or an ideographic space) also separate label cells."""
    words = line.text.split()  # the same whitespace as _TOKEN's \S
    if len(words) < 2:  # no gap (most prose lines): the row is that one word, label or value
        if not words:
            return Row((), index)
        start = line.start + line.text.find(words[0])  # only whitespace before it
        return Row((Cell(words[0], start, start + len(words[0])),), index)
    tokens = [Cell(m.group(), line.start + m.start(), line.start + m.end())
              for m in _TOKEN.finditer(line.text)]
    if not tokens:
        return Row((), index)
    k = len(tokens)
    while k > 0 and is_value(tokens[k - 1].text):
        k -= 1
    head = tokens[:k]
    cells: list[Cell] = []
    if head:
        for chunk in _WIDE_GAP.split(line.text[head[0].start - line.start: head[-1].end - line.start]):
            if chunk.strip():
                s = line.text.find(chunk, (cells[-1].end - line.start) if cells else head[0].start - line.start)
                cells.append(_trimmed(chunk, line.start + s))
    cells.extend(tokens[k:])
    return Row(tuple(cells), index)



# ---- run-together rows (crawler text dumps: a whole table on one line) ----------------------
# digits, with a decimal part when a digit follows the point ("582.1"; "…0000002.其他" is a label's)
_RUN = re.compile(r"[0-9\uff10-\uff19](?:[ \u3000]*[0-9\uff10-\uff19])*(?:[.．][0-9\uff10-\uff19]+)?")
_RUN_HINT = re.compile(r"[\u4e00-\u9fff）)][ \u3000]*[0-9\uff10-\uff19]{7}")
_NUMBERED = re.compile(r"^\s*(\d{1,2})[.、．]")
_FUSE = ".、．"
_SENTENCE_END = re.compile(r"[。；;！？]")
_LABEL_TAIL = 120
_MIN_RUN_ROWS = 6  # template rows a line must hold to be read as run-together tables


def _row_shape(chunk: str) -> tuple[str, tuple[str, ...]] | None:
    """The template row a label chunk names (field prefix, cell paths), or None. Only the chunk's
    last clause counts (a label stands right before its cells; prose sentences end in 。；)."""
    norm = normalize_label(_SENTENCE_END.split(chunk)[-1][-_LABEL_TAIL:])
    if all(any(k in norm for k in g.keywords) for g in APPEAL_GROUPS):
        return "appeals", tuple(f"appeals.{g.key}.{c.key}" for g in APPEAL_GROUPS for c in APPEAL_COLUMNS)
    lab = REQUEST_ROW_MATCHER.best(norm)
    if lab is not None:
        return f"requests.{lab.key}", tuple(f"requests.{lab.key}.{c.key}" for c in APPLICANT_COLUMNS)
    lab = best_match(PROACTIVE_DOC_ROWS, norm)
    if lab is not None:
        return f"proactive.{lab.key}", tuple(f"proactive.{lab.key}.{c.key}" for c in PROACTIVE_DOC_COLUMNS)
    lab = best_match(PROACTIVE_SINGLE_ROWS, norm)
    return (f"proactive.{lab.key}", (f"proactive.{lab.key}",)) if lab is not None else None


def _label_number(chunk: str) -> str:
    """The numbering of the template label a chunk names ('6' for 6.属于四类过程性信息)."""
    norm = normalize_label(chunk)
    lab = REQUEST_ROW_MATCHER.best(norm)
    m = _NUMBERED.match(lab.text) if lab is not None else None
    return m.group(1) if m else ""


class _Prose:
    """The cells the region's prose states (``read.prose.stated_cells``), found on first use:
    only a run-together row with several splits asks."""

    def __init__(self, text: str) -> None:
        self.text, self._stated = text, None

    @property
    def stated(self) -> dict[str, dict[int, str]]:
        if self._stated is None:
            from extractor.read.prose import stated_cells

            self._stated = stated_cells(self.text)
        return self._stated


def _run_rows(line: Cell, index: int, prose: _Prose) -> list[Row] | None:
    """Rows of a line holding several template rows, each a label and its cells run together;
    None when the line is not such a line (it is then read as a text row)."""
    text, base = line.text, line.start
    runs = list(_RUN.finditer(text))
    found: list[tuple[Cell, tuple[str, ...], Cell]] = []
    prev = 0
    for k, m in enumerate(runs):
        chunk = text[prev:m.start()]
        end = m.end()
        # a figure followed by its unit is prose ("55条"), not a row of cells
        shape = _row_shape(chunk) if chunk.strip() and not text.startswith(UNITS, end) else None
        if shape is not None and end < len(text) and text[end] in _FUSE:
            nxt = text[end + 1: runs[k + 1].start() if k + 1 < len(runs) else len(text)]
            num = _label_number(nxt) or text[end - 1]
            if m.group().endswith(num) and len(m.group()) > len(num):
                end -= len(num)
            elif m.group() == num:  # the digits are the next label's own number, not cells
                shape = None
        if shape is not None:
            found.append((_trimmed(chunk, base + prev), shape[1], Cell(text[m.start():end], base + m.start(),
                                                                      base + end)))
        prev = end
    if len(found) < _MIN_RUN_ROWS:
        return None
    return _decoded_rows(found, index, prose)


def _decoded_rows(found: list[tuple[Cell, tuple[str, ...], Cell]], index: int, prose: _Prose) -> list[Row]:
    eqs = equations("gov2021")
    plain: dict[int, list[Cell]] = {}
    runs: dict[int, RowRun] = {}
    known: dict[str, float] = {}
    for i, (_, paths, run) in enumerate(found):
        tokens = [Cell(t.group(), run.start + t.start(), run.start + t.end()) for t in _TOKEN.finditer(run.text)]
        if len(tokens) == len(paths) and all(t.text == "0" or not t.text.startswith("0") for t in tokens):
            plain[i] = tokens
            known.update((p, float(fold(t.text))) for p, t in zip(paths, tokens))
        else:
            res = decode_row(digits_of(run.text, run.start), len(paths), row_relations(paths, eqs))
            runs[i] = RowRun(paths, res)
    decode_table(list(runs.values()), known, eqs)
    for r in runs.values():
        if len(r.kept) > 1:
            prefer_stated(r, prose.stated)
    rows: list[Row] = []
    for i, (label, paths, run) in enumerate(found):
        cells = plain.get(i)
        notes: tuple[Check, ...] = ()
        if i in runs:
            cells, notes = _decoded_cells(runs[i], run)
        if paths[0].startswith("appeals."):
            rows.append(Row((label,), index, notes))
            if cells:
                rows.append(Row(tuple(cells), index))
        else:
            rows.append(Row((label, *(cells or ())), index, notes))
    return rows


def _decoded_cells(r: RowRun, run: Cell) -> tuple[list[Cell] | None, tuple[Check, ...]]:
    """The cells of a decoded row and the check saying how (one split) or why not (several)."""
    prefix = r.paths[0].rsplit(".", 1)[0]
    if len(r.kept) == 1 and not r.result.exhausted:
        split = r.kept[0]
        how = "the only grammatical split; it breaks the row's sum" if r.result.forced else \
            f"the split the report's prose confirms: {'; '.join(r.confirmed_by)}" if r.confirmed_by else \
            "the only split that satisfies the template's equations"
        note = Check(rule="reader.decoded", severity="info", cells=list(r.paths),
                     message=f"{prefix}: run-together cells {run.text!r} read as "
                             f"{'|'.join(map(str, split.values))} ({how})")
        return [Cell(str(v), s, e) for v, (s, e) in zip(split.values, split.spans)], (note,)
    if not r.kept and not r.result.exhausted:
        return None, (Check(rule="reader.unplaced", severity="warning", cells=list(r.paths),
                            message=f"{prefix}: no split of {run.text!r} into {len(r.paths)} cells "
                                    "satisfies the template's equations; left null"),)
    shown = "; ".join("|".join(map(str, s.values)) for s in r.kept[:8])
    more = " (search bound reached: more may exist)" if r.result.exhausted else ""
    return None, (Check(rule="reader.ambiguous", severity="warning", cells=list(r.paths),
                        message=f"{prefix}: run-together cells {run.text!r} split several ways "
                                f"({shown}){more}; left null — check the source"),)
