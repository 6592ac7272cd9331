# Everything a fresh machine needs: `make test` and `make demo` create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo bench test-slow clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

# The long cross-checks, including the Dask cluster test (installs the optional 'dask' extra).
test-slow: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,dask]'
	$(BIN)/python -m pytest -m slow

demo: $(STAMP)
	$(BIN)/accelsim models
	$(BIN)/accelsim footprint --model mobilenet_v1 --width 1.0 --sparsity 0,0.5,0.75,0.9,0.95 --paper
	$(BIN)/accelsim simulate --model mobilenet_v1 --width 1.0 --hw hwconfigs/dense_edge.yaml --out results/demo --force

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
