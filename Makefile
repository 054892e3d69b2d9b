# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test library bench bench-scale lint clean

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dask]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/overdue run scenarios/baseline.yaml

test: $(STAMP)
	$(BIN)/python -m pytest -q

library: $(STAMP)  # every shipped scenario at its own size: long on 2 cores
	$(BIN)/overdue library

bench: $(STAMP)
	$(BIN)/overdue bench

bench-scale: $(STAMP)  # an hour or more on 2 cores: 100,000,000 borrowers and the Dask run
	$(BIN)/overdue bench --scale

lint: $(STAMP)
	$(BIN)/ruff check simulator tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
