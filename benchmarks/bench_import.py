"""Import ResNet-50 from ONNX, measure its activations on 8 samples, simulate it on SCNN; each phase timed.

Target (issue: ONNX import): under 60 s on one core and peak RSS under 2 GB for all three phases. The model
is the ResNet-50 the onnx package ships (onnx/backend/test/data/light/: the real topology, its weights
replaced by constants, so its weights are dense and its activations after the first layers mostly
non-zero: a worst case for SCNN's simulation time). Samples are seeded Gaussian images.

``python benchmarks/bench_import.py [SAMPLES [SIMULATED]]``: SAMPLES (default 8) samples are measured, the
first SIMULATED (default: all) of them simulated; ``simulate_scnn_s_per_sample`` and the total scaled to
every sample are reported beside the time measured.
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from common import ROOT, report

SCNN = ROOT / "hwconfigs" / "scnn_like.yaml"


def main() -> int:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    import onnx

    import accelsim as acs
    from accelsim.importers.onnx import import_onnx
    from accelsim.importers.onnx.measure import measure, read_samples
    from accelsim.study.imported import import_model, simulate_folder
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    simulated = int(sys.argv[2]) if len(sys.argv) > 2 else n
    model_file = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light" / "light_resnet50.onnx"
    result: dict = {"targets": {"total_s_all_samples": 60.0, "peak_rss_mb": 2048}, "samples": n}
    with tempfile.TemporaryDirectory() as tmp:
        samples = Path(tmp) / "x.npy"
        np.save(samples, np.random.default_rng(0).standard_normal((n, 3, 224, 224)).astype(np.float32))
        start = time.perf_counter()
        imported = import_onnx(model_file)
        result["import_s"] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()
        measure(imported, read_samples(samples, imported.onnx_model))
        result["measure_s"] = round(time.perf_counter() - start, 2)
        np.save(samples, np.load(samples)[:simulated])
        import_model(model_file, Path(tmp) / "r50", samples=samples)      # the folder simulate reads
        start = time.perf_counter()
        simulate_folder(Path(tmp) / "r50", acs.load_hardware(SCNN))
        result["simulated_samples"] = simulated
        result["simulate_scnn_s"] = round(time.perf_counter() - start, 2)
    result["simulate_scnn_s_per_sample"] = round(result["simulate_scnn_s"] / simulated, 2)
    result["total_s_all_samples"] = round(result["import_s"] + result["measure_s"]
                                          + result["simulate_scnn_s_per_sample"] * n, 2)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report("import", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
