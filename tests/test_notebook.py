"""The notebook runs top to bottom (reduced grid: ACCELSIM_NOTEBOOK_QUICK=1), as a reader would run it."""
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
