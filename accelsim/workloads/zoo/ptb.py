"""PTB word-level LSTM language models (Zaremba et al. 2014 sizes), as used by Zhu & Gupta 2017 Sec. 4.2.

Embedding (10,000 x hidden), two LSTM layers of ``hidden`` units, softmax (hidden -> 10,000), untied.
Every layer is pruned (paper Sec. 4.2). The softmax projection is counted without a bias: with the LSTM
biases this reproduces the paper's totals (4.6M / 19.8M / 66M, Table 3; large: 15M + 18M + 18M + 15M);
a 10,000-entry softmax bias would put the small model at 4.65M, 1.1% above its Table 3 entry.
"""
from __future__ import annotations

from accelsim.errors import WorkloadError
from accelsim.workloads.layers import LSTM, Embedding, Linear
from accelsim.workloads.model import Model

VOCAB = 10_000
HIDDEN = {"small": 200, "medium": 650, "large": 1500}


def ptb_lstm(size: str = "medium", steps: int = 1) -> Model:
    """The PTB language model of the given ``size``, run for ``steps`` tokens per inference."""
    if size not in HIDDEN:
        raise WorkloadError("unknown PTB model size", key="--size", expected=" | ".join(HIDDEN), got=size)
    if not isinstance(steps, int) or isinstance(steps, bool) or steps <= 0:
        raise WorkloadError("bad sequence length", key="--steps", expected="a positive integer", got=steps)
    hidden = HIDDEN[size]
    layers = (
        Embedding("embedding", vocab_size=VOCAB, dim=hidden, steps=steps),
        LSTM("lstm1", input_size=hidden, hidden_size=hidden, steps=steps),
        LSTM("lstm2", input_size=hidden, hidden_size=hidden, steps=steps),
        Linear("softmax", in_features=hidden, out_features=VOCAB, bias=False, steps=steps),
    )
    return Model(name=f"ptb_lstm_{size}", family="ptb_lstm", layers=layers,
                 options=(("size", size), ("steps", steps)))
