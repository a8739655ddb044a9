"""The public API: render a record in a layout, the record a rendering must read back as."""
from __future__ import annotations

import copy
import random

from collections.abc import Callable

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
from evals.render.as_docx import render_docx
from evals.render.as_html import render_html
from evals.render.as_pdf import render_pdf, render_pdf_text
from evals.render.as_text import render_cells_txt, render_crawler_txt, render_pipe_md, render_tab_txt
from evals.render.builder import (
    LAYOUTS,
    OTHER_ROW_KEYS,
    RUN_TOGETHER_LAYOUTS,
    SUFFIXES,
    VARIANTS,
    Block,
    ReportBuilder,
    _has_single_other_row,
)


def _html(blocks: list[Block], rng: random.Random, variants: frozenset[str]) -> bytes:
    layout = {"layout_table": "layout_table" in variants, "in_script": "in_script" in variants}
    if "gbk" in variants:
        return render_html(blocks, rng, "gb2312", **layout).encode("gb18030")
    return render_html(blocks, rng, **layout).encode("utf-8")


Renderer = Callable[[list[Block], random.Random, frozenset[str]], bytes]

RENDERERS: dict[str, Renderer] = {  # layout → (blocks, seeded rng, variants) → file bytes
    "cells_txt": lambda blocks, rng, v: render_cells_txt(blocks, v).encode("utf-8"),
    "tab_txt": lambda blocks, rng, v: render_tab_txt(blocks, v).encode("utf-8"),
    "gbk_txt": lambda blocks, rng, v: render_tab_txt(blocks, v).encode("gb18030"),
    "pipe_md": lambda blocks, rng, v: render_pipe_md(blocks, v).encode("utf-8"),
    "html": _html,
    "docx": lambda blocks, rng, v: render_docx(blocks, rng),
    "pdf": lambda blocks, rng, v: render_pdf(blocks),
    "pdf_text": lambda blocks, rng, v: render_pdf_text(blocks, v),
    "crawler_txt": lambda blocks, rng, v: render_crawler_txt(blocks, rng).encode("utf-8"),
}


def render_report(record: dict, layout: str, *, variants: frozenset[str] = frozenset(),
                  seed: int = 0) -> tuple[str, bytes]:
    """A complete report for ``record`` in ``layout``: (file suffix, file bytes)."""
    if layout not in LAYOUTS + RUN_TOGETHER_LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS + RUN_TOGETHER_LAYOUTS)}")
    unknown = set(variants) - VARIANTS
    if unknown:
        raise ValueError(f"unknown variants {sorted(unknown)}; known: {sorted(VARIANTS)}")
    if not record.get("requests") or not record.get("appeals"):
        raise ValueError("render_report needs a record with 表三 (requests) and 表四 (appeals): "
                         "gov2021/gov2019 records only")
    variants = frozenset(variants)
    builder = ReportBuilder(render_input(record, variants), layout, variants, seed)
    blocks = builder.blocks()
    return SUFFIXES[layout], RENDERERS[layout](blocks, builder.rng, variants)


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
    ap.add_argument("layout", choices=LAYOUTS + RUN_TOGETHER_LAYOUTS)
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

