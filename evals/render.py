"""Render a record as a complete, plausible annual report in one of several layouts.

Used by the layout tests (the reader must return the cells it was rendered from, whatever the
layout), by the eval dataset builder and by the extraction benchmark. The tables are built from
:mod:`schemas.template` (labels, groups, columns), so the renderer and the reader share one
declaration of the form; only the layout differs.

Layouts (``LAYOUTS``):
  cells_txt  one table cell per line, TAB-prefixed, rows separated by blank lines (the samples)
  tab_txt    one table row per line, cells TAB-separated (spans resolved into the full grid)
  pipe_md    Markdown pipe-table rows
  html       a web page with a real <table> (rowspan/colspan, inline styles, a <script> in head)
  docx       python-docx table with merged cells
  pdf        reportlab table with a ruled grid, CJK font, page breaks inside the tables
  pdf_text   reportlab text placed at column x positions, no ruling lines
  gbk_txt    tab_txt encoded as GB18030

Variants (``VARIANTS``) change how values and labels are printed; ``expected_record`` gives the
record the reader must return for a rendering (normally the same cells). Everything is seeded
(``random.Random(seed)``); nothing touches the network.
"""
from __future__ import annotations

import copy
import html as html_lib
import io
import random
from dataclasses import dataclass

from schemas.template import (
    APPEAL_COLUMNS,
    APPEAL_GROUPS,
    APPEAL_PARTS,
    APPLICANT_COLUMNS,
    APPLICANT_PARTS,
    PROACTIVE_DOC_COLUMNS,
    PROACTIVE_DOC_ROWS,
    PROACTIVE_SINGLE_ROWS,
    REQUEST_ROWS,
    RESULT_ROW_KEYS,
)

LAYOUTS = ("cells_txt", "tab_txt", "pipe_md", "html", "docx", "pdf", "pdf_text", "gbk_txt")
SUFFIXES = {"cells_txt": ".txt", "tab_txt": ".txt", "pipe_md": ".md", "html": ".html",
            "docx": ".docx", "pdf": ".pdf", "pdf_text": ".pdf", "gbk_txt": ".txt"}
TEXT_LAYOUTS = frozenset({"cells_txt", "tab_txt", "pipe_md", "gbk_txt"})
PDF_LAYOUTS = frozenset({"pdf", "pdf_text"})

VARIANTS = frozenset({
    "blank_zeros",        # zeros printed as "", "—", "-", "/" or "无" (ZERO_STYLES[seed % 5])
    "mixed_blanks",       # with blank_zeros: the style is chosen per cell
    "split_labels",       # long labels broken over two lines
    "fullwidth",          # values in full-width digits ０-９
    "split_number",       # one multi-digit value printed "1 0"-style (text and PDF layouts)
    "thousands",          # values >= 1000 with thousands separators "1,234"
    "single_other_row",   # 2019/2020-style single （六）其他处理 row
    "template2019",       # a gov2019 report: 表二 with the 2019 columns, single （六） row
    "year_in_labels",     # 本年(2022)新收… / 上年(2021)结转… / 本年(2022)制发件数 (seen in real reports)
    "no_summary_prose",   # the prose states none of the summary figures
    "title_split",        # agency and "<year>年政府信息公开工作年度报告" on two lines
    "centered_spans",     # pdf_text: row-spanning group labels printed in their middle row
    "ragged_rows",        # text tables omit row-span-covered cells and pad at the end (seen in real TXT)
    "page_footer",        # a page footer "- 2 -" (and a blank line) inside 表三 of a text layout
    "gbk",                # html: the page is GB18030-encoded and says charset=gb2312
    "separate_tables",    # 表二 printed as four small tables, one per 第二十条 item
    "title_niandu",       # title "<agency><year>年度政府信息公开工作年度报告"
    "layout_table",       # html: the whole article sits inside a page-layout <table>
})
# Variants that only make sense for some layouts (the test matrix uses this).
LAYOUT_ONLY = {"split_number": TEXT_LAYOUTS | PDF_LAYOUTS, "centered_spans": frozenset({"pdf_text"}),
               "ragged_rows": frozenset({"tab_txt", "gbk_txt", "pipe_md"}),
               "page_footer": TEXT_LAYOUTS, "gbk": frozenset({"html"}),
               "layout_table": frozenset({"html"})}
FOOTER_AFTER_ROW = 14  # where page_footer breaks a long table (inside 表三's 不予公开 rows)

ZERO_STYLES = ("", "—", "-", "/", "无")
FONT = "STSong-Light"
DENIED_GROUPS = ("（三）不予公开", "（四）无法提供", "（五）不予处理", "（六）其他处理")
RESULTS_GROUP = "三、本年度办理结果"
OTHER_ROW_KEYS = ("other_no_correction", "other_no_fee", "other_other")
REQUESTS_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

# Filler sentences for the prose sections, with numbers of their own (as real reports have):
# the reader must not take them for table values. {n} is a seeded number, {y} the year.
PROSE_POOL: dict[str, tuple[str, ...]] = {
    "proactive": (
        "通过门户网站发布政务动态{n}篇，更新政策文件栏目{m}次。",
        "召开新闻发布会{k}场，发布政策解读{m}篇，其中图解、视频等形式解读{k}篇。",
        "围绕财政预决算、重大建设项目、公共资源配置等重点领域公开信息{n}条。",
        "动态调整主动公开基本目录，梳理目录事项{m}项。",
    ),
    "requests": (
        "进一步规范依申请公开办理流程，严格落实登记、审核、答复等环节要求。",
        "加强与申请人的沟通，对申请内容不明确的，一次性告知补正事项。",
        "组织业务骨干对答复文书进行集体审核，答复规范性持续提升。",
    ),
    "management": (
        "全年开展公开前保密审查{n}次，未发生泄密事件。",
        "对{y}年以前制发的文件开展清理，确认继续有效文件{m}件。",
        "落实政府信息公开属性源头认定机制，公文类信息在拟文时即明确公开属性。",
    ),
    "platform": (
        "政务新媒体矩阵共有账号{k}个，全年发布信息{n}条，阅读量{m}万人次。",
        "优化政府网站政府信息公开专栏设置，新增专题专栏{k}个。",
        "政务服务热线受理群众来电{n}件，按时办结率100%。",
    ),
    "oversight": (
        "组织政务公开业务培训{k}次，参训{m}人次。",
        "将政务公开工作纳入年度绩效考核，分值占比{k}%。",
        "按季度开展网站和政务新媒体检查，发现并整改问题{k}个。",
    ),
    "problems": (
        "一是政策解读的形式和深度有待加强；二是基层政务公开标准化规范化水平有待提升；"
        "三是依申请公开答复的规范性还需进一步提高。",
        "下一步，将围绕群众关切，丰富解读形式，加强业务培训，推动政务公开提质增效。",
        "同时，将加强对{y}年度政务公开工作要点落实情况的跟踪督办。",
    ),
}


# ---------------------------------------------------------------------------------------------
# The report as layout-free blocks
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """A source cell: ``text`` may hold "\\n" (a label printed on two lines)."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    value: bool = False


@dataclass(frozen=True)
class Block:
    kind: str  # "title" | "heading" | "para" | "table"
    text: str = ""
    rows: tuple[tuple[Cell, ...], ...] = ()


class ValueFormatter:
    """Prints the table values of one rendering according to its variants."""

    def __init__(self, variants: frozenset[str], layout: str, rng: random.Random,
                 seed: int = 0) -> None:
        self.variants = variants
        self.rng = rng
        self.zero_style = ZERO_STYLES[seed % len(ZERO_STYLES)]  # seed 0 → "", 1 → "—", …
        self.split_target: str | None = None
        self.split_allowed = ("split_number" in variants
                              and layout in LAYOUT_ONLY["split_number"])

    def plan_split(self, values: dict[str, float | int | None]) -> None:
        """Pick the one multi-digit value that will be printed with a space inside."""
        if not self.split_allowed:
            return
        candidates = sorted(p for p, v in values.items()
                            if v is not None and float(v).is_integer() and abs(v) >= 10)
        if candidates:
            self.split_target = self.rng.choice(candidates)

    def format(self, value: float | int | None, path: str = "") -> str:
        if value is None:
            return ""
        if value == 0 and "blank_zeros" in self.variants:
            return self.rng.choice(ZERO_STYLES) if "mixed_blanks" in self.variants else self.zero_style
        text = format_number(value, thousands="thousands" in self.variants)
        if path and path == self.split_target and "," not in text:
            text = text[0] + " " + text[1:]
        if "fullwidth" in self.variants:
            text = text.translate(_FULLWIDTH)
        return text


def format_number(value: float | int, thousands: bool = False) -> str:
    """A table value as a report prints it: whole numbers without a decimal point."""
    if float(value).is_integer():
        return f"{int(value):,}" if thousands else str(int(value))
    text = repr(float(value))
    if "e" in text:
        text = f"{float(value):.6f}".rstrip("0")
    if thousands:
        whole, _, frac = text.partition(".")
        text = f"{int(whole):,}" + (f".{frac}" if frac else "")
    return text


def split_label(text: str) -> str:
    """A long label broken over two lines, as narrow table columns print it."""
    if len(text) <= 10 or "\n" in text:
        return text
    for mark in ("（区分", "，", "、行政机关"):
        at = text.find(mark)
        if 4 <= at <= len(text) - 4:
            cut = at + (0 if mark == "（区分" else 1)
            return text[:cut] + "\n" + text[cut:]
    mid = len(text) // 2
    return text[:mid] + "\n" + text[mid:]


class ReportBuilder:
    """Turns a record into blocks (title, headings, paragraphs, tables)."""

    def __init__(self, record: dict, layout: str, variants: frozenset[str], seed: int) -> None:
        self.record = record
        self.variants = variants
        self.rng = random.Random(f"{seed}:{layout}:{sorted(variants)}")
        self.fmt = ValueFormatter(variants, layout, self.rng, seed)
        self.year = record["year"]
        self.template = ("gov2019" if "template2019" in variants or record.get("template") == "gov2019"
                         else "gov2021")
        self.single_other = ("single_other_row" in variants or self.template == "gov2019"
                             or _has_single_other_row(record))

    # --- labels --------------------------------------------------------------------------
    def label(self, text: str) -> str:
        if "year_in_labels" in self.variants:
            y = self.year
            text = (text.replace("本年新收", f"本年（{y}）新收").replace("上年结转", f"上年（{y - 1}）结转")
                    .replace("结转下年度", f"结转下年度（{y + 1}）")
                    .replace("本年制发件数", f"本年（{y}）制发件数")
                    .replace("现行有效件数", "现行有效件数（历年）"))
        if "split_labels" in self.variants:
            text = split_label(text)
        return text

    def value(self, path: str) -> Cell:
        return Cell(self.fmt.format(self._get(path), path), value=True)

    def _get(self, path: str):
        cur = self.record
        for part in path.split("."):
            if not isinstance(cur, dict):
                return None
            cur = cur.get(part)
        return cur

    # --- tables --------------------------------------------------------------------------
    def proactive_table(self) -> tuple[tuple[Cell, ...], ...]:
        """表二 as in the 2021 template: one 4-column table with section rows."""
        rows: list[tuple[Cell, ...]] = [
            (Cell("第二十条第（一）项", colspan=4),),
            (Cell("信息内容"),) + tuple(Cell(self.label(c.text)) for c in PROACTIVE_DOC_COLUMNS),
        ]
        for row in PROACTIVE_DOC_ROWS:
            rows.append((Cell(row.text),) + tuple(
                self.value(f"proactive.{row.key}.{c.key}") for c in PROACTIVE_DOC_COLUMNS))
        sections = {"licensing": "第二十条第（五）项", "penalty": "第二十条第（六）项",
                    "fees": "第二十条第（八）项"}
        for row in PROACTIVE_SINGLE_ROWS:
            if row.key in sections:
                header = row.group.split(" ", 1)[1]
                rows.append((Cell(sections[row.key], colspan=4),))
                rows.append((Cell("信息内容"), Cell(self.label(header), colspan=3)))
            rows.append((Cell(row.text), Cell(self.fmt.format(self._get(f"proactive.{row.key}"),
                                                              f"proactive.{row.key}"),
                                              colspan=3, value=True)))
        return tuple(rows)

    def proactive_table_2019(self) -> tuple[tuple[Cell, ...], ...]:
        """表二 of the 2019/2020 form (本年新制作数量 …), filled with seeded numbers."""
        r = random.Random(f"2019:{self.year}:{self.record.get('agency')}")
        num = lambda hi: Cell(self.fmt.format(r.choice((0, 0, r.randint(1, hi)))), value=True)  # noqa: E731
        head3 = ("上一年项目数量", "本年增/减", "处理决定数量")
        rows: list[tuple[Cell, ...]] = [
            (Cell("第二十条第（一）项", colspan=4),),
            (Cell("信息内容"), Cell("本年新制作数量"), Cell("本年新公开数量"), Cell("对外公开总数量")),
            (Cell("规章"), num(9), num(9), num(60)),
            (Cell("规范性文件"), num(20), num(20), num(300)),
            (Cell("第二十条第（五）项", colspan=4),),
            (Cell("信息内容"),) + tuple(Cell(h) for h in head3),
            (Cell("行政许可"), num(200), num(20), num(5000)),
            (Cell("其他对外管理服务事项"), num(50), num(9), num(900)),
            (Cell("第二十条第（六）项", colspan=4),),
            (Cell("信息内容"),) + tuple(Cell(h) for h in head3),
            (Cell("行政处罚"), num(100), num(9), num(3000)),
            (Cell("行政强制"), num(50), num(9), num(500)),
            (Cell("第二十条第（八）项", colspan=4),),
            (Cell("信息内容"), Cell("上一年项目数量"), Cell("本年增/减", colspan=2)),
            (Cell("行政事业性收费"), num(30), Cell(self.fmt.format(r.randint(0, 3)), colspan=2, value=True)),
            (Cell("第二十条第（九）项", colspan=4),),
            (Cell("信息内容"), Cell("采购项目数量"), Cell("采购总金额", colspan=2)),
            (Cell("政府集中采购"), num(40), Cell(format_number(round(r.uniform(0, 900), 2)),
                                             colspan=2, value=True)),
        ]
        return tuple(rows)

    def requests_table(self) -> tuple[tuple[Cell, ...], ...]:
        """表三: two header rows under 申请人情况, then 25 (or 23) rows of 7 values, with the
        group labels in row-spanning cells."""
        parts = APPLICANT_COLUMNS[:-1]
        rows: list[tuple[Cell, ...]] = [
            (Cell(self.label(REQUESTS_NOTE), rowspan=3, colspan=3), Cell("申请人情况", colspan=7)),
            (Cell(APPLICANT_COLUMNS[0].text, rowspan=2), Cell("法人或其他组织", colspan=5),
             Cell("总计", rowspan=2)),
            tuple(Cell(self.label(c.text) if "split_labels" not in self.variants else
                       split_label_short(c.text)) for c in parts[1:]),
        ]
        keys = [r for r in REQUEST_ROWS
                if not (self.single_other and r.key in ("other_no_correction", "other_no_fee"))]
        result_rows = [r.key for r in keys if r.key in RESULT_ROW_KEYS or r.key == "total"]
        group_sizes = {g: sum(1 for r in keys if r.group == g) for g in DENIED_GROUPS}
        seen_groups: set[str] = set()
        for r in keys:
            values = tuple(self.value(f"requests.{r.key}.{c.key}") for c in APPLICANT_COLUMNS)
            lead: tuple[Cell, ...] = ()
            if r.key == result_rows[0]:
                lead = (Cell(RESULTS_GROUP, rowspan=len(result_rows)),)
            if r.key not in result_rows:
                rows.append((Cell(self.label(r.text), colspan=3),) + values)
            elif r.group in DENIED_GROUPS and not (self.single_other and r.key == "other_other"):
                if r.group not in seen_groups:
                    seen_groups.add(r.group)
                    lead += (Cell(r.group, rowspan=group_sizes[r.group]),)
                rows.append(lead + (Cell(self.label(r.text)),) + values)
            else:
                text = "（六）其他处理" if r.key == "other_other" else r.text
                rows.append(lead + (Cell(self.label(text), colspan=2),) + values)
        return tuple(rows)

    def appeals_table(self) -> tuple[tuple[Cell, ...], ...]:
        """表四: 行政复议 (5 columns) and 行政诉讼 (2 × 5), three header rows, one value row."""
        cols = [self.label(c.text) for c in APPEAL_COLUMNS]
        if "split_labels" in self.variants:
            cols = [c[:2] + "\n" + c[2:] if len(c) > 2 else c for c in cols]
        return (
            (Cell("行政复议", colspan=5), Cell("行政诉讼", colspan=10)),
            tuple(Cell(c, rowspan=2) for c in cols)
            + (Cell("未经复议直接起诉", colspan=5), Cell("复议后起诉", colspan=5)),
            tuple(Cell(c) for c in cols) * 2,
            tuple(self.value(f"appeals.{g.key}.{c.key}") for g in APPEAL_GROUPS for c in APPEAL_COLUMNS),
        )

    # --- the report ----------------------------------------------------------------------
    def blocks(self) -> list[Block]:
        self.fmt.plan_split(_table_values(self.record, self.single_other))
        rec, y, rng = self.record, self.year, self.rng
        agency = rec["agency"]
        out: list[Block] = []
        if "title_split" in self.variants:
            out += [Block("title", agency), Block("title", f"{y}年政府信息公开工作年度报告")]
        elif "title_niandu" in self.variants:
            out.append(Block("title", f"{agency}{y}年度政府信息公开工作年度报告"))
        else:
            out.append(Block("title", f"{agency}{y}年政府信息公开工作年度报告"))
        notice = ("国办公开办函〔2021〕30号" if self.template == "gov2021" else "国办公开办函〔2019〕60号")
        out.append(Block("para", rng.choice((
            f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《国务院办公厅政府信息与政务公开"
            f"办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（{notice}）要求编制。",
            "根据《中华人民共和国政府信息公开条例》，特向社会公布本机关政府信息公开工作年度报告。",
        )) + "全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议"
            "行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项。"
            f"本报告中所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。"))
        out.append(Block("heading", "一、总体情况"))
        out += self.overview_paras()
        out.append(Block("heading", rng.choice(("二、主动公开政府信息情况", "二、行政机关主动公开政府信息情况"))))
        proactive = (self.proactive_table() if self.template == "gov2021"
                     else self.proactive_table_2019())
        if "separate_tables" in self.variants:
            # one table per 第二十条 item: its title row goes above it as a paragraph
            starts = [i for i, row in enumerate(proactive) if row[0].text.startswith("第二十条")]
            for a, b in zip(starts, starts[1:] + [len(proactive)]):
                out.append(Block("para", proactive[a][0].text))
                out.append(Block("table", rows=proactive[a + 1:b]))
        else:
            out.append(Block("table", rows=proactive))
        out.append(Block("heading", rng.choice(("三、收到和处理政府信息公开申请情况",
                                                "三、行政机关收到和处理政府信息公开申请情况"))))
        out.append(Block("table", rows=self.requests_table()))
        out.append(Block("heading", "四、政府信息公开行政复议、行政诉讼情况"))
        out.append(Block("table", rows=self.appeals_table()))
        out.append(Block("heading", "五、存在的主要问题及改进情况"))
        out.append(Block("para", f"{y}年，本机关政府信息公开工作取得了一定成效，但仍存在一些不足。"
                         + self.filler("problems")))
        out.append(Block("heading", "六、其他需要报告的事项"))
        out += self.other_paras()
        out.append(Block("para", f"{agency}"))
        out.append(Block("para", f"{y + 1}年1月{rng.randint(10, 28)}日"))
        return out

    def filler(self, topic: str) -> str:
        """Two or three seeded sentences on ``topic`` from ``PROSE_POOL``."""
        rng = self.rng
        pool = PROSE_POOL[topic]
        picked = rng.sample(pool, k=min(len(pool), rng.randint(2, 3)))
        return "".join(t.format(n=rng.randint(100, 9999), m=rng.randint(10, 999),
                                k=rng.randint(2, 40), y=self.year) for t in picked)

    def overview_paras(self) -> list[Block]:
        s = self.record.get("summary") or {}
        prose = "no_summary_prose" not in self.variants
        out = [Block("heading", "（一）主动公开情况")]
        text = "坚持“公开为常态、不公开为例外”，围绕重点领域做好主动公开工作。"
        if prose and s.get("proactive_total") is not None:
            text += f"全年共主动公开政府信息{s['proactive_total']}条，其中政策文件、工作动态、人事信息等均及时发布。"
        out.append(Block("para", text + self.filler("proactive")))
        out.append(Block("heading", "（二）依申请公开情况"))
        new_total = self._get("requests.new.total")
        text = "规范依申请公开受理、办理、答复流程，均在法定期限内予以答复。"
        if prose and new_total is not None:
            text = f"本年度共收到政府信息公开申请{new_total}件。" + text
        out.append(Block("para", text + self.filler("requests")))
        out.append(Block("heading", "（三）政府信息管理"))
        out.append(Block("para", "严格落实“三审三校”制度，做好公开前保密审查，动态调整主动公开基本目录。"
                         + self.filler("management")))
        out.append(Block("heading", "（四）政府信息公开平台建设"))
        out.append(Block("para", "以门户网站为第一平台，结合政务新媒体及时发布权威信息。"
                         + self.filler("platform")))
        out.append(Block("heading", "（五）监督保障"))
        out.append(Block("para", "健全政务公开领导机制，开展业务培训，将政务公开纳入年度考核。"
                         + self.filler("oversight")))
        return out

    def other_paras(self) -> list[Block]:
        s = self.record.get("summary") or {}
        prose = "no_summary_prose" not in self.variants
        out = []
        fee = s.get("fee_collected_yuan")
        if prose and fee is not None:
            out.append(Block("para", "本年度未收取信息处理费。" if fee == 0 else
                             f"依据《政府信息公开信息处理费管理办法》，本年度共收取信息处理费{format_number(fee)}元。"))
        npc, cppcc = s.get("npc_suggestions"), s.get("cppcc_proposals")
        if prose and npc is not None and cppcc is not None:
            out.append(Block("para", f"本年度共办理人大代表建议{npc}件、政协提案{cppcc}件，办理结果均已按要求公开。"))
        out.append(Block("para", "无其他需要报告的事项。"))
        return out


def split_label_short(text: str) -> str:
    """Column headers like 社会公益组织 printed over two lines in narrow columns."""
    return text[:2] + "\n" + text[2:] if len(text) >= 4 else text


def _has_single_other_row(record: dict) -> bool:
    req = record.get("requests") or {}
    return req.get("other_no_correction") is None and req.get("other_no_fee") is None


def _table_values(record: dict, single_other: bool) -> dict[str, float | int | None]:
    out: dict[str, float | int | None] = {}
    req = record.get("requests") or {}
    skip = ("other_no_correction", "other_no_fee") if single_other else ()
    for key, row in req.items():
        if key in skip or not isinstance(row, dict):
            continue
        for col, v in row.items():
            out[f"requests.{key}.{col}"] = v
    for g, grp in (record.get("appeals") or {}).items():
        for col, v in (grp or {}).items():
            out[f"appeals.{g}.{col}"] = v
    return out


# ---------------------------------------------------------------------------------------------
# Table geometry
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Placed:
    row: int
    col: int
    cell: Cell


def place_cells(rows: tuple[tuple[Cell, ...], ...]) -> tuple[list[Placed], int]:
    """Grid positions of the source cells (HTML span rules) and the grid width."""
    taken: set[tuple[int, int]] = set()
    placed: list[Placed] = []
    width = 0
    for r, row in enumerate(rows):
        col = 0
        for cell in row:
            while (r, col) in taken:
                col += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, col + dc))
            placed.append(Placed(r, col, cell))
            col += cell.colspan
            width = max(width, col)
    return placed, width


def full_grid(rows: tuple[tuple[Cell, ...], ...]) -> list[list[str]]:
    """Spans resolved: text in the top-left position, covered positions empty."""
    placed, width = place_cells(rows)
    grid = [[""] * width for _ in rows]
    for p in placed:
        grid[p.row][p.col] = p.cell.text
    return grid


def docx_like_rows(rows: tuple[tuple[Cell, ...], ...]) -> list[list[str]]:
    """Rows as a Word table reports them: a column span is one cell, a row-span continuation is
    an empty cell in each later row (the shape of the sample TXT files)."""
    placed, width = place_cells(rows)
    start = {(p.row, p.col): p.cell for p in placed}
    cover: dict[tuple[int, int], Cell] = {}
    for p in placed:
        for dr in range(1, p.cell.rowspan):
            cover[(p.row + dr, p.col)] = p.cell
    out = []
    for r in range(len(rows)):
        line, col = [], 0
        while col < width:
            if (r, col) in start:
                cell = start[(r, col)]
                line.append(cell.text)
                col += cell.colspan
            elif (r, col) in cover:
                line.append("")
                col += cover[(r, col)].colspan
            else:
                col += 1
        out.append(line)
    return out


# ---------------------------------------------------------------------------------------------
# Layouts
# ---------------------------------------------------------------------------------------------
def ragged_rows(rows: tuple[tuple[Cell, ...], ...]) -> list[list[str]]:
    """Only the cells that start in each row (no placeholders for row spans), padded with
    empty cells at the end to the longest row: the shape of TXT tables pasted out of some
    editors (sample 003)."""
    out = [[c.text for c in row] for row in rows]
    width = max(len(r) for r in out)
    return [r + [""] * (width - len(r)) for r in out]


def _footer(rows: tuple, index: int, variants: frozenset[str], page: int = 2) -> list[str]:
    """The page-footer lines to insert before row ``index`` of a table, if any."""
    if "page_footer" in variants and len(rows) > 20 and index == FOOTER_AFTER_ROW:
        return ["", f"- {page} -", ""]
    return []


def render_cells_txt(blocks: list[Block], variants: frozenset[str] = frozenset()) -> str:
    lines: list[str] = []
    for b in blocks:
        if b.kind != "table":
            lines.append(b.text)
            continue
        for i, row in enumerate(docx_like_rows(b.rows)):
            if i:
                lines.append("")
            lines.extend(_footer(b.rows, i, variants)[1:-1])
            lines.extend("\t" + cell for cell in row)
        lines += ["", ""]
    return "\n".join(lines) + "\n"


def render_tab_txt(blocks: list[Block], variants: frozenset[str] = frozenset()) -> str:
    lines: list[str] = []
    for b in blocks:
        if b.kind != "table":
            lines.append(b.text)
            continue
        grid = ragged_rows(b.rows) if "ragged_rows" in variants else full_grid(b.rows)
        for i, row in enumerate(grid):
            lines.extend(_footer(b.rows, i, variants))
            # a cell printed on two lines keeps its line break, as a table copied out of Word
            # does: the row then runs over two lines, split inside that cell
            lines.append("\t".join(row))
        lines.append("")
    return "\n".join(lines) + "\n"


def render_pipe_md(blocks: list[Block], variants: frozenset[str] = frozenset()) -> str:
    lines: list[str] = []
    for b in blocks:
        if b.kind == "title":
            lines += [f"# {b.text}", ""]
        elif b.kind == "heading":
            lines += [f"## {b.text}", ""]
        elif b.kind == "para":
            lines += [b.text, ""]
        else:
            grid = ragged_rows(b.rows) if "ragged_rows" in variants else full_grid(b.rows)
            for i, row in enumerate(grid):
                lines.extend(_footer(b.rows, i, variants))
                lines.append("| " + " | ".join(c.replace("\n", "<br>") for c in row) + " |")
                if i == 0:
                    lines.append("|" + "---|" * len(row))
            lines.append("")
    return "\n".join(lines) + "\n"


_TD_STYLE = ("border:1px solid #000;padding:2px 4px;font-size:10.5pt;font-family:宋体;"
             "text-align:center;vertical-align:middle")


def render_html(blocks: list[Block], rng: random.Random, charset: str = "utf-8",
                layout_table: bool = False) -> str:
    esc = html_lib.escape
    out = ['<!DOCTYPE html>', f'<html lang="zh-CN"><head><meta http-equiv="Content-Type" '
           f'content="text/html; charset={charset}">',
           f"<title>{esc(blocks[0].text)}</title>",
           '<script type="text/javascript">var _hmt = _hmt || []; var tpl = "<table><tr><td>'
           '一、本年新收政府信息公开申请数量</td><td>999</td></tr></table>"; '
           'document.addEventListener("DOMContentLoaded", function () { /* 统计 */ });</script>',
           '<style>.article p{text-indent:2em;line-height:1.8}</style></head>',
           '<body><div class="header">首页 &gt; 政务公开 &gt; 政府信息公开年报</div>',
           '<div class="article">']
    if layout_table:  # old CMS pages lay the page out with a table around the article
        out.append('<table width="1000" align="center" border="0"><tr><td width="200" valign="top">'
                   '<a href="/">首页</a><br/><a href="/zwgk/">政务公开</a></td><td valign="top">')
    for b in blocks:
        if b.kind == "title":
            out.append(f'<h1 style="text-align:center;font-size:18pt">{esc(b.text)}</h1>')
        elif b.kind == "heading":
            out.append(f'<p style="font-weight:bold"><strong>{esc(b.text)}</strong></p>')
        elif b.kind == "para":
            out.append(f'<p style="text-indent:2em"><span style="font-family:仿宋">{esc(b.text)}</span></p>')
        else:
            out.append('<table border="1" cellspacing="0" cellpadding="0" '
                       'style="border-collapse:collapse;width:100%;margin:0 auto"><tbody>')
            for row in b.rows:
                out.append('<tr style="height:24px">')
                for cell in row:
                    attrs = ""
                    if cell.rowspan > 1:
                        attrs += f' rowspan="{cell.rowspan}"'
                    if cell.colspan > 1:
                        attrs += f' colspan="{cell.colspan}"'
                    text = "<br/>".join(esc(part) for part in cell.text.split("\n"))
                    if not text and rng.random() < 0.5:
                        text = "&nbsp;"
                    out.append(f'<td{attrs} style="{_TD_STYLE}"><p style="margin:0">'
                               f'<span style="font-size:10pt">{text}</span></p></td>')
                out.append("</tr>")
            out.append("</tbody></table>")
    if layout_table:
        out.append("</td></tr></table>")
    out.append('</div><div class="footer">主办单位：本机关 版权所有</div></body></html>')
    return "\n".join(out)


def render_docx(blocks: list[Block], rng: random.Random) -> bytes:
    from docx import Document as DocxDocument
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = DocxDocument()
    for b in blocks:
        if b.kind == "title":
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run(b.text).bold = True
        elif b.kind == "heading":
            doc.add_paragraph().add_run(b.text).bold = True
        elif b.kind == "para":
            doc.add_paragraph(b.text)
        else:
            placed, width = place_cells(b.rows)
            table = doc.add_table(rows=len(b.rows), cols=width)
            table.style = "Table Grid"
            cells = table._cells  # once: Table.cell() re-walks the whole grid on every call
            at = lambda r, c: cells[r * width + c]  # noqa: E731
            for p in placed:
                cell = at(p.row, p.col)
                parts = p.cell.text.split("\n")
                if len(parts) > 1 and rng.random() < 0.5:
                    cell.text = parts[0]
                    cell.add_paragraph(parts[1])
                else:
                    cell.text = p.cell.text  # "\n" becomes a line break inside the paragraph
            for p in placed:  # merge after filling: the covered cells are empty
                if p.cell.rowspan > 1 or p.cell.colspan > 1:
                    at(p.row, p.col).merge(at(p.row + p.cell.rowspan - 1, p.col + p.cell.colspan - 1))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def render_pdf(blocks: list[Block]) -> bytes:
    """Ruled tables (platypus), A4 portrait, tables break across pages."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_font()
    body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK",
                          firstLineIndent=21)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=24, alignment=1,
                           firstLineIndent=0)
    head = ParagraphStyle("head", parent=body, firstLineIndent=0)
    cell_style = ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=10, wordWrap="CJK",
                                alignment=1)
    story = []
    for b in blocks:
        if b.kind == "title":
            story.append(Paragraph(html_lib.escape(b.text), title))
        elif b.kind in ("heading", "para"):
            story.append(Paragraph(html_lib.escape(b.text), head if b.kind == "heading" else body))
        else:
            placed, width = place_cells(b.rows)
            grid: list[list[object]] = [[""] * width for _ in b.rows]
            spans = []
            for p in placed:
                text = html_lib.escape(p.cell.text).replace("\n", "<br/>")
                grid[p.row][p.col] = p.cell.text if p.cell.value else Paragraph(text, cell_style)
                if p.cell.rowspan > 1 or p.cell.colspan > 1:
                    spans.append(("SPAN", (p.col, p.row),
                                  (p.col + p.cell.colspan - 1, p.row + p.cell.rowspan - 1)))
            col_widths = _pdf_col_widths(width, 180 * mm)
            table = Table(grid, colWidths=col_widths, splitByRow=1)
            table.setStyle(TableStyle([
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ] + spans))
            story += [Spacer(1, 4), table, Spacer(1, 6)]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=20 * mm, bottomMargin=20 * mm, title=blocks[0].text)
    doc.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buf.getvalue()


def _pdf_col_widths(width: int, total: float) -> list[float]:
    if width == 4:
        return [total * 0.31] + [total * 0.23] * 3
    if width == 10:
        label = [total * 0.08, total * 0.1, total * 0.28]
        rest = (total - sum(label)) / 7
        return label + [rest] * 7
    return [total / width] * width


def _page_number(canvas, doc) -> None:
    from reportlab.lib.pagesizes import A4

    canvas.saveState()
    canvas.setFont(FONT, 9)
    canvas.drawCentredString(A4[0] / 2, 28, f"- {doc.page} -")
    canvas.restoreState()


class TextPdfWriter:
    """Draws text rows at column x positions with no ruling lines (A4 landscape)."""

    def __init__(self, variants: frozenset[str]) -> None:
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.pdfgen import canvas

        _register_font()
        self.variants = variants
        self.buf = io.BytesIO()
        self.size = landscape(A4)
        self.canvas = canvas.Canvas(self.buf, pagesize=self.size)
        self.margin = 40.0
        self.y = self.size[1] - self.margin
        self.page = 1

    def ensure(self, height: float) -> None:
        if self.y - height < self.margin + 20:
            self.canvas.setFont(FONT, 9)
            self.canvas.drawCentredString(self.size[0] / 2, 24, f"- {self.page} -")
            self.canvas.showPage()
            self.page += 1
            self.y = self.size[1] - self.margin

    def paragraph(self, text: str, size: float = 10.5, centred: bool = False) -> None:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        usable = self.size[0] - 2 * self.margin
        line = ""
        lines = []
        for ch in text:
            if stringWidth(line + ch, FONT, size) > usable:
                lines.append(line)
                line = ""
            line += ch
        lines.append(line)
        for ln in lines:
            self.ensure(size * 1.6)
            self.canvas.setFont(FONT, size)
            if centred:
                self.canvas.drawCentredString(self.size[0] / 2, self.y, ln)
            else:
                self.canvas.drawString(self.margin, self.y, ln)
            self.y -= size * 1.6

    def table(self, rows: tuple[tuple[Cell, ...], ...], size: float = 8) -> None:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        placed, width = place_cells(rows)
        widths = [24.0] * width
        for p in placed:
            if p.cell.colspan == 1:
                need = max(stringWidth(t, FONT, size) for t in p.cell.text.split("\n")) + 10
                widths[p.col] = max(widths[p.col], need)
        for p in placed:
            if p.cell.colspan > 1:
                need = max(stringWidth(t, FONT, size) for t in p.cell.text.split("\n")) + 10
                have = sum(widths[p.col:p.col + p.cell.colspan])
                if need > have:
                    widths[p.col + p.cell.colspan - 1] += need - have
        xs = [self.margin]
        for w in widths[:-1]:
            xs.append(xs[-1] + w)
        line_h = size * 1.5
        by_row: dict[int, list[Placed]] = {}
        for p in placed:
            r = p.row
            if p.cell.rowspan > 1 and "centered_spans" in self.variants:
                r = p.row + (p.cell.rowspan - 1) // 2
            by_row.setdefault(r, []).append(p)
        self.y -= 4
        for r in range(len(rows)):
            cells = by_row.get(r, [])
            n_lines = max([len(p.cell.text.split("\n")) for p in cells] + [1])
            height = line_h * n_lines + 4
            self.ensure(height)
            for p in cells:
                parts = p.cell.text.split("\n")
                # the cell's lines centred vertically in the row, like a real table cell
                top = self.y - (height - len(parts) * line_h) / 2 - size
                self.canvas.setFont(FONT, size)
                for i, part in enumerate(parts):
                    self._draw_cell_text(part, xs[p.col], top - i * line_h, size, p.cell.value)
            self.y -= height
        self.y -= 6

    def _draw_cell_text(self, text: str, x: float, y: float, size: float, value: bool) -> None:
        if value and " " in text:
            # a value printed with a gap inside ("1 0"): two pieces a small space apart
            from reportlab.pdfbase.pdfmetrics import stringWidth

            left, right = text.split(" ", 1)
            self.canvas.drawString(x + 4, y, left)
            self.canvas.drawString(x + 4 + stringWidth(left, FONT, size) + size * 0.6, y, right)
            return
        self.canvas.drawString(x + 4, y, text)

    def finish(self) -> bytes:
        self.canvas.setFont(FONT, 9)
        self.canvas.drawCentredString(self.size[0] / 2, 24, f"- {self.page} -")
        self.canvas.save()
        return self.buf.getvalue()


def render_pdf_text(blocks: list[Block], variants: frozenset[str]) -> bytes:
    writer = TextPdfWriter(variants)
    for b in blocks:
        if b.kind == "title":
            writer.paragraph(b.text, size=16, centred=True)
        elif b.kind in ("heading", "para"):
            writer.paragraph(b.text)
        else:
            writer.table(b.rows)
    return writer.finish()


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------
def render_report(record: dict, layout: str, *, variants: frozenset[str] = frozenset(),
                  seed: int = 0) -> tuple[str, bytes]:
    """A complete report for ``record`` in ``layout``: (file suffix, file bytes)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    unknown = set(variants) - VARIANTS
    if unknown:
        raise ValueError(f"unknown variants {sorted(unknown)}; known: {sorted(VARIANTS)}")
    if not record.get("requests") or not record.get("appeals"):
        raise ValueError("render_report needs a record with 表三 (requests) and 表四 (appeals): "
                         "gov2021/gov2019 records only")
    variants = frozenset(variants)
    builder = ReportBuilder(render_input(record, variants), layout, variants, seed)
    blocks = builder.blocks()
    suffix = SUFFIXES[layout]
    if layout == "cells_txt":
        return suffix, render_cells_txt(blocks, variants).encode("utf-8")
    if layout == "tab_txt":
        return suffix, render_tab_txt(blocks, variants).encode("utf-8")
    if layout == "gbk_txt":
        return suffix, render_tab_txt(blocks, variants).encode("gb18030")
    if layout == "pipe_md":
        return suffix, render_pipe_md(blocks, variants).encode("utf-8")
    if layout == "html":
        layout_table = "layout_table" in variants
        if "gbk" in variants:
            return suffix, render_html(blocks, builder.rng, "gb2312", layout_table).encode("gb18030")
        return suffix, render_html(blocks, builder.rng, layout_table=layout_table).encode("utf-8")
    if layout == "docx":
        return suffix, render_docx(blocks, builder.rng)
    if layout == "pdf":
        return suffix, render_pdf(blocks)
    return suffix, render_pdf_text(blocks, variants)


CONTRACT_KEYS = ("agency", "year", "template", "proactive", "requests", "appeals", "summary")


def expected_record(record: dict, variants: frozenset[str] = frozenset()) -> dict:
    """The record the reader must return for ``render_report(record, …, variants=variants)``:
    the contract keys only. Values are those of ``record``; a table cell that is null is printed
    blank and so reads as 0; the single （六） row holds the sum of the three （六） rows."""
    record = render_input(record, variants)
    out = {k: copy.deepcopy(record.get(k)) for k in CONTRACT_KEYS}
    if "template2019" in variants:
        out["template"] = "gov2019"
        out["proactive"] = None
    else:
        out["template"] = record.get("template") or "gov2021"
    single = _has_single_other_row(record)
    req = out["requests"]
    for key in [r.key for r in REQUEST_ROWS]:
        if single and key in OTHER_ROW_KEYS[:2]:
            continue
        row = req.get(key) or {}
        req[key] = {c.key: row.get(c.key) or 0 for c in APPLICANT_COLUMNS}
    out["appeals"] = {g.key: {c.key: ((record["appeals"].get(g.key) or {}).get(c.key) or 0)
                              for c in APPEAL_COLUMNS} for g in APPEAL_GROUPS}
    if out["proactive"] is not None:
        p = out["proactive"]
        for row in PROACTIVE_DOC_ROWS:
            vals = p.get(row.key) or {}
            p[row.key] = {c.key: vals.get(c.key) or 0 for c in PROACTIVE_DOC_COLUMNS}
        for row in PROACTIVE_SINGLE_ROWS:
            p[row.key] = p.get(row.key) or 0
    summary = dict(out["summary"] or {})
    summary["requests_received"] = req["new"]["total"]
    summary["review_total"] = out["appeals"]["review"]["total"]
    summary["litigation_total"] = (out["appeals"]["litigation_direct"]["total"]
                                   + out["appeals"]["litigation_after_review"]["total"])
    if "no_summary_prose" in variants:
        for key in ("proactive_total", "fee_collected_yuan", "npc_suggestions", "cppcc_proposals"):
            summary[key] = None
    elif summary.get("npc_suggestions") is None or summary.get("cppcc_proposals") is None:
        summary["npc_suggestions"] = summary["cppcc_proposals"] = None
    out["summary"] = summary
    return out


def render_input(record: dict, variants: frozenset[str]) -> dict:
    """The record a rendering is made from: the 2019 form is dated 2019/2020, and a single
    （六）其他处理 row prints the sum of the three （六） rows."""
    if "template2019" in variants and record.get("year", 0) > 2020:
        record = {**record, "year": 2020}
    if ({"single_other_row", "template2019"} & set(variants)) and not _has_single_other_row(record):
        req = dict(record["requests"])
        rows = [req.get(k) or {} for k in OTHER_ROW_KEYS]
        req["other_other"] = {c.key: sum((r.get(c.key) or 0) for r in rows) for c in APPLICANT_COLUMNS}
        req["other_no_correction"] = req["other_no_fee"] = None
        record = {**record, "requests": req}
    return record


AGENCIES = (
    "淮安市洪泽区人民政府", "绍兴市人力资源和社会保障局", "樟树市人民政府办公室", "临淄区人力资源和社会保障局",
    "杭州市西湖区教育局", "广州市天河区卫生健康局", "成都市武侯区市场监督管理局", "苏州市自然资源和规划局",
    "南京市交通运输局", "济南市历下区人民政府", "武汉市江岸区住房和城市更新局", "西安市生态环境局",
    "长沙市岳麓区民政局", "福州市鼓楼区财政局", "合肥市公安局", "昆明市五华区司法局",
)


def synthetic_record(seed: int, *, year: int | None = None, scale: int = 1000) -> dict:
    """A gov2021 record with consistent, non-trivial tables: every 表三 row's parts sum to its
    总计, the columns balance (新收 + 结转 = 总计 + 结转下年), 表四 groups sum; several values
    have 2-4 digits and many are 0, as in real reports."""
    rng = random.Random(seed)
    year = year or rng.randint(2021, 2024)

    def count(hi: int) -> int:
        roll = rng.random()
        if roll < 0.5:
            return 0
        if roll < 0.8 or hi < 10:
            return rng.randint(1, min(9, hi))
        return rng.randint(10, hi)

    requests: dict[str, dict[str, int]] = {}
    for key in RESULT_ROW_KEYS:
        requests[key] = {c: count(scale if key in ("granted", "unavailable_not_held") else 99)
                         for c in APPLICANT_PARTS}
    total = {c: sum(requests[k][c] for k in RESULT_ROW_KEYS) for c in APPLICANT_PARTS}
    forward = {c: count(60) for c in APPLICANT_PARTS}
    over = {c: rng.randint(0, min(total[c] + forward[c], 80)) for c in APPLICANT_PARTS}
    requests["total"] = total
    requests["carried_forward"] = forward
    requests["carried_over"] = over
    requests["new"] = {c: total[c] + forward[c] - over[c] for c in APPLICANT_PARTS}
    ordered = {}
    for row in REQUEST_ROWS:
        parts = requests[row.key]
        ordered[row.key] = {**parts, "total": sum(parts.values())}
    appeals = {}
    for g in APPEAL_GROUPS:
        parts = {c: count(120) for c in APPEAL_PARTS}
        appeals[g.key] = {**parts, "total": sum(parts.values())}
    big = rng.choice((1, 1, 100))  # some agencies (a whole city) decide hundreds of thousands
    proactive = {
        "rules": {"issued": count(12), "repealed": count(9), "in_force": count(150)},
        "normative_documents": {"issued": count(60), "repealed": count(40), "in_force": count(900)},
        "licensing": count(9000 * big), "penalty": count(5000 * big), "coercion": count(600 * big),
        "fees": rng.choice((0, round(rng.uniform(0.1, 9999 * big), rng.randint(1, 4)))),
    }
    agency = rng.choice(AGENCIES)
    summary = {
        "requests_received": ordered["new"]["total"],
        "review_total": appeals["review"]["total"],
        "litigation_total": appeals["litigation_direct"]["total"] + appeals["litigation_after_review"]["total"],
        "proactive_total": rng.randint(50, 20000),
        "fee_collected_yuan": 0,
        "npc_suggestions": rng.randint(0, 80),
        "cppcc_proposals": rng.randint(0, 80),
    }
    return {"agency": agency, "year": year, "template": "gov2021", "proactive": proactive,
            "requests": ordered, "appeals": appeals, "summary": summary}


def main(argv: list[str] | None = None) -> int:
    """Write one rendering to a file, to look at a failing layout/variant by hand:
    ``python -m evals.render syn:11 tab_txt -v split_labels -o /tmp/x``."""
    import argparse
    import json
    from pathlib import Path

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("record", help="syn:SEED for a synthetic record, or a gold JSON file")
    ap.add_argument("layout", choices=LAYOUTS)
    ap.add_argument("-v", "--variant", action="append", default=[], choices=sorted(VARIANTS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", type=Path, required=True, help="file name without suffix")
    ap.add_argument("--expected", action="store_true", help="also write the expected record (.json)")
    args = ap.parse_args(argv)
    if args.record.startswith("syn:"):
        record = synthetic_record(int(args.record[4:]))
    else:
        record = json.loads(Path(args.record).read_text(encoding="utf-8"))
    variants = frozenset(args.variant)
    suffix, data = render_report(record, args.layout, variants=variants, seed=args.seed)
    out = args.output.with_suffix(suffix)
    out.write_bytes(data)
    print(out)
    if args.expected:
        exp = args.output.with_suffix(".expected.json")
        exp.write_text(json.dumps(expected_record(record, variants), ensure_ascii=False, indent=1),
                       encoding="utf-8")
        print(exp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
