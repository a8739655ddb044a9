"""Tables are read only inside their own section: prose anywhere that names a row label and a
number never hijacks a table (issue 8). Every sample gets label-like prose inserted at the start of
every section and must still read every cell as its gold says."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from extractor.locate.sections import find_sections
from extractor.pipeline import extract_file
from extractor.settings import Settings
from schemas import get_path
from schemas.template import APPEAL_GROUPS, REQUEST_ROWS, table_fields

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "evals" / "dataset" / "gold"
SAMPLES = [p for p in sorted((ROOT / "samples").glob("*.txt"))
           if json.loads((GOLD / f"{p.stem}.json").read_text(encoding="utf-8"))["template"] == "gov2021"]
# prose that restates row labels with numbers no table has
PROSE = "".join(f"{row.text.split('、')[-1]}为999件，" for row in REQUEST_ROWS[:3]) + \
        f"{APPEAL_GROUPS[0].text}888件，行政诉讼777件。"
# the six section headings of the national form (not the table rows that also start 一、 二、 三、)
_SECTION = re.compile(r"^[一二三四五六]、[^\t\n]{0,12}(?:总体情况|主动公开|收到和处理|行政复议|存在的主要问题|其他需要报告)", re.M)


def with_prose_in_every_section(text: str) -> str:
    out, last = [], 0
    for match in _SECTION.finditer(text):
        line_end = text.index("\n", match.end())
        out.append(text[last:line_end + 1] + PROSE + "\n")
        last = line_end + 1
    return "".join(out) + text[last:]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem[:3])
def test_label_like_prose_in_every_section_never_hijacks_a_table(tmp_path, sample):
    text = with_prose_in_every_section(sample.read_text(encoding="utf-8"))
    assert text.count(PROSE) >= 3  # the prose really is in the sections (those printed as headings)
    path = tmp_path / sample.name
    path.write_text(text, encoding="utf-8")
    gold = json.loads((GOLD / f"{sample.stem}.json").read_text(encoding="utf-8"))
    record = extract_file(path, Settings(llm="off")).model_dump()
    wrong = [f.path for f in table_fields() if get_path(record, f.path) != get_path(gold, f.path)]
    assert wrong == []


def test_a_heading_named_in_running_prose_opens_no_section():
    text = ("本报告由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议、"
            "行政诉讼情况等部分组成。\n一、总体情况\n二、主动公开政府信息情况\n表\n"
            "三、收到和处理政府信息公开申请情况\n表\n四、政府信息公开行政复议、行政诉讼情况\n表\n")
    sections = find_sections(text)
    assert [text[a:a + 2] for a, _ in sections.values()] == ["二、", "三、", "四、"]
    assert sections["proactive"][1] == sections["requests"][0]


def test_inline_headings_of_a_one_line_dump_are_found():
    text = "……一、总体情况……二、主动公开政府信息情况第二十条……三、收到和处理政府信息公开申请情况（本列数据……四、因政府信息公开工作被申请行政复议、提起行政诉讼情况……五、存在的主要问题"
    assert set(find_sections(text)) == {"proactive", "requests", "appeals"}


def test_headings_are_found_as_a_search_from_the_last_one_finds_them():
    """``find_sections`` starts each heading's search shortly before its variant's first mention;
    it finds what the plain search from the previous heading's end finds, also with long runs of
    blanks inside a heading, digits and numerals everywhere, and the variant in prose first."""
    from extractor.locate.sections import _heading_patterns
    from schemas.template import TABLES

    def plain(text):
        starts, pos = {}, 0
        for table in TABLES:
            match = _heading_patterns(table.key)[0].search(text, pos)
            if match is not None:
                starts[table.key], pos = match.start(), match.end()
        return starts

    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "samples").glob("*.txt"))]
    texts.append(with_prose_in_every_section(texts[0]))
    texts.append("本报告由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况组成。\n" + texts[0])
    for gap in ("", " ", "\u3000" * 30, "\n \n", "一二三四五六七八九十1、2.第一部分" * 3, "某某某某某某某某某某某某某某"):
        texts.append(f"1{gap}、{gap}主动公开政府信息情况\n（{gap}三{gap}）{gap}收到和处理政府信息公开申请情况\n"
                     f"第四部分{gap}政府信息公开行政复议、行政诉讼情况\n二、{gap}收到和处理政府信息公开申请情况")
    for text in texts:
        assert {k: s for k, (s, _) in find_sections(text).items()} == plain(text)
