"""Write PyTorch reference fixtures for the occlusion parity test.

For each model of MODELS (same seeded random weights as torch_models.build)
this writes into test/fixtures/torch-occlusion/:

  <name>.onnx                       exported with one output, `logits`
  <name>.input.npy                  float32 [2, 3, 224, 224]: the bundled photo
                                    examples/images/chelsea.png (shorter side
                                    resized to 224 with Pillow bilinear, centre
                                    crop, [0,1], ImageNet mean/std) and one
                                    standard-normal image
  <name>.json                       metadata (targets, window positions,
                                    PyTorch float32's error per example and map)
  <name>.<fill>.prob.{f64,f32}.npy  [2, 224, 224] occlusion map: per pixel, the
                                    mean over the windows covering it of the
                                    softmax probability of class c with the
                                    window hidden
  <name>.<fill>.drop.{f64,f32}.npy  [2, 224, 224] the same mean of the logit
                                    drop y_c(x) - y_c(x with the window hidden)

Occlusion as Zeiler & Fergus 2014, Sec. 4.2, written out here in plain
PyTorch: a WINDOW x WINDOW square at rows/columns 0, STRIDE, 2 STRIDE, ...
while it fits, plus one flush with the border if the last stops short. Fills:
  grey  pixel 128 through the preprocessing: (128/255 - mean[c]) / std[c]
  blur  a Gaussian blur of the input (sigma = WINDOW / 4, radius ceil(3 sigma),
        edges replicated), one channel at a time
c = argmax of the float64 logits of the unoccluded input. The float64
references run the float32 weights upcast to float64 on the float32 inputs
upcast; the float32 versions measure PyTorch's own float32 error against them.
Fixtures with a matching stamp (hash of this script, torch_models.py,
torch_fixtures.py and the photo) are skipped; --force redoes them.
"""

import copy
import json
import math
import os
import sys
import time
import warnings
import zlib

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_fixtures  # noqa: E402  (shared helpers: ONNX summary, npy writer, errors)
import torch_models  # noqa: E402
from fixture_runner import fixture_main  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "torch-occlusion")
PHOTO = os.path.join(ROOT, "examples", "images", "chelsea.png")
SIZE = 224
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
OPSET = 13
THREADS = 2
WINDOW = 32
STRIDE = 16
FILLS = ["grey", "blur"]
CHUNK = 32
MODELS = ["resnet18"]


def file_suffixes():
    out = [".onnx", ".input.npy", ".json"]
    for fill in FILLS:
        for kind in ("prob", "drop"):
            out += [f".{fill}.{kind}.f64.npy", f".{fill}.{kind}.f32.npy"]
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


def window_starts(size, window, stride):
    starts = list(range(0, size - window + 1, stride))
    if starts[-1] + window < size:
        starts.append(size - window)
    return starts


def fill_image(x, fill):
    """[3, H, W] replacement values in x's dtype."""
    if fill == "grey":
        v = torch.tensor([(128 / 255 - m) / s for m, s in zip(MEAN, STD)], dtype=x.dtype)
        return v[:, None, None].expand_as(x).clone()
    if fill == "blur":
        sigma = WINDOW / 4
        r = math.ceil(3 * sigma)
        t = torch.arange(-r, r + 1, dtype=x.dtype)
        k = torch.exp(-(t * t) / (2 * sigma * sigma))
        k = k / k.sum()
        c = x.shape[0]
        y = F.pad(x[None], (r, r, 0, 0), mode="replicate")
        y = F.conv2d(y, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
        y = F.pad(y, (0, 0, r, r), mode="replicate")
        y = F.conv2d(y, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)
        return y[0]
    raise ValueError(fill)


def occlusion(model, x, fill, targets):
    """(prob map, drop map) [N, H, W] in x's dtype, and the clean logits."""
    n, _, h, w = x.shape
    ys = window_starts(h, WINDOW, STRIDE)
    xs = window_starts(w, WINDOW, STRIDE)
    positions = [(y0, x0) for y0 in ys for x0 in xs]
    with torch.no_grad():
        clean = model(x)
        prob = torch.zeros(n, h, w, dtype=x.dtype)
        drop = torch.zeros(n, h, w, dtype=x.dtype)
        count = torch.zeros(h, w, dtype=x.dtype)
        for y0, x0 in positions:
            count[y0:y0 + WINDOW, x0:x0 + WINDOW] += 1
        for b in range(n):
            c = int(targets[b])
            f = fill_image(x[b], fill)
            for i in range(0, len(positions), CHUNK):
                part = positions[i:i + CHUNK]
                batch = x[b].repeat(len(part), 1, 1, 1)
                for j, (y0, x0) in enumerate(part):
                    batch[j, :, y0:y0 + WINDOW, x0:x0 + WINDOW] = f[:, y0:y0 + WINDOW, x0:x0 + WINDOW]
                logits = model(batch)
                p = torch.softmax(logits, dim=1)[:, c]
                d = clean[b, c] - logits[:, c]
                for j, (y0, x0) in enumerate(part):
                    prob[b, y0:y0 + WINDOW, x0:x0 + WINDOW] += p[j]
                    drop[b, y0:y0 + WINDOW, x0:x0 + WINDOW] += d[j]
        return prob / count, drop / count, clean, len(positions)


def export_onnx(model, x, path):
    tmp = path + ".tmp"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="It is recommended that constant folding")
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
    input_seed = zlib.crc32(("occlusion:" + name).encode())
    noise = np.random.default_rng(input_seed).standard_normal((3, SIZE, SIZE), dtype=np.float32)
    x_np = np.stack([photo, noise])
    x32 = torch.from_numpy(x_np)
    x64 = x32.double()
    export_onnx(m32, x32, out(".onnx"))
    summary = torch_fixtures.onnx_summary(out(".onnx"))
    if summary["inputs"] != ["input"] or summary["outputs"] != ["logits"]:
        raise RuntimeError(f"unexpected ONNX graph inputs/outputs: {summary}")
    with torch.no_grad():
        logits64 = m64(x64)
    targets = logits64.argmax(dim=1)
    top2 = logits64.topk(2, dim=1).values
    margin = ((top2[:, 0] - top2[:, 1]) / logits64.abs().amax(dim=1)).tolist()

    torch_fixtures.save_npy(out(".input.npy"), x_np, np.float32)
    f32_error = {}
    windows = None
    for fill in FILLS:
        prob64, drop64, _, windows = occlusion(m64, x64, fill, targets)
        prob32, drop32, _, _ = occlusion(m32, x32, fill, targets)
        for kind, r64, r32 in (("prob", prob64, prob32), ("drop", drop64, drop32)):
            torch_fixtures.save_npy(out(f".{fill}.{kind}.f64.npy"), r64, np.float64)
            torch_fixtures.save_npy(out(f".{fill}.{kind}.f32.npy"), r32, np.float32)
            f32_error[f"{fill}.{kind}"] = [torch_fixtures.rel_err(r32[b], r64[b]) for b in range(len(x_np))]

    meta = {
        "name": name,
        "opset": OPSET,
        "inputShape": list(x_np.shape),
        "inputs": ["chelsea.png " + json.dumps(crop), f"standard normal, seed {input_seed}"],
        "window": WINDOW,
        "stride": STRIDE,
        "windows": windows,
        "fills": FILLS,
        "targets": targets.tolist(),
        "top2MarginRel": margin,
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
    return f"{meta['seconds']:.1f}s {meta['windows']} windows, targets {meta['targets']}, f32 rel err: {err}"


def main():
    fixture_main(__doc__, MODELS, OUT_DIR, [__file__, torch_models.__file__, torch_fixtures.__file__, PHOTO], lambda _name: file_suffixes(), make_fixtures, report, THREADS)


if __name__ == "__main__":
    main()
