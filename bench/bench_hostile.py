"""Seconds and peak memory of ``nianbao extract`` on each file of the hostile corpus.

Writes the corpus of ``tests/hostile_corpus.py`` (bombs, an 8 GiB sparse file, an encrypted PDF,
symbolic link loops … and the good reports, including a 20 MB-XML DOCX) into a temporary folder,
then extracts each file alone in its own ``nianbao extract FILE --workers 0`` process under a
2 GiB address-space cap, and prints its wall time, its peak RSS (``wait4``: that process only)
and the record's status and message. Nothing is written into the repository; about half a minute.

    python bench/bench_hostile.py
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile_corpus import write_corpus  # noqa: E402

NIANBAO = Path(sys.executable).parent / "nianbao"
MEMORY_CAP = 2 << 30


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def measure(path: Path, out: Path) -> tuple[float, float, dict | None]:
    """Wall seconds, peak RSS in MB and the record of one ``nianbao extract`` run on ``path``."""
    env = {**os.environ, "NIANBAO_LLM_BASE_URL": "", "OPENAI_API_KEY": ""}
    started = time.perf_counter()
    child = subprocess.Popen([str(NIANBAO), "extract", str(path), "-o", str(out), "-q", "--llm", "off",
                              "--workers", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=env, preexec_fn=_cap_memory)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the max over children
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
    return seconds, usage.ru_maxrss / 1024, json.loads(lines[0]) if lines else None


def main() -> int:
    if not NIANBAO.exists():
        print(f"nianbao is not installed next to {sys.executable}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="nianbao-hostile-") as tmp:
        started = time.perf_counter()
        corpus = write_corpus(Path(tmp) / "in")
        print(f"corpus written in {time.perf_counter() - started:.1f} s; each file extracted alone, "
              f"--workers 0, address space capped at {MEMORY_CAP >> 20} MB\n")
        items = [(h.name, h.kind) for h in corpus.hostile] + [(g.name, "good report") for g in corpus.good]
        print(f"{'file':26} {'kind':42} {'s':>6} {'MB':>6}  status  message")
        rows = []
        for name, kind in items:
            out = Path(tmp) / f"{name}.jsonl"
            seconds, mb, record = measure(corpus.folder / name, out)
            status = record["status"] if record else "NONE"
            message = (record or {}).get("error") or ""
            message = message.replace(str(corpus.folder) + "/", "")
            rows.append((name, seconds, mb))
            print(f"{name:26} {kind:42} {seconds:6.2f} {mb:6.0f}  {status:7} {message[:90]}")
    hostile = {h.name for h in corpus.hostile}
    slowest = max((r for r in rows if r[0] in hostile), key=lambda r: r[1])
    biggest = max((r for r in rows if r[0] in hostile), key=lambda r: r[2])
    print(f"\nworst hostile file: {slowest[0]} {slowest[1]:.2f} s; most memory: {biggest[0]} {biggest[2]:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
