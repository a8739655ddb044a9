"""The eval harness: a labelled dataset (``evals/dataset``), a scorer, runs saved under
``evals/runs`` and a comparison against a baseline run (the CI gate).

Entry point: ``nianbao eval`` (``extractor/cli.py`` delegates to :mod:`evals.command`).
Nothing runs at import time."""
from pathlib import Path

EVALS_DIR = Path(__file__).resolve().parent
DEFAULT_DATASET = EVALS_DIR / "dataset"
RUNS_DIR = EVALS_DIR / "runs"
