"""Ruled tables and text lines from a page's characters and path shapes (``pdf_pdfium``).

Tables follow the rulings, with the tolerances the reader was tuned on (those of pdfplumber's
default "lines" strategy, which this replaces): every painted line, rectangle side and straight
curve segment is an edge; edges within 3 pt of one line snap to their mean and join across gaps
of 3 pt; edges shorter than 3 pt are dropped; a crossing of a horizontal and a vertical edge
(3 pt tolerance) is a grid point; the smallest rectangles whose four corners are grid points
joined by edges are cells; cells sharing corners form a table, whose rows are its cells' tops.
A character belongs to the cell that contains its centre. Text inside a cell and on the page is
grouped into words (a gap over 3 pt, a backwards step or a new line starts a word) and lines
(tops within 3 pt).

The steps sort and bisect instead of comparing every pair, so a page's cost grows with its edges
and characters, not with their product (except cells, bounded by grid points per line).
"""
from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

from extractor.ingest.pdf_pdfium import Char, Shape

SNAP = 3.0            # pt: parallel edges closer than this are one ruling
JOIN = 3.0            # pt: collinear edges with a smaller gap are one ruling
MIN_EDGE = 3.0        # pt: shorter edges are not rulings
MIN_EDGE_PREFILTER = 1.0
CROSS = 3.0           # pt: how far apart two edges may be and still cross
X_TOLERANCE = 3.0     # pt: a wider gap between characters starts a new word
Y_TOLERANCE = 3.0     # pt: characters whose tops differ by more are on different lines
LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}

Box = tuple[float, float, float, float]  # x0, top, x1, bottom


@dataclass(slots=True)
class Edge:
    vertical: bool
    x0: float
    x1: float
    top: float
    bottom: float

    @property
    def length(self) -> float:
        return self.bottom - self.top if self.vertical else self.x1 - self.x0

    def box(self) -> Box:
        return (self.x0, self.top, self.x1, self.bottom)


@dataclass
class Table:
    cells: list[Box]

    @property
    def bbox(self) -> Box:
        c = self.cells
        return (min(b[0] for b in c), min(b[1] for b in c), max(b[2] for b in c), max(b[3] for b in c))

    def rows(self) -> list[list[Box | None]]:
        """Cells by row (same top), one position per distinct left edge (None where none)."""
        xs = sorted({cell[0] for cell in self.cells})
        ordered = sorted(self.cells, key=lambda b: (b[1], b[0]))
        rows = []
        for _, group in itertools.groupby(ordered, key=lambda b: b[1]):
            by_x = {cell[0]: cell for cell in group}
            rows.append([by_x.get(x) for x in xs])
        return rows


def row_box(cells: list[Box | None]) -> Box:
    present = [c for c in cells if c is not None]
    return (min(c[0] for c in present), min(c[1] for c in present),
            max(c[2] for c in present), max(c[3] for c in present))


# -- edges --------------------------------------------------------------------------------------

def shape_edges(shapes: list[Shape]) -> list[Edge]:
    edges: list[Edge] = []
    for s in shapes:
        if s.kind == "line":
            edges.append(Edge(s.top != s.bottom, s.x0, s.x1, s.top, s.bottom))
        elif s.kind == "rect":
            edges += [Edge(False, s.x0, s.x1, s.top, s.top), Edge(False, s.x0, s.x1, s.bottom, s.bottom),
                      Edge(True, s.x0, s.x0, s.top, s.bottom), Edge(True, s.x1, s.x1, s.top, s.bottom)]
        else:
            for (ax, ay), (bx, by) in zip(s.pts, s.pts[1:]):
                if ax == bx or ay == by:
                    edges.append(Edge(ax == bx, min(ax, bx), max(ax, bx), min(ay, by), max(ay, by)))
    return edges


def _cluster(values: list[float], tolerance: float) -> dict[float, int]:
    """Each distinct value → its cluster number (sorted values, a gap over ``tolerance`` splits)."""
    out: dict[float, int] = {}
    last = None
    k = -1
    for v in sorted(set(values)):
        if last is None or v > last + tolerance:
            k += 1
        out[v] = k
        last = v
    return out


def _grouped(items: list, key, tolerance: float) -> list[list]:
    """Items in clusters of ``key`` (cluster order, stable inside a cluster)."""
    ids = _cluster([key(i) for i in items], tolerance)
    ordered = sorted(items, key=lambda i: ids[key(i)])
    return [list(g) for _, g in itertools.groupby(ordered, key=lambda i: ids[key(i)])]


def merge_edges(edges: list[Edge]) -> list[Edge]:
    """Snap parallel edges to their mean position, join collinear ones, drop short ones."""
    vertical = [e for e in edges if e.vertical and e.length >= MIN_EDGE_PREFILTER]
    horizontal = [e for e in edges if not e.vertical and e.length >= MIN_EDGE_PREFILTER]
    snapped: list[Edge] = []
    for group in _grouped(vertical, lambda e: e.x0, SNAP):
        mean = sum(e.x0 for e in group) / len(group)
        snapped += [Edge(True, e.x0 + (mean - e.x0), e.x1 + (mean - e.x0), e.top, e.bottom)
                    for e in group]
    for group in _grouped(horizontal, lambda e: e.top, SNAP):
        mean = sum(e.top for e in group) / len(group)
        snapped += [Edge(False, e.x0, e.x1, e.top + (mean - e.top), e.bottom + (mean - e.top))
                    for e in group]
    line_key = (lambda e: ("v", e.x0) if e.vertical else ("h", e.top))
    merged: list[Edge] = []
    for (kind, _), group in itertools.groupby(sorted(snapped, key=line_key), key=line_key):
        merged += _join(list(group), kind == "v")
    return [e for e in merged if e.length >= MIN_EDGE]


def _join(group: list[Edge], vertical: bool) -> list[Edge]:
    start = (lambda e: e.top) if vertical else (lambda e: e.x0)
    joined = [(e := sorted(group, key=start))[0]]
    for edge in e[1:]:
        last = joined[-1]
        if vertical and edge.top <= last.bottom + JOIN:
            if edge.bottom > last.bottom:
                joined[-1] = Edge(True, last.x0, last.x1, last.top, edge.bottom)
        elif not vertical and edge.x0 <= last.x1 + JOIN:
            if edge.x1 > last.x1:
                joined[-1] = Edge(False, last.x0, edge.x1, last.top, last.bottom)
        else:
            joined.append(edge)
    return joined


# -- grid ---------------------------------------------------------------------------------------

def find_tables(edges: list[Edge]) -> list[Table]:
    points = _intersections(edges)
    return [Table(cells) for cells in _tables(_cells(points))]


def _intersections(edges: list[Edge]) -> dict[tuple[float, float], tuple[set, set]]:
    """Grid point → (boxes of the vertical edges, boxes of the horizontal edges) through it."""
    vs = sorted((e for e in edges if e.vertical), key=lambda e: (e.x0, e.top))
    hs = sorted((e for e in edges if not e.vertical), key=lambda e: (e.top, e.x0))
    tops = [h.top for h in hs]
    points: dict[tuple[float, float], tuple[set, set]] = {}
    for v in vs:
        lo = bisect.bisect_left(tops, v.top - CROSS)
        hi = bisect.bisect_right(tops, v.bottom + CROSS)
        for h in hs[lo:hi]:
            if h.x0 - CROSS <= v.x0 <= h.x1 + CROSS:
                entry = points.setdefault((v.x0, h.top), (set(), set()))
                entry[0].add(v.box())
                entry[1].add(h.box())
    return points


def _cells(points: dict[tuple[float, float], tuple[set, set]]) -> list[Box]:
    """For each grid point, the smallest cell it is the top-left corner of."""
    ordered = sorted(points)
    by_x: dict[float, list[tuple[float, float]]] = {}
    by_y: dict[float, list[tuple[float, float]]] = {}
    for p in ordered:
        by_x.setdefault(p[0], []).append(p)
        by_y.setdefault(p[1], []).append(p)

    def joined(a, b) -> bool:
        return bool((a[0] == b[0] and points[a][0] & points[b][0])
                    or (a[1] == b[1] and points[a][1] & points[b][1]))

    cells = []
    for pt in ordered:
        column = by_x[pt[0]]
        below = column[bisect.bisect_right(column, pt):]
        row = by_y[pt[1]]
        right = [p for p in row if p > pt]
        cell = _smallest_cell(pt, below, right, points, joined)
        if cell:
            cells.append(cell)
    return cells


def _smallest_cell(pt, below, right, points, joined) -> Box | None:
    for down in below:
        if not joined(pt, down):
            continue
        for across in right:
            if not joined(pt, across):
                continue
            corner = (across[0], down[1])
            if corner in points and joined(corner, across) and joined(corner, down):
                return (pt[0], pt[1], corner[0], corner[1])
    return None


def _tables(cells: list[Box]) -> list[list[Box]]:
    """Cells grouped into tables: a cell joins a table when it shares a corner with it."""
    remaining = list(cells)
    corners: set[tuple[float, float]] = set()
    current: list[Box] = []
    tables = []
    while remaining:
        before = len(current)
        for cell in list(remaining):
            own = {(cell[0], cell[1]), (cell[0], cell[3]), (cell[2], cell[1]), (cell[2], cell[3])}
            if not current or own & corners:
                corners |= own
                current.append(cell)
                remaining.remove(cell)
        if len(current) == before:
            tables.append(list(current))
            corners.clear()
            current.clear()
    if current:
        tables.append(list(current))
    tables.sort(key=lambda t: min((c[1], c[0]) for c in t))
    return [t for t in tables if len(t) > 1]


def centre_in(char: Char, box: Box) -> bool:
    """The character's centre lies in the box (left/top edges inclusive, right/bottom not)."""
    x = (char.x0 + char.x1) / 2
    y = (char.top + char.bottom) / 2
    return box[0] <= x < box[2] and box[1] <= y < box[3]


def table_text(table: Table, chars: list[Char]) -> list[tuple[Box, list[Box | None], list]]:
    """(row box, cells, cell texts) per row; a missing cell is None, an empty one ""."""
    out = []
    by_top = sorted(chars, key=lambda c: (c.top + c.bottom) / 2)
    mids = [(c.top + c.bottom) / 2 for c in by_top]
    order = {id(c): i for i, c in enumerate(chars)}
    for cells in table.rows():
        box = row_box(cells)
        lo, hi = bisect.bisect_left(mids, box[1]), bisect.bisect_left(mids, box[3])
        inside = sorted((c for c in by_top[lo:hi] if centre_in(c, box)), key=lambda c: (c.x0 + c.x1) / 2)
        xmids = [(c.x0 + c.x1) / 2 for c in inside]
        texts = []
        for cell in cells:
            if cell is None:
                texts.append(None)
                continue
            span = inside[bisect.bisect_left(xmids, cell[0]):bisect.bisect_left(xmids, cell[2])]
            own = sorted((c for c in span if centre_in(c, cell)), key=lambda c: order[id(c)])
            texts.append(cell_text(own))
        out.append((box, cells, texts))
    return out


# -- words and lines ----------------------------------------------------------------------------

def words(chars: list[Char]) -> list[list[Char]]:
    """Characters (in page order) as words, line by line (tops within 3 pt), left to right."""
    out: list[list[Char]] = []
    for upright, run in itertools.groupby(chars, key=lambda c: c.upright):
        run = list(run)
        if upright:
            lines = _grouped(run, lambda c: c.top, Y_TOLERANCE)
            for line in lines:
                out += _split_words(sorted(line, key=lambda c: c.x0), True)
        else:
            for line in _grouped(run, lambda c: c.x0, X_TOLERANCE):
                out += _split_words(sorted(line, key=lambda c: (c.top, c.bottom)), False)
    return out


def _split_words(line: list[Char], upright: bool) -> list[list[Char]]:
    out: list[list[Char]] = []
    word: list[Char] = []
    for char in line:
        if char.text.isspace():
            if word:
                out.append(word)
            word = []
        elif word and _new_word(word[-1], char, upright):
            out.append(word)
            word = [char]
        else:
            word.append(char)
    if word:
        out.append(word)
    return out


def _new_word(prev: Char, char: Char, upright: bool) -> bool:
    if upright:
        return char.x0 < prev.x0 or char.x0 > prev.x1 + X_TOLERANCE or abs(char.top - prev.top) > Y_TOLERANCE
    return char.top < prev.top or char.top > prev.bottom + Y_TOLERANCE or abs(char.x0 - prev.x0) > X_TOLERANCE


def _word_top(word: list[Char]) -> float:
    return min(c.top for c in word)


def cell_text(chars: list[Char]) -> str:
    """A cell's text: words joined by a space, lines by a newline."""
    if not chars:
        return ""
    tops = [c.top for c in chars]
    if max(tops) - min(tops) <= Y_TOLERANCE and all(c.upright for c in chars):
        # one line (most cells: a number): the general path below gives the same words, faster
        return " ".join("".join(LIGATURES.get(c.text, c.text) for c in w)
                        for w in _split_words(sorted(chars, key=lambda c: c.x0), True))
    lines = _grouped(words(chars), _word_top, Y_TOLERANCE)
    return "\n".join(" ".join("".join(LIGATURES.get(c.text, c.text) for c in w) for w in line)
                     for line in lines)


@dataclass
class TextLine:
    chars: list[Char]
    top: float
    x0: float
    x1: float


def text_lines(chars: list[Char]) -> list[TextLine]:
    """The page's lines: consecutive words whose tops cluster together (in word order)."""
    ws = words(chars)
    if not ws:
        return []
    ids = _cluster([_word_top(w) for w in ws], Y_TOLERANCE)
    out = []
    for _, group in itertools.groupby(ws, key=lambda w: ids[_word_top(w)]):
        line = [c for w in group for c in w]
        out.append(TextLine(line, min(c.top for c in line), min(c.x0 for c in line),
                            max(c.x1 for c in line)))
    return out
