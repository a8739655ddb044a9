# nianbao — the two commands of the README's quick start:
#   make run    install into .venv and extract the bundled sample reports → out/records.jsonl, out/records.csv
#   make test   install (with test extras) and run the whole test suite + the offline eval gate
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: run test install install-test eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

run: install
	$(BIN)/nianbao extract samples -o out/records.jsonl --csv out/records.csv

test: install-test
	$(BIN)/pytest
	$(BIN)/nianbao eval --llm off --baseline evals/runs/baseline.json --no-save

eval: install-test
	$(BIN)/nianbao eval --llm off

bench: install-test
	$(BIN)/python bench/bench_extract.py --quick

clean:
	rm -rf $(VENV) out .pytest_cache
