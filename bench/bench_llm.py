"""Benchmark of the LLM half against the gold oracle (tests/llm_oracle.py: a chat-completions
server on 127.0.0.1 that answers every task from the eval dataset's gold labels), in its own
process, each answer delayed by a latency drawn from ``--latency LO HI``.

Over ``--docs`` documents (the eval dataset's reports, cycled) with ``--llm auto``:

- prompt tokens per document (as the server counts them: messages + tool schema) against the
  report's own tokens, by class (template, and run-together crawler dumps apart);
- a warm re-run with the answer cache: the LLM calls it makes (target 0);
- wall time with ``--concurrency 1`` and ``--concurrency N`` (target N=8 at least 6x faster);
- whether the records are the same both ways.

    .venv/bin/python bench/bench_llm.py [--docs 50] [--latency 0.3 0.5] [--concurrency 8]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fake_llm_server import FakeLlm, Slow, estimate_tokens  # noqa: E402
from llm_oracle import GoldOracle  # noqa: E402

from evals.dataset import load_cases  # noqa: E402
from extractor.batch import iter_records  # noqa: E402
from extractor.ingest import ingest_file  # noqa: E402
from extractor.pipeline import extract_file  # noqa: E402
from extractor.read.llm import LlmReader  # noqa: E402
from extractor.settings import Settings  # noqa: E402


class LaggingOracle:
    """The gold oracle, each answer delayed by a latency drawn from [lo, hi]."""

    def __init__(self, lo: float, hi: float):
        self.oracle = GoldOracle()
        self.lo, self.hi = lo, hi
        self.rng = random.Random(0)

    def __call__(self, body: dict):
        return Slow(self.rng.uniform(self.lo, self.hi), self.oracle(body))


def serve(lo: float, hi: float, urls) -> None:
    """The server in its own process, as a real endpoint would be (no shared GIL)."""
    with FakeLlm(default=LaggingOracle(lo, hi)) as server:
        urls.put(server.url)
        threading.Event().wait()


class RemoteOracle:
    def __init__(self, lo: float, hi: float):
        self.urls = multiprocessing.Queue()
        self.process = multiprocessing.Process(target=serve, args=(lo, hi, self.urls), daemon=True)

    def __enter__(self):
        self.process.start()
        self.url = self.urls.get(timeout=300)  # the oracle ingests the dataset first
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.join()

    @property
    def requests(self) -> list[dict]:
        return httpx.get(self.url + "/_requests", timeout=60).json()

    def clear(self) -> None:
        httpx.delete(self.url + "/_requests", timeout=60)


def documents(folder: Path, n: int) -> list[tuple[Path, str]]:
    """``n`` report files (the dataset's available cases, cycled) with their class."""
    cases = [c for c in load_cases(None) if c.available]
    out = []
    for i in range(n):
        case = cases[i % len(cases)]
        path = folder / f"{i:03d}_{case.id}{case.doc.suffix}"
        shutil.copyfile(case.doc, path)
        kind = "run-together" if "run-together" in case.id else case.template
        out.append((path, f"{kind} {case.doc.suffix[1:]}"))
    return out


def settings(server, cache: Path | None, concurrency: int) -> Settings:
    return Settings(llm_base_url=server.url, llm_model="oracle", NIANBAO_LLM_API_KEY="x", llm="auto",
                    no_cache=cache is None, cache_dir=cache or Path("unused"), concurrency=concurrency)


def prompt_tokens(body: dict) -> int:
    return estimate_tokens(json.dumps(body["messages"], ensure_ascii=False)
                           + json.dumps(body.get("tools", []), ensure_ascii=False))


def batch(paths: list[Path], server, cache: Path | None, concurrency: int) -> tuple[float, list]:
    s = settings(server, cache, concurrency)
    reader = LlmReader(s)
    started = time.perf_counter()
    records = list(iter_records(paths, s, llm=reader, concurrency=concurrency))
    return time.perf_counter() - started, records


def values(record) -> dict:
    return record.model_dump(include={"agency", "year", "template", "summary", "proactive", "requests",
                                      "appeals", "legacy_indicators", "status"})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=50)
    ap.add_argument("--latency", type=float, nargs=2, default=(0.3, 0.5), metavar=("LO", "HI"))
    ap.add_argument("--concurrency", type=int, default=8)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, RemoteOracle(*args.latency) as server:
        docs = documents(Path(tmp), args.docs)
        paths = [p for p, _ in docs]

        # sequential, one document at a time: the requests of each document, and its report size
        s1 = settings(server, None, 1)
        reader = LlmReader(s1)
        sent, report, seq = defaultdict(int), defaultdict(int), []
        worst: dict[str, float] = defaultdict(float)
        started = time.perf_counter()
        for path, kind in docs:
            server.clear()
            seq.append(extract_file(path, s1, llm=reader))
            tokens = sum(prompt_tokens(b) for b in server.requests)
            own = estimate_tokens(ingest_file(path, Settings()).text)
            sent[kind] += tokens
            report[kind] += own
            worst[kind] = max(worst[kind], tokens / own)
        seq_time = time.perf_counter() - started  # includes the per-document log reads (small)

        par_time, par = batch(paths, server, None, args.concurrency)

        cache = Path(tmp) / "cache"
        batch(paths, server, cache, args.concurrency)  # cold: fills the cache
        server.clear()
        _, warm = batch(paths, server, cache, args.concurrency)
        warm_calls = len(server.requests)

    print(f"documents: {args.docs} (the eval dataset's {len({k for _, k in docs})} classes, cycled), "
          f"--llm auto, latency {args.latency[0] * 1000:.0f}-{args.latency[1] * 1000:.0f} ms per call")
    print(f"{'class':<22} {'docs':>4} {'prompt tokens/doc':>18} {'report tokens/doc':>18} "
          f"{'ratio':>6} {'worst doc':>9}")
    counts = defaultdict(int)
    for _, kind in docs:
        counts[kind] += 1
    for kind in sorted(sent):
        n = counts[kind]
        print(f"{kind:<22} {n:>4} {sent[kind] / n:>18.0f} {report[kind] / n:>18.0f} "
              f"{sent[kind] / report[kind]:>6.2f} {worst[kind]:>9.2f}")
    total_sent, total_report = sum(sent.values()), sum(report.values())
    print(f"{'all':<22} {args.docs:>4} {total_sent / args.docs:>18.0f} {total_report / args.docs:>18.0f} "
          f"{total_sent / total_report:>6.2f}   (targets: gov2021 <= 0.50, every class <= 1.50)")
    print(f"warm re-run with the cache: {warm_calls} LLM calls (target 0); "
          f"records unchanged: {[values(r) for r in warm] == [values(r) for r in par]}")
    print(f"wall time: --concurrency 1 {seq_time:6.2f} s, --concurrency {args.concurrency} {par_time:6.2f} s: "
          f"{seq_time / par_time:.1f}x faster (target >= 6x)")
    print(f"same records both ways: {[values(r) for r in seq] == [values(r) for r in par]}")


if __name__ == "__main__":
    main()
