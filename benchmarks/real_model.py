"""A real trained model from a PyPI wheel: imported, measured on real inputs, one-shot pruned from its real
weights and simulated on SCNN, DCNN and the systolic array (issue: ONNX import).

The model is PaddleOCR's text-direction classifier ``ch_ppocr_mobile_v2.0_cls_infer.onnx`` (a MobileNetV3-style
CNN with ReLU and hard-swish activations; 0.58 MB; labels 0 and 180 degrees) as shipped in the
rapidocr-onnxruntime 1.4.4 wheel (Apache-2.0): ``pip install --no-deps rapidocr-onnxruntime==1.4.4`` (its other
dependencies serve its own OCR pipeline, not the model file). The inputs are text lines rendered with Pillow's
bundled font, every other one turned by 180 degrees, preprocessed as rapidocr does (height 48, width up to
192, (x / 255 - 0.5) / 0.5, zero padding on the right).

``python benchmarks/real_model.py [SPARSITY]`` prints each simulated layer's measured input-activation density
(mean over the samples) beside the old default of 0.5, and each machine's cycles with the measured activations
beside those with the density model (0.5 after a ReLU, dense after any other activation) and with every
layer at 0.5, at the model's real zeros and with its real weights magnitude-pruned (uniform) to SPARSITY
(default 0.5).
"""
from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "rapidocr_onnxruntime"
MODEL = "models/ch_ppocr_mobile_v2.0_cls_infer.onnx"
INPUT = "x"
SHAPE = (1, 3, 48, 192)
TEXTS = ("Sparse tensors", "accelerator 2024", "The quick brown fox", "Hello, world", "pruned weights",
         "Cartesian product")
MACHINES = ("scnn_like.yaml", "dcnn.yaml", "dense_edge.yaml")
#: The density model's activation density before imports kept non-ReLU inputs dense: every layer at 0.5.
UNIFORM = 0.5


def model_file() -> Path | None:
    """The model file inside the installed wheel, or None when the package is not installed (found without
    importing the package, whose own imports need its OCR dependencies)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL
    return path if path.is_file() else None


def text_line(text: str, turned: bool) -> np.ndarray:
    """One text line as the classifier's input (3, 48, 192), float32; ``turned``: rotated by 180 degrees."""
    from PIL import Image, ImageDraw, ImageFont
    font = ImageFont.load_default(size=36)
    box = font.getbbox(text)
    image = Image.new("RGB", (box[2] + 16, box[3] + 12), "white")
    ImageDraw.Draw(image).text((8, 4), text, fill="black", font=font)
    if turned:
        image = image.rotate(180)
    _, height, width = SHAPE[1:]
    resized = min(width, int(np.ceil(height * image.width / image.height)))
    pixels = np.asarray(image.resize((resized, height), Image.BILINEAR), np.float32).transpose(2, 0, 1) / 255
    line = np.zeros(SHAPE[1:], np.float32)
    line[:, :, :resized] = (pixels - 0.5) / 0.5
    return line


def samples() -> tuple[np.ndarray, np.ndarray]:
    """The inputs (n, 1, 3, 48, 192) and whether each is turned (label 1, 180 degrees)."""
    turned = np.arange(len(TEXTS)) % 2 == 1
    return np.stack([text_line(t, f)[None] for t, f in zip(TEXTS, turned)]), turned


def study(work: Path, sparsity: float) -> dict:
    """Import the model twice into ``work`` (with the samples measured, and without: the density model),
    prune its real weights to ``sparsity`` and simulate both on every machine of :data:`MACHINES`, at the
    real zeros and pruned; and with every layer's activations drawn uniformly at :data:`UNIFORM` (seed 0).
    Returns the folders, the pruned masks file and the results by (machine, "real" | "pruned",
    "measured" | "density" | "uniform")."""
    import accelsim as acs
    from accelsim.importers import bundle
    from accelsim.pruning import activation_mask, load_masks
    from accelsim.study.imported import import_model, prune_folder, simulate_folder
    x, _ = samples()
    np.save(work / "lines.npy", x)
    measured, density = work / "measured", work / "density"
    import_model(model_file(), measured, input_shapes={INPUT: SHAPE}, samples=work / "lines.npy")
    import_model(model_file(), density, input_shapes={INPUT: SHAPE})
    pruned = work / "pruned.npz"
    prune_folder(measured, sparsity, method="uniform", out=pruned, force=False)
    found = bundle.read_bundle(measured)
    model = found.workload.model
    uniform = {layer.name: activation_mask(layer, UNIFORM, seed=0) for layer in model.layers}
    results = {}
    for name in MACHINES:
        hw = acs.load_hardware(ROOT / "hwconfigs" / name)
        for weights, masks in (("real", None), ("pruned", pruned)):
            for acts, folder in (("measured", measured), ("density", density)):
                results[name, weights, acts] = simulate_folder(folder, hw, masks_file=masks)
            weight_masks = found.masks if masks is None else load_masks(masks, model)
            results[name, weights, "uniform"] = acs.simulate(model, hw, masks=weight_masks, activations=uniform)
    return {"measured": measured, "density": density, "pruned": pruned, "results": results}


def main() -> int:
    sparsity = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
    if model_file() is None:
        print(f"install the model's wheel first: pip install --no-deps {PACKAGE.replace('_', '-')}==1.4.4")
        return 2
    from accelsim.importers import bundle
    with tempfile.TemporaryDirectory() as tmp:
        found = study(Path(tmp), sparsity)
        acts = bundle.read_bundle(found["measured"]).activations
        print("layer,measured_density,density_model")
        for layer, masks in acts.items():
            print(f"{layer},{masks.mean():.3f},0.5")
        print("\nmachine,weights,cycles_measured,cycles_std,cycles_density_model,moved,cycles_uniform_0.5,moved")
        for name in MACHINES:
            for weights in ("real", "pruned"):
                m, d, u = (found["results"][name, weights, acts].total for acts in ("measured", "density", "uniform"))
                print(f"{name},{weights},{m['cycles']:.0f},{m.get('cycles_std', 0):.0f},{d['cycles']:.0f},"
                      f"{m['cycles'] / d['cycles'] - 1:+.1%},{u['cycles']:.0f},{m['cycles'] / u['cycles'] - 1:+.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
