"""The EIE engine: the FIFO recurrence against a literal SimPy model, the compressed storage against the
formats, conservation identities, layer lowering, memory capacity. The validation against Han et al.,
"EIE: Efficient Inference Engine on Compressed Deep Neural Network", ISCA 2016 (Table IV, Fig. 8) is
tests/test_eie_validation.py."""
import pathlib

import numpy as np
import pytest
import simpy

import accelsim as acs
from accelsim.accelerators.eie.config import EieConfig
from accelsim.accelerators.eie.plan import compile_eie, plan_eie
from accelsim.accelerators.eie.residency import plan_residency
from accelsim.accelerators.eie.schedule import fifo_schedule
from accelsim.accelerators.eie.storage import slice_matrix
from accelsim.energy.model import energy
from accelsim.energy.table import EnergyTable
from accelsim.accelerators.engines import engine_for
from accelsim.accelerators.eie.engine import EieEngine
from accelsim.errors import InputError
from accelsim.formats import RunLength
from accelsim.hardware import load_hardware
from accelsim.pruning import rounded_count
from accelsim.workloads import LSTM, Attention, Conv2D, Embedding, Linear
from conftest import hw_variant
from fifo_oracle import BoundedFifo

ROOT = pathlib.Path(__file__).resolve().parent.parent
EIE_LIKE = ROOT / "hwconfigs" / "eie_like.yaml"



@pytest.fixture(scope="module")
def hw():
    return load_hardware(EIE_LIKE)


def eie_variant(**changes):
    """eie_like.yaml with some values changed (``pe_array__cols=4`` style keys)."""
    return hw_variant("eie", changes)


def random_mask(shape, density, seed):
    return np.random.default_rng(seed).random(shape) < density


# --- the recurrence against SimPy with BoundedFifo --------------------------------------------------------

def simpy_schedule(costs, depth, gaps):
    """The broadcast written literally in SimPy: one BoundedFifo of ``depth`` per PE; a PE processes the
    activation at the head of its FIFO and frees the slot (returns a credit) when it has finished it; the
    broadcaster waits at least 1 + gap cycles after its previous broadcast, then until every PE has a free
    slot, then pushes the activation into every FIFO. Returns (finish per PE, broadcast times)."""
    n_items, n_pes = costs.shape
    env = simpy.Environment()
    fifos = [BoundedFifo(env, depth) for _ in range(n_pes)]
    credits = [simpy.Container(env, capacity=depth, init=depth) for _ in range(n_pes)]
    finish = [0] * n_pes
    broadcasts = []

    def broadcaster():
        for k in range(n_items):
            yield env.timeout((1 if k else 0) + int(gaps[k]))
            yield simpy.AllOf(env, [c.get(1) for c in credits])
            broadcasts.append(env.now)
            for fifo in fifos:
                yield env.process(fifo.put(k))

    def pe(p):
        for _ in range(n_items):
            k = yield fifos[p].get()
            yield env.timeout(int(costs[k, p]))
            finish[p] = env.now
            yield credits[p].put(1)

    env.process(broadcaster())
    for p in range(n_pes):
        env.process(pe(p))
    env.run()
    assert all(f.pushes == n_items for f in fifos)
    return np.array(finish), np.array(broadcasts)


@pytest.mark.parametrize("depth", [1, 2, 3, 8])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recurrence_equals_simpy_with_bounded_fifos(depth, seed):
    rng = np.random.default_rng(seed)
    costs = rng.integers(0, 9, size=(40, 5)) * (rng.random((40, 5)) < 0.8)
    costs = np.maximum(costs, 1)
    gaps = np.where(rng.random(40) < 0.1, rng.integers(1, 20, 40), 0)
    sched = fifo_schedule(costs, depth, gaps)
    finish, broadcasts = simpy_schedule(costs, depth, gaps)
    np.testing.assert_array_equal(sched.finish[0], finish)
    assert sched.total[0] == finish.max()
    # cycles the broadcast was held by a full FIFO: actual issue minus earliest (previous + 1 + gap)
    earliest = np.r_[gaps[0], broadcasts[:-1] + 1 + gaps[1:]]
    assert sched.full_stall[0] == (broadcasts - earliest).sum()
    np.testing.assert_array_equal(sched.busy[0], costs.sum(axis=0))


def test_recurrence_by_hand():
    """Two PEs, costs (3, 1) then (1, 2). Depth 1: item 1 waits until both finished item 0 (PE 0 at 3):
    b = (0, 3), PE 0 ends at 4, PE 1 at 5; busy (4, 3) of 2 x 5 -> efficiency 0.7. Depth 2: item 1 is
    broadcast at 1; PE 1 takes it at 1 and ends at 3, PE 0 at 4: total 4, efficiency 7 / 8."""
    costs = np.array([[3, 1], [1, 2]])
    one = fifo_schedule(costs, 1)
    assert one.finish.tolist() == [[4, 5]] and one.total.tolist() == [5] and one.full_stall.tolist() == [2]
    assert one.efficiency == pytest.approx(0.7)
    two = fifo_schedule(costs, 2)
    assert two.finish.tolist() == [[4, 3]] and two.total.tolist() == [4]
    assert two.efficiency == pytest.approx(7 / 8)
    assert not one.gap_idle.any() and not two.gap_idle.any()


def test_idle_in_a_broadcast_gap_is_told_apart():
    """One PE, items of 2 cycles, a 10-cycle gap before item 1 and a 5-cycle tail: item 0 runs 0-2, the
    broadcaster is free at 1 and waits until 11, so the PE idles 2-11 (9 cycles, all in the gap); item 1
    runs 11-13; the tail keeps the broadcaster busy until 12 + 5 = 17: 4 more idle cycles in a gap."""
    sched = fifo_schedule(np.array([[2], [2]]), 8, gaps=[0, 10], tail=[5])
    assert sched.finish.tolist() == [[13]] and sched.total.tolist() == [17]
    assert sched.gap_idle.tolist() == [[13]]


def test_recurrence_is_vectorised_over_ragged_segments():
    rng = np.random.default_rng(3)
    lengths = [7, 0, 12, 3]
    parts = [rng.integers(1, 6, size=(n, 4)) for n in lengths]
    tails = [0, 5, 2, 30]
    padded = np.zeros((12, 4, 4), np.int64)
    for s, part in enumerate(parts):
        padded[:len(part), s] = part
    together = fifo_schedule(padded, 3, lengths=lengths, tail=tails)
    for s, part in enumerate(parts):
        alone = fifo_schedule(part, 3, tail=[tails[s]])
        assert together.total[s] == alone.total[0]
        np.testing.assert_array_equal(together.finish[s], alone.finish[0])
    assert together.total[1] == 5          # no item: only the broadcaster's trailing work


def test_efficiency_never_falls_with_depth():
    costs = np.maximum(np.random.default_rng(4).poisson(3, size=(300, 16)), 1)
    efficiency = [fifo_schedule(costs, d).efficiency for d in (1, 2, 4, 8, 16, 64, 512)]
    assert efficiency == sorted(efficiency)


# --- storage against the formats --------------------------------------------------------------------------

def test_slices_count_what_the_formats_count():
    """stored[o, j, p] of slice_matrix == RunLength.measure of PE p's rows (i mod N == p) of pass o in
    column j, computed independently; 100 rows over 8 PEs in passes of 4 rows per PE."""
    mask = random_mask((100, 30), 0.05, 5)
    sliced = slice_matrix(mask, n_pes=8, pass_rows=4, index_bits=4)
    fmt = RunLength(index_bits=4)
    assert sliced.passes == 4      # 13 rows for PEs 0..3, 12 for the others: 4 passes of <= 4
    for p in range(8):
        own = mask[p::8]
        for o in range(4):
            part = own[4 * o:4 * o + 4]
            if len(part) == 0:
                assert sliced.stored[o, :, p].sum() == 0
                continue
            expected = fmt.measure(np.ascontiguousarray(part.T)).stored
            np.testing.assert_array_equal(sliced.stored[o, :, p], expected)
            np.testing.assert_array_equal(sliced.nnz[o, :, p], part.sum(axis=0))
        assert sliced.rows[:, p].sum() == len(own)


def test_sram_word_reads_follow_a_literal_row_buffer():
    """Sparse-matrix SRAM reads (64-bit words of 8 entries): a PE walks its columns' entries in order and
    reads a word whenever the entry is not in the word it holds."""
    from accelsim.accelerators.eie.counts import sram_rows
    rng = np.random.default_rng(19)
    for _ in range(30):
        k, s, n = rng.integers(1, 30), rng.integers(1, 4), rng.integers(1, 5)
        stored = rng.integers(0, 12, (k, s, n)) * (rng.random((k, s, n)) < 0.7)
        skipped = rng.integers(0, 10, (k, s, n))                # entries of inactive columns in between
        start = np.cumsum(stored + skipped, axis=0) - stored
        reads = 0
        for seg in range(s):
            for p in range(n):
                held = -1
                for item in range(k):
                    for entry in range(start[item, seg, p], start[item, seg, p] + stored[item, seg, p]):
                        if entry // 8 != held:
                            reads, held = reads + 1, entry // 8
        assert sram_rows(stored, start, 8).sum() == reads


def test_eie_example_column_costs_four_cycles(hw):
    """The paper's column [0, 0, 1, 2, 18 zeros, 3] on one PE: 3 non-zeros, 1 padding entry: 4 MAC
    cycles, 3 useful MACs, 1 padding MAC."""
    one_pe = eie_variant(pe_array__cols=1)
    column = np.array([0, 0, 1, 2] + [0] * 18 + [3], bool).reshape(23, 1)
    layer = Linear("col", in_features=1, out_features=23)
    program = compile_eie(layer, one_pe, column, np.ones((1, 1), bool))
    cfg = EieConfig.from_hw(one_pe)
    assert program.pe_cycles.tolist() == [[4 + cfg.pipeline_cycles]]
    assert (program.counts[("mac", "op")], program.counts[("mac", "padding_op")]) == (3, 1)


@pytest.mark.parametrize("changes, per_column", [
    ({}, 1),                                                    # even and odd banks: p_j, p_j+1 in one cycle
    ({"buffers__ptr__banks": 1}, 2),                            # one bank, one port: two cycles
    ({"buffers__ptr__banks": 1, "buffers__ptr__read_ports": 2}, 1),
    ({"buffers__ptr__banks": 4}, 1),                            # still one column per broadcast cycle
])
def test_pointer_sram_banks_limit_column_starts(changes, per_column):
    """EIE Sec. IV keeps the pointers in two banks so that p_j and p_j+1 "can be read in one cycle". One PE,
    one output row with 10 non-zero weights, all 10 inputs non-zero: 10 columns of one entry each. A column
    takes max(entries, ceil(2 pointer reads / (banks x read ports))) cycles, and the broadcast issues one
    column a cycle: 10 x per_column cycles (+ the pipeline fill); the paper's column (4 entries, test above)
    takes 4 cycles whatever the banks. The extra cycles are multiplier slots with no entry (fragmentation);
    each column reads 2 pointers."""
    one_pe = eie_variant(pe_array__cols=1, **changes)
    cfg = EieConfig.from_hw(one_pe)
    program = compile_eie(Linear("row", in_features=10, out_features=1), one_pe, np.ones((1, 10), bool),
                          np.ones((1, 10), bool))
    assert program.pe_cycles.tolist() == [[10 * per_column + cfg.pipeline_cycles]]
    assert program.fragmentation_slots == 10 * (per_column - 1)
    assert program.counts[(cfg.ptr, "read_words")] == 10 * 2
    column = np.array([0, 0, 1, 2] + [0] * 18 + [3], bool).reshape(23, 1)
    paper = compile_eie(Linear("col", in_features=1, out_features=23), one_pe, column, np.ones((1, 1), bool))
    assert paper.pe_cycles.tolist() == [[4 + cfg.pipeline_cycles]]


@pytest.mark.parametrize("changes, per_reload", [
    ({}, 4), ({"buffers__act__banks": 2}, 2), ({"buffers__act__banks": 4}, 1), ({"buffers__act__read_ports": 4}, 1),
    ({"buffers__act__width_bits": 32}, 2), ({"buffers__act__write_ports": 4}, 4)])
def test_activation_sram_banks_and_ports_pace_the_reload(changes, per_reload):
    """One PE whose register files hold 4 activations each (16 B): a 12-long input is broadcast in 3 batches
    of 4, each after reloading the 4 source registers (64 bits) from the activation SRAM, which reads
    banks x read_ports words of width_bits a cycle: 16-bit words, 1 bank: 4 cycles; 2 banks: 2; 4 banks or 4
    ports: 1; 32-bit words: 2 words, 2 cycles; write ports do not read: 4. The broadcast waits 3 x that."""
    hw = eie_variant(pe_array__cols=1, buffers__actrf__size_bytes=16, buffers__actrf__banks=1, **changes)
    program = compile_eie(Linear("x", in_features=12, out_features=2), hw, np.ones((2, 12), bool),
                          np.ones((1, 12), bool))
    assert (program.details["input_batches"], program.details["reload_stall_cycles"]) == (3, 3 * per_reload)


# --- conservation identities ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_linear():
    layer = Linear("fc", in_features=700, out_features=2000, steps=3)    # 31-32 rows per PE: padding
    mask = random_mask(layer.weight_shape, 0.05, 6)
    acts = random_mask((3, 700), 0.4, 7)
    return layer, mask, acts


def test_useful_macs_are_the_nonzero_pairs(hw, small_linear):
    """Useful products == sum over outputs and steps of (mask @ activation), computed independently."""
    layer, mask, acts = small_linear
    program = compile_eie(layer, hw, mask, acts)
    pairs = int(sum((mask.astype(np.int64) @ a.astype(np.int64)).sum() for a in acts))
    assert program.useful_macs == program.counts[("mac", "op")] == pairs
    # padding MACs: stored entries of the active columns minus their non-zeros, per PE slice (formats)
    fmt = RunLength(index_bits=4)
    stored = sum(fmt.measure(np.ascontiguousarray(mask[p::64][:, a].T)).stored.sum()
                 for a in acts for p in range(64))
    assert program.counts[("mac", "padding_op")] == stored - pairs
    # every broadcast reaches every PE; two pointers per (column, PE)
    assert program.counts[("fifo", "push")] == acts.sum() * 64
    assert program.counts[("ptr", "read_words")] == 2 * acts.sum() * 64


def test_time_adds_up_and_idle_is_imbalance(hw, small_linear):
    """Resident weights: the layer takes exactly the recurrence's steps plus the pipeline latency; the
    report splits it into work and imbalance (FIFO idle), nothing else."""
    layer, mask, acts = small_linear
    plan = plan_eie(layer, hw, mask, acts)
    sched = plan.schedule()
    run = EieEngine(hw).execute(plan.program())
    cfg = plan.cfg
    assert run.cycles == sched.total.sum() + 3 * cfg.pipeline_cycles
    assert run.dram_read_bytes == run.dram_write_bytes == 0
    assert run.busy_cycles == pytest.approx(sched.busy.sum() / 64 + 3 * cfg.pipeline_cycles)
    assert run.stall_memory_cycles == 0 and run.drain_cycles == 0
    assert run.cycles == pytest.approx(run.busy_cycles + run.stall_imbalance_cycles)
    assert run.stall_imbalance_cycles == pytest.approx(sched.idle.sum() / 64)


def test_equal_input_vectors_are_simulated_once_and_replayed_in_order(hw):
    """Steps with equal activation masks have equal schedules: steps (a, b, a) give the single-step
    programs of a, b, a in that order, and counts three times a single step's on average."""
    layer = Linear("fc", in_features=300, out_features=200, steps=3)
    mask = random_mask(layer.weight_shape, 0.1, 20)
    a, b = random_mask((1, 300), 0.5, 21), random_mask((1, 300), 0.5, 22)
    three = compile_eie(layer, hw, mask, np.concatenate([a, b, a]))
    single = Linear("fc", in_features=300, out_features=200)
    one_a, one_b = (compile_eie(single, hw, mask, v) for v in (a, b))
    np.testing.assert_array_equal(three.pe_cycles, np.concatenate([one_a.pe_cycles, one_b.pe_cycles,
                                                                   one_a.pe_cycles]))
    assert three.counts == one_a.counts + one_b.counts + one_a.counts
    assert three.n_steps == 3


def test_concentrated_rows_take_longer_than_uniform(hw):
    """Same size, same number of non-zeros (5% of 4096 x 1024): spread uniformly, or packed into 5% of the
    rows (chosen at random, filled). Rows are interleaved over the PEs, so the dense rows land unevenly
    (3.2 per PE on average, several PEs get twice that) and those PEs do most of the work."""
    rng = np.random.default_rng(8)
    layer = Linear("fc", in_features=1024, out_features=4096)
    k = rounded_count(0.05, 4096 * 1024)
    uniform = np.zeros(4096 * 1024, bool)
    uniform[rng.choice(4096 * 1024, k, replace=False)] = True
    concentrated = np.zeros((4096, 1024), bool)
    rows = np.sort(rng.choice(4096, -(-k // 1024), replace=False))
    concentrated[rows] = np.arange(rows.size * 1024).reshape(-1, 1024) < k
    assert concentrated.sum() == uniform.sum() == k
    acts = np.ones((1, 1024), bool)
    engine = EieEngine(hw)
    times = [engine.execute(engine.compile(layer, m.reshape(4096, 1024), acts)).cycles
             for m in (uniform, concentrated)]
    assert times[1] > 1.5 * times[0]


# --- layers -----------------------------------------------------------------------------------------------

def test_lstm_runs_each_step_and_direction(hw):
    """A bidirectional LSTM: per step and direction one product of the 4H x (I + H) gate matrix with
    [x_t, h_t-1] (the activation mask's row t); 4H = 160 rows fit one pass."""
    layer = LSTM("lstm", input_size=30, hidden_size=40, bidirectional=True, steps=5)
    mask = random_mask(layer.weight_shape, 0.2, 9)
    acts = random_mask((5, 70), 0.7, 10)
    program = compile_eie(layer, hw, mask, acts)
    assert program.n_steps == 5 * 2
    pairs = sum((mask[d * 160:(d + 1) * 160].astype(int) @ a.astype(int)).sum()
                for d in range(2) for a in acts)
    assert program.useful_macs == pairs


def test_embedding_is_a_lookup_of_one_column(hw):
    """A 10,000 x 128 table, 3 tokens: the table is stored transposed (128 rows over 64 PEs, 2 each), a
    token is one column, its index broadcast directly (no activation vector to scan, so no input batches
    although 10,000 > 4,096); no MACs; each PE spends max(1, its entries) cycles per token."""
    layer = Embedding("emb", vocab_size=10000, dim=128, steps=3)
    mask = random_mask(layer.weight_shape, 0.5, 11)
    tokens = np.zeros((3, 10000), bool)
    tokens[[0, 1, 2], [5, 5000, 9999]] = True
    program = compile_eie(layer, hw, mask, tokens)
    assert program.useful_macs == 0 and ("mac", "op") not in program.counts
    assert ("act", "read_words") not in program.counts
    pipeline = EieConfig.from_hw(hw).pipeline_cycles
    for step, token in enumerate((5, 5000, 9999)):
        per_pe = np.maximum([mask[token, p::64].sum() for p in range(64)], 1)
        assert program.pe_cycles[step].max() == per_pe.max() + pipeline
    default = compile_eie(layer, hw, mask)     # evenly spaced tokens 0, 3333, 6666
    assert default.n_steps == 3


def test_attention_is_dense(hw):
    layer = Attention("att", units=64, query_size=64, memory_size=64, memory_length=10, steps=4)
    program = compile_eie(layer, hw)
    assert program.useful_macs == program.counts[("mac", "op")] == layer.macs
    assert ("mac", "padding_op") not in program.counts


def test_convolution_is_refused(hw):
    with pytest.raises(InputError, match="matrix-vector"):
        compile_eie(Conv2D("conv", in_channels=3, out_channels=8, kernel_h=3, kernel_w=3, in_h=8, in_w=8), hw)


def test_a_mask_of_the_wrong_shape_is_refused(hw):
    with pytest.raises(InputError, match="shape"):
        compile_eie(Linear("fc", in_features=10, out_features=20), hw, np.ones((10, 20), bool))


# --- activation storage and weight capacity ---------------------------------------------------------------

def test_register_files_hold_4k_vectors(hw):
    """eie_like: 2 x 64 16-bit activations per PE (source, destination), 2 KB SRAM, 64 PEs."""
    cfg = EieConfig.from_hw(hw)
    assert (cfg.rf_activations, cfg.vector_batch, cfg.sram_activations) == (64, 4096, 1024)
    assert cfg.reload_cycles == 64 and cfg.row_entries == 8


def test_vectors_beyond_the_activation_sram_go_through_dram(hw):
    """64 PEs x 1,024 activations of SRAM = 65,536 on chip: the rest of a longer input is read from DRAM
    once per pass, the rest of a longer output written once (2 bytes each)."""
    engine = EieEngine(hw)
    wide = Linear("wide", in_features=70000, out_features=64)
    run = engine.execute(engine.compile(wide, random_mask(wide.weight_shape, 0.01, 16),
                                        random_mask((1, 70000), 0.1, 17)))
    assert (run.dram_read_bytes, run.dram_write_bytes) == ((70000 - 65536) * 2, 0)
    tall = Linear("tall", in_features=8, out_features=70000)
    run = engine.execute(engine.compile(tall, random_mask(tall.weight_shape, 0.5, 18)))
    assert (run.dram_read_bytes, run.dram_write_bytes) == (0, (70000 - 65536) * 2)


def test_long_input_is_processed_in_batches(hw):
    """VGG-6's 25,088 inputs exceed the 4,096 the source registers hold: 7 batches, each reloaded from the
    activation SRAM (64 cycles, the broadcast pauses), every input element read from it once."""
    layer = Linear("vgg6", in_features=25088, out_features=64)
    mask = random_mask(layer.weight_shape, 0.04, 12)
    acts = random_mask((1, 25088), 0.183, 13)
    plan = plan_eie(layer, hw, mask, acts)
    assert plan.input_batches == 7
    assert plan.counts[("act", "read_words")] == 25088
    items = np.maximum(plan.works[0].matrix.stored[0, np.flatnonzero(acts[0])], 1)       # (K, N)
    no_reload = fifo_schedule(items, 8)
    assert plan.schedule().total[0] >= no_reload.total[0] + 64     # at least the first reload is exposed
    run = EieEngine(hw).execute(plan.program())
    assert run.dram_read_bytes == 0
    assert run.stall_memory_cycles >= 64      # PEs starved while the source registers reloaded


def test_long_output_is_computed_in_passes(hw):
    """NT-Wd's 8,791 outputs are 138 rows per PE, more than the 64 destination registers: 3 passes over
    the input, each writing its outputs to the activation SRAM."""
    layer = Linear("ntwd", in_features=600, out_features=8791)
    mask = random_mask(layer.weight_shape, 0.11, 14)
    plan = plan_eie(layer, hw, mask, np.ones((1, 600), bool))
    assert plan.passes == 3
    assert plan.counts[("act", "write_words")] == 8791
    assert plan.counts[("fifo", "push")] == 3 * 600 * 64


def test_a_layer_that_fits_is_resident_and_one_that_does_not_is_streamed(hw):
    """A 512 x 512 layer at 10% fits the PEs' SRAM: loaded once before inference, no DRAM traffic per
    inference (or once per inference without preloading). A dense 4096 x 4096 layer does not (64 rows x
    4096 columns = 256K one-byte entries per PE): it streams in tiles of 1024 columns (64 KB of entries,
    half the 128 KB SRAM, 66 KB with pointers, under half of 160 KB), 4 tiles, every byte of entries and
    pointers read once per input vector, plus the codebook once; the PEs wait for DRAM. (On all 64 PEs: the
    mapper would run the small layer on 32, which read half the pointers.)"""
    engine = EieEngine(hw)
    layer = Linear("big", in_features=4096, out_features=4096, steps=2)
    plan = plan_eie(layer, hw, None, np.ones((2, 4096), bool))
    assert not plan.resident
    assert plan.segments[0].pass_.size == 4                 # one distinct vector: its 4 tiles
    run = engine.execute(plan.program())
    entries, pointers, codebook = 4096 * 4096, 4 * 1025 * 64, 16 * 2 * 64
    assert run.dram_read_bytes == 2 * (entries * 8 + pointers * 16) // 8 + codebook
    assert run.stall_memory_cycles > 0
    assert run.cycles >= run.dram_read_bytes / hw.dram.bytes_per_cycle
    preloaded = EieEngine(hw, preload_weights=False)
    fits = Linear("fits", in_features=512, out_features=512)
    mask = random_mask((512, 512), 0.1, 15)
    assert engine.execute(engine.compile(fits, mask)).dram_read_bytes == 0
    sliced = slice_matrix(mask, 64, 64, 4)
    assert preloaded.execute(compile_eie(fits, hw, mask, preload_weights=False)).dram_read_bytes == (
        (int(sliced.stored.sum()) * 8 + 513 * 64 * 16) // 8 + codebook)


def test_layers_of_one_inference_share_the_weight_sram():
    """Two dense 256 x 256 layers on 64 PEs: each PE holds 4 rows x 256 columns = 1024 one-byte entries
    (4-bit index + 4-bit weight, no padding when dense) of each, 1 KB. With 1536 B of sparse-matrix SRAM
    per PE either fits alone but not both: the model's plan keeps the first resident and streams the
    second, in tiles of at most half the SRAM (768 B = 192 columns of 4 entries, then the other 64
    columns), all its 64 KB of entries, 193 + 65 16-bit pointers per PE and the codebook. Compiled without
    a plan (alone on the machine), the second fits the empty SRAM."""
    hw = eie_variant(buffers__spmat__size_bytes=1536)
    first, second = (Linear(name, in_features=256, out_features=256) for name in ("first", "second"))
    mask, acts = np.ones((256, 256), bool), np.ones((1, 256), bool)
    engine = EieEngine(hw)
    plan = engine.plan((first, second), {"first": mask, "second": mask})
    assert plan.resident == {"first"}
    assert np.all(plan.held.entry_bytes == 1024) and plan.held.pointer_bytes == 257 * 2
    runs = [engine.execute(compile_eie(layer, hw, mask, acts, resident=plan.is_resident(layer)))
            for layer in (first, second)]          # on all 64 PEs (the mapper runs the streamed one on 16)
    assert runs[0].dram_read_bytes == 0
    codebook = 16 * 2 * 64
    assert runs[1].dram_read_bytes == 64 * 1024 + 64 * (193 + 65) * 2 + codebook
    assert (runs[0].details["resident"], runs[1].details["resident"]) == (1, 0)
    assert (runs[0].details["weight_tiles"], runs[1].details["weight_tiles"]) == (1, 2)
    assert engine.execute(engine.compile(second, mask, acts)).dram_read_bytes == 0


def test_residency_plan_is_a_pure_function_of_the_model():
    """The plan depends on the layers, their masks and the hardware only (same numbers as above: 1 KB of
    entries per PE for a dense 256 x 256 layer, 1536 B of SRAM). In network order the first layer claims
    the SRAM: (second, first) keeps the second. A second layer whose mask keeps columns 0-127 only takes
    4 rows x 128 columns = 512 B per PE (empty column slices store nothing), 1024 + 512 = 1536 B: both
    fit. Layers without a mask are dense; the same call twice gives equal plans."""
    hw = eie_variant(buffers__spmat__size_bytes=1536)
    first, second = (Linear(name, in_features=256, out_features=256) for name in ("first", "second"))
    dense = np.ones((256, 256), bool)
    assert plan_residency((second, first), None, hw).resident == {"second"}
    again, once = (plan_residency((first, second), None, hw) for _ in range(2))
    assert again.resident == once.resident == {"first"} and again.layers == ("first", "second")
    assert np.array_equal(again.held.entry_bytes, once.held.entry_bytes)
    half = np.zeros((256, 256), bool)
    half[:, :128] = True
    both = plan_residency((first, second), {"first": dense, "second": half}, hw)
    assert both.resident == {"first", "second"} and np.all(both.held.entry_bytes == 1536)
    with pytest.raises(ValueError, match="not part of the planned model"):
        both.is_resident(Linear("third", in_features=256, out_features=256))


def test_compiling_a_layer_twice_gives_the_same_program():
    """An engine keeps no state between layers: the same layer compiled twice (with or without the model's
    plan) gives equal Programs. (With 1536 B of SRAM a second claim of the same 1 KB would not fit.)"""
    hw = eie_variant(buffers__spmat__size_bytes=1536)
    layer = Linear("fc", in_features=256, out_features=256)
    mask, acts = random_mask((256, 256), 0.9, 23) | True, random_mask((1, 256), 0.5, 24)
    engine = EieEngine(hw)
    plan = engine.plan((layer,), {"fc": mask})
    for options in ({}, {"plan": plan}):
        one, two = (engine.compile(layer, mask, acts, **options) for _ in range(2))
        np.testing.assert_array_equal(one.pe_cycles, two.pe_cycles)
        np.testing.assert_array_equal(one.load_bytes, two.load_bytes)
        assert one.counts == two.counts and dict(one.details) == dict(two.details)
        assert one.details["resident"] == 1 and engine.execute(two).dram_read_bytes == 0


def test_details_by_hand():
    """Two PEs, W (4 x 2) with rows 0 and 2 all ones (PE 0: 2 entries per column), rows 1 and 3 empty
    (PE 1: an empty column still costs its cycle), both inputs non-zero. FIFO depth 1: item 0 broadcast at
    0; item 1 waits until both PEs finished item 0 (PE 0 at 2): broadcast at 2, held 1 cycle by a full
    FIFO; PE 0 ends at 4, PE 1 at 3. Load-balance efficiency (EIE Fig. 8: 1 - bubble / total) = entries
    processed (4 + 0: PE 1's two cycles on its empty columns are bubbles) / (2 PEs x 4 cycles) = 0.5. With the pipeline's 7 cycles (1 LNZD level + 6 stages) the
    step takes 11 cycles: PE 0 works 11, PE 1 works 9, waits 1 in the step (FIFO empty) and 1 at the end:
    busy 10, imbalance 1 per PE on average."""
    hw = eie_variant(pe_array__cols=2, pe__activation_fifo_depth=1)
    layer = Linear("fc", in_features=2, out_features=4)
    mask = np.array([[1, 1], [0, 0], [1, 1], [0, 0]], bool)
    program = compile_eie(layer, hw, mask, np.ones((1, 2), bool))
    assert program.pe_cycles.tolist() == [[11, 10]] and program.idle_pe_cycles == 1
    assert program.details["load_balance_efficiency"] == 0.5
    assert program.details["fifo_full_cycles"] == 1 and program.details["padding_products"] == 0
    assert (program.details["resident"], program.details["passes"], program.details["weight_tiles"]) == (1, 1, 1)
    run = EieEngine(hw).execute(program)
    assert (run.cycles, run.busy_cycles, run.stall_imbalance_cycles, run.stall_memory_cycles) == (11, 10, 1, 0)
    assert dict(run.details) == dict(program.details)
    # the paper's column [0, 0, 1, 2, 18 zeros, 3]: 18 zeros before the 3 need one padding entry
    column = np.array([0, 0, 1, 2] + [0] * 18 + [3], bool).reshape(23, 1)
    one_pe = eie_variant(pe_array__cols=1)
    assert compile_eie(Linear("col", in_features=1, out_features=23), one_pe, column,
                       np.ones((1, 1), bool)).details["padding_products"] == 1


def test_a_write_back_during_a_reload_is_work():
    """One PE with 4 + 4 activation registers (16 B) and a 64-activation SRAM; Linear 5 -> 5 with no
    non-zero input: 2 input batches of 4, so the broadcaster reloads twice (4 cycles each: 4 16-bit
    activations at 16 bits a cycle) in each of 2 output passes (4 rows, then 1), and broadcasts nothing.
    Each pass lasts its 8 reload cycles; the PE writes back 4, then 1 output meanwhile (work: busy 5 of 16
    cycles), and waits the other 11 on the reloads (memory stall), none on another PE."""
    hw = eie_variant(pe_array__cols=1, buffers__actrf__size_bytes=16, buffers__act__size_bytes=128)
    program = compile_eie(Linear("fc", in_features=5, out_features=5), hw, np.zeros((5, 5), bool),
                          np.zeros((1, 5), bool))
    assert program.pe_cycles.tolist() == [[8], [8]] and program.details["reload_stall_cycles"] == 16
    assert program.idle_pe_cycles == program.memory_idle_pe_cycles == 11
    run = EieEngine(hw).execute(program)
    assert (run.busy_cycles, run.stall_memory_cycles, run.stall_imbalance_cycles) == (5, 11, 0)


def test_reload_stalls_and_input_batches_by_hand(hw):
    """9,000 inputs on 64 PEs of 64 source registers (4,096 per batch): 3 input batches, before each the
    broadcast pauses 64 cycles (64 16-bit activations at one 16-bit word per cycle): 192 cycles."""
    program = compile_eie(Linear("long", in_features=9000, out_features=64), hw, None, np.ones((1, 9000), bool))
    assert program.details["input_batches"] == 3 and program.details["reload_stall_cycles"] == 3 * 64


# --- end to end -------------------------------------------------------------------------------------------

def test_simulate_prices_every_count(hw):
    """engine_for(eie_like) is the EIE engine; a pruned PTB-small model runs end to end and every count
    it reports has an energy entry."""
    assert isinstance(engine_for(hw), EieEngine) and hw.accelerator.skips_zeros
    result = acs.simulate(acs.zoo.ptb_lstm("small", steps=2), hw, sparsity=0.9, seed=0)
    layers = result.layers
    assert (layers["cycles"] > 0).all()
    assert (layers["cycles"] - (layers["busy_cycles_per_pe"] + layers["stall_imbalance_cycles_per_pe"]
                                + layers["stall_memory_cycles_per_pe"] + layers["stall_sram_cycles_per_pe"]
                                + layers["drain_cycles"])).abs().max() < 1e-6
    assert result.total["energy_fifo_pj"] > 0
    program = EieEngine(hw).compile(Linear("fc", in_features=64, out_features=64))
    table = EnergyTable.from_config(hw)
    energy(program.counts, table, 100, hw.clock_hz)      # raises if a count has no entry
