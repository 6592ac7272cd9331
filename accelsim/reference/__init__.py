"""Published reference values shipped with accelsim (layer 1): the paper's tables, transcribed.

``paper_table(n)`` returns Zhu & Gupta 2017's Table n (1-6) as a DataFrame, exactly as transcribed in
``zhu_gupta_2017/*.csv`` (see the README there). Tests that reproduce these values say "paper Table n";
``compare`` joins their accuracy columns to simulated costs.
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


def paper_table(number: int) -> pd.DataFrame:
    """Zhu & Gupta 2017, Table ``number``, one row per published entry."""
    name = PAPER_TABLES[number]
    with resources.files(__package__).joinpath("zhu_gupta_2017", name).open() as f:
        return pd.read_csv(f)
