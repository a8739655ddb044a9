"""What an HTML page holds outside its visible body: the report's title in the head, and the
report itself when the page writes it from a script.

- ``page_title``: the title the page gives itself — ``<meta name="ArticleTitle">``, ``og:title``,
  then ``<title>`` — when it is a report title (``schemas.template.REPORT_TITLE_MARKERS``), cut to
  the part that names the report ("…年度报告_某某网" → "…年度报告").
- ``script_markup``: report markup inside ``<script>`` string literals (``var c = "<p>…<\\/p>";
  document.write(c)``, escaped quotes, ``\\uXXXX``, strings joined with ``+``), or HTML printed
  escaped as the page's text (``&lt;table&gt;…``). The ingest reads it only when it holds more of a
  report than the visible text does, so a template string in a script (a page's widget with a
  "<table>" in it) never adds rows beside the real report.
"""
from __future__ import annotations

import re

from schemas.template import REPORT_TITLE_MARKERS

MAX_SCRIPT_CHARS = 4_000_000  # script text looked at per page (a report is a few hundred KB)
_TITLE_METAS = ("articletitle", "og:title", "title")
_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|—{1,2}|\s-\s|－)\s*")
_JS_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'|`((?:[^`\\]|\\.)*)`', re.S)
_JS_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]{1,6}\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\n|.)", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "", "b": "", "f": "", "v": "", "0": "", "\n": ""}
_MARKUP = re.compile(r"<\s*(?:p|td|tr|table|div|span|br)\b", re.I)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def is_report_title(text: str) -> bool:
    flat = re.sub(r"\s+", "", text)
    return any(all(m in flat for m in markers) for markers in REPORT_TITLE_MARKERS)


def page_title(root) -> str | None:
    """The report title the page's head declares, or None."""
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").strip().lower()
        if key in _TITLE_METAS and meta.get("content"):
            found.setdefault(key, meta.get("content"))
    for title in root.iter("title"):
        found.setdefault("<title>", "".join(title.itertext()))
    for key in (*_TITLE_METAS, "<title>"):
        text = " ".join((found.get(key) or "").split())
        if text and is_report_title(text):
            parts = [p for p in _TITLE_SEPARATORS.split(text) if is_report_title(p)]
            return parts[0] if parts else text
    return None


def script_markup(root) -> str | None:
    """The richest report markup the page's scripts hold as strings, or None."""
    best, best_cjk = None, 0
    budget = MAX_SCRIPT_CHARS
    for script in root.iter("script"):
        code = script.text or ""
        if budget <= 0:
            break
        code, budget = code[:budget], budget - len(code)
        markup = "".join(_unescape(m.group(m.lastindex)) for m in _JS_STRING.finditer(code) if m.lastindex)
        if not _MARKUP.search(markup) or not is_report_title(markup):
            continue
        cjk = len(_CJK.findall(markup))
        if cjk > best_cjk:
            best, best_cjk = markup, cjk
    return best


def escaped_markup(text: str) -> str | None:
    """The page's visible text when it is itself report markup (HTML printed escaped), or None."""
    return text if len(_MARKUP.findall(text)) >= 3 and is_report_title(text) else None


def richer(markup: str, visible: str) -> bool:
    """The markup holds clearly more report text than what the page shows."""
    return len(_CJK.findall(markup)) > 2 * len(_CJK.findall(visible))


def _unescape(literal: str) -> str:
    def one(m: re.Match) -> str:
        esc = m.group(1)
        if esc[0] in "ux" and len(esc) > 1:
            code = int(esc.strip("u{}x"), 16)
            return "\ufffd" if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else chr(code)
        return _SIMPLE_ESCAPES.get(esc, esc)

    return _JS_ESCAPE.sub(one, literal)
