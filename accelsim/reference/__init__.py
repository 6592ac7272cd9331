"""Published reference values shipped with accelsim (layer 1): the papers' tables, transcribed.

* ``paper_table(n)`` returns Zhu & Gupta 2017's Table n (1-6) as a DataFrame, exactly as transcribed in
  ``zhu_gupta_2017/*.csv`` (see the README there). Tests that reproduce these values say "paper Table n";
  ``compare`` joins their accuracy columns to simulated costs.
* ``eie_table_iv()`` and ``eie_fig8()``: Han et al. 2016 (EIE, ISCA 2016), Table IV's EIE times and Fig. 8's
  load-balance efficiency, as transcribed in ``han_2016/*.csv`` (see the README there); the text of its
  Fig. 11 as :data:`EIE_FIG11_SPEEDUP_256_OVER_64` and :data:`EIE_FIG11_NOT_LINEAR`.
* ``scnn_reference(name)``: Parashar et al. 2017 (SCNN, ISCA 2017), Figs 1, 8 and 9-11 as transcribed in
  ``parashar_2017/*.csv`` (see the README there), what ``accelsim.study.scnn_paper`` validates against.
"""
from __future__ import annotations

from importlib import resources

import pandas as pd

PAPER_TABLES = {
    1: "table1_inception_v3.csv",
    2: "table2_mobilenet.csv",
    3: "table3_ptb.csv",
    4: "table4_gnmt.csv",
    5: "table5_mobilenet_storage.csv",
    6: "table6_size_vs_accuracy.csv",
}

#: Han et al. 2016, Sec. VII-B (Fig. 11): "256 PEs give 3.25x the throughput of 64 PEs".
EIE_FIG11_SPEEDUP_256_OVER_64 = 3.25
#: Han et al. 2016, Sec. VII-B (Fig. 11): the one benchmark whose scaling is not near-linear (serious load
#: imbalance at 64 PEs or more).
EIE_FIG11_NOT_LINEAR = ("NT-We",)


def _csv(folder: str, name: str) -> pd.DataFrame:
    with resources.files(__package__).joinpath(folder, name).open() as f:
        return pd.read_csv(f)


def paper_table(number: int) -> pd.DataFrame:
    """Zhu & Gupta 2017, Table ``number``, one row per published entry."""
    return _csv("zhu_gupta_2017", PAPER_TABLES[number])


def eie_table_iv() -> pd.DataFrame:
    """Han et al. 2016, Table IV, EIE rows: ``layer``, ``theoretical_us``, ``actual_us`` (microseconds, batch 1,
    64 PEs at 800 MHz), one row per benchmark layer in the paper's order."""
    return _csv("han_2016", "table4_eie_time.csv")


def eie_fig8() -> pd.DataFrame:
    """Han et al. 2016, Fig. 8: load-balance efficiency (a fraction, 0-1) per layer (rows, the paper's order)
    and FIFO depth (columns 1, 2, 4, ..., 256), 64 PEs."""
    long = _csv("han_2016", "fig8_load_balance.csv")
    table = long.pivot(index="layer", columns="fifo_depth", values="efficiency_percent") / 100
    table.columns.name = None
    return table.loc[long["layer"].unique()]


#: The SCNN paper's tables in ``parashar_2017/`` (see the README there).
SCNN_TABLES = ("fig1_densities", "fig9_11_layers", "fig8_density_sweep")


def scnn_reference(name: str) -> pd.DataFrame:
    """Parashar et al., ISCA 2017: ``name`` one of :data:`SCNN_TABLES`, as transcribed."""
    return _csv("parashar_2017", f"{name}.csv")
