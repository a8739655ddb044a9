"""Bulk scale in one run: nianbao end to end against the floors of each input kind, worker scaling,
and peak memory by batch size. Every figure is measured in this run, on this machine; the ratios
are what to compare across machines.

- **kinds**: a batch per kind (txt: the bundled samples; html/docx: eval-set renderings; pdf: the
  real PDFs of ../shared/evalset-external plus renderings) through the installed ``nianbao extract
  --llm off --workers 0`` (in one process, start-up included), as CPU ms per document of the child processes, next
  to the floor — the least any reader must do: read + decode (txt), lxml parse (html), unzip + XML
  parse (docx), pypdfium2 characters and ``pdftotext -layout`` (pdf).
- **workers**: the text batch with ``--workers 1`` and ``--workers N`` (wall time).
- **memory**: peak RSS of ``--workers 0`` over text batches of growing size.

    python bench/bench_scale.py            # 1,000 text documents, 200 html/docx, 24 pdf; memory at 100/1,000/5,000
    python bench/bench_scale.py --quick    # a fifth of that
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NIANBAO = Path(sys.executable).parent / "nianbao"
EXTERNAL = ROOT.parent / "shared" / "evalset-external" / "docs"


# ---- batches --------------------------------------------------------------------------------
def text_batch(folder: Path, n: int) -> list[Path]:
    sources = sorted((ROOT / "samples").glob("*.txt"))
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        src = sources[i % len(sources)]
        path = folder / f"{i:05d}_{src.name}"
        path.write_bytes(src.read_bytes() + f"\n（{i}）\n".encode())  # distinct files, distinct hashes
        paths.append(path)
    return paths


def rendered_batch(folder: Path, layout: str, n: int, unique: int = 8) -> list[Path]:
    from evals.render import render_report, synthetic_record

    folder.mkdir(parents=True, exist_ok=True)
    blobs = [render_report(synthetic_record(100 + k), layout, seed=k) for k in range(unique)]
    paths = []
    for i in range(n):
        suffix, data = blobs[i % unique]
        path = folder / f"{i:04d}{suffix}"
        path.write_bytes(data if suffix != ".html" else data + f"<!-- {i} -->".encode())
        paths.append(path)
    return paths


def pdf_batch(folder: Path, n: int) -> list[Path]:
    real = sorted(EXTERNAL.glob("*.pdf")) if EXTERNAL.is_dir() else []
    paths = rendered_batch(folder, "pdf", max(0, n - len(real)), unique=4)
    for src in real:
        dst = folder / src.name
        shutil.copyfile(src, dst)
        paths.append(dst)
    return paths


# ---- floors ---------------------------------------------------------------------------------
def floor_txt(path: Path) -> None:
    path.read_bytes().decode("utf-8", "replace")


def floor_html(path: Path) -> None:
    from lxml import etree

    etree.fromstring(path.read_bytes(), etree.HTMLParser())


def floor_docx(path: Path) -> None:
    from lxml import etree

    with zipfile.ZipFile(path) as z:
        etree.fromstring(z.read("word/document.xml"))


def floor_pdf_chars(path: Path) -> None:
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    doc = pdfium.PdfDocument(path.read_bytes())
    rect = raw.FS_RECTF()
    for page in doc:
        tp = page.get_textpage()
        for i in range(raw.FPDFText_CountChars(tp.raw)):
            raw.FPDFText_GetUnicode(tp.raw, i)
            raw.FPDFText_GetLooseCharBox(tp.raw, i, rect)
        tp.close()
        page.close()
    doc.close()


def cpu_ms_per_doc(fn, paths: list[Path]) -> float:
    start = time.process_time()
    for p in paths:
        fn(p)
    return (time.process_time() - start) * 1000 / len(paths)


def pdftotext_ms(paths: list[Path]) -> float | None:
    if not shutil.which("pdftotext"):
        return None
    return child_cpu(lambda: [subprocess.run(["pdftotext", "-layout", str(p), "-"], check=True,
                                             stdout=subprocess.DEVNULL) for p in paths])[0] * 1000 / len(paths)


# ---- nianbao --------------------------------------------------------------------------------
def child_cpu(action) -> tuple[float, float]:
    """(CPU seconds of the children ``action`` ran, wall seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    action()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def peak_rss(folder: Path, out: Path) -> tuple[float, int]:
    """(wall s, peak RSS MB) of one in-process ``nianbao extract --workers 0`` over ``folder``."""
    env = {**os.environ, "NIANBAO_LLM_BASE_URL": "", "OPENAI_API_KEY": ""}
    cmd = [str(NIANBAO), "extract", str(folder), "-o", str(out), "-q", "--llm", "off", "--workers", "0"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"nianbao extract failed on {folder} (exit {os.waitstatus_to_exitcode(status)})")
    return time.perf_counter() - start, usage.ru_maxrss // 1024


def extract_tree_cpu(folder: Path, out: Path, workers: int) -> tuple[float, float]:
    """(CPU s of nianbao and its workers, wall s)."""
    return child_cpu(lambda: subprocess.run(
        [str(NIANBAO), "extract", str(folder), "-o", str(out), "-q", "--llm", "off", "--workers", str(workers)],
        env={**os.environ, "NIANBAO_LLM_BASE_URL": "", "OPENAI_API_KEY": ""},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a fifth of the documents")
    args = ap.parse_args(argv)
    scale = 5 if args.quick else 1
    if not NIANBAO.exists():
        print(f"nianbao is not installed next to {sys.executable}: run `make install` first")
        return 2
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="nianbao-bench-") as tmp:
        tmp = Path(tmp)
        batches = {"txt": text_batch(tmp / "txt", 1000 // scale),
                   "html": rendered_batch(tmp / "html", "html", 200 // scale),
                   "docx": rendered_batch(tmp / "docx", "docx", 200 // scale),
                   "pdf": pdf_batch(tmp / "pdf", max(6, 24 // scale))}
        floors = {"txt": floor_txt, "html": floor_html, "docx": floor_docx, "pdf": floor_pdf_chars}
        print(f"{'kind':5} {'docs':>5} {'nianbao ms/doc':>15} {'floor ms/doc':>13} {'ratio':>7}  floor")
        for kind, paths in batches.items():
            cpu, _ = extract_tree_cpu(paths[0].parent, tmp / f"{kind}.jsonl", 0)  # in process: all CPU counted
            ms = cpu * 1000 / len(paths)
            floor = cpu_ms_per_doc(floors[kind], paths)
            name = {"txt": "read + decode", "html": "lxml parse", "docx": "unzip + XML parse",
                    "pdf": "pypdfium2 chars"}[kind]
            print(f"{kind:5} {len(paths):5d} {ms:15.2f} {floor:13.2f} {ms / floor:6.1f}×  {name}")
            if kind == "pdf":
                ref = pdftotext_ms(paths)
                if ref:
                    print(f"{'':5} {'':5} {'':15} {ref:13.2f} {ms / ref:6.1f}×  pdftotext -layout")
        folder = batches["txt"][0].parent
        one = extract_tree_cpu(folder, tmp / "w1.jsonl", 1)[1]
        many = extract_tree_cpu(folder, tmp / "wn.jsonl", cores)[1]
        n = len(batches["txt"])
        print(f"\nworkers (txt, {n} docs): 1 → {one:.2f} s ({n / one:.0f} docs/s); {cores} → {many:.2f} s "
              f"({n / many:.0f} docs/s, {one / many:.2f}× faster)")
        print("\npeak RSS by batch size (txt, --workers 0):")
        for size in (100 // scale, 1000 // scale, 5000 // scale):
            batch = tmp / f"mem{size}"
            text_batch(batch, size)
            wall, rss = peak_rss(batch, tmp / f"mem{size}.jsonl")
            print(f"  {size:5d} docs: {rss:4d} MB  ({wall:.1f} s)")
            shutil.rmtree(batch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
