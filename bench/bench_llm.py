"""Benchmark of the LLM half against the fake chat-completions server (tests/fake_llm_server.py)
with 300 ms latency per call: 50 reports that need the LLM, extracted sequentially and with
``--concurrency 8``; and the prompt tokens sent per report vs sending the whole report.

    .venv/bin/python bench/bench_llm.py [--docs 50] [--latency 0.3] [--concurrency 8]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fake_llm_server import Answer, FakeLlm, estimate_tokens, last_user_text  # noqa: E402

from extractor.batch import iter_records  # noqa: E402
from extractor.ingest import ingest_file  # noqa: E402
from extractor.read.llm import LlmReader  # noqa: E402
from extractor.settings import Settings  # noqa: E402

SAMPLES = ROOT / "samples"
_REPORT = re.compile(r"<<<REPORT\n.*\nREPORT>>>", re.S)
_FIGURES = {
    "proactive_total": r"主动公开[^。\n]{0,20}?共?(\d+)条",
    "npc_suggestions": r"人大代表建议(\d+)件",
    "cppcc_proposals": r"政协提案(\d+)件",
}


def oracle(body: dict):
    """A stand-in model that reads the sent text: grounded figures where the pattern is found."""
    text = last_user_text(body)
    name = (body.get("tools") or [{}])[0].get("function", {}).get("name")
    if name != "ReportFigures":
        return Answer({})
    out = {}
    for field, pattern in _FIGURES.items():
        found = re.search(pattern, text)
        if found:
            out[field] = {"value": int(found.group(1)), "quote": found.group(0)}
    return Answer(out)


def make_reports(folder: Path, n: int) -> list[Path]:
    sources = sorted(SAMPLES.glob("*.txt"))
    paths = []
    for i in range(n):
        src = sources[i % len(sources)]
        path = folder / f"{i:03d}_{src.name}"
        path.write_text(src.read_text(encoding="utf-8") + f"\n（报告编号 {i}）\n", encoding="utf-8")
        paths.append(path)
    return paths


def serve(latency: float, urls) -> None:
    """The fake server in its own process, as a real endpoint would be (no shared GIL)."""
    with FakeLlm(latency=latency, default=oracle) as server:
        urls.put(server.url)
        threading.Event().wait()


class RemoteFakeLlm:
    """Start ``serve`` in a child process; read its request log over HTTP."""

    def __init__(self, latency: float):
        self.urls = multiprocessing.Queue()
        self.process = multiprocessing.Process(target=serve, args=(latency, self.urls), daemon=True)

    def __enter__(self):
        self.process.start()
        self.url = self.urls.get(timeout=30)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.join()

    @property
    def requests(self) -> list[dict]:
        return httpx.get(self.url + "/_requests").json()

    def clear(self) -> None:
        httpx.delete(self.url + "/_requests")


def run(paths: list[Path], server, cache: Path, concurrency: int) -> tuple[float, list]:
    settings = Settings(llm_base_url=server.url, llm_model="bench", no_cache=True, cache_dir=cache,
                        concurrency=concurrency)
    reader = LlmReader(settings)
    started = time.perf_counter()
    records = list(iter_records(paths, settings, llm=reader, concurrency=concurrency))
    return time.perf_counter() - started, records


def whole_report_tokens(body: dict, text: str) -> int:
    """The same request with the whole report in place of the selected sections."""
    messages = [dict(m, content=_REPORT.sub(lambda _: f"<<<REPORT\n{text}\nREPORT>>>", m["content"]))
                for m in body["messages"]]
    return estimate_tokens(json.dumps(messages, ensure_ascii=False)
                           + json.dumps(body.get("tools", []), ensure_ascii=False))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=50)
    ap.add_argument("--latency", type=float, default=0.3)
    ap.add_argument("--concurrency", type=int, default=8)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, RemoteFakeLlm(args.latency) as server:
        paths = make_reports(Path(tmp), args.docs)
        seq_time, seq = run(paths, server, Path(tmp) / "cache", 1)
        calls_seq = len(server.requests)
        server.clear()
        par_time, par = run(paths, server, Path(tmp) / "cache", args.concurrency)
        bodies = server.requests
        texts = {p.name: ingest_file(p, Settings()).text for p in paths}
        started = time.perf_counter()
        list(iter_records(paths, Settings(llm="off"), llm=None))
        rules_time = time.perf_counter() - started

    needing = sum(r.extracted_by.llm_calls > 0 for r in par)
    sent = [estimate_tokens(json.dumps(b["messages"], ensure_ascii=False)
                            + json.dumps(b.get("tools", []), ensure_ascii=False)) for b in bodies]
    whole = [whole_report_tokens(b, next(t for t in texts.values() if _match(b, t))) for b in bodies]
    print(f"documents: {args.docs} ({needing} needed the LLM), latency {args.latency * 1000:.0f} ms per call")
    print(f"LLM calls: sequential {calls_seq}, concurrent {len(bodies)}")
    print(f"sequential:      {seq_time:6.2f} s")
    print(f"concurrency {args.concurrency:<3} {par_time:6.2f} s  ({par_time / seq_time:.2f} of sequential; target < 0.20)")
    print(f"(for reference: the same documents without the LLM, rules + checks only: {rules_time:.2f} s;"
          " the GIL serialises that part)")
    print(f"prompt tokens per document: {sum(sent) / args.docs:7.0f} (sections sent)")
    print(f"                            {sum(whole) / args.docs:7.0f} (same requests with the whole report)")
    print(f"                            {sum(sent) / sum(whole):7.2f} of the whole-report cost")
    same = all(a.summary == b.summary for a, b in zip(seq, par))
    print(f"same records sequential vs concurrent: {same}")


def _match(body: dict, text: str) -> bool:
    """True when the request's report excerpt comes from ``text`` (its last line is in it)."""
    found = _REPORT.search(last_user_text(body))
    lines = [ln for ln in found.group(0).splitlines()[1:-1] if ln.strip()] if found else []
    return all(ln in text for ln in lines[-2:])


if __name__ == "__main__":
    main()
