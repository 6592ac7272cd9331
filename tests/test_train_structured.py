"""AGP with structure (TrainConfig.structure): gradual N:M, block and channel pruning in the trainer, and the
structured variants of train_compare.

Every check of a mask is written here from the definition of its structure, not with the pruning code:
non-zeros counted per group of M along a row of W (the reduction dimension of a Linear layer), b x b blocks
found all-kept or all-pruned by reshaping, rows and columns found whole. The expected levels are eq. (1)
evaluated by hand in each test's docstring. Training uses the tiny blobs task (a few ms per run)."""
import dataclasses
import pathlib

import numpy as np
import pytest

from accelsim.errors import InputError
from accelsim.study.training import summarise, train_compare, train_run
from accelsim.training import TrainConfig, equal_nnz_width, train

ROOT = pathlib.Path(__file__).resolve().parent.parent
HW = [ROOT / "hwconfigs" / name for name in ("dense_edge.yaml", "eie_like.yaml", "nm_systolic.yaml")]
# 120 samples / batch 16 = 8 steps per epoch, 6 epochs = 48 steps; sizes 8-12-10-3
BASE = TrainConfig(hidden=(12, 10), epochs=6, batch_size=16, lr=0.1, weight_decay=1e-3, seed=3)


def masks_at_every_step(data, config):
    """(step, {layer: mask copy}) after every training step."""
    seen = []
    train(data, config, callback=lambda state: seen.append(
        (state.step, {name: mask.copy() for name, mask in state.masks.items()})))
    return seen


def kept_per_group(mask, m):
    """Kept weights in every group of ``m`` consecutive columns of each row (the last group may be shorter):
    a list of (group width, counts over rows)."""
    return [(min(m, mask.shape[1] - start), mask[:, start:start + m].sum(axis=1))
            for start in range(0, mask.shape[1], m)]


def eq1(k, n, s_f, s_i=0.0):
    """Zhu & Gupta eq. (1) at update k of n."""
    return s_f + (s_i - s_f) * (1 - k / n) ** 3


# --- N:M -------------------------------------------------------------------------------------------------

def test_gradual_2_of_4_steps_at_25_and_50_percent_and_every_mask_complies(blobs):
    """s_f = 0.5, n = 8 updates at t0 + k*dt = 4 + 4k. By hand, eq. (1): s_1 = 0.5 (1 - (7/8)^3) = 0.165,
    s_2 = 0.5 (1 - (6/8)^3) = 0.289, s_7 = 0.5 (1 - (1/8)^3) = 0.499, s_8 = 0.5. The stated rule (keep
    4 - floor(4 s) of every 4) gives 4:4 before step 12 (k = 2, the first s >= 25 %), 3:4 from step 12 to 35,
    2:4 from step 36 (k = 8, s = 50 %). Every group of 4 along a row keeps exactly that many (the last,
    shorter group of fc2 (12 = 3 x 4: none) and fc3 (10 = 4 + 4 + 2): min(N', 2))."""
    config = dataclasses.replace(BASE, structure="2:4", s_f=0.5, t0=4, n=8, dt=4)
    assert [round(eq1(k, 8, 0.5), 3) for k in (1, 2, 7, 8)] == [0.165, 0.289, 0.499, 0.5]
    for step, masks in masks_at_every_step(blobs, config):
        kept = 4 if step < 12 else 3 if step < 36 else 2
        for name, mask in masks.items():
            for width, counts in kept_per_group(mask, 4):
                assert (counts == min(kept, width)).all(), (step, name, width)
    # the final sparsity is the schedule's target, 50 % of every layer whose width is a multiple of 4
    final = masks_at_every_step(blobs, config)[-1][1]
    assert [1 - final[n].mean() for n in ("fc1", "fc2")] == [0.5, 0.5]
    assert final["fc3"].sum() == 3 * (2 + 2 + 2)               # rows x (2 of 4, 2 of 4, 2 of the last 2)


def test_nm_prunes_the_smallest_of_each_group_from_the_current_weights(blobs):
    """At the 2:4 update (step 36) each group of 4 keeps its 2 largest |w| of the weights at that moment."""
    config = dataclasses.replace(BASE, structure="2:4", s_f=0.5, t0=4, n=8, dt=4)
    before = {}

    def watch(state):
        if state.step == 35:
            before.update({n: w.copy() for n, w in state.weights.items()})
        if state.step == 36:
            w, mask = before["fc2"], state.masks["fc2"]
            for row in range(w.shape[0]):
                for start in range(0, w.shape[1], 4):
                    group = np.abs(w[row, start:start + 4])
                    assert set(np.flatnonzero(mask[row, start:start + 4])) == set(np.argsort(group)[2:])

    train(blobs, config, callback=watch)
    assert before


def test_1_of_4_steps_through_3_and_2():
    """1:4 (s_f = 0.75) keeps 4 - floor(4 s): 3 from 25 %, 2 from 50 %, 1 at 75 %."""
    from accelsim.pruning.structured import Structure, gradual_nm
    one_of_four = Structure("nm", n=1, m=4)
    assert [gradual_nm(one_of_four, s).n for s in (0.0, 0.2499, 0.25, 0.4999, 0.5, 0.7499, 0.75)] == \
        [4, 4, 3, 3, 2, 2, 1]
    assert gradual_nm(Structure("nm", n=2, m=4), eq1(8, 8, 0.5)).n == 2


# --- block and channel -----------------------------------------------------------------------------------

def whole_blocks(mask, b):
    """(blocks, blocks all pruned) of ``mask`` cut into b x b blocks (edge blocks smaller); fails if a block
    is partly kept."""
    removed = total = 0
    for r in range(0, mask.shape[0], b):
        for c in range(0, mask.shape[1], b):
            block = mask[r:r + b, c:c + b]
            assert block.all() or not block.any()
            total += 1
            removed += not block.any()
    return total, removed


def test_block_pruning_removes_whole_blocks_at_every_update(blobs):
    """block:2, s_f = 0.75, n = 4 updates at 4, 12, 20, 28, 36. By hand, eq. (1): s_k = 0.75 (1 - (1 - k/4)^3)
    = 0, 0.434, 0.656, 0.738, 0.75; floor(s x blocks + 0.5) blocks removed: fc1 (8 x 12 weights as 12 x 8,
    6 x 4 = 24 blocks): 0, 10, 16, 18, 18; fc2 (10 x 12: 5 x 6 = 30): 0, 13, 20, 22, 23; fc3 (3 x 10: 2 x 5
    = 10, the second block row one row tall): 0, 4, 7, 7, 8."""
    config = dataclasses.replace(BASE, structure="block:2", s_f=0.75, t0=4, n=4, dt=8)
    expected = {"fc1": (24, [0, 10, 16, 18, 18]), "fc2": (30, [0, 13, 20, 22, 23]), "fc3": (10, [0, 4, 7, 7, 8])}
    for step, masks in masks_at_every_step(blobs, config):
        k = min(max((step - 4) // 8, -1), 4)
        for name, (blocks, removed) in expected.items():
            assert whole_blocks(masks[name], 2) == (blocks, 0 if k < 0 else removed[k]), (step, name)


def test_channel_pruning_removes_whole_units_and_their_next_layer_columns(blobs):
    """channel, s_f = 0.5, n = 4 at steps 4, 12, 20, 28, 36: s_k = 0, 0.289, 0.438, 0.492, 0.5 (eq. (1)).
    fc1's 12 units lose floor(12 s + 0.5) = 0, 3, 5, 6, 6; fc2's 10 units lose 0, 3, 4, 5, 5 (floor(10 s + 0.5));
    the output layer's 3 units (the classes) are never removed. A removed unit of layer i has its row of
    layer i and its column of layer i + 1 all pruned, and nothing else is pruned."""
    config = dataclasses.replace(BASE, structure="channel", s_f=0.5, t0=4, n=4, dt=8)
    assert [round(eq1(k, 4, 0.5), 3) for k in range(5)] == [0, 0.289, 0.438, 0.492, 0.5]
    removed = {"fc1": [0, 3, 5, 6, 6], "fc2": [0, 3, 4, 5, 5]}
    for step, masks in masks_at_every_step(blobs, config):
        k = min(max((step - 4) // 8, 0), 4)
        gone = {}
        for name in ("fc1", "fc2", "fc3"):
            rows = masks[name].any(axis=1)
            previous = gone.get({"fc2": "fc1", "fc3": "fc2"}.get(name), np.zeros(masks[name].shape[1], bool))
            expected = rows[:, None] & ~previous[None, :]
            assert (masks[name] == expected).all(), (step, name)        # whole rows, whole dead columns
            gone[name] = ~rows
        assert [int(gone[n].sum()) for n in ("fc1", "fc2", "fc3")] == [removed["fc1"][k], removed["fc2"][k], 0]
    # the result is a dense 8-6-5-3 network: its weights kept are exactly that network's
    assert sum(m.sum() for m in masks.values()) == 8 * 6 + 6 * 5 + 5 * 3


# --- configuration errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("change,key", [
    ({"structure": "3:2"}, "structure"), ({"structure": "block:0"}, "structure"), ({"structure": 4}, "structure"),
    ({"structure": "2:4"}, "s_f"),                                   # BASE's s_f 0.9 is not 2:4's 0.5
    ({"structure": "2:4", "s_f": 0.5, "variant": "global"}, "variant"),
    ({"structure": "block:4", "schedule": "none"}, "structure"),
    ({"structure": "channel", "hidden": ()}, "structure"),
])
def test_bad_structure_in_a_config_is_one_line_naming_the_field(change, key):
    with pytest.raises(InputError) as caught:
        dataclasses.replace(BASE, **change)
    assert caught.value.key == key and "\n" not in caught.value.one_line()


def test_train_run_takes_n_m_sparsity_from_the_structure(blobs):
    result = train_run(blobs, (12, 10), None, structure="2:4", seed=3, epochs=6, batch_size=16, lr=0.1)
    assert result.config.s_f == 0.5 and result.config.structure == "2:4"
    with pytest.raises(InputError, match="sparsity"):
        train_run(blobs, (12, 10), None, structure="block:4", epochs=6, batch_size=16)
    with pytest.raises(InputError, match="s_f"):
        train_run(blobs, (12, 10), 0.9, structure="2:4", epochs=6, batch_size=16)


# --- train_compare with structures -----------------------------------------------------------------------

def test_compare_with_structures(blobs):
    """8-32-32-3 (1376 weights), budget 0.75 and 2:4's own 0.5 (added), one seed, three machines.
    By hand: 2:4 keeps half of every row (8, 32 are multiples of 4): 688 weights; channel at the NNZ of the
    small-dense model reaches exactly its architecture; block:4 at 0.75 removes floor(0.75 x blocks + 0.5)
    blocks: fc1 8 x 2 = 16 -> 12, fc2 8 x 8 = 64 -> 48, fc3 1 x 8 = 8 -> 6 (its blocks are 3 rows tall)."""
    results = train_compare(blobs, large_hidden=(32, 32), sparsities=(0.75,), seeds=(0,), hw_files=HW,
                            structures=("2:4", "block:4", "channel"), epochs=6, batch_size=16, lr=0.1,
                            weight_decay=1e-3)
    assert list(results["budget"].drop_duplicates()) == [0.5, 0.75]
    kinds = {b: list(g["kind"].drop_duplicates()) for b, g in results.groupby("budget")}
    assert kinds == {0.5: ["large-sparse", "large-2:4", "large-block:4", "large-channel", "small-dense"],
                     0.75: ["large-sparse", "large-block:4", "large-channel", "small-dense"]}
    assert set(results["hardware"]) == {"dense_edge", "eie_like", "nm_systolic"}
    nnz = results.groupby(["budget", "kind"])["nnz"].first()
    assert nnz[(0.5, "large-2:4")] == 1376 // 2
    for budget in (0.5, 0.75):
        width = int(results[(results["budget"] == budget) & (results["kind"] == "small-dense")]["hidden"]
                    .iloc[0].split("-")[0])
        assert width == equal_nnz_width(int(nnz[(budget, "large-sparse")]), 8, 3)
        assert nnz[(budget, "large-channel")] == nnz[(budget, "small-dense")] == 8 * width + width ** 2 + width * 3
    assert nnz[(0.75, "large-block:4")] == 16 * (16 - 12) + 16 * (64 - 48) + 3 * 4 * (8 - 6)
    # the N:M machine runs the 2:4 model on half the reduction folds; the dense array of the same size does not
    two_of_four = results[results["kind"] == "large-2:4"].set_index("hardware")["cycles"]
    assert two_of_four["nm_systolic"] < two_of_four["dense_edge"]
    summary = summarise(results)
    assert set(summary["structure"]) == {"unstructured", "2:4", "block:4", "channel", "dense"}


@pytest.mark.parametrize("structures,key", [(("2:5:3",), "structures[0]"), (("2:4", "2:4"), "structures[1]"),
                                            (("unstructured",), "structures[0]"), (("4:4",), "structures")])
def test_compare_refuses_bad_structures_before_training(blobs, structures, key, monkeypatch):
    monkeypatch.setattr("accelsim.study.training.train", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(InputError) as caught:
        train_compare(blobs, large_hidden=(32, 32), sparsities=(0.75,), seeds=(0,), hw_files=HW,
                      structures=structures, epochs=6, batch_size=16)
    assert caught.value.key == key and "\n" not in caught.value.one_line()
