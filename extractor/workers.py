"""A pool of worker processes for rules-only batches: every core, one document at a time per worker,
each document inside a budget.

The parent hands out one document per idle worker and collects records in input order (or as they
finish, ``ordered=False``). A worker that dies (killed, segfault in a parser) or runs past
``doc_timeout_s`` costs that one document: the parent emits a ``failed`` record saying which limit
it hit and how to raise it, and starts a replacement. ``doc_memory_mb`` caps each worker's address
space, so a document that blows up memory fails alone instead of taking the machine down.
Processes, not threads: the PDF library (pdfium) is not thread-safe, and the reader is CPU-bound."""
from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Iterator
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

from extractor.errors import ConfigError
from extractor.settings import Settings
from schemas import Record

_POLL_S = 0.5
MAX_UNBORN = 3
READY = -1  # the index a worker sends once it has imported everything
# tests only: "crash:NAME" makes a worker die, "hang:NAME" makes it hang, on files whose name has NAME
TEST_FAULT_ENV = "NIANBAO_TEST_FAULT"


def _limit_memory(mb: float) -> None:
    """Cap this worker's address space at ``mb``, or at the lower limit it inherited (under
    ``ulimit -v`` / ``prlimit --as`` a worker may not raise it, and must not die trying)."""
    if mb <= 0:
        return
    import resource

    limit = int(mb * 1024 * 1024)
    for inherited in resource.getrlimit(resource.RLIMIT_AS):
        if inherited != resource.RLIM_INFINITY:
            limit = min(limit, inherited)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _worker(conn: Connection, settings: Settings) -> None:
    """Extract the documents the parent sends until it sends None."""
    from extractor.batch import extract_one
    from extractor.pipeline import failed_record

    _limit_memory(settings.doc_memory_mb)
    conn.send((READY, ""))  # the budget of the first document starts now, not at process start
    fault, _, fault_name = os.environ.get(TEST_FAULT_ENV, "").partition(":")
    while (job := conn.recv()) is not None:
        index, path = job
        if fault_name and fault_name in Path(path).name:
            if fault == "crash":
                os._exit(70)
            time.sleep(3600)
        try:
            record = extract_one(Path(path), settings)
        except MemoryError:
            record = failed_record(Path(path), _over_memory(settings))
        conn.send((index, record.model_dump_json()))


def _over_memory(settings: Settings) -> str:
    return (f"the document needed more than the per-document memory budget of "
            f"{settings.doc_memory_mb:g} MB; raise NIANBAO_DOC_MEMORY_MB if it is a genuine report")


PREFETCH = 2  # documents queued per worker, so it never waits for the parent between two


@dataclass
class _Slot:
    process: mp.process.BaseProcess
    conn: Connection
    jobs: deque = field(default_factory=deque)  # sent, not answered; the first is being extracted
    started: float = 0.0  # when the first job started (the previous answer arrived)
    answered: int = 0
    ready: bool = False


class WorkerPool:
    """``workers`` processes; :meth:`run` yields one record per path."""

    def __init__(self, settings: Settings, workers: int):
        self.settings = settings
        self.workers = max(1, workers)
        self._ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
        self._slots: list[_Slot] = []
        self._unborn = 0
        self._requeue: list[tuple[int, Path]] = []  # jobs queued behind a lost document

    def _start(self) -> _Slot:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_worker, args=(child, self.settings), daemon=True)
        process.start()
        child.close()
        return _Slot(process, parent)

    def _replace(self, slot: _Slot) -> _Slot:
        if slot.process.is_alive():
            slot.process.kill()
        slot.process.join(timeout=5)
        slot.conn.close()
        return self._start()

    def run(self, paths: list[Path], ordered: bool = True) -> Iterator[Record]:
        pending = list(enumerate(paths))[::-1]
        done: dict[int, Record] = {}
        next_out = 0
        window = 4 * self.workers  # bounds the records held back for input order
        self._slots = [self._start() for _ in range(min(self.workers, len(paths)))]
        try:
            while next_out < len(paths):
                if self._requeue:
                    pending.extend(sorted(self._requeue, reverse=True))
                    pending.sort(reverse=True)
                    self._requeue.clear()
                self._assign(pending, next_out + window if ordered else len(paths))
                for index, record in self._collect():
                    done[index] = record
                if ordered:
                    while next_out in done:
                        yield done.pop(next_out)
                        next_out += 1
                else:
                    for index in list(done):
                        yield done.pop(index)
                        next_out += 1
        finally:
            self.close()

    def _assign(self, pending: list[tuple[int, Path]], limit: int) -> None:
        for slot in self._slots:
            while len(slot.jobs) < PREFETCH and pending and pending[-1][0] < limit:
                job = pending[-1]
                try:
                    slot.conn.send((job[0], str(job[1])))
                except OSError:  # the worker died since we last looked: _collect replaces it
                    break
                pending.pop()
                if not slot.jobs:
                    slot.started = time.monotonic()
                slot.jobs.append(job)  # (a worker still starting up is not timed yet)

    def _collect(self) -> list[tuple[int, Record]]:
        busy = [s for s in self._slots if s.jobs]
        if not busy:
            return []
        ready = wait([s.conn for s in busy] + [s.process.sentinel for s in busy], timeout=_POLL_S)
        out = []
        for i, slot in enumerate(self._slots):
            out.extend(self._answers(slot))
            if not slot.jobs:
                if not slot.process.is_alive():  # died between documents: nothing lost
                    self._note_death(slot)
                    self._slots[i] = self._restart(slot)
                continue
            index, path = slot.jobs[0]
            if not slot.process.is_alive():
                self._note_death(slot)
                out.append((index, self._failed(path, "the worker process extracting it died "
                                                      f"(exit code {slot.process.exitcode}); the "
                                                      "file probably crashes a parser — check it by hand")))
                self._slots[i] = self._restart(slot)
            elif slot.ready and time.monotonic() - slot.started > self.settings.doc_timeout_s:
                out.append((index, self._failed(path, f"took longer than the per-document budget of "
                                                      f"{self.settings.doc_timeout_s:g} s; raise "
                                                      "NIANBAO_DOC_TIMEOUT_S if it is a genuine report")))
                self._slots[i] = self._restart(slot)
        del ready
        return out

    def _note_death(self, slot: _Slot) -> None:
        """A worker that dies before answering anything, again and again, cannot start at all."""
        self._unborn = 0 if slot.answered else self._unborn + 1
        if self._unborn >= MAX_UNBORN:
            raise ConfigError(f"{MAX_UNBORN} worker processes in a row died before extracting "
                              f"anything (last exit code {slot.process.exitcode}); run with "
                              "--workers 0 to extract in this process and see the error")

    def _answers(self, slot: _Slot) -> list[tuple[int, Record]]:
        out = []
        try:
            while slot.jobs and slot.conn.poll():
                index, data = slot.conn.recv()
                slot.started = time.monotonic()
                if index == READY:
                    slot.ready = True
                    continue
                slot.jobs.popleft()
                slot.answered += 1
                out.append((index, Record.model_validate_json(data)))
        except (EOFError, OSError):
            pass  # the worker died: the caller sees it is not alive
        return out

    def _restart(self, slot: _Slot) -> _Slot:
        """Replace a dead or stuck worker; the documents queued behind the lost one go back out."""
        requeue = list(slot.jobs)[1:]
        fresh = self._replace(slot)
        self._requeue.extend(requeue)
        return fresh

    @staticmethod
    def _failed(path: Path, message: str) -> Record:
        from extractor.pipeline import failed_record

        return failed_record(path, message)

    def close(self) -> None:
        for slot in self._slots:
            try:
                if slot.process.is_alive():
                    slot.conn.send(None)
            except OSError:
                pass
        for slot in self._slots:
            slot.process.join(timeout=2)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join(timeout=2)
            slot.conn.close()
        self._slots = []
