"""Storage footprint: reproduces Zhu & Gupta 2017 Tables 5 and 6 (within 0.02 MB, as the paper rounds)."""
import numpy as np
import pytest

from accelsim import study
from accelsim.compile.footprint import footprint
from accelsim.reference import paper_table
from accelsim.workloads import Linear, Model, zoo


@pytest.fixture(scope="module")
def mobilenet_table():
    return study.footprint_table(zoo.mobilenet_v1(width=1.0), [0, 0.5, 0.75, 0.9, 0.95], seed=0).set_index(
        "sparsity")


@pytest.mark.parametrize("row", paper_table(5).dropna().to_dict("records"))
def test_overheads_match_paper_table5(mobilenet_table, row):
    """paper Table 5: NNZ (rounded to 0.01M), bit-mask and CSR(C) overheads in MB."""
    ours = mobilenet_table.loc[row["sparsity"]]
    assert ours["nnz"] / 1e6 == pytest.approx(row["nnz_params"] / 1e6, abs=0.005)
    assert ours["bitmask_overhead_mb"] == pytest.approx(row["bitmask_mb"], abs=0.02)
    assert ours["csrc_overhead_mb"] == pytest.approx(row["csrc_mb"], abs=0.02)


@pytest.mark.parametrize("row", paper_table(6).to_dict("records"))
def test_model_size_matches_paper_table6(row):
    """paper Table 6: model size with 4 B per non-zero + the smaller sparse overhead (both small-dense and
    large-sparse rows), exact counts and the paper's rounding both within 0.02 MB."""
    table = study.footprint_table(zoo.mobilenet_v1(width=row["width"]), [row["sparsity"]], seed=0)
    assert table["model_mb"].iloc[0] == pytest.approx(row["model_size_mb"], abs=0.02)
    assert table["model_mb_paper_rounding"].iloc[0] == pytest.approx(row["model_size_mb"], abs=0.006)


def test_padding_entries_closed_form():
    """One 1 x 40 layer keeping only element 39: a gap of 39 zeros with 4-bit counts needs
    floor(39 / 16) = 2 padding entries, so 3 stored entries: 3 x 4 bits + 2 x 32 bits = 76 bits of overhead."""
    model = Model("m", "test", (Linear("fc", in_features=40, out_features=1, bias=False),))
    mask = np.zeros((1, 40), dtype=bool)
    mask[0, 39] = True
    result = footprint(model, 39 / 40, {"fc": mask})
    assert (result.nnz, result.padding_entries) == (1, 2)
    assert result.runlength_overhead_mb * 1e6 * 8 == pytest.approx(76)
    assert result.bitmask_overhead_mb * 1e6 * 8 == pytest.approx(40)
    assert result.csrc_overhead_mb * 1e6 * 8 == pytest.approx(4)


def test_dense_model_has_no_overhead(mobilenet_table):
    dense = mobilenet_table.loc[0.0]
    assert dense["model_mb"] == dense["unpruned_mb"] == pytest.approx(4 * 4_211_113 / 1e6)
    assert dense["bitmask_overhead_mb"] == dense["csrc_overhead_mb"] == dense["runlength_overhead_mb"] == 0


def test_paper_columns_join(mobilenet_table):
    table = study.footprint_table(zoo.mobilenet_v1(width=1.0), [0.5], seed=0, with_paper=True)
    assert table["paper_model_mb"].iloc[0] == 9.04
    assert table["paper_csrc_overhead_mb"].iloc[0] == 1.06



def _nnz_rows(number: int, column: str, family: str, option: str, precision: float, slow: str):
    """Table ``number``'s pruned rows as params (family, zoo options, sparsity, nnz, printed precision): the
    table's ``column`` is the zoo's ``option``; the model ``slow`` (hundreds of millions of weights to draw)
    is marked slow."""
    table = paper_table(number)
    return [pytest.param(family, {option: row[column]}, row["sparsity"], row["nnz_params"], precision,
                         marks=pytest.mark.slow if str(row[column]) == slow else (),
                         id=f"{family}-{row[column]}-{row['sparsity']}")
            for row in table[table["sparsity"] > 0].to_dict("records")]


@pytest.mark.parametrize("family,options,sparsity,nnz,precision",
                         _nnz_rows(3, "model", "ptb_lstm", "size", 0.1e6, slow="large")
                         + _nnz_rows(4, "units", "gnmt", "units", 1e6, slow="1024"))
def test_nonzeros_match_paper_tables_3_and_4(family, options, sparsity, nnz, precision):
    """Tables 3 (PTB, printed to 0.1 M) and 4 (GNMT, to 1 M) count the non-zeros of the whole model,
    embeddings included: unstructured pruning prunes the embeddings, as the simulated masks do."""
    ours = study.footprint_table(zoo.build(family, **options), [sparsity], seed=0)["nnz"].iloc[0]
    assert abs(ours - nnz) <= precision / 2
