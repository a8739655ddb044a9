"""Extraction throughput and memory, one process on one core, per input kind.

Builds a batch of documents per kind (txt, html, docx, pdf) in a temporary folder by rendering
gold samples and synthetic records with ``evals/render/`` (several layouts, variants and seeds;
the unique renderings are then replicated up to the batch size), then extracts each batch with
the rules pipeline (``--llm off``) in a child process pinned to one core, so every kind gets its
own clean peak-RSS figure. Nothing is written into the repository.

    python bench/bench_extract.py            # 500 documents per kind (PDF: 200)
    python bench/bench_extract.py --quick    # 100 per kind (PDF: 40)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KINDS: dict[str, tuple[str, ...]] = {
    "txt": ("cells_txt", "tab_txt", "gbk_txt", "pipe_md"),
    "html": ("html",),
    "docx": ("docx",),
    "pdf": ("pdf", "pdf_text"),
}
VARIANT_CYCLE: tuple[frozenset[str], ...] = (
    frozenset(), frozenset({"thousands"}), frozenset({"blank_zeros"}), frozenset({"fullwidth"}),
    frozenset({"single_other_row"}), frozenset({"year_in_labels"}), frozenset({"title_split"}),
)
TARGET_DOCS_PER_S = 200  # for text and HTML
GOLD_DIRS = (ROOT / "evals" / "dataset" / "gold", Path("/work/shared/evalset/gold"))


def source_records(n_synthetic: int) -> list[dict]:
    """The gov2021 gold samples that can be found, plus ``n_synthetic`` synthetic records."""
    from evals.render import synthetic_record

    records = []
    for d in GOLD_DIRS:
        if d.is_dir():
            for path in sorted(d.glob("[0-9][0-9][0-9]_*.json")):  # the seed samples only
                rec = json.loads(path.read_text(encoding="utf-8"))
                if rec.get("template") == "gov2021" and rec.get("requests"):
                    records.append(rec)
            if records:
                break
    return records + [synthetic_record(1000 + i) for i in range(n_synthetic)]


def build_batch(kind: str, n_docs: int, n_unique: int, folder: Path) -> list[dict]:
    """Render ``n_unique`` documents of ``kind`` and replicate them to ``n_docs`` files.
    Returns the manifest: one {path, expected} per file."""
    from evals.render import expected_record, render_report

    folder.mkdir(parents=True, exist_ok=True)
    records = source_records(max(1, n_unique))
    layouts = KINDS[kind]
    unique: list[tuple[Path, dict]] = []
    for i in range(n_unique):
        record = records[i % len(records)]
        layout = layouts[i % len(layouts)]
        variants = VARIANT_CYCLE[i % len(VARIANT_CYCLE)]
        suffix, data = render_report(record, layout, variants=variants, seed=i)
        path = folder / f"u{i:04d}_{layout}{suffix}"
        path.write_bytes(data)
        unique.append((path, layout, expected_record(record, variants)))
    manifest = []
    for j in range(n_docs):
        src, layout, expected = unique[j % len(unique)]
        path = src if j < len(unique) else folder / f"r{j:05d}{src.suffix}"
        if j >= len(unique):
            shutil.copyfile(src, path)
        manifest.append({"path": str(path), "layout": layout, "expected": expected})
    return manifest


def run_kind(manifest_path: Path, trace_docs: int) -> dict:
    """Extract every document of one kind (this process, one core); timing, memory, cells."""
    from extractor.pipeline import extract_file
    from extractor.settings import Settings
    from schemas.record import get_path
    from schemas.template import table_fields

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    settings = Settings(llm="off")
    fields = [f.path for f in table_fields()]
    extract_file(Path(manifest[0]["path"]), settings)  # warm-up: imports, font tables, regexes

    statuses: dict[str, int] = {}
    cells = 0
    by_layout: dict[str, list[int]] = {}  # layout -> [right, wrong]
    elapsed = cpu = 0.0
    for item in manifest:
        t0, c0 = time.perf_counter(), time.process_time()
        rec = extract_file(Path(item["path"]), settings)
        elapsed += time.perf_counter() - t0
        cpu += time.process_time() - c0
        # scoring is outside the timed part and the record is dropped (RSS is the pipeline's)
        record = rec.model_dump()
        statuses[record["status"]] = statuses.get(record["status"], 0) + 1
        tally = by_layout.setdefault(item["layout"], [0, 0])
        for path in fields:
            got = get_path(record, path)
            if got is not None:
                cells += 1
            want = get_path(item["expected"], path)
            if want is not None:
                tally[0 if got is not None and abs(float(got) - float(want)) < 1e-9 else 1] += 1
    right = sum(t[0] for t in by_layout.values())
    wrong = sum(t[1] for t in by_layout.values())
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # tracemalloc slows Python down several times: measured on a separate, smaller pass
    tracemalloc.start()
    for item in manifest[:trace_docs]:
        extract_file(Path(item["path"]), settings)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"docs": len(manifest), "seconds": elapsed, "docs_per_s": len(manifest) / elapsed,
            "cpu_seconds": cpu, "docs_per_cpu_s": len(manifest) / cpu if cpu else None,
            "layout_accuracy": {k: t[0] / (t[0] + t[1]) for k, t in by_layout.items() if sum(t)},
            "ms_per_doc": 1000 * elapsed / len(manifest), "cells": cells,
            "cell_accuracy": right / (right + wrong) if right + wrong else None,
            "statuses": statuses, "peak_rss_mb": rss_mb,
            "tracemalloc_peak_mb": peak / 2**20, "traced_docs": min(trace_docs, len(manifest)),
            "bytes": sum(Path(i["path"]).stat().st_size for i in manifest)}


def print_table(results: dict[str, dict]) -> None:
    head = (f"{'kind':<6}{'docs':>6}{'docs/s':>9}{'cpu/s':>8}{'ms/doc':>9}{'cells read':>12}{'cell acc':>10}"
            f"{'RSS MB':>9}{'traced MB':>11}  statuses")
    print(head)
    print("-" * len(head))
    for kind, r in results.items():
        acc = f"{100 * r['cell_accuracy']:.2f}%" if r["cell_accuracy"] is not None else "-"
        status = " ".join(f"{k}={v}" for k, v in sorted(r["statuses"].items()))
        print(f"{kind:<6}{r['docs']:>6}{r['docs_per_s']:>9.1f}{r['docs_per_cpu_s'] or 0:>8.1f}"
              f"{r['ms_per_doc']:>9.1f}{r['cells']:>12}"
              f"{acc:>10}{r['peak_rss_mb']:>9.0f}{r['tracemalloc_peak_mb']:>11.1f}  {status}")
    print("cell accuracy by layout: " + ", ".join(
        f"{lay} {100 * acc:.2f}%" for r in results.values() for lay, acc in r["layout_accuracy"].items()))
    print("docs/s is wall time (one process, pinned to one core); cpu/s is documents per CPU "
          "second of that process (less sensitive to other load on the machine)")
    total_cells = sum(r["cells"] for r in results.values())
    total_docs = sum(r["docs"] for r in results.values())
    print(f"total: {total_docs} documents, {total_cells} table cells read")
    for kind in ("txt", "html"):
        if kind in results:
            ok = results[kind]["docs_per_s"] >= TARGET_DOCS_PER_S
            print(f"target {kind}: >= {TARGET_DOCS_PER_S} docs/s: "
                  f"{'met' if ok else 'NOT met'} ({results[kind]['docs_per_s']:.1f})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="100 documents per kind (PDF 40)")
    ap.add_argument("--docs", type=int, help="documents per kind (default 500, quick 100)")
    ap.add_argument("--pdf-docs", type=int, help="PDF documents (default 200, quick 40)")
    ap.add_argument("--unique", type=int, help="distinct renderings per kind (default 60, quick 20)")
    ap.add_argument("--kinds", default=",".join(KINDS), help="comma-separated: txt,html,docx,pdf")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--keep", type=Path, help="build the batch in this folder and keep it")
    ap.add_argument("--run-kind", type=Path, help=argparse.SUPPRESS)  # child: manifest to run
    ap.add_argument("--trace-docs", type=int, default=20,
                    help="documents re-run under tracemalloc for the traced peak (slow)")
    args = ap.parse_args(argv)

    if args.run_kind:
        print(json.dumps(run_kind(args.run_kind, args.trace_docs)))
        return 0

    n_docs = args.docs or (100 if args.quick else 500)
    n_pdf = args.pdf_docs or (40 if args.quick else 200)
    n_unique = args.unique or (20 if args.quick else 60)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        ap.error(f"unknown kinds {sorted(unknown)}; choose from {', '.join(KINDS)}")
    base = args.keep or Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    results: dict[str, dict] = {}
    try:
        for kind in kinds:
            n = n_pdf if kind == "pdf" else n_docs
            t0 = time.perf_counter()
            manifest = build_batch(kind, n, min(n_unique, n), base / kind)
            manifest_path = base / f"{kind}.json"
            manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
            print(f"[{kind}] rendered {min(n_unique, n)} unique, {n} documents in "
                  f"{time.perf_counter() - t0:.1f}s; extracting …", file=sys.stderr, flush=True)
            proc = subprocess.run([sys.executable, __file__, "--run-kind", str(manifest_path),
                                   "--trace-docs", str(min(args.trace_docs, n))],
                                  capture_output=True, text=True, cwd=ROOT)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return proc.returncode
            results[kind] = json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
