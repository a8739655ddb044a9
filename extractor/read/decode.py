"""Decode run-together table cells: split one digit run into a row's cells by the template's
arithmetic.

Crawler text dumps print a row's cells with nothing between them (``801000081`` for
80|1|0|0|0|0|81) or with spaces that are not cell boundaries (``30 0 0 0 03`` = 3|0|0|0|0|0|3).
:func:`decode_row` enumerates the splits of such a run into ``n`` cells that follow the cell
grammar (a cell is ``0`` or has no leading zero) and satisfy the row's own equations (a total
equals the sum of its parts: the template's relations restricted to the row, see
:func:`row_relations`). :func:`decode_table` then keeps, for every row still ambiguous, the
candidates that also satisfy the equations across rows (column balances, result sums) given the
rows already decided. The reader takes a row's values only when exactly one candidate is left;
otherwise it keeps the candidates for a ``reader.ambiguous`` warning and leaves the cells null.

The search is bounded: a memoized depth-first search over split points where a total cell is
not guessed but read as the digits of its parts' sum, at most ``MAX_CELL_DIGITS`` digits a cell,
``MAX_CANDIDATES`` candidates kept, ``MAX_STEPS`` search steps (beyond which the run counts as
undecided, never guessed). Every cell keeps the offsets of its digits in the source text.
Knows no labels: the caller passes the row's field paths and the template's equations.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from extractor.check.arithmetic import holds
from schemas.template import Equation

MAX_CELL_DIGITS = 7
MAX_CANDIDATES = 16
MAX_STEPS = 20_000


@dataclass(frozen=True)
class Digits:
    """The digits of a run (ASCII) and each digit's offset in the document text."""

    text: str
    offsets: tuple[int, ...]


@dataclass(frozen=True)
class Split:
    """One reading of a run: each cell's value and its (start, end) in the document text."""

    values: tuple[int, ...]
    spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Sum:
    """A row-local equation: cell ``total`` equals the sum of cells ``parts`` (indices)."""

    total: int
    parts: tuple[int, ...]


@dataclass(frozen=True)
class DecodeResult:
    """The splits of a run that satisfy its equations; ``exhausted`` when the search hit its
    bound (the candidates are then incomplete and the run is undecided)."""

    candidates: tuple[Split, ...]
    exhausted: bool = False
    forced: bool = False  # the grammar allows one split only, and it breaks an equation

    @property
    def unique(self) -> Split | None:
        if self.exhausted or len(self.candidates) != 1:
            return None
        return self.candidates[0]


def digits_of(text: str, start: int = 0) -> Digits:
    """The digits of ``text`` (ASCII or full-width; anything else skipped) with their offsets,
    ``start`` being the offset of ``text`` in the document."""
    chars, offsets = [], []
    for i, ch in enumerate(text):
        if "0" <= ch <= "9":
            chars.append(ch)
        elif "\uff10" <= ch <= "\uff19":
            chars.append(chr(ord(ch) - 0xFF10 + 48))
        else:
            continue
        offsets.append(start + i)
    return Digits("".join(chars), tuple(offsets))


def row_relations(paths: Sequence[str], eqs: Iterable[Equation]) -> tuple[Sum, ...]:
    """The equations of ``eqs`` whose cells all lie in the row ``paths``, as index sums
    (``left`` a single total, ``right`` its parts)."""
    index = {p: i for i, p in enumerate(paths)}
    out = []
    for eq in eqs:
        if len(eq.left) == 1 and all(c in index for c in eq.cells):
            out.append(Sum(index[eq.left[0]], tuple(index[c] for c in eq.right)))
    return tuple(out)


def decode_row(run: Digits, n: int, relations: Sequence[Sum] = ()) -> DecodeResult:
    """Every split of ``run`` into ``n`` grammatical cells that satisfies ``relations``."""
    if n <= 0 or not run.text or len(run.text) < n or len(run.text) > n * MAX_CELL_DIGITS:
        return DecodeResult(())
    search = _Search(run.text, n, tuple(relations))
    found = search.solutions(0, 0, ())
    exhausted = search.steps > MAX_STEPS or len(found) > MAX_CANDIDATES
    cands = tuple(_split(run, cells) for cells in found[:MAX_CANDIDATES])
    if not cands and not exhausted and relations and len(run.text) == n:
        # one digit a cell is the only grammatical split: the document's own arithmetic is wrong
        return DecodeResult((_split(run, tuple(run.text)),), forced=True)
    return DecodeResult(cands, exhausted)


class _Search:
    """Depth-first search over split points, memoized on (position, cell, open partial sums)."""

    def __init__(self, digits: str, n: int, relations: tuple[Sum, ...]) -> None:
        self.digits, self.n, self.relations = digits, n, relations
        self.total_of = {r.total: r for r in relations if all(p < r.total for p in r.parts)}
        self.late = tuple(r for r in relations if r.total not in self.total_of)
        self.memo: dict[tuple, tuple[tuple[str, ...], ...]] = {}
        self.steps = 0

    def solutions(self, pos: int, cell: int, chosen: tuple[str, ...]) -> list[tuple[str, ...]]:
        return [chosen + rest for rest in self._rest(pos, cell, chosen)]

    def _key(self, pos: int, cell: int, chosen: tuple[str, ...]) -> tuple:
        open_sums = tuple(sum(int(chosen[p]) for p in r.parts if p < cell)
                          for r in self.relations if r.total >= cell)
        return pos, cell, open_sums

    def _rest(self, pos: int, cell: int, chosen: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
        self.steps += 1
        if self.steps > MAX_STEPS:
            return ()
        if cell == self.n:
            return ((),) if pos == len(self.digits) and self._late_hold(chosen) else ()
        left = len(self.digits) - pos
        cells_left = self.n - cell
        if left < cells_left or left > cells_left * MAX_CELL_DIGITS:
            return ()
        key = self._key(pos, cell, chosen) if not self.late else None
        if key is not None and key in self.memo:
            return self.memo[key]
        out: list[tuple[str, ...]] = []
        for piece in self._pieces(pos, cell, chosen):
            for rest in self._rest(pos + len(piece), cell + 1, chosen + (piece,)):
                out.append((piece,) + rest)
                if len(out) > MAX_CANDIDATES:
                    break
            if len(out) > MAX_CANDIDATES:
                break
        result = tuple(out)
        if key is not None:
            self.memo[key] = result
        return result

    def _pieces(self, pos: int, cell: int, chosen: tuple[str, ...]) -> list[str]:
        rel = self.total_of.get(cell)
        if rel is not None:  # a total is not guessed: it is the digits of its parts' sum
            want = str(sum(int(chosen[p]) for p in rel.parts))
            return [want] if self.digits.startswith(want, pos) else []
        if self.digits[pos] == "0":
            return ["0"]
        top = min(MAX_CELL_DIGITS, len(self.digits) - pos)
        return [self.digits[pos:pos + k] for k in range(1, top + 1)]

    def _late_hold(self, chosen: tuple[str, ...]) -> bool:
        return all(int(chosen[r.total]) == sum(int(chosen[p]) for p in r.parts) for r in self.late)


def _split(run: Digits, cells: tuple[str, ...]) -> Split:
    spans, pos = [], 0
    for piece in cells:
        spans.append((run.offsets[pos], run.offsets[pos + len(piece) - 1] + 1))
        pos += len(piece)
    return Split(tuple(int(c) for c in cells), tuple(spans))


# --------------------------------------------------------------------------------------------
@dataclass
class RowRun:
    """A row of a table whose cells are one run: its field paths and the decoder's candidates."""

    paths: tuple[str, ...]
    result: DecodeResult
    kept: tuple[Split, ...] = ()
    confirmed_by: tuple[str, ...] = ()  # prose statements that chose among the candidates

    def __post_init__(self) -> None:
        if not self.kept:
            self.kept = self.result.candidates


def decode_table(runs: Sequence[RowRun], known: dict[str, float], eqs: Sequence[Equation]) -> None:
    """Narrow each ambiguous row's candidates by the equations across rows: a candidate stays
    when every equation whose other cells are all known (read plainly or decoded uniquely)
    holds. Repeated until nothing changes; rows narrowed to one candidate become known."""
    known = dict(known)
    for r in runs:
        if _decided(r):
            known.update(zip(r.paths, r.kept[0].values))
    changed = True
    while changed:
        changed = False
        for r in runs:
            if _decided(r) or len(r.kept) < 2:
                continue
            kept = tuple(s for s in r.kept if _consistent(dict(zip(r.paths, s.values)), known, eqs))
            if kept and kept != r.kept:
                r.kept, changed = kept, True
                if len(kept) == 1:
                    known.update(zip(r.paths, kept[0].values))


def _decided(r: RowRun) -> bool:
    return len(r.kept) == 1 and not r.result.exhausted


def _consistent(mine: dict[str, int], known: dict[str, float], eqs: Sequence[Equation]) -> bool:
    """No equation touching ``mine`` is broken (an equation with an unknown cell does not count)."""
    for eq in eqs:
        if any(c in mine for c in eq.cells):
            values = {c: mine.get(c, known.get(c)) for c in eq.cells}
            if holds(values, eq) is False:
                return False
    return True


def prefer_stated(r: RowRun, stated: Mapping[str, Mapping[int, str]]) -> None:
    """Break a tie among a row's candidates by what the report's prose states about its cells
    (``path → {value: the phrase stating it}``): the one candidate agreeing with the most
    statements stays, when it agrees with at least one and no other candidate agrees as often.
    A statement no candidate agrees with (prose and table disagree) chooses nothing."""
    if len(r.kept) < 2 or r.result.exhausted:
        return
    def agreeing(split: Split) -> tuple[str, ...]:
        return tuple(stated[p][v] for p, v in zip(r.paths, split.values) if v in stated.get(p, {}))
    scored = sorted(((agreeing(s), s) for s in r.kept), key=lambda pair: -len(pair[0]))
    best = scored[0][0]
    if best and len(scored[1][0]) < len(best):
        r.kept, r.confirmed_by = (scored[0][1],), best
