"""Pre-2019 statistics sheets rendered in every layout (evals/render/legacy.py) read back: the
report year's figure of each indicator (never 历年累计), the summary fields the synonym table maps
them to, agency and year. Run together by a crawler, a figure the sheet's relations leave open
must be null, named by a check, and the record not `ok` — never a guess."""
from __future__ import annotations

import pytest

from evals.render.legacy import expected_legacy, render_legacy, synthetic_sheet
from extractor.pipeline import extract_file
from extractor.settings import Settings

TABLE_LAYOUTS = ("cells_txt", "tab_txt", "pipe_md", "html", "docx", "pdf")
CASES = ([pytest.param(layout, seed, cum, id=f"{layout}-{seed}-{'cum' if cum else 'year'}")
          for layout in TABLE_LAYOUTS for seed in (1, 2) for cum in (True, False)]
         + [pytest.param("crawler_txt", seed, True, id=f"crawler_txt-{seed}-cum") for seed in range(1, 9)])


@pytest.mark.parametrize("layout, seed, cumulative", CASES)
def test_legacy_sheet_reads_back(tmp_path, layout, seed, cumulative):
    sheet = synthetic_sheet(seed, cumulative=cumulative)
    want = expected_legacy(sheet)
    suffix, data = render_legacy(sheet, layout, seed)
    path = tmp_path / f"legacy{suffix}"
    path.write_bytes(data)
    rec = extract_file(path, Settings())
    assert (rec.template, rec.agency, rec.year) == ("legacy", want["agency"], want["year"])
    got = {i.name: i.value for i in rec.legacy_indicators or []}
    wrong = {k: (v, got.get(k)) for k, v in want["indicators"].items() if got.get(k) not in (None, v)}
    assert not wrong, wrong
    summary = rec.summary.model_dump()
    assert not {k: (v, summary[k]) for k, v in want["summary"].items() if summary[k] not in (None, v)}
    missing = [k for k, v in want["indicators"].items() if got.get(k) is None]
    if layout != "crawler_txt":
        assert not missing and all(summary[k] == v for k, v in want["summary"].items()), (missing, summary)
        assert rec.status == "ok", [c.message for c in rec.checks if c.severity == "error"]
        return
    named = {c for check in rec.checks if check.rule == "reader.ambiguous" for c in check.cells}
    assert all(f"legacy.{k}" in named for k in missing)
    assert rec.status == ("needs_review" if missing else "ok")
