"""The ``accelsim`` argument parser: every command, its options and the function that runs it."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from accelsim import __version__
from accelsim.cli.commands import (cmd_engines, cmd_footprint, cmd_hwconfig, cmd_import, cmd_models, cmd_plot,
                                   cmd_prune, cmd_simulate)
from accelsim.cli.options import (Parser, add_model_options, add_resumable_run, add_structure, list_of,
                                  sparsity_list, structure_name, workers)
from accelsim.cli.studies import (cmd_compare, cmd_explore, cmd_sensitivity, cmd_sweep, cmd_train,
                                  cmd_train_compare)
from accelsim.workloads import zoo


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="accelsim", description="What pruning really costs on a sparse DNN accelerator.")
    parser.add_argument("--version", action="version", version=f"accelsim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    models = commands.add_parser("models", help="list the model zoo with parameter counts")
    models.add_argument("--csv", action="store_true", help="one CSV row per model variant")
    models.set_defaults(run=cmd_models)

    en = commands.add_parser("engines", help="the accelerators: layer types each runs, whether it skips zeros")
    en.add_argument("--csv", action="store_true", help="one CSV row per accelerator")
    en.set_defaults(run=cmd_engines)

    hc = commands.add_parser("hwconfig", help="every hardware YAML key (--reference), or check one file")
    hc.add_argument("file", type=Path, nargs="?", metavar="FILE", help="a hardware description to check")
    hc.add_argument("--reference", nargs="?", const="", metavar="ENGINE",
                    help="print every key with type, unit, accepted values, default and help (one engine's only, "
                         "given its name)")
    hc.add_argument("--markdown", action="store_true", help="the whole reference as docs/hardware.md")
    hc.add_argument("--csv", action="store_true")
    hc.set_defaults(run=cmd_hwconfig)

    fp = commands.add_parser("footprint", help="non-zeros and storage per sparse format (MB)")
    add_model_options(fp, workload=True)
    fp.add_argument("--sparsity", type=sparsity_list, help="comma-separated, e.g. 0,0.5,0.9 (not with N:M)")
    add_structure(fp)
    fp.add_argument("--seed", type=int, default=0, help="seed of the synthetic weights (default 0)")
    fp.add_argument("--paper", action="store_true", help="add the paper's Table 5/6 values beside ours")
    fp.add_argument("--csv", action="store_true")
    fp.set_defaults(run=cmd_footprint)

    pr = commands.add_parser("prune", help="magnitude-prune a zoo or imported model and write its masks (.npz)")
    add_model_options(pr, workload=True)
    pr.add_argument("--sparsity", type=float,
                    help="target sparsity in [0, 1): of weights, blocks or channels (not with N:M)")
    add_structure(pr)
    pr.add_argument("--method", choices=("uniform", "global"), default="uniform",
                    help="uniform: every pruned layer to the sparsity; global: one magnitude threshold")
    pr.add_argument("--seed", type=int, default=0, help="seed of a zoo model's synthetic weights (default 0)")
    pr.add_argument("--out", type=Path, required=True, help="output .npz file")
    pr.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    pr.add_argument("--csv", action="store_true")
    pr.add_argument("--quiet", action="store_true", help="print nothing on success")
    pr.set_defaults(run=cmd_prune)

    sim = commands.add_parser("simulate", help="cycles, latency, accesses and energy per layer and in total")
    add_model_options(sim, workload=True)
    sim.add_argument("--hw", type=Path, required=True, help="hardware description (YAML)")
    masks = sim.add_mutually_exclusive_group()
    masks.add_argument("--masks", type=Path, help="weight masks (.npz from 'accelsim prune')")
    masks.add_argument("--sparsity", type=float, help="prune uniformly to this sparsity (seeded weights)")
    sim.add_argument("--seed", type=int, default=0, help="seed of weights and activations (default 0)")
    sim.add_argument("--out", type=Path, help="write layers.csv and summary.json into this directory")
    sim.add_argument("--force", action="store_true", help="overwrite results already in --out")
    sim.add_argument("--csv", action="store_true", help="print every per-layer column as CSV")
    sim.add_argument("--quiet", action="store_true", help="print nothing on success")
    sim.set_defaults(run=cmd_simulate)

    sw = commands.add_parser("sweep", help="a grid of models x sparsities x hardware x seeds; resumable")
    which = sw.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", help=f"zoo family: {', '.join(zoo.FAMILIES)}")
    which.add_argument("--workload", type=Path, help="a workload file (accelsim YAML or SCALE-Sim CSV); at "
                                                    "sparsity 0 a YAML file's densities apply")
    sw.add_argument("--width", type=list_of(float), help="MobileNet widths, e.g. 0.25,0.5,1.0")
    sw.add_argument("--size", type=list_of(str), help="PTB sizes, e.g. small,medium,large")
    sw.add_argument("--units", type=list_of(int), help="GNMT units, e.g. 256,1024")
    sw.add_argument("--steps", type=list_of(int), help="PTB tokens per inference")
    sw.add_argument("--sparsity", type=sparsity_list, required=True, help="comma-separated, e.g. 0,0.5,0.9")
    sw.add_argument("--masks", type=Path, nargs="+", help="with --workload DIR (an import): also one point per "
                                                          "masks file (e.g. from 'accelsim prune --workload DIR')")
    sw.add_argument("--hw", type=Path, nargs="+", required=True, help="hardware descriptions (YAML)")
    sw.add_argument("--seeds", type=list_of(int), default=[0], help="comma-separated seeds (default 0)")
    add_resumable_run(sw, "sweep directory")
    sw.add_argument("--quiet", action="store_true", help="no progress bar, no table")
    sw.set_defaults(run=cmd_sweep)

    cp = commands.add_parser("compare", help="large-sparse vs small-dense at equal footprint (the paper's pairs)")
    what = cp.add_mutually_exclusive_group(required=True)
    what.add_argument("--family", help="mobilenet (Table 6) | ptb (Table 3) | gnmt (Table 4)")
    cp.add_argument("--resolution", type=int, help="with --family mobilenet: input size (default 224, the paper's)")
    add_structure(cp)
    what.add_argument("--workload", type=Path, nargs="+", metavar="DIR",
                      help="your own models: folders written by 'accelsim import', each at its real zeros")
    cp.add_argument("--accuracy", type=list_of(float, "numbers"), help="with --workload: each model's accuracy")
    cp.add_argument("--metric", default="accuracy", help="with --workload: the accuracy's name (default accuracy)")
    cp.add_argument("--lower-is-better", action="store_true", help="with --workload: lower metric wins (perplexity)")
    cp.add_argument("--hw", type=Path, nargs="+", required=True, help="hardware descriptions (YAML)")
    add_resumable_run(cp, "results directory")
    cp.add_argument("--seed", type=int, default=0, help="seed of weights and activations (default 0)")
    cp.add_argument("--csv", action="store_true", help="print the headline table as CSV")
    cp.add_argument("--quiet", action="store_true")
    cp.set_defaults(run=cmd_compare)

    ex = commands.add_parser("explore", help="multi-objective search over machines and models (NSGA-II); resumable")
    ex.add_argument("space", type=Path, metavar="SPACE.yaml", help="the search space (docs/explore.md)")
    add_resumable_run(ex, "results directory")
    ex.add_argument("--trials", type=int, default=100, help="trials to run in all (default 100)")
    ex.add_argument("--seed", type=int, default=0, help="the sampler's seed: the same seed, the same trials")
    ex.add_argument("--csv", action="store_true", help="print the front as CSV")
    ex.add_argument("--quiet", action="store_true")
    ex.set_defaults(run=cmd_explore)

    se = commands.add_parser("sensitivity", help="how far each energy figure can move before a verdict flips")
    se.add_argument("dir", type=Path, metavar="DIR", help="output of accelsim compare or accelsim explore")
    se.add_argument("--csv", action="store_true", help="print every row as CSV")
    se.add_argument("--quiet", action="store_true")
    se.set_defaults(run=cmd_sensitivity)

    im = commands.add_parser("import", help="an ONNX model -> a folder of its layers, real weights and zeros")
    im.add_argument("model", type=Path, metavar="MODEL.onnx", help="the ONNX model (docs/import.md)")
    im.add_argument("--input-shape", action="append", metavar="NAME=1x3x224x224",
                    help="fix an input's dimensions (needed for dynamic ones); repeat per input")
    im.add_argument("--samples", type=Path, help="inputs to measure activations on: .npy (one input) or .npz "
                                                 "(an array per input name), samples on the first axis")
    im.add_argument("--strict", action="store_true", help="refuse ops accelsim cannot map between layers")
    im.add_argument("--out", type=Path, required=True, help="folder to write (simulate --workload reads it)")
    im.add_argument("--force", action="store_true", help="overwrite an earlier import in --out")
    im.add_argument("--csv", action="store_true", help="print the node table as CSV")
    im.add_argument("--quiet", action="store_true")
    im.set_defaults(run=cmd_import)

    pl = commands.add_parser("plot", help="figures (PNG, SVG) of results on disk, into DIR/figures/")
    pl.add_argument("dir", type=Path, metavar="DIR", help="output of simulate --out, sweep, compare or a folder "
                                                          "of simulate outputs")
    pl.add_argument("--format", type=list_of(str), help="comma-separated: png, svg, pdf (default png,svg)")
    pl.add_argument("--jobs", type=workers, default=os.cpu_count() or 1,
                    help="local worker processes drawing the figures")
    pl.add_argument("--quiet", action="store_true")
    pl.set_defaults(run=cmd_plot)

    tr = commands.add_parser("train", help="train an MLP with AGP pruning on a shipped data set")
    tr.add_argument("--task", default="mnist1d", help="mnist1d (default) | digits")
    tr.add_argument("--hidden", type=list_of(int), default=[256, 256], help="hidden sizes, e.g. 256,256")
    tr.add_argument("--sparsity", type=float,
                    help="final sparsity s_f in [0, 1) (required but with N:M, which sets its own)")
    tr.add_argument("--schedule", choices=("agp", "none"), default="agp", help="agp (eq. 1) or none (dense)")
    tr.add_argument("--variant", choices=("uniform", "layerwise", "global"), default="uniform")
    add_structure(tr)
    tr.add_argument("--epochs", type=int, help="training epochs (default: the trainer's)")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--out", type=Path, required=True, help="folder for masks, weights, log and figures")
    tr.add_argument("--force", action="store_true", help="overwrite a previous run in --out")
    tr.add_argument("--export-onnx", type=Path, metavar="FILE.onnx",
                    help="also write the trained, pruned MLP as ONNX (for 'accelsim import')")
    tr.add_argument("--quiet", action="store_true")
    tr.set_defaults(run=cmd_train)

    tc = commands.add_parser("train-compare",
                             help="train large-sparse and small-dense MLPs of equal NNZ, then simulate both")
    tc.add_argument("--task", default="mnist1d")
    tc.add_argument("--hidden", type=list_of(int), default=[256, 256], help="hidden sizes of the large model")
    tc.add_argument("--sparsity", type=sparsity_list, default=[0.75, 0.9, 0.95],
                    help="NNZ budgets as sparsities of the large model")
    tc.add_argument("--seeds", type=list_of(int), default=[0, 1, 2])
    tc.add_argument("--structures", type=list_of(structure_name, "structures: N:M, block:B or channel"),
                    default=[], help="also train the large model pruned with these structures, e.g. "
                                     "2:4,block:4,channel (docs/structured.md; costs a training run each)")
    tc.add_argument("--hw", type=Path, nargs="+",
                    help="hardware (default: dense_edge and eie_like, and nm_systolic with an N:M structure)")
    tc.add_argument("--epochs", type=int, help="training epochs (default: the trainer's)")
    tc.add_argument("--jobs", type=workers, default=os.cpu_count() or 1)
    tc.add_argument("--out", type=Path, required=True)
    tc.add_argument("--force", action="store_true")
    tc.add_argument("--csv", action="store_true")
    tc.add_argument("--quiet", action="store_true")
    tc.set_defaults(run=cmd_train_compare)
    return parser
