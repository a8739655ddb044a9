"""The self-contained HTML report of a run: metrics (side by side with the baseline when there is
one), the fields that changed, and per document every wrong field with gold, prediction and the
source snippet it was (or should have been) read from. Everything from the data is escaped."""
from __future__ import annotations

from html import escape
from pathlib import Path

from evals.compare import Comparison
from evals.runner import DocContext, RunResult
from schemas.template import APPEAL_GROUPS, PROACTIVE_DOC_ROWS, PROACTIVE_SINGLE_ROWS, REQUEST_ROWS, SUMMARY_FIELDS

SNIPPET_CHARS = 80
CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}
.worse{background:#fdd}.better{background:#dfd}.snip{font-family:monospace;white-space:pre-wrap;
max-width:60em;font-size:90%}mark{background:#ff0}h2{margin-top:2em}.ok{color:#070}.bad{color:#b00}
"""


def fmt(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if not value.is_integer() else str(int(value))
    return str(value)


def keywords_for(path: str) -> tuple[str, ...]:
    """Labels that locate a field in the text when it has no evidence span."""
    parts = path.split(".")
    labels = {"requests": REQUEST_ROWS, "appeals": APPEAL_GROUPS,
              "proactive": PROACTIVE_DOC_ROWS + PROACTIVE_SINGLE_ROWS, "summary": SUMMARY_FIELDS}
    for label in labels.get(parts[0], ()):
        if len(parts) > 1 and label.key == parts[1]:
            return label.keywords
    return ()


def locate(text: str, path: str, gold) -> tuple[int, int] | None:
    """Where a field without evidence is stated: its label, preferably on a line that also
    prints the gold value; else the first occurrence of the label."""
    hits = [(m, k) for k in keywords_for(path) for m in _find_all(text, k)]
    if not hits:
        return None
    wanted = fmt(gold) if isinstance(gold, (int, float)) and not isinstance(gold, bool) else None
    if wanted:
        for start, key in sorted(hits):
            line_end = text.find("\n", start)
            if wanted in text[start:line_end if line_end >= 0 else len(text)]:
                return start, start + len(key)
    start, key = min(hits)
    return start, start + len(key)


def _find_all(text: str, key: str) -> list[int]:
    out, i = [], text.find(key)
    while i >= 0:
        out.append(i)
        i = text.find(key, i + 1)
    return out


def snippet(ctx: DocContext | None, path: str, gold=None) -> str:
    """HTML of the text around the field's evidence span, or around its row label."""
    if ctx is None or not ctx.text:
        return ""
    text = ctx.text
    span = ctx.evidence.get(path) or locate(text, path, gold)
    if span is None:
        return ""
    start, end = span
    lo, hi = max(0, start - SNIPPET_CHARS), min(len(text), end + SNIPPET_CHARS)
    return (escape(text[lo:start]) + "<mark>" + escape(text[start:end]) + "</mark>"
            + escape(text[end:hi]))


def metrics_html(run: dict, comparison: Comparison | None) -> str:
    if comparison is None:
        rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(fmt(v))}</td></tr>"
                       for k, v in run["metrics"].items())
        return f"<table><tr><th>metric</th><th>value</th></tr>{rows}</table>"
    worse = {r.name for r in comparison.regressions}
    out = []
    for r in comparison.rows:
        cls = "worse" if r.name in worse else ("better" if r.direction and r.delta and
                                               r.delta * r.direction > 0 else "")
        out.append(f"<tr class='{cls}'><td>{escape(r.name)}</td><td>{escape(fmt(r.baseline))}</td>"
                   f"<td>{escape(fmt(r.candidate))}</td><td>{escape(fmt(r.delta))}</td></tr>")
    return ("<table><tr><th>metric</th><th>baseline</th><th>candidate</th><th>delta</th></tr>"
            + "".join(out) + "</table>")


def changes_html(comparison: Comparison | None) -> str:
    if comparison is None:
        return ""
    parts = []
    for title, changes in (("Right → wrong", comparison.broke), ("Wrong → right", comparison.fixed)):
        rows = "".join(
            f"<tr><td>{escape(c.case)}</td><td>{escape(c.path)}</td><td>{escape(fmt(c.gold))}</td>"
            f"<td>{escape(fmt(c.baseline))}</td><td>{escape(fmt(c.candidate))}</td></tr>"
            for c in changes)
        parts.append(f"<h2>{title} ({len(changes)})</h2><table><tr><th>case</th><th>field</th>"
                     f"<th>gold</th><th>baseline</th><th>candidate</th></tr>{rows}</table>")
    return "".join(parts)


def document_html(case: str, doc: dict, ctx: DocContext | None) -> str:
    head = f"<h3 id='{escape(case, quote=True)}'>{escape(case)}</h3>"
    if doc.get("skipped"):
        return head + f"<p>skipped: {escape(doc['reason'])}</p>"
    counts = ", ".join(f"{escape(g)} {c}/{t}" for g, (c, t) in doc["counts"].items() if t)
    info = (f"<p>{escape(ctx.path if ctx else '')} · layout {escape(doc['layout'])} · template "
            f"{escape(doc['template'])} · status {escape(str(doc.get('status')))} · {counts}</p>")
    if doc.get("error"):
        info += f"<p class='bad'>error: {escape(doc['error'])}</p>"
    if not doc["wrong"]:
        return head + info + "<p class='ok'>every field right</p>"
    rows = "".join(
        f"<tr><td>{escape(p)}</td><td>{escape(w['kind'])}</td><td>{escape(fmt(w['gold']))}</td>"
        f"<td>{escape(fmt(w['pred']))}</td><td class='snip'>{snippet(ctx, p, w['gold'])}</td></tr>"
        for p, w in doc["wrong"].items())
    return (head + info + "<table><tr><th>field</th><th>kind</th><th>gold</th><th>predicted</th>"
            f"<th>source</th></tr>{rows}</table>")


def render_html(result: RunResult, comparison: Comparison | None) -> str:
    run = result.run
    meta = run.get("meta", {})
    meta_rows = "".join(f"<tr><td>{escape(str(k))}</td><td>{escape(str(v))}</td></tr>"
                        for k, v in meta.items())
    docs = "".join(document_html(k, d, result.contexts.get(k)) for k, d in run["documents"].items())
    title = escape(f"nianbao eval {meta.get('name', '')}")
    return (f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{CSS}</style></head><body><h1>{title}</h1><table>{meta_rows}</table>"
            f"<h2>Metrics</h2>{metrics_html(run, comparison)}{changes_html(comparison)}"
            f"<h2>Documents</h2>{docs}</body></html>")


def write_html(result: RunResult, comparison: Comparison | None, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(result, comparison), encoding="utf-8")
    return path
