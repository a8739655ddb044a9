"""Bench: text throughput of the row parser with the run-together decoder against the same
parser with its run-together pass switched off (the floor), on the eval set's documents, in the
same run. Prints chars/s for both and the ratio.

    python -m evals.bench_decode [repeats]
"""
from __future__ import annotations

import re
import sys
import time

from evals.dataset import load_cases
from extractor.settings import Settings
from extractor.ingest import ingest_file
from extractor.read import layout


def _texts() -> list[str]:
    return [ingest_file(c.doc, Settings()).text for c in load_cases() if c.available]


def _rate(texts: list[str], repeats: int) -> float:
    t0 = time.perf_counter()
    for _ in range(repeats):
        for text in texts:
            layout.split_rows(text)
    return repeats * sum(map(len, texts)) / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    repeats = int((argv or sys.argv[1:] or ["5"])[0])
    texts = _texts()
    hint, never = layout._RUN_HINT, re.compile(r"(?!x)x")  # the floor: no run-together pass
    with_decoder = floor = 0.0
    for _ in range(2):  # interleaved, best of two each (the machine is shared)
        with_decoder = max(with_decoder, _rate(texts, repeats))
        layout._RUN_HINT = never
        try:
            floor = max(floor, _rate(texts, repeats))
        finally:
            layout._RUN_HINT = hint
    print(f"docs {len(texts)}  floor {floor:,.0f} chars/s  with decoder {with_decoder:,.0f} chars/s  "
          f"ratio {with_decoder / floor:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
