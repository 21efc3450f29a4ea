"""Write PyTorch reference fixtures for the gradient x input and Integrated Gradients tests.

For each model of MODELS (same seeded random weights as torch_models.build)
this writes into test/fixtures/torch-ig/:

  <name>.onnx                  the plain classifier, input 'input', output 'logits'
  <name>.input.npy             float32 [2, 3, 224, 224]: examples/images/chelsea.png
                               (shorter side resized to 224 with Pillow bilinear,
                               centre crop, [0,1], ImageNet mean/std) and one
                               standard-normal image
  <name>.baseline.npy          float32 [3, 224, 224]: the black image in input
                               space, (0 - mean[c]) / std[c]
  <name>.json                  metadata (targets, logits of the input and the
                               baseline, deltas, PyTorch float32's own error per
                               example and map)
  <name>.gxi.{f64,f32}.npy                 x * d y_c / d x
  <name>.ig_<rule>.{f64,f32}.npy           Integrated Gradients from the black
                                           baseline, 32 steps, rule one of
                                           riemann-trapezoid, gauss-legendre

IG(x) = (x - x') * sum_k w_k grad y_c(x' + a_k (x - x')), with (Captum's
conventions) trapezoid: a_k = k / (n - 1), w_k = 1 / (n - 1) halved at both
ends; Gauss-Legendre: numpy.polynomial.legendre.leggauss(n) mapped to [0, 1]
(a = (t + 1) / 2, w = w / 2). y_c is the pre-softmax logit of c = argmax of
the float64 logits. The float64 references run the float32 weights upcast to
float64 (model.double()); the float32 versions measure PyTorch's own float32
error against them.

Everything here is plain PyTorch autograd, no attribution library. Fixtures
with a matching stamp (hash of this script, torch_models.py, torch_fixtures.py
and the photo) are skipped; --force redoes them.
"""

import copy
import json
import os
import sys
import time
import zlib

import numpy as np
import torch
import torchvision
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_fixtures  # noqa: E402  (shared helpers: ONNX summary, npy writer, errors)
import torch_models  # noqa: E402
from fixture_runner import fixture_main  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "torch-ig")
PHOTO = os.path.join(ROOT, "examples", "images", "chelsea.png")
SIZE = 224
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
OPSET = 13
THREADS = 2
STEPS = 32
# Models whose logits depend on the input. With these seeded random weights, mobilenet_v2's logits vary
# by ~3e-9 between images (the randomized BatchNorms collapse its features), so F(x) - F(x') is below
# float32's resolution and IG's completeness gap cannot be measured on it; squeezenet1_1 stands in.
MODELS = ["resnet18", "squeezenet1_1"]
RULES = ["riemann-trapezoid", "gauss-legendre"]
MAPS = ["gxi"] + ["ig_" + r for r in RULES]


def file_suffixes():
    out = [".onnx", ".input.npy", ".baseline.npy", ".json"]
    for m in MAPS:
        out += [f".{m}.f64.npy", f".{m}.f32.npy"]
    return out


def photo_input():
    """chelsea.png as the ImageNet evaluation transform makes it: [3, 224, 224] float32."""
    img = Image.open(PHOTO).convert("RGB")
    w, h = img.size
    if w <= h:
        nw, nh = SIZE, int(SIZE * h / w)
    else:
        nw, nh = int(SIZE * w / h), SIZE
    img = img.resize((nw, nh), Image.BILINEAR)
    left = int(round((nw - SIZE) / 2.0))
    top = int(round((nh - SIZE) / 2.0))
    img = img.crop((left, top, left + SIZE, top + SIZE))
    x = np.asarray(img, dtype=np.float32) / 255.0
    x = (x - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32), {"resized": [nw, nh], "crop": [left, top]}


def black_baseline():
    """Pixel 0 in input space: (0 - mean[c]) / std[c], float32 [3, 224, 224]."""
    v = -np.array(MEAN, dtype=np.float64) / np.array(STD, dtype=np.float64)
    return np.ascontiguousarray(np.broadcast_to(v[:, None, None], (3, SIZE, SIZE)), dtype=np.float32)


def quadrature(rule, n):
    if rule == "riemann-trapezoid":
        a = np.linspace(0.0, 1.0, n)
        w = np.full(n, 1.0 / (n - 1))
        w[0] = w[-1] = 0.5 / (n - 1)
        return a, w
    if rule == "gauss-legendre":
        t, w = np.polynomial.legendre.leggauss(n)
        return (t + 1) / 2, w / 2
    raise ValueError(rule)


def input_gradient(model, x, target):
    """d logits[:, target] / d x for a batch x (examples independent in eval mode)."""
    x = x.detach().clone().requires_grad_(True)
    y = model(x)[:, target].sum()
    (g,) = torch.autograd.grad(y, x)
    return g


def references(model, x, baseline, targets):
    """gxi and IG maps [2, 3, 224, 224] and, per example and rule, sum(IG)."""
    dtype = x.dtype
    out = {m: torch.zeros_like(x) for m in MAPS}
    for b in range(x.shape[0]):
        xb = x[b : b + 1]
        out["gxi"][b] = (xb * input_gradient(model, xb, targets[b]))[0]
        for rule in RULES:
            a, w = quadrature(rule, STEPS)
            a = torch.tensor(a, dtype=dtype)[:, None, None, None]
            w = torch.tensor(w, dtype=dtype)[:, None, None, None]
            path = baseline + a * (xb - baseline)
            g = input_gradient(model, path, targets[b])
            out["ig_" + rule][b] = ((xb - baseline) * (w * g).sum(dim=0, keepdim=True))[0]
    return out


def export_onnx(model, x, path):
    tmp = path + ".tmp"
    torch.onnx.export(
        model, x, tmp,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
        opset_version=OPSET,
        do_constant_folding=True,
        training=torch.onnx.TrainingMode.PRESERVE,
    )
    if not os.path.isfile(tmp) or os.path.getsize(tmp) == 0:
        raise RuntimeError(f"ONNX export produced no file: {path}")
    os.replace(tmp, path)


def make_fixtures(name):
    t_start = time.time()
    out = lambda suffix: os.path.join(OUT_DIR, name + suffix)  # noqa: E731
    m32 = torch_models.build(name, seed=0)
    m64 = copy.deepcopy(m32).double()
    photo, crop = photo_input()
    input_seed = zlib.crc32(("ig:" + name).encode())
    noise = np.random.default_rng(input_seed).standard_normal((3, SIZE, SIZE), dtype=np.float32)
    x_np = np.stack([photo, noise])
    base_np = black_baseline()
    x32 = torch.from_numpy(x_np)
    base32 = torch.from_numpy(base_np)[None]

    export_onnx(m32, x32, out(".onnx"))
    summary = torch_fixtures.onnx_summary(out(".onnx"))
    if summary["inputs"] != ["input"] or summary["outputs"] != ["logits"]:
        raise RuntimeError(f"unexpected ONNX graph inputs/outputs: {summary}")

    with torch.no_grad():
        logits64 = m64(x32.double())
        base_logits64 = m64(base32.double())[0]
    targets = logits64.argmax(dim=1).tolist()
    r64 = references(m64, x32.double(), base32.double(), targets)
    r32 = references(m32, x32, base32, targets)
    f32_error = {k: [torch_fixtures.rel_err(r32[k][b], r64[k][b]) for b in range(len(x_np))] for k in MAPS}

    gaps = [float(logits64[b, t] - base_logits64[t]) for b, t in enumerate(targets)]
    deltas = {k: [float(r64[k][b].sum()) - gaps[b] for b in range(len(x_np))] for k in MAPS if k.startswith("ig_")}

    torch_fixtures.save_npy(out(".input.npy"), x_np, np.float32)
    torch_fixtures.save_npy(out(".baseline.npy"), base_np, np.float32)
    for k in MAPS:
        torch_fixtures.save_npy(out(f".{k}.f64.npy"), r64[k], np.float64)
        torch_fixtures.save_npy(out(f".{k}.f32.npy"), r32[k], np.float32)

    meta = {
        "name": name,
        "opset": OPSET,
        "steps": STEPS,
        "rules": RULES,
        "inputShape": list(x_np.shape),
        "inputs": ["examples/images/chelsea.png " + json.dumps(crop), f"standard normal, seed {input_seed}"],
        "baseline": "black: (0 - mean[c]) / std[c] (ImageNet mean/std)",
        "targets": targets,
        "scores": [float(logits64[b, t]) for b, t in enumerate(targets)],
        "baselineScores": [float(base_logits64[t]) for t in targets],
        "deltas": deltas,
        "f32Error": f32_error,
        "weightSeed": 0,
        "seconds": round(time.time() - t_start, 3),
        "onnx": summary,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
    }
    tmp = out(".json.tmp")
    with open(tmp, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    os.replace(tmp, out(".json"))
    return meta


def report(name, meta):
    err = ", ".join(f"{k} {max(v):.1e}" for k, v in meta["f32Error"].items())
    dl = ", ".join(f"{k} {max(abs(d) for d in v):.1e}" for k, v in meta["deltas"].items())
    return f"{meta['seconds']:.1f}s targets {meta['targets']} f32 rel err: {err}; float64 |delta|: {dl}"


def main():
    fixture_main(__doc__, MODELS, OUT_DIR, [__file__, torch_models.__file__, torch_fixtures.__file__, PHOTO], lambda _name: file_suffixes(), make_fixtures, report, THREADS)


if __name__ == "__main__":
    main()
