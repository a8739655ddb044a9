"""Load test of the review service: N upload+extract requests at concurrency C against
`nianbao serve` on 127.0.0.1, then a check that every upload is in the store exactly once.

    python bench/bench_service.py                 # starts a server on a free port with a temp store
    python bench/bench_service.py --n 200 --concurrency 20 --url http://127.0.0.1:8000

Prints throughput, p50/p95/max latency and errors; exits 1 on any error or lost record."""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
DOC_DIRS = (ROOT / "samples", ROOT / "evals" / "dataset" / "docs", ROOT.parent / "shared" / "evalset" / "docs")


def sample_reports() -> list[bytes]:
    for folder in DOC_DIRS:
        docs = sorted(folder.glob("*.txt")) if folder.is_dir() else []
        if docs:
            return [p.read_bytes() for p in docs]
    sys.exit("no sample reports found (samples/, evals/dataset/docs or ../shared/evalset/docs)")


def make_uploads(n: int) -> list[tuple[str, bytes]]:
    """n distinct reports: the samples, each copy made unique by a trailing line."""
    base = sample_reports()
    return [(f"bench-{i:04d}.txt", base[i % len(base)] + f"\n（压测副本 {i}）\n".encode()) for i in range(n)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NIANBAO_TOKEN": ""}
    proc = subprocess.Popen([sys.executable, "-m", "extractor", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--data-dir", str(data_dir), "--llm", "off"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"the server did not start: {proc.stderr.read().decode(errors='replace')}")


async def run_load(url: str, uploads: list[tuple[str, bytes]], concurrency: int, headers: dict) -> tuple[list, list, float]:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    results: list[tuple[int, dict | str]] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits, headers=headers) as client:

        async def one(name: str, data: bytes):
            async with gate:
                t0 = time.perf_counter()
                try:
                    r = await client.post("/api/records", files={"file": (name, data, "text/plain")})
                    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else r.text
                    results.append((r.status_code, body))
                except httpx.HTTPError as exc:
                    results.append((0, repr(exc)))
                latencies.append(time.perf_counter() - t0)

        start = time.perf_counter()
        await asyncio.gather(*(one(n, d) for n, d in uploads))
        wall = time.perf_counter() - start
    return latencies, results, wall


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def verify_store(url: str, uploads: list[tuple[str, bytes]], headers: dict) -> tuple[int, int, int]:
    """(records stored, uploads missing from the store, duplicates)."""
    want = {hashlib.sha256(d).hexdigest() for _, d in uploads}
    seen: list[str] = []
    offset = 0
    while True:
        page = httpx.get(f"{url}/api/records", params={"limit": 1000, "offset": offset}, headers=headers, timeout=60).json()
        seen += [item["sha256"] for item in page["items"]]
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            break
    return len(seen), len(want - set(seen)), len(seen) - len(set(seen))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="upload+extract requests")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--url", help="an already running service (default: start one with a temp store)")
    args = parser.parse_args()
    headers = {"Authorization": f"Bearer {os.environ['NIANBAO_TOKEN']}"} if os.environ.get("NIANBAO_TOKEN") else {}
    uploads = make_uploads(args.n)
    tmp = tempfile.TemporaryDirectory(prefix="nianbao-bench-")
    proc = None
    url = args.url
    if not url:
        proc, url = start_server(Path(tmp.name) / "data")
    try:
        before = 0 if proc else httpx.get(f"{url}/api/records", params={"limit": 1}, headers=headers).json()["total"]
        latencies, results, wall = asyncio.run(run_load(url, uploads, args.concurrency, headers))
        stored, missing, dupes = verify_store(url, uploads, headers)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=10)
        tmp.cleanup()
    errors = [(s, b) for s, b in results if s not in (200, 201)]
    statuses = {}
    for _, body in results:
        if isinstance(body, dict) and "status" in body:
            statuses[body["status"]] = statuses.get(body["status"], 0) + 1
    print(f"requests      {len(results)} at concurrency {args.concurrency} against {url}")
    print(f"wall time     {wall:.2f} s")
    print(f"throughput    {len(results) / wall:.1f} req/s")
    print(f"latency       p50 {percentile(latencies, .5) * 1000:.0f} ms · p95 {percentile(latencies, .95) * 1000:.0f} ms"
          f" · max {max(latencies) * 1000:.0f} ms · mean {statistics.mean(latencies) * 1000:.0f} ms")
    print(f"errors        {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    print(f"record status {statuses}")
    print(f"store         {stored - before} new record(s) for {len(uploads)} distinct uploads; "
          f"lost {missing}, duplicated {dupes}")
    return 1 if errors or missing or dupes else 0


if __name__ == "__main__":
    sys.exit(main())
