"""Pre-2019 reports: a synthetic 统计表 (indicators named as real sheets name them, a report-year
column and, optionally, a 历年累计 column), rendered in any layout by the same renderers.

``synthetic_sheet(seed)`` gives the sheet as data; ``render_legacy(sheet, layout)`` the file bytes;
``expected_legacy(sheet)`` what the reader must return: each indicator's year figure and the summary
fields the synonym table (``schemas.legacy.LEGACY_SUMMARY_MAP``) maps them to."""
from __future__ import annotations

import random

from evals.render.builder import SUFFIXES, Block, Cell

# (indicator as printed, unit, parts listed under it with 其中) — names real sheets use
_TOTALS = (
    (("主动公开政府信息数", "主动公开文件数", "主动公开信息数"), "条", ("政府网站公开数", "政府公报公开数")),
    (("受理政府信息公开申请总数", "收到申请数", "受理依申请公开信息总数"), "件", ("当面申请数", "网上申请数", "信函申请数")),
    (("对申请的答复总数",), "件", ("同意公开答复数", "同意部分公开答复数", "不予公开答复数")),
    (("行政复议数", "行政复议数量"), "件", ()),
    (("行政诉讼数", "行政诉讼数量"), "件", ()),
)
_AGENCIES = ("某某市人力资源和社会保障局", "某某县人民政府办公室", "某某区教育局", "某某省统计局")


def synthetic_sheet(seed: int, cumulative: bool = True) -> dict:
    """A consistent sheet: parts at most their total, the year at most the cumulative figure."""
    rng = random.Random(f"legacy:{seed}")
    rows = []
    for names, unit, parts in _TOTALS:
        name = rng.choice(names)
        big = name.startswith("主动公开")
        year = rng.randint(0, 3000 if big else 60)
        earlier = rng.randint(0, 4 * year + 10)  # the years before: cumulative = year + earlier
        rows.append(_row(name, unit, year, earlier, cumulative, part=False))
        for k, (share, before) in enumerate(zip(_shares(year, len(parts), rng), _shares(earlier, len(parts), rng)), 1):
            rows.append(_row(parts[k - 1], unit, share, before, cumulative, part=True, number=k))
    return {"agency": rng.choice(_AGENCIES), "year": rng.randint(2009, 2018), "rows": rows,
            "cumulative": cumulative}


def _shares(total: int, n: int, rng: random.Random) -> list[int]:
    """``total`` split into ``n`` random non-negative parts (the items listed under 其中)."""
    cuts = sorted(rng.randint(0, total) for _ in range(n - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total])] if n else []


def _row(name: str, unit: str, year: int, earlier: int, cumulative: bool, *, part: bool,
         number: int = 0) -> dict:
    return {"name": name, "unit": unit, "year": year, "part": part, "number": number,
            "cumulative": year + earlier if cumulative else None}


def sheet_blocks(sheet: dict) -> list[Block]:
    y = sheet["year"]
    header = [Cell("统计指标"), Cell("单位"), Cell(f"{y}年度", value=True)]
    if sheet["cumulative"]:
        header.append(Cell("历年累计", value=True))
    rows = [tuple(header)]
    for r in sheet["rows"]:
        label = (("其中：" if r["number"] == 1 else "") + f"{r['number']}.{r['name']}") if r["part"] else r["name"]
        cells = [Cell(label), Cell(r["unit"]), Cell(str(r["year"]), value=True)]
        if sheet["cumulative"]:
            cells.append(Cell(str(r["cumulative"]), value=True))
        rows.append(tuple(cells))
    return [Block("title", f"{sheet['agency']}{y}年政府信息公开工作年度报告"),
            Block("para", f"根据《中华人民共和国政府信息公开条例》，现公布{y}年度政府信息公开工作年度报告。"
                          "本报告由概述、主动公开政府信息情况、依申请公开政府信息情况等部分组成。"),
            Block("heading", "一、概述"),
            Block("para", "本年度认真贯彻落实《条例》，进一步完善工作机制，政府信息公开工作有序推进。"),
            Block("heading", "附表"),
            Block("para", f"{y}年度政府信息公开情况统计表"),
            Block("table", rows=tuple(rows))]


def render_legacy(sheet: dict, layout: str, seed: int = 0) -> tuple[str, bytes]:
    from evals.render.report import RENDERERS

    return SUFFIXES[layout], RENDERERS[layout](sheet_blocks(sheet), random.Random(seed), frozenset())


def expected_legacy(sheet: dict) -> dict:
    """Indicator → year figure, and the summary fields the sheet states."""
    from schemas.legacy import LEGACY_SUMMARY_MAP

    values = {r["name"]: r["year"] for r in sheet["rows"]}
    summary = {}
    for field, synonyms in LEGACY_SUMMARY_MAP.items():
        hit = next((values[n] for s in synonyms for n in values if s in n and n in _total_names()), None)
        if hit is not None:
            summary[field] = hit
    return {"agency": sheet["agency"], "year": sheet["year"], "template": "legacy",
            "indicators": values, "summary": summary}


def _total_names() -> set[str]:
    return {n for names, _, _ in _TOTALS for n in names}
