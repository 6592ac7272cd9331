"""GNMT sequence-to-sequence model with k units (Wu et al. 2016), as used by Zhu & Gupta 2017 Sec. 4.3.

Vocabulary 36,548 on both sides. Encoder: embedding, one bidirectional LSTM, three LSTM layers (the second
encoder layer reads the 2k-wide concatenation of both directions). Decoder: embedding, four LSTM layers
that each also read the k-wide attention context, additive attention, softmax with bias.
With k = 1024 this gives 37.4M in each embedding and the softmax, and 98.6M in the LSTM layers together
with the attention (the paper's "98.6M in all LSTM layers"), 211M in total (paper Sec. 4.3, Table 4).
Attention is not pruned; every other layer is.

One inference translates a ``src_len``-token sentence into ``tgt_len`` tokens: encoder layers run
``src_len`` steps, decoder layers ``tgt_len`` steps, attention attends over ``src_len`` encoder states.
"""
from __future__ import annotations

from accelsim.errors import WorkloadError
from accelsim.workloads.layers import LSTM, Attention, Embedding, Linear
from accelsim.workloads.model import Model

VOCAB = 36_548


def gnmt(units: int = 1024, src_len: int = 1, tgt_len: int = 1) -> Model:
    """GNMT with ``units`` hidden units per LSTM layer."""
    for key, value in (("--units", units), ("--src-len", src_len), ("--tgt-len", tgt_len)):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise WorkloadError("bad GNMT option", key=key, expected="a positive integer", got=value)
    k = units
    enc = dict(steps=src_len)
    dec = dict(steps=tgt_len)
    layers = (
        Embedding("enc_embedding", vocab_size=VOCAB, dim=k, **enc),
        LSTM("enc_lstm1_bi", input_size=k, hidden_size=k, bidirectional=True, **enc),
        LSTM("enc_lstm2", input_size=2 * k, hidden_size=k, **enc),
        LSTM("enc_lstm3", input_size=k, hidden_size=k, **enc),
        LSTM("enc_lstm4", input_size=k, hidden_size=k, **enc),
        Embedding("dec_embedding", vocab_size=VOCAB, dim=k, **dec),
        Attention("attention", units=k, query_size=k, memory_size=k, memory_length=src_len, **dec),
        LSTM("dec_lstm1", input_size=2 * k, hidden_size=k, **dec),
        LSTM("dec_lstm2", input_size=2 * k, hidden_size=k, **dec),
        LSTM("dec_lstm3", input_size=2 * k, hidden_size=k, **dec),
        LSTM("dec_lstm4", input_size=2 * k, hidden_size=k, **dec),
        Linear("softmax", in_features=k, out_features=VOCAB, bias=True, **dec),
    )
    return Model(name=f"gnmt_{k}", family="gnmt", layers=layers,
                 options=(("units", k), ("src_len", src_len), ("tgt_len", tgt_len)))
