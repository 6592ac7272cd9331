"""Execute notebooks in place, as `make notebook` does: each runs top to bottom in a fresh kernel whose
working folder is the notebook's, and is saved with its outputs (no timing metadata, so re-running an
unchanged notebook changes nothing but what its outputs say)."""
from __future__ import annotations

import sys
from pathlib import Path

import nbclient
import nbformat


def execute(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(notebook, path)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        execute(Path(name).resolve())
        print(f"executed {name}")
