# Two entry points for a fresh machine (see README.md): `make demo` and `make test`.
# Each target builds the local virtual environment first, idempotently: the pinned CPU
# torch goes in before the package so that pip never resolves a CUDA build.
PYTHON ?= python3
TORCH_VERSION ?= 2.13.0
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(TORCH_VERSION)

.PHONY: setup demo test lint bench clean

$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==$(TORCH_VERSION)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,distributed]'
	@touch $(STAMP)

setup: $(STAMP)

# The main job: the Tucker-like operator against torch, then a reduced Fig. 3 (1) of 003
# (Theorem 1, S1-S4, iid inputs, 50 replications) written to runs/demo/.
demo: $(STAMP)
	$(BIN)/tensorcnn demo
	$(BIN)/tensorcnn simulate theorem1 --inputs iid --reps 50 --out runs/demo

test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(BIN)/ruff check tensorcnn simulations proofs_check tests benchmarks

lint: $(STAMP)
	$(BIN)/ruff check tensorcnn simulations proofs_check tests benchmarks

bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; \
		$(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache tensorcnn.egg-info
