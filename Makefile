# Everything a fresh machine needs: `make test` and `make demo` create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo notebook bench test-slow clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

# The long cross-checks, including the Dask cluster test, accelsim.from_torch and a real trained model from a
# wheel (installs the optional 'dask' and 'torch' extras, torch pinned to a CPU build, and the wheel holding
# the model without its OCR pipeline's dependencies: benchmarks/real_model.py).
test-slow: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,dask,torch]'
	$(BIN)/python -m pip install --quiet --no-deps rapidocr-onnxruntime==1.4.4
	$(BIN)/python -m pytest -m slow

# The paper's MobileNet pairs (Table 6), small-dense vs large-sparse, on the shipped machines; then figures.
DEMO_HW := hwconfigs/scnn_like.yaml hwconfigs/dcnn.yaml hwconfigs/dense_edge.yaml
demo: $(STAMP)
	$(BIN)/accelsim compare --family mobilenet --hw $(DEMO_HW) --out results/demo --jobs 2
	$(BIN)/accelsim plot results/demo --format png --jobs 2

# Execute the notebook in place (outputs saved in it; its results into results/notebook/).
notebook: $(STAMP)
	$(BIN)/python notebooks/execute.py notebooks/large_sparse_vs_small_dense.ipynb

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
