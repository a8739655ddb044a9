"""The report as layout-free blocks of cells, built from a record and :mod:`schemas.template`."""
from __future__ import annotations

import random
from dataclasses import dataclass

from schemas.grammar import BLANK_MARKERS
from schemas.template import (
    APPEAL_COLUMNS,
    APPEAL_GROUPS,
    APPLICANT_COLUMNS,
    PROACTIVE_DOC_COLUMNS,
    PROACTIVE_DOC_ROWS,
    PROACTIVE_SINGLE_ROWS,
    REQUEST_ROWS,
    RESULT_ROW_KEYS,
)

LAYOUTS = ("cells_txt", "tab_txt", "pipe_md", "html", "docx", "pdf", "pdf_text", "gbk_txt")
# run-together cells: read through the decoder, so a rendering may be undecidable (tests/test_layouts.py)
RUN_TOGETHER_LAYOUTS = ("crawler_txt",)
SUFFIXES = {"crawler_txt": ".txt", "cells_txt": ".txt", "tab_txt": ".txt", "pipe_md": ".md", "html": ".html",
            "docx": ".docx", "pdf": ".pdf", "pdf_text": ".pdf", "gbk_txt": ".txt"}
TEXT_LAYOUTS = frozenset({"cells_txt", "tab_txt", "pipe_md", "gbk_txt"})
PDF_LAYOUTS = frozenset({"pdf", "pdf_text"})

VARIANTS = frozenset({
    "blank_zeros",        # zeros printed as one blank marker of the grammar (ZERO_STYLES[seed % 13])
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
    "in_script",          # html: a script writes the article from an escaped JavaScript string
})
# Variants that only make sense for some layouts (the test matrix uses this).
LAYOUT_ONLY = {"split_number": TEXT_LAYOUTS | PDF_LAYOUTS, "centered_spans": frozenset({"pdf_text"}),
               "ragged_rows": frozenset({"tab_txt", "gbk_txt", "pipe_md"}),
               "page_footer": TEXT_LAYOUTS, "gbk": frozenset({"html"}),
               "layout_table": frozenset({"html"}), "in_script": frozenset({"html"})}
FOOTER_AFTER_ROW = 14  # where page_footer breaks a long table (inside 表三's 不予公开 rows)

ZERO_STYLES = BLANK_MARKERS  # the cell grammar's blank markers: every one is rendered and read back
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
