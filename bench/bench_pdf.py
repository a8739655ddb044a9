"""PDF ingest: the pypdfium2 path against the old pdfplumber path, `pdftotext -layout` and the
raw pypdfium2 character floor, in one run; and a text diff of old vs new on every PDF found.

    .venv/bin/python bench/bench_pdf.py            # timings, ms/doc and ratios
    .venv/bin/python bench/bench_pdf.py --diff     # old vs new normalized text, per file

The old path is not kept in the tree: it is loaded from git history (``--old-rev``, the last
commit before the pypdfium2 path) into a throwaway module, so nothing is duplicated. It needs
pdfplumber installed (``pip install pdfplumber``); without it the old column is skipped.
`pdftotext` comes from poppler-utils; without it that column is skipped.
"""
from __future__ import annotations

import argparse
import ctypes
import glob
import importlib.util
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OLD_REV = "d02c4ee"  # main before the pypdfium2 PDF path
CORPUS = ["evals/dataset/docs/*.pdf", "samples/**/*.pdf", "../shared/evalset-external/docs/*.pdf",
          "/work/shared/evalset-external/docs/*.pdf"]


def corpus() -> list[Path]:
    seen: dict[str, Path] = {}
    for pattern in CORPUS:
        base = pattern if pattern.startswith("/") else str(ROOT / pattern)
        for p in sorted(glob.glob(base, recursive=True)):
            seen.setdefault(Path(p).name + str(Path(p).stat().st_size), Path(p))
    return list(seen.values())


def generated() -> dict[str, bytes]:
    """The PDFs the ingest tests draw (reportlab), so they are diffed too."""
    try:
        sys.path.insert(0, str(ROOT / "tests"))
        import test_ingest as t
    except Exception:  # noqa: BLE001 — reportlab/pytest missing: skip these
        return {}
    return {"gen-2pages": t.make_pdf(pages=2), "gen-mixed": t.make_pdf(pages=3, image_pages=(2,))}


def old_ingest():
    """``ingest_pdf`` of the pdfplumber path, from git history; None when unavailable."""
    try:
        import pdfplumber  # noqa: F401
        source = subprocess.run(["git", "-C", str(ROOT), "show", f"{OLD_REV}:extractor/ingest/pdf.py"],
                                check=True, capture_output=True, text=True).stdout
    except Exception:  # noqa: BLE001
        return None
    module = types.ModuleType("old_pdf")
    sys.modules["old_pdf"] = module  # dataclasses look their module up
    exec(compile(source, f"{OLD_REV}:extractor/ingest/pdf.py", "exec"), module.__dict__)  # noqa: S102
    return module.ingest_pdf


def floor(data: bytes) -> int:
    """Raw pypdfium2: open, and read every character's code and loose box."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    doc = pdfium.PdfDocument(data)
    rect = raw.FS_RECTF()
    n = 0
    for page in doc:
        tp = page.get_textpage()
        for i in range(raw.FPDFText_CountChars(tp.raw)):
            raw.FPDFText_GetUnicode(tp.raw, i)
            raw.FPDFText_GetLooseCharBox(tp.raw, i, rect)
            n += 1
        tp.close()
        page.close()
    doc.close()
    return n


def pdftotext(path: Path) -> None:
    subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, stdout=subprocess.DEVNULL)


def timed(fn, items, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return best * 1000 / len(items)


def diff(files: list[Path]) -> int:
    from extractor.ingest.pdf import ingest_pdf

    old = old_ingest()
    if old is None:
        print("old path unavailable (pdfplumber missing?)")
        return 1
    docs = {p.name: p.read_bytes() for p in files} | generated()
    differ = 0
    for name, data in docs.items():
        a, b = _text(old, data, name), _text(ingest_pdf, data, name)
        same = a == b
        differ += not same
        print(f"{'same  ' if same else 'DIFFER'} {name}")
        if not same:
            for la, lb in zip(a.splitlines(), b.splitlines()):
                if la != lb:
                    print(f"    old: {la[:120]!r}\n    new: {lb[:120]!r}")
                    break
    print(f"{differ} of {len(docs)} PDFs differ")
    return 1 if differ else 0


def _text(fn, data: bytes, name: str) -> str:
    try:
        got = fn(data, name)
        return got.text + "\n#warnings: " + repr(got.warnings) + f"\n#pages: {got.pages}"
    except Exception as exc:  # noqa: BLE001
        return f"ERROR {type(exc).__name__}: {exc}"


def bench(files: list[Path], repeat: int) -> None:
    from extractor.ingest.pdf import ingest_pdf

    blobs = [(p, p.read_bytes()) for p in files]
    rows = {"floor (pypdfium2 chars)": timed(lambda b: floor(b[1]), blobs, repeat),
            "new (pypdfium2 path)": timed(lambda b: ingest_pdf(b[1], b[0].name), blobs, repeat)}
    old = old_ingest()
    if old is not None:
        rows["old (pdfplumber path)"] = timed(lambda b: old(b[1], b[0].name), blobs, 1)
    if shutil.which("pdftotext"):
        rows["pdftotext -layout"] = timed(lambda b: pdftotext(b[0]), blobs, repeat)
    pages = sum(len(__import__("pypdfium2").PdfDocument(b)) for _, b in blobs)
    print(f"{len(blobs)} PDFs, {pages} pages; best of {repeat}, ms per document (wall)")
    base = rows["floor (pypdfium2 chars)"]
    ref = rows.get("pdftotext -layout")
    for label, ms in rows.items():
        vs_ref = f"{ms / ref:6.2f}× pdftotext" if ref else ""
        print(f"  {label:26s} {ms:8.1f} ms  {ms / base:6.1f}× floor  {vs_ref}")
    if ref is None:
        print("  pdftotext not installed (apt-get install poppler-utils): column skipped")
    if old is not None:
        print(f"  new is {rows['old (pdfplumber path)'] / rows['new (pypdfium2 path)']:.1f}× faster than old")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--diff", action="store_true", help="diff old vs new text instead")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = corpus()
    if not files:
        print("no PDFs found")
        return 0
    if args.diff:
        return diff(files)
    bench(files, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
