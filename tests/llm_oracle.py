"""The gold oracle: a scripted chat-completions server on 127.0.0.1 that answers every task
nianbao sends with the gold labels of the eval dataset, quoting verbatim from the text it was sent.

It is what a perfect model would do: it identifies the report by matching the sent text against
the dataset's documents (ingested as nianbao ingests them), answers with the gold values, and
finds each value's quote in the sent text itself — a table row from its label through its cells
(spaced, run together or blank), the sentence stating a prose figure, the line naming the agency.
A value it cannot find in the sent text is answered null: a perfect model cannot read what it
was not shown (this is how too little context shows up).

    python -m tests.llm_oracle --port 8765          # serve until interrupted
    NIANBAO_LLM_BASE_URL=http://127.0.0.1:8765/v1 NIANBAO_LLM_MODEL=oracle NIANBAO_LLM_API_KEY=x \\
        NIANBAO_NO_CACHE=1 nianbao eval --llm always --no-save

From pytest: ``with FakeLlm(default=GoldOracle()) as llm: …`` (see tests/test_llm_oracle.py).
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # fake_llm_server, as pytest imports it

from fake_llm_server import Answer, FakeLlm, task_name

log = logging.getLogger("llm_oracle")

REPORT_START, REPORT_END = "<<<REPORT\n", "\nREPORT>>>"
NEGATIONS = ("未", "没有", "无")
# words near a prose figure that tell the oracle (as a reader) which figure a sentence states
HINTS = {
    "proactive_total": ("主动公开", "主动发布", "发布信息", "公开信息", "公开政府信息"),
    "fee_collected_yuan": ("费",),
    "npc_suggestions": ("人大",),
    "cppcc_proposals": ("政协",),
    "requests_received": ("申请",),
    "review_total": ("复议",),
    "litigation_total": ("诉讼",),
}
_SENTENCE = re.compile(r"[^。！？；;\n]+[。！？；;]?")
_NUMBERING = re.compile(r"(?:[（(][一二三四五六七八九十]{1,3}[）)]|[一二三四五六七八九十]{1,3}[、．.]|\d{1,2}[.、．])\s*$")
_SEP = " \t\u3000|"


# ---------------------------------------------------------------------------------------------
# The dataset as the oracle knows it
# ---------------------------------------------------------------------------------------------
@dataclass
class GoldDoc:
    id: str
    text: str  # the normalized text nianbao reads (ingested the same way)
    gold: dict


def load_docs(dataset: Path | None = None, ids: set[str] | None = None) -> list[GoldDoc]:
    """Every available case of the eval dataset (``ids``: only those), ingested."""
    from evals.dataset import load_cases, load_gold
    from extractor.ingest import ingest_file
    from extractor.settings import Settings

    settings = Settings(llm="off")
    out = []
    for case in load_cases(dataset):
        if not case.available or (ids is not None and case.id not in ids):
            continue
        out.append(GoldDoc(case.id, ingest_file(case.doc, settings).text, load_gold(case)))
    return out


class Folded:
    """A text NFKC-folded character by character, each folded character mapped to its offset."""

    def __init__(self, text: str):
        chars, offsets = [], []
        for i, ch in enumerate(text):
            f = unicodedata.normalize("NFKC", ch)
            f = f if len(f) == 1 else ch
            chars.append(" " if f == "\u3000" else f)
            offsets.append(i)
        self.text = "".join(chars)
        self.original = text


# ---------------------------------------------------------------------------------------------
# Finding a row's cells in the text, guided by the gold values
# ---------------------------------------------------------------------------------------------
def _blank_marker(text: str, pos: int) -> int:
    """End of a blank marker at ``pos`` (longest first), or -1."""
    from schemas.grammar import BLANK_MARKERS

    for m in sorted((m for m in BLANK_MARKERS if m), key=len, reverse=True):
        if text.startswith(m, pos):
            return pos + len(m)
    return -1


def _number_forms(value: float) -> list[str]:
    if float(value).is_integer():
        n = int(value)
        forms = [str(n)]
        if n >= 1000:
            forms.append(f"{n:,}")
        return forms
    return list(dict.fromkeys([f"{value:g}", str(value), f"{value:,}"]))


def match_cells(text: str, pos: int, values: list[float]) -> int | None:
    """End of ``values`` printed as a row's cells from ``pos`` (TAB/pipe/space/line separated,
    run together, blank = 0, a number split by a space), or None. Backtracks over the readings."""
    def sep_options(p: int, first: bool) -> list[tuple[int, bool]]:
        """(position after a separator, structural?) — structural separators may delimit a blank."""
        out = [(p, False)]  # run together
        if first and (p == 0 or text[p - 1] == "\n") and text[p:p + 1] == "\t":
            out.append((p, True))  # a TAB row's empty first cell
        q = p
        while q < len(text) and text[q] in " \u3000":
            q += 1
        if q > p:
            out.append((q, False))
        r = q
        if r < len(text) and text[r] in "\t|":
            r += 1
            while r < len(text) and text[r] in " \u3000":
                r += 1
            out.append((r, True))
        elif r < len(text) and text[r] == "\n":
            r += 1
            while r < len(text) and text[r] in " \u3000":
                r += 1
            if r < len(text) and text[r] == "\t":
                r += 1
            while r < len(text) and text[r] in " \u3000":
                r += 1
            out.append((r, True))
        return out[::-1]

    def cell(p: int, value: float, structural: bool) -> list[int]:
        ends = []
        if value == 0:
            if text.startswith("0", p) and text[p + 1:p + 2] != ".":
                ends.append(p + 1)
            e = _blank_marker(text, p)
            if e > 0:
                ends.append(e)
            if structural and (p >= len(text) or text[p] in "\t|\n"):
                ends.append(p)  # an empty cell between separators
        for form in _number_forms(value):
            if text.startswith(form, p):
                ends.append(p + len(form))
            digits = form.replace(",", "")
            if len(digits) > 1:  # a number a PDF split: "9 4"
                m = re.match(r"\s?".join(map(re.escape, digits)), text[p:p + 2 * len(digits)])
                if m and " " in m.group():
                    ends.append(p + m.end())
        return ends

    def go(p: int, i: int) -> int | None:
        if i == len(values):
            nxt = text[p:p + 1]
            if not nxt or not nxt.isdigit() or re.match(r"\d{1,2}[.、．]\D", text[p:p + 4]):
                return p
            return None
        for q, structural_sep in sep_options(p, i == 0):
            for end in cell(q, values[i], structural_sep):
                if end == q and not structural_sep:
                    continue
                found = go(end, i + 1)
                if found is not None:
                    return found
        return None

    return go(pos, 0)


def find_row(text: str, keywords: tuple[str, ...], values: list[float], start: int = 0,
             reach: int = 160) -> tuple[int, int, int] | None:
    """(label start, cells start, end) of the first row at or after ``start`` whose label holds a
    keyword and whose cells, within ``reach`` characters of it, print ``values``."""
    norm = Folded(text).text
    hits = sorted({m.start(): m for k in keywords for m in _keyword_re(k).finditer(norm[start:])}.items())
    for _, m in hits:
        kw_start, kw_end = start + m.start(), start + m.end()
        for p in range(kw_end, min(len(text), kw_end + reach) + 1):
            if p > kw_end and norm[p - 1].isdigit() and p < len(norm) and norm[p].isdigit():
                continue
            end = match_cells(norm, p, values)
            if end is not None and (end > p or values == [0] * len(values)):
                if end == p and not _blank_row_ok(norm, p):
                    continue
                return label_start(norm, kw_start, start), p, end
    return None


def _keyword_re(keyword: str) -> re.Pattern:
    """A label keyword as printed: broken by spaces or line breaks, or by an aside (本年(2022)新收)."""
    gap = r"(?:\s|[（(][^（()）]{0,12}[)）])*"
    return re.compile(gap.join(map(re.escape, keyword)))


def _blank_row_ok(norm: str, p: int) -> bool:
    """A row of blank cells only where the line holds nothing else after the label."""
    rest = norm[p:].split("\n", 1)[0]
    return not rest.strip(_SEP)


def label_start(norm: str, kw_start: int, floor: int) -> int:
    """Where a row's label begins: its numbering just before the keyword, else the keyword's
    line start when the line holds nothing but the label."""
    line = norm.rfind("\n", 0, kw_start) + 1
    begin = max(line, floor)
    head = norm[begin:kw_start]
    m = _NUMBERING.search(head)
    if m:
        return begin + m.start()
    stripped = head.strip(_SEP)
    if len(stripped) <= 12 and not re.search(r"\d", stripped):
        return begin + len(head) - len(head.lstrip(_SEP))
    return kw_start


# ---------------------------------------------------------------------------------------------
# The oracle
# ---------------------------------------------------------------------------------------------
class GoldOracle:
    """``default(body)`` for :class:`FakeLlm`: the gold answer to any nianbao task."""

    def __init__(self, docs: list[GoldDoc] | None = None, dataset: Path | None = None):
        self.docs = docs if docs is not None else load_docs(dataset)
        self.misses: list[str] = []  # values the oracle could not quote (for diagnosis)

    def __call__(self, body: dict):
        name = task_name(body) or ""
        sent = sent_text(body)
        doc = self.identify(sent)
        if doc is None:
            log.warning("oracle: no dataset document matches the text sent for %s", name)
            return Answer({})
        if name == "ReportFigures":
            return Answer(self.summary(doc, sent, requested_fields(body)))
        if name.endswith("Table"):
            return Answer(self.table(doc, sent, name[: -len("Table")].lower()))
        if name == "LegacyAnswer":
            return Answer(self.legacy(doc, sent))
        log.warning("oracle: unknown task %r", name)
        return Answer({})

    # -- which document ---------------------------------------------------------------------
    @cached_property
    def _folded(self) -> list[str]:
        return [Folded(d.text).text for d in self.docs]

    def identify(self, sent: str) -> GoldDoc | None:
        """The document the sent text comes from: nianbao sends whole sections (blocks between
        blank lines, kept contiguous) or selected whole lines; the document holding the most of
        the blocks verbatim, then of the lines, wins (rendered copies of one report share text,
        and then their golds agree on what that text shows)."""
        folded = Folded(sent).text
        blocks = [b.strip("\n") for b in folded.split("\n\n") if b.strip()]
        lines = [line for line in folded.split("\n") if line.strip()]
        if not lines:
            return None
        best, score = None, (-1, -1)
        for doc, text in zip(self.docs, self._folded):
            s = (sum(len(b) for b in blocks if b in text), sum(len(x) for x in lines if x in text))
            if s > score:
                best, score = doc, s
        return best

    # -- summary ----------------------------------------------------------------------------
    def summary(self, doc: GoldDoc, sent: str, fields: list[str]) -> dict:
        gold = doc.gold
        out: dict = {}
        for f in fields:
            if f == "agency":
                out[f] = self._agency(gold, sent)
            elif f == "year":
                out[f] = self._year(gold, sent)
            elif f == "template":
                out[f] = self._template(gold, sent)
            else:
                value = (gold.get("summary") or {}).get(f)
                quote = prose_quote(sent, f, value) if value is not None else None
                if value is not None and quote is None:
                    self.misses.append(f"{doc.id} summary.{f}={value}: no sentence in the sent text")
                out[f] = {"value": value, "quote": quote} if quote else {"value": None, "quote": None}
        return out

    def _agency(self, gold: dict, sent: str) -> dict:
        norm = Folded(sent).text
        for name in [gold.get("agency"), *(gold.get("agency_aliases") or ())]:
            if not name:
                continue
            i = norm.find(unicodedata.normalize("NFKC", name))
            if i >= 0:
                return {"value": name, "quote": clause_around(sent, i, i + len(name))}
        return {"value": None, "quote": None}

    def _year(self, gold: dict, sent: str) -> dict:
        year = gold.get("year")
        if year is None:
            return {"value": None, "quote": None}
        norm = Folded(sent).text
        hits = [m for m in re.finditer(rf"(?<!\d){year}\s*年", norm)]
        hits.sort(key=lambda m: ("年度" not in norm[m.start():m.end() + 2] and "报告" not in
                                 norm[m.start():m.end() + 20]))
        if not hits:
            return {"value": None, "quote": None}
        m = hits[0]
        return {"value": year, "quote": clause_around(sent, m.start(), m.end())}

    def _template(self, gold: dict, sent: str) -> dict:
        from schemas.template import (
            GOV2019_PROACTIVE_MARKERS,
            GOV2021_PROACTIVE_MARKERS,
            LEGACY_MARKERS,
        )

        markers = {"gov2021": GOV2021_PROACTIVE_MARKERS, "gov2019": GOV2019_PROACTIVE_MARKERS,
                   "legacy": LEGACY_MARKERS}.get(gold.get("template"), ())
        norm = Folded(sent).text
        for m in markers:
            i = norm.find(m)
            if i >= 0:
                return {"value": gold["template"], "quote": sent[i:i + len(m)]}
        return {"value": None, "quote": None}

    # -- tables -----------------------------------------------------------------------------
    def table(self, doc: GoldDoc, sent: str, key: str) -> dict:
        from extractor.read.llm_tasks import TABLES

        spec = TABLES[key]
        table = doc.gold.get(key)
        if table is None:
            return {"rows": []}
        rows = []
        if key == "appeals":
            grid = self._appeals_grid(spec, table, sent)
            if grid is not None:
                return {"rows": grid}
        pos = 0
        for row in spec.rows:
            cols = spec.columns_of(row.key)
            values = _row_values(table, row.key, cols)
            if values is None:
                continue
            keywords = tuple(k.lstrip("=") for k in row.keywords)
            found = find_row(sent, keywords, [v for v in values.values()], pos)
            if found is None:  # not in this chunk, or not printed: a model answers what it sees
                self.misses.append(f"{doc.id} {key}.{row.key}: row not found in the sent text")
                continue
            start, _, end = found
            pos = end
            rows.append({"row": row.key, **values, "quote": sent[start:end]})
        return {"rows": rows}

    def _appeals_grid(self, spec, table: dict, sent: str) -> list[dict] | None:
        """表四 printed as one grid (three groups side by side): every group quotes the grid from
        its 行政复议 heading through the value row."""
        groups = [(g.key, _row_values(table, g.key, spec.columns_of(g.key))) for g in spec.rows]
        if any(v is None for _, v in groups):
            return None
        values = [x for _, v in groups for x in v.values()]
        norm = Folded(sent).text
        head = norm.find("行政复议")
        while head >= 0:
            for p in range(head + 4, min(len(norm), head + 700)):
                if norm[p - 1].isdigit() and norm[p:p + 1].isdigit():
                    continue
                end = match_cells(norm, p, values)
                if end is not None and end > p and _starts_cells(norm, p) and "---" not in norm[p:end]:
                    quote = sent[head:end]
                    return [{"row": k, **v, "quote": quote} for k, v in groups]
            head = norm.find("行政复议", head + 4)
        return None

    # -- legacy -----------------------------------------------------------------------------
    def legacy(self, doc: GoldDoc, sent: str) -> dict:
        """The sheet's indicators: every one of the gold's ``legacy_table`` (year and cumulative
        columns), else the summary figures the sheet states under their synonyms."""
        from schemas.legacy import LEGACY_SUMMARY_MAP

        gold = doc.gold
        items: list[tuple[str, list[float]]] = []
        if gold.get("legacy_table"):
            for name, cols in gold["legacy_table"].items():
                items.append((name, [cols["year"], cols["cumulative"]] if "cumulative" in cols else [cols["year"]]))
        else:
            for field, names in LEGACY_SUMMARY_MAP.items():
                value = (gold.get("summary") or {}).get(field)
                if value is None:
                    continue
                norm = Folded(sent).text
                name = next((n for n in names if n in norm), None)
                if name:
                    items.append((name, [value]))
        out, pos = [], 0
        for name, values in items:
            names = tuple(dict.fromkeys((name, re.sub(r"[（(][^）)]*[）)]$", "", name))))
            found = find_row(sent, names, values, pos, reach=40) or find_row(sent, names, values, 0, reach=40)
            if found is None:
                self.misses.append(f"{doc.id} legacy {name}: not found in the sent text")
                continue
            start, cells, end = found
            pos = end
            unit = _unit_between(sent[start:cells])
            out.append({"name": name, "unit": unit, "value": values[0], "quote": sent[start:end]})
        return {"indicators": out}


def _starts_cells(norm: str, p: int) -> bool:
    """``p`` begins a value row: a separator or a line start before it, or digits right after text."""
    return p == 0 or norm[p - 1] in "\t\n| " or not norm[p - 1].isdigit()


def _unit_between(text: str) -> str | None:
    from schemas.grammar import UNITS

    tail = text.rstrip(_SEP + "\n")
    return next((u for u in sorted(UNITS, key=len, reverse=True) if tail.endswith(u)), None)


def _row_values(table: dict, row: str, cols: tuple[str, ...]) -> dict | None:
    if cols == ("value",):
        v = table.get(row)
        return None if v is None else {"value": v}
    r = table.get(row)
    if not isinstance(r, dict) or all(r.get(c) is None for c in cols):
        return None
    return {c: r.get(c) for c in cols}


# ---------------------------------------------------------------------------------------------
# Prose
# ---------------------------------------------------------------------------------------------
def prose_quote(sent: str, field: str, value: float) -> str | None:
    """The sentence of the sent prose that states ``value`` for ``field`` (as a reader would pick
    it: it names the field and prints the figure, or says none for a zero)."""
    hints = HINTS.get(field, ())
    forms = _prose_forms(field, value)
    nones = []
    for m in _SENTENCE.finditer(sent):
        s = m.group().strip()
        if "\t" in s or "|" in s or not s:
            continue
        folded = unicodedata.normalize("NFKC", s)
        if not any(h in folded for h in hints):
            continue
        if value == 0 and not _has_unit_figure(folded) and not re.search(r"\d{5,}", folded):
            # (a run of digits is a table dumped as text, not a sentence)
            # "未收取信息处理费": a negation just before the field's word
            near = re.search("(?:" + "|".join(NEGATIONS) + ").{0,24}?(?:" + "|".join(map(re.escape, hints)) + ")",
                             folded)
            if near:
                nones.append((len(near.group()), s))
            continue
        for form, unit in forms:
            if re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d.])\s*(?:余|多)?{unit}", folded):
                return _trim_sentence(s, form)
    if not nones:
        return None
    s = min(nones)[1]
    return s if len(s) <= 240 else clause_around(s, *_span_of_none(s, hints))


def _span_of_none(s: str, hints: tuple[str, ...]) -> tuple[int, int]:
    i = min((s.find(h) for h in hints if h in s), default=0)
    return i, i + 1


def _prose_forms(field: str, value: float) -> list[tuple[str, str]]:
    from schemas.grammar import COUNT_UNITS

    count = "(?:" + "|".join(COUNT_UNITS) + ")"
    if field == "fee_collected_yuan":
        forms = [(f, "元") for f in _number_forms(value)]
        forms += [(f"{value / 10000:g}", "万元")]
        return forms
    return [(f, count) for f in _number_forms(value)]


def _has_unit_figure(text: str) -> bool:
    from schemas.grammar import UNITS

    return bool(re.search(r"\d\s*(?:" + "|".join(UNITS) + ")", text))


def _trim_sentence(s: str, form: str) -> str:
    return s if len(s) <= 240 else clause_around(s, s.find(form), s.find(form) + len(form))


def clause_around(text: str, start: int, end: int) -> str:
    """The clause (between ，。；\\n) holding ``text[start:end]``, for a short verbatim quote."""
    left = max(text.rfind(c, 0, start) for c in "，,。；;\n") + 1
    rights = [i for i in (text.find(c, end) for c in "，,。；;\n") if i >= 0]
    right = min(rights) if rights else len(text)
    return text[left:right].strip()


# ---------------------------------------------------------------------------------------------
# Reading a request
# ---------------------------------------------------------------------------------------------
def sent_text(body: dict) -> str:
    """The report text of a request (between the markers of its first message holding them)."""
    for m in body.get("messages", []):
        content = m.get("content")
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        content = content or ""
        i = content.find(REPORT_START)
        if i >= 0:
            j = content.find(REPORT_END, i)
            return content[i + len(REPORT_START): j if j >= 0 else None]
    return ""


def requested_fields(body: dict) -> list[str]:
    """The fields a ReportFigures request asks for (tool parameters, or the schema in the prompt)."""
    if body.get("tools"):
        return list(body["tools"][0]["function"]["parameters"].get("properties", {}))
    for m in body.get("messages", []):
        content = str(m.get("content") or "")
        i = content.find('"properties"')
        if i >= 0:
            try:
                start = content.rfind("{", 0, i)
                return list(json.JSONDecoder().raw_decode(content[start:])[0].get("properties", {}))
            except ValueError:
                continue
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the gold oracle on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--dataset", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    oracle = GoldOracle(dataset=args.dataset)
    llm = FakeLlm(latency=args.latency, default=oracle, port=args.port)
    with llm:
        print(f"gold oracle for {len(oracle.docs)} documents at {llm.url}", flush=True)
        try:
            llm._thread.join()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
