"""``Model``: an ordered, frozen tuple of layers with the options that built it; ``Workload``: a model with
the per-layer densities a workload file gives (layer 1)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from accelsim.errors import InputError, WorkloadError
from accelsim.workloads.layers import Layer


@dataclass(frozen=True)
class Model:
    """A network as accelsim sees it.

    ``family`` is the zoo family (``mobilenet_v1``, ``ptb_lstm``, ...); ``options`` the options that built
    this variant (``(("width", 1.0),)``), kept as sorted pairs so a Model is hashable.
    """

    name: str
    family: str
    layers: tuple[Layer, ...]
    options: tuple[tuple[str, object], ...] = field(default=())

    def __post_init__(self) -> None:
        names = [layer.name for layer in self.layers]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise WorkloadError("duplicate layer names", key=self.name, expected="unique names",
                                got=duplicated)

    @property
    def params(self) -> int:
        """All parameters, including biases and layers not run at inference."""
        return sum(layer.params for layer in self.layers)

    @property
    def macs(self) -> int:
        """MACs of one inference (layers with ``at_inference`` only)."""
        return sum(layer.macs for layer in self.inference_layers)

    @property
    def inference_layers(self) -> tuple[Layer, ...]:
        return tuple(layer for layer in self.layers if layer.at_inference)

    @property
    def prunable_layers(self) -> tuple[Layer, ...]:
        return tuple(layer for layer in self.layers if layer.prunable)

    @property
    def option_dict(self) -> dict[str, object]:
        return dict(self.options)

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise WorkloadError("no such layer", key=name, expected=f"a layer of {self.name}")

    def __len__(self) -> int:
        return len(self.layers)


@dataclass(frozen=True)
class Workload:
    """A workload file's model and the densities it gives, by layer name (only layers that give one).

    ``weight_density`` and ``activation_density`` are read-only maps ``{layer name: density in (0, 1]}``;
    ``weight_nm`` maps a layer to the (N, M) of its N:M weight sparsity (N < M), as a SCALE-Sim v3
    topology's Sparsity column gives it.
    """

    model: Model
    weight_density: Mapping[str, float] = field(default_factory=dict)
    activation_density: Mapping[str, float] = field(default_factory=dict)
    weight_nm: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("weight_density", "activation_density", "weight_nm"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))


def check_model(value: object) -> Model:
    """``value`` if it is a :class:`Model`; for anything else (a model's name, a path) the one-line error an
    API caller gets instead of an AttributeError deep inside."""
    if not isinstance(value, Model):
        raise InputError("not a model", key="model", expected="a Model (acs.zoo.mobilenet_v1(), a workload file's)",
                         got=type(value).__name__)
    return value
