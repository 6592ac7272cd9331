"""The notebook runs top to bottom (reduced grid: ACCELSIM_NOTEBOOK_QUICK=1), as a reader would run it, and
is committed as `make notebook` leaves it: every code cell with its outputs, ending with its conclusion."""
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "large_sparse_vs_small_dense.ipynb"


def test_notebook_executes_without_errors(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("ACCELSIM_NOTEBOOK_QUICK", "1")
    monkeypatch.setenv("ACCELSIM_NOTEBOOK_OUT", str(tmp_path))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert (tmp_path / "mobilenet" / "compare.csv").exists() and (tmp_path / "ptb" / "compare.csv").exists()
    assert list((tmp_path / "mobilenet" / "figures").glob("*.png"))


def test_notebook_is_committed_with_outputs_and_ends_with_its_conclusion():
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1)), \
        "run `make notebook` and commit the notebook"
    assert any(o.output_type == "display_data" and "image/png" in o.data for cell in code for o in cell.outputs)
    assert not [o for cell in code for o in cell.outputs if o.output_type == "error"]
    last = notebook.cells[-1]
    assert last.cell_type == "markdown" and last.source.startswith("## Conclusion")
