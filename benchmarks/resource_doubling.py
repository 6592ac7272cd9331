"""More hardware is never slower: each shipped machine's cycles before and after doubling each of its
resources (the keys its accelerator declares as resources, ``AcceleratorSpec.resources``), and the cliffs
that a fixed mapping used to show.

Writes ``docs/resource_doubling.md`` (the tables) and ``benchmarks/results/resource_doubling.json``. Every
figure is a whole-model simulation of the model and sparsity named in the table (seed 0); a row whose
"after" exceeds its "before" is flagged ``SLOWER``. Run: ``python benchmarks/resource_doubling.py``
(about two minutes on one core).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

import accelsim as acs
from accelsim.accelerators import ACCELERATORS
from accelsim.errors import InputError
from accelsim.hardware.variants import changed, variant
from accelsim.workloads.layers import Conv2D
from accelsim.workloads.model import Model

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "resource_doubling.md"
RESULTS = Path(__file__).resolve().parent / "results" / "resource_doubling.json"

#: (shipped machine, model, sparsity): the issue's three cases, then one for each other accelerator.
CASES = (
    ("scnn_like.yaml", "mobilenet_v1", 0.9),
    ("eie_like.yaml", "ptb_lstm_large", 0.9),
    ("dense_edge.yaml", "mobilenet_v1", 0.0),
    ("dcnn.yaml", "mobilenet_v1", 0.0),
    ("nm_systolic.yaml", "mobilenet_v1", 0.5),
    ("eyeriss_v2.yaml", "mobilenet_v1", 0.9),
    ("eyeriss_v1.yaml", "mobilenet_v1", 0.0),
)


def raw(name: str) -> dict:
    return yaml.safe_load((ROOT / "hwconfigs" / name).read_text())


def value_of(data: dict, path: str, label: str):
    """The value at ``path`` as the machine ``data`` has it: written in the YAML, or its default (the requests
    in flight that cover the DRAM latency; one port per bank)."""
    node = data
    try:
        for key in path.split("."):
            node = node[key]
        return node
    except KeyError:
        hw = variant(data, {}, label)
        if path == "dram.outstanding_requests":
            return hw.dram.requests_in_flight
        _, name, key = path.split(".")
        return getattr(next(b for b in hw.buffers if b.name == name), key)


def cycles(data: dict, model: Model, sparsity: float, label: str) -> int | str:
    """Total cycles of ``model`` at ``sparsity`` on the machine ``data``; the refusal's text if the machine
    is refused (a doubled value outside its declared range) or refuses the model."""
    try:
        hw = variant(data, {}, label)
        result = acs.simulate(model, hw, sparsity=sparsity or None, seed=0)
    except InputError as error:
        return f"refused: {error}"
    return int(result.total["cycles"])


#: The models of ``CASES`` by name.
MODELS = {"mobilenet_v1": lambda: acs.zoo.mobilenet_v1(1.0), "ptb_lstm_large": lambda: acs.zoo.ptb_lstm("large")}


def doubling_rows() -> list[dict]:
    rows = []
    for machine, model_name, sparsity in CASES:
        data = raw(machine)
        spec = ACCELERATORS[data["engine"]]
        model = MODELS[model_name]()
        base = cycles(data, model, sparsity, machine)
        for path in spec.resources(tuple(data["buffers"])):
            if path == "dram.bandwidth_bytes_per_cycle" and path.split(".")[1] not in data["dram"]:
                path = "dram.bandwidth_gb_per_s"
            before = value_of(data, path, machine)
            after = cycles(changed(data, {path: before * 2}), model, sparsity, f"{machine} ({path} x 2)")
            rows.append({"machine": machine, "model": model_name, "sparsity": sparsity, "key": path,
                         "value": before, "cycles": base, "cycles_doubled": after})
            print(rows[-1], flush=True)
    return rows


def conv(name: str, size: int) -> Model:
    """One 3x3 stride-2 convolution of 64 -> 64 channels on a ``size`` x ``size`` input (the issue's cliff)."""
    return Model(name, "conv", (Conv2D(name, in_channels=64, out_channels=64, kernel_h=3, kernel_w=3, in_h=size,
                               in_w=size, stride=2, padding=(1, 1, 1, 1)),))


def cliff_rows() -> list[dict]:
    """The cliffs issue 16 measured on the fixed mappings, re-measured: (case, cycles before, after, the most
    "after / before" may be: the ratio of the work, 1 where the work is the same)."""
    edge, scnn = raw("dense_edge.yaml"), raw("scnn_like.yaml")
    mobilenet = acs.zoo.mobilenet_v1(1.0)
    outputs = conv("c33", 33).layers[0].macs / conv("c32", 32).layers[0].macs
    rows = [("dense_edge: 3x3/2 conv, input 32x32 -> 33x33", cycles(edge, conv("c32", 32), 0, "edge"),
             cycles(edge, conv("c33", 33), 0, "edge"), outputs)]
    small = edge
    big = changed(edge, {f"buffers.{name}.size_bytes": 8 * buffer["size_bytes"]
                         for name, buffer in edge["buffers"].items()})
    rows.append(("dense_edge: every SRAM x 8, MobileNet 1.0 dense", cycles(small, mobilenet, 0, "edge"),
                 cycles(big, mobilenet, 0, "edge x8"), 1.0))
    wide = changed(edge, {"pe_array.rows": 2 * edge["pe_array"]["rows"], "pe_array.cols": 2 * edge["pe_array"]["cols"]})
    rows.append(("dense_edge: PE array rows and cols x 2, MobileNet 1.0 dense", cycles(edge, mobilenet, 0, "edge"),
                 cycles(wide, mobilenet, 0, "edge 2x2"), 1.0))
    dense_conv = Model("conv3x3", "conv", (Conv2D("pw", in_channels=128, out_channels=128, kernel_h=3, kernel_w=3,
                                                  in_h=28, in_w=28, padding=(1, 1, 1, 1)),))
    for f in (5, 8):
        rows.append((f"scnn_like: F = 4 -> {f}, a dense 3x3 conv 128 -> 128 at 28x28",
                     cycles(scnn, dense_conv, 0, "scnn"), cycles(changed(scnn, {"pe.multipliers_f": f}), dense_conv, 0,
                                                                "scnn F"), 1.0))
    return [{"case": case, "before": before, "after": after, "work_ratio": work} for case, before, after, work in rows]


def _flag(before, after, work_ratio: float = 1.0) -> str:
    """``after / before``, marked SLOWER when it exceeds the ratio of the work (1: the same work)."""
    if isinstance(before, int) and isinstance(after, int):
        return f"{after / before:.3f}" + (" SLOWER" if after > before * work_ratio else "")
    return ""


def markdown(doubling: list[dict], cliffs: list[dict]) -> str:
    lines = ["# More hardware is never slower", "",
             "Generated by `python benchmarks/resource_doubling.py` (do not edit by hand): each shipped machine's "
             "total cycles before and after doubling each key its accelerator declares as a resource "
             "(`accelsim/accelerators/spec.py`, `COMMON_RESOURCES` and `Param.resource`), whole model, seed 0. "
             "`tests/test_invariants.py` checks the same property on random small layers and machines. A row "
             "marked SLOWER is a mapper choice to revisit (every mapper chooses the PEs a layer uses; the test's "
             "one known exception is SCNN's F, whose doubling doubles the bank function's stride: "
             "docs/scnn.md, \"Bank function\").", "",
             "| machine | model @ sparsity | key | value | cycles | doubled | ratio |", "|---|---|---|---|---|---|---|"]
    for r in doubling:
        lines.append(f"| {r['machine']} | {r['model']} @ {r['sparsity']:g} | `{r['key']}` | {r['value']} | "
                     f"{r['cycles']} | {r['cycles_doubled']} | {_flag(r['cycles'], r['cycles_doubled'])} |")
    lines += ["", "## Cliffs of the fixed mappings, re-measured", "", "| case | before | after | work ratio | ratio |",
              "|---|---|---|---|---|"]
    lines += [f"| {c['case']} | {c['before']} | {c['after']} | {c['work_ratio']:.3f} | "
              f"{_flag(c['before'], c['after'], c['work_ratio'])} |" for c in cliffs]
    return "\n".join(lines) + "\n"


def main() -> int:
    doubling, cliffs = doubling_rows(), cliff_rows()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"doubling": doubling, "cliffs": cliffs}, indent=2) + "\n")
    DOC.write_text(markdown(doubling, cliffs))
    slower = [r for r in doubling if _flag(r["cycles"], r["cycles_doubled"]).endswith("SLOWER")]
    print(f"{len(doubling)} doublings, {len(slower)} slower; wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
