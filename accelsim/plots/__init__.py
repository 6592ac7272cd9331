"""Figures of accelsim results (layer 7): matplotlib figures drawn from report DataFrames only.

Every function takes the DataFrames the reports write (``totals.csv``, ``points.csv``, ``layers.csv``,
``compare.csv`` read with pandas) and returns a :class:`matplotlib.figure.Figure` that belongs to no pyplot
state; :func:`plot_directory` writes every figure that applies to a results directory. See docs/plots.md.

>>> import pandas as pd, accelsim.plots as ap
>>> fig = ap.energy_breakdown(pd.read_csv("results/sweep/totals.csv"))     # doctest: +SKIP
>>> fig.savefig("energy.png")                                                # doctest: +SKIP
>>> ap.plot_directory("results/sweep")                                       # doctest: +SKIP
"""
from accelsim.plots.directory import FORMATS, plot_directory
from accelsim.plots.figures import energy_breakdown, latency_vs_sparsity, layer_latency
from accelsim.plots.stalls import stall_breakdown, stall_segments
from accelsim.plots.tradeoff import accuracy_tradeoff
from accelsim.plots.pareto import pareto_front

__all__ = ["FORMATS", "accuracy_tradeoff", "energy_breakdown", "latency_vs_sparsity", "layer_latency", "pareto_front",
           "plot_directory", "stall_breakdown", "stall_segments"]
