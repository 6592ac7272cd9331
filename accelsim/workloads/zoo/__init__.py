"""The model zoo: every network of Zhu & Gupta 2017, and AlexNet, VGG-16 and GoogLeNet as the accelerator
papers evaluate them, built from the papers' descriptions (layer 1).

``build(family, **options)`` makes one variant; ``FAMILIES`` describes each family's options and the
variants the paper trained (what ``accelsim models`` lists).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accelsim.errors import WorkloadError, did_you_mean
from accelsim.workloads.layers import TOO_LARGE
from accelsim.workloads.model import Model
from accelsim.workloads.zoo.alexnet import alexnet
from accelsim.workloads.zoo.gnmt import gnmt
from accelsim.workloads.zoo.googlenet import googlenet
from accelsim.workloads.zoo.inception import inception_v3
from accelsim.workloads.zoo.mobilenet import mobilenet_v1
from accelsim.workloads.zoo.ptb import ptb_lstm
from accelsim.workloads.zoo.vgg16 import vgg16

__all__ = ["FAMILIES", "Family", "alexnet", "build", "gnmt", "googlenet", "inception_v3", "mobilenet_v1",
           "paper_variants", "ptb_lstm", "vgg16"]


@dataclass(frozen=True)
class Family:
    """A zoo family: its builder, the options it takes, and the variants the paper reports."""

    name: str
    builder: Callable[..., Model]
    options: tuple[str, ...]
    paper_variants: tuple[dict, ...]
    description: str


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("mobilenet_v1", mobilenet_v1, ("width", "resolution"),
           tuple({"width": w} for w in (0.25, 0.5, 0.75, 1.0)),
           "MobileNet v1, 224x224 (any square input), width multiplier alpha (paper Table 2)"),
    Family("inception_v3", inception_v3, (),
           ({},), "InceptionV3, 299x299, with auxiliary classifier (paper Table 1)"),
    Family("ptb_lstm", ptb_lstm, ("size", "steps"),
           tuple({"size": s} for s in ("small", "medium", "large")),
           "PTB LSTM language model, 2 layers, vocab 10,000 (paper Table 3)"),
    Family("gnmt", gnmt, ("units", "src_len", "tgt_len"),
           tuple({"units": k} for k in (256, 512, 768, 1024)),
           "GNMT seq2seq, vocab 36,548, k units (paper Table 4)"),
    Family("alexnet", alexnet, (), ({},), "AlexNet (Caffe, grouped conv2/4/5), 227x227, 724.4 M MACs"),
    Family("vgg16", vgg16, (), ({},), "VGG-16 (configuration D), 224x224, 138.4 M parameters, 15.5 G MACs"),
    Family("googlenet", googlenet, (), ({},),
           "GoogLeNet / Inception v1 (Caffe), 224x224, auxiliary classifiers not run, 1.58 G MACs"),
)}

#: Short names users type.
ALIASES = {"mobilenet": "mobilenet_v1", "inception": "inception_v3", "ptb": "ptb_lstm"}


def family(name: str) -> Family:
    """The family called ``name`` (or one of its aliases); an unknown name suggests the closest."""
    key = ALIASES.get(name, name)
    if key not in FAMILIES:
        hint = did_you_mean(name, list(FAMILIES) + list(ALIASES))
        raise WorkloadError(f"unknown model{hint}", key="--model", expected=" | ".join(FAMILIES), got=name)
    return FAMILIES[key]


def build(name: str, **options: object) -> Model:
    """Build one variant of a zoo family; options the family does not take are an error naming them.

    Options given as ``None`` are left at the builder's default.
    """
    fam = family(name)
    given = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(set(given) - set(fam.options))
    if unknown:
        takes = ", ".join(f"--{o.replace('_', '-')}" for o in fam.options) or "no options"
        raise WorkloadError(f"option not used by {fam.name}", key=f"--{unknown[0].replace('_', '-')}",
                            expected=takes, got=given[unknown[0]])
    try:
        return fam.builder(**given)
    except WorkloadError as exc:
        # A layer refused as too large by its own checks (layers.MAX_TENSOR_ELEMENTS) knows no option: say
        # which options made the model that large, and which layer shows it.
        if not exc.problem.startswith(TOO_LARGE):
            raise
        options = ", ".join(f"--{name.replace('_', '-')}" for name in given) or "--model"
        raise WorkloadError(f"model too large: layer {exc.key}{exc.problem[len(TOO_LARGE):]}",
                            key=options, expected=exc.expected, got=exc.got) from None


def paper_variants() -> list[Model]:
    """Every variant the paper reports, family by family (what ``accelsim models`` lists)."""
    return [fam.builder(**variant) for fam in FAMILIES.values() for variant in fam.paper_variants]
