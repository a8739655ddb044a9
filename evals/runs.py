"""Saved runs: one JSON file per run under ``evals/runs/`` (``meta``, ``metrics``, ``documents``).

``documents`` holds every case's score (per-group counts, every wrong field with both values),
so any two runs can be re-aggregated on the cases both scored and compared field by field."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from evals import RUNS_DIR


class RunNotFound(FileNotFoundError):
    """A ``--baseline`` that names no run file."""


def default_run_name() -> str:
    return "run-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def run_path(name_or_path: str | Path, runs_dir: Path = RUNS_DIR) -> Path:
    """A run file: an existing path as given, else ``runs_dir/NAME(.json)``."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    name = path.name if path.suffix == ".json" else f"{path.name}.json"
    return runs_dir / name


def save_run(run: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def load_run(name_or_path: str | Path, runs_dir: Path = RUNS_DIR) -> dict:
    path = run_path(name_or_path, runs_dir)
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RunNotFound(f"no eval run at {path}: give a run file or a name under {runs_dir}") from exc
    except ValueError as exc:
        raise RunNotFound(f"{path} is not an eval run (invalid JSON: {exc})") from exc
    if not isinstance(run, dict) or "documents" not in run:
        raise RunNotFound(f"{path} is not an eval run (no 'documents')")
    return run
