"""What an LLM task is shown: the report split at its top-level headings (一、… 六、), so each task
sends only the sections it needs, and long inputs are cut into chunks at section boundaries."""
from __future__ import annotations

import re
from dataclasses import dataclass

# A top-level heading: a line that starts (no table indent) with 一、… 十、 and is short prose.
_HEADING = re.compile(r"^[^\S\t\n]*(?:\[bookmark:[^\]]*\][^\S\t\n]*)?[一二三四五六七八九十]{1,3}[、．.]\s*\S")
_TABLE_LINE = re.compile(r"^\t|\t|\|")
_STATS_TABLE = re.compile(r"^.{0,40}(统计表|情况统计|统计指标)")


@dataclass(frozen=True)
class Section:
    title: str
    start: int
    end: int
    text: str


def split_sections(text: str) -> list[Section]:
    """The preamble and every top-level section, in order, covering the whole text."""
    cuts = [0]  # a heading line may carry a DOCX bookmark: "[bookmark: _GoBack]三、…"
    pos = 0
    for line in text.splitlines(keepends=True):
        if _HEADING.match(line) and not _TABLE_LINE.search(line) and len(line.strip()) <= 40:
            if pos > 0:
                cuts.append(pos)
        pos += len(line)
    cuts.append(len(text))
    sections = []
    for start, end in zip(cuts, cuts[1:]):
        if end > start:
            chunk = text[start:end]
            title = chunk.strip().splitlines()[0][:40] if chunk.strip() else ""
            sections.append(Section(title, start, end, chunk))
    return sections


def prose_only(text: str) -> str:
    """The section without its table rows (TAB- or pipe-separated lines): prose figures only."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if line.strip() and not _TABLE_LINE.search(line))


def sections_with(sections: list[Section], keywords: tuple[str, ...], paragraphs: bool = True) -> list[Section]:
    """Sections whose prose mentions any keyword; with ``paragraphs``, only their heading and the
    prose that mentions one (``mentions``) — a prose figure is stated within its clause."""
    out = []
    for s in sections:
        body = prose_only(s.text)
        if not any(k in body for k in keywords):
            continue
        if paragraphs:
            lines = body.splitlines(keepends=True)
            body = lines[0] + "".join(m + "\n" for line in lines[1:] for m in mentions(line, keywords))
        out.append(Section(s.title, s.start, s.end, body))
    return out


LINE_CHARS = 240  # a prose line up to this long is sent whole
_SENTENCE = re.compile(r"[^。！？；;!?]*[。！？；;!?]?")
BEFORE, AFTER = 60, 140  # characters kept around a keyword in a longer sentence


def mentions(line: str, keywords: tuple[str, ...]) -> list[str]:
    """The parts of ``line`` that mention a keyword: the line itself when short; else each
    sentence that does, and of a sentence longer than ``LINE_CHARS`` (a report printed as one
    line, tables run together) the stretch from ``BEFORE`` characters before a keyword to
    ``AFTER`` after it. Grounding needs the field's word and its figure in one clause, so
    nothing a model could ground is left out."""
    line = line.rstrip("\n")
    if not any(k in line for k in keywords):
        return []
    if len(line) <= LINE_CHARS:
        return [line]
    out = []
    for found in _SENTENCE.finditer(line):
        sentence = found.group(0)
        if not any(k in sentence for k in keywords):
            continue
        if len(sentence) <= LINE_CHARS:
            out.append(sentence.strip())
            continue
        spans: list[list[int]] = []
        for k in keywords:
            for hit in re.finditer(re.escape(k), sentence):
                spans.append(_whole_numbers(sentence, hit.start() - BEFORE, hit.end() + AFTER))
        spans.sort()
        merged = [spans[0]]
        for start, end in spans[1:]:
            if start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        out += [sentence[a:b].strip() for a, b in merged]
    return out


def _whole_numbers(text: str, start: int, end: int) -> list[int]:
    """[start, end) within ``text``, widened so that it cuts no number in two."""
    start, end = max(start, 0), min(end, len(text))
    while 0 < start < len(text) and (text[start].isdigit() or text[start] == ".") and text[start - 1].isdigit():
        start -= 1
    while end < len(text) and text[end - 1].isdigit() and (text[end].isdigit() or text[end] == "."):
        end += 1
    return [start, end]


def stats_table(text: str) -> Section | None:
    """The pre-2019 statistics sheet (…统计表 to the end of the report), if there is one."""
    pos = 0
    for line in text.splitlines(keepends=True):
        if _STATS_TABLE.match(line.strip()) and not line.startswith("\t"):
            return Section(line.strip()[:40], pos, len(text), text[pos:])
        pos += len(line)
    return None


def chunk(parts: list[Section], max_chars: int) -> list[list[Section]]:
    """Group sections into chunks of at most ``max_chars`` (a longer section is cut at lines)."""
    pieces: list[Section] = []
    for s in parts:
        pieces.extend(_cut(s, max_chars) if len(s.text) > max_chars else [s])
    chunks: list[list[Section]] = []
    size = 0
    for s in pieces:
        if chunks and size + len(s.text) <= max_chars:
            chunks[-1].append(s)
            size += len(s.text)
        else:
            chunks.append([s])
            size = len(s.text)
    return chunks


def _cut(section: Section, max_chars: int) -> list[Section]:
    out, buf, start = [], "", section.start
    for line in section.text.splitlines(keepends=True):
        if buf and len(buf) + len(line) > max_chars:
            out.append(Section(section.title, start, start + len(buf), buf))
            start += len(buf)
            buf = ""
        buf += line
    if buf:
        out.append(Section(section.title, start, start + len(buf), buf))
    return out


def render(parts: list[Section]) -> str:
    """The text sent to the model: sections in report order, separated by a blank line."""
    return "\n\n".join(p.text.strip("\n") for p in parts)
