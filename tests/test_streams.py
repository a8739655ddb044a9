"""Cell streams (one cell per line closed by '|', as web-page text dumps print HTML tables) read
every cell right: the bundled samples re-printed that way, with and without row breaks, against
their gold."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.pipeline import extract_file
from extractor.settings import Settings
from schemas import get_path
from schemas.template import table_fields

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "evals" / "dataset" / "gold"
SAMPLES = sorted(p for p in (ROOT / "samples").glob("*.txt")
                 if json.loads((GOLD / f"{p.stem}.json").read_text(encoding="utf-8"))["template"] == "gov2021")


def as_stream(text: str, row_breaks: bool) -> str:
    """Cell-block text (TAB-prefixed cells, blank lines between rows) printed as a cell stream."""
    out = []
    for line in text.split("\n"):
        if line.startswith("\t"):
            out.append(line.strip("\t").strip() + " |")
        elif not line.strip():
            if row_breaks:
                out.append("||")
        else:
            out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("row_breaks", [True, False], ids=["breaks", "no-breaks"])
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem[:3])
def test_a_cell_stream_reads_every_cell_right(tmp_path, sample, row_breaks):
    gold = json.loads((GOLD / f"{sample.stem}.json").read_text(encoding="utf-8"))
    path = tmp_path / sample.name
    path.write_text(as_stream(sample.read_text(encoding="utf-8"), row_breaks), encoding="utf-8")
    record = extract_file(path, Settings(llm="off")).model_dump()
    wrong = [f.path for f in table_fields() if get_path(record, f.path) != get_path(gold, f.path)]
    assert wrong == []
    assert record["status"] == "ok"
    for span in record["evidence"].values():  # evidence still points into the stream text
        assert path.read_text(encoding="utf-8")[span["start"]:span["end"]] == span["text"]
