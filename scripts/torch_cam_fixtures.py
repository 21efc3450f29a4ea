"""Write PyTorch reference fixtures for the CAM / Grad-CAM / saliency tests.

For each model of MODELS (same seeded random weights as torch_models.build)
this writes into test/fixtures/torch-cam/:

  <name>.onnx                  exported with outputs (logits, layer): `layer` is
                               the feature map explained, as an extra output
  <name>.input.npy             float32 [2, 3, 224, 224]: the bundled photo
                               chelsea.png (shorter side resized to 224 with
                               Pillow bilinear, centre crop, [0,1], ImageNet
                               mean/std) and one standard-normal image
  <name>.json                  metadata (shapes, targets, PyTorch float32's
                               error per example and map, max-abs relative
                               and L2 relative)
  <name>.logits.{f64,f32}.npy
  <name>.layer.f64.npy         the layer's activations A [2, K, h, w]
  <name>.gradcam_layer.{f64,f32}.npy   ReLU(sum_k alpha_k A_k) [2, h, w],
                                       alpha_k = mean_ij d y_c / d A_k(i, j)
  <name>.gradcam.{f64,f32}.npy         the same upsampled to [2, 224, 224]
  <name>.cam_layer.{f64,f32}.npy       sum_k W[c, k] A_k (GAP + linear heads)
  <name>.cam.{f64,f32}.npy             the same upsampled
  <name>.gradient.{f64,f32}.npy        d y_c / d x [2, 3, 224, 224]
  <name>.saliency.{f64,f32}.npy        max over channels of |d y_c / d x|

y_c is the pre-softmax logit of c = argmax of the float64 logits.
Upsampling is F.interpolate(mode='bilinear', align_corners=False). The
float64 references run the float32 weights upcast to float64; the float32
versions measure PyTorch's own float32 error against them.

Everything here is plain PyTorch: Grad-CAM and CAM are written out below, not
taken from a library. Fixtures with a matching stamp (hash of this script,
torch_models.py, torch_fixtures.py and the photo) are skipped; --force redoes
them.
"""

import copy
import json
import os
import sys
import time
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_fixtures  # noqa: E402  (shared helpers: ONNX summary, npy writer, errors)
import torch_models  # noqa: E402
from fixture_runner import fixture_main  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "torch-cam")
PHOTO = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "images", "chelsea.png"))
SIZE = 224
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
OPSET = 13
THREADS = 2

# name -> (layer description, whether plain CAM applies)
MODELS = {
    "resnet18": ("output of layer4 (feeds avgpool + fc)", True),
    "mobilenet_v2": ("output of features (after the last ReLU6; feeds GAP + classifier)", True),
    "squeezenet1_1": ("output of features (feeds Dropout, 1x1 Conv, ReLU, GAP: no linear head)", False),
}

MAPS = ["gradcam_layer", "gradcam", "cam_layer", "cam", "gradient", "saliency"]


def file_suffixes(name):
    cam = MODELS[name][1]
    maps = [m for m in MAPS if cam or not m.startswith("cam")]
    out = [".onnx", ".input.npy", ".json", ".logits.f64.npy", ".logits.f32.npy", ".layer.f64.npy"]
    for m in maps:
        out += [f".{m}.f64.npy", f".{m}.f32.npy"]
    return out


class _Flatten(nn.Module):
    def forward(self, x):
        return torch.flatten(x, 1)


class _PoolFlatten(nn.Module):
    def forward(self, x):
        return torch.flatten(F.adaptive_avg_pool2d(x, (1, 1)), 1)


def split(name, m):
    """(trunk, head, linear) with model(x) == head(trunk(x)); linear is the fc layer after GAP, if any.

    Reproduces torchvision 0.14's forward of each model.
    """
    if name == "resnet18":
        trunk = nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool, m.layer1, m.layer2, m.layer3, m.layer4)
        return trunk, nn.Sequential(m.avgpool, _Flatten(), m.fc), m.fc
    if name == "mobilenet_v2":
        return m.features, nn.Sequential(_PoolFlatten(), m.classifier), m.classifier[1]
    if name == "squeezenet1_1":
        return m.features, nn.Sequential(m.classifier, _Flatten()), None
    raise ValueError(name)


def wrap(name, model):
    trunk, head, _ = split(name, model)
    return torch_models.FeatureWrapper(model, trunk, head).eval()


def photo_input():
    """chelsea.png as the ImageNet evaluation transform makes it: [3, 224, 224] float32."""
    img = Image.open(PHOTO).convert("RGB")
    w, h = img.size
    # shorter side to SIZE (torchvision.transforms.Resize: long side int(SIZE * long / short))
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


def upsample(maps):
    """[N, h, w] -> [N, SIZE, SIZE], bilinear with half-pixel centres."""
    return F.interpolate(maps[:, None], size=(SIZE, SIZE), mode="bilinear", align_corners=False)[:, 0]


def references(name, model, x, targets=None):
    """All maps for one precision. targets default to the argmax of this pass's logits."""
    wrapper = wrap(name, model)
    _, _, linear = split(name, model)
    x = x.detach().clone().requires_grad_(True)
    a = wrapper.head(x)
    version = a._version
    logits = wrapper.tail(a)
    if a._version != version:
        raise RuntimeError("layer tensor modified in place by the head above it")
    if targets is None:
        targets = logits.detach().argmax(dim=1)
    score = logits[torch.arange(logits.shape[0]), targets].sum()
    # examples are independent (eval mode), so d(sum_b y_b)/dA_b = d y_b / dA_b
    ga, gx = torch.autograd.grad(score, [a, x])
    a = a.detach()
    alpha = ga.mean(dim=(2, 3))                                # [N, K]
    gradcam_layer = F.relu((alpha[:, :, None, None] * a).sum(dim=1))
    out = {
        "logits": logits.detach(),
        "layer": a,
        "gradcam_layer": gradcam_layer,
        "gradcam": upsample(gradcam_layer),
        "gradient": gx,
        "saliency": gx.abs().amax(dim=1),
    }
    if linear is not None:
        w = linear.weight.detach()[targets]                    # [N, K]
        cam_layer = (w[:, :, None, None] * a).sum(dim=1)
        out["cam_layer"] = cam_layer
        out["cam"] = upsample(cam_layer)
    return out, targets


def export_onnx(wrapper, x, path):
    tmp = path + ".tmp"
    torch.onnx.export(
        wrapper, x, tmp,
        input_names=["input"],
        output_names=["logits", "layer"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}, "layer": {0: "N"}},
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
    input_seed = zlib.crc32(("cam:" + name).encode())
    noise = np.random.default_rng(input_seed).standard_normal((3, SIZE, SIZE), dtype=np.float32)
    x_np = np.stack([photo, noise])
    x32 = torch.from_numpy(x_np)
    x64 = x32.double()

    w32 = wrap(name, m32)
    with torch.no_grad():
        plain, _ = w32(x32)
        if not torch.equal(plain, m32(x32)):
            raise RuntimeError("wrapper logits differ from the plain model's")
    export_onnx(w32, x32, out(".onnx"))
    summary = torch_fixtures.onnx_summary(out(".onnx"))
    if summary["inputs"] != ["input"] or summary["outputs"] != ["logits", "layer"]:
        raise RuntimeError(f"unexpected ONNX graph inputs/outputs: {summary}")

    r64, targets = references(name, m64, x64)
    r32, _ = references(name, m32, x32, targets)
    top2 = r64["logits"].topk(2, dim=1).values
    margin = (top2[:, 0] - top2[:, 1]) / r64["logits"].abs().amax(dim=1)

    # per example: max|f32 - f64| / max|f64|. The examples differ a lot for resnet18's input gradient:
    # a near-tie in one window of the stem's max pool on the photo is broken differently in float32
    r32["layer"] = wrap(name, m32).head(x32).detach()
    f32_error = {k: [torch_fixtures.rel_err(r32[k][b], r64[k][b]) for b in range(len(x_np))] for k in r64}
    f32_error_l2 = {k: [torch_fixtures.rel_err_l2(r32[k][b], r64[k][b]) for b in range(len(x_np))] for k in r64}

    torch_fixtures.save_npy(out(".input.npy"), x_np, np.float32)
    torch_fixtures.save_npy(out(".layer.f64.npy"), r64["layer"], np.float64)
    for k in r64:
        if k == "layer":
            continue
        torch_fixtures.save_npy(out(f".{k}.f64.npy"), r64[k], np.float64)
        torch_fixtures.save_npy(out(f".{k}.f32.npy"), r32[k], np.float32)

    meta = {
        "name": name,
        "layer": MODELS[name][0],
        "cam": MODELS[name][1],
        "opset": OPSET,
        "inputShape": list(x_np.shape),
        "inputs": ["chelsea.png " + json.dumps(crop), f"standard normal, seed {input_seed}"],
        "layerShape": list(r64["layer"].shape),
        "logitsShape": list(r64["logits"].shape),
        "targets": targets.tolist(),
        "top2MarginRel": margin.tolist(),
        "f32Error": f32_error,
        "f32ErrorL2": f32_error_l2,
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
    return f"{meta['seconds']:.1f}s layer {tuple(meta['layerShape'])} targets {meta['targets']} f32 rel err: {err}"


def main():
    fixture_main(__doc__, MODELS, OUT_DIR, [__file__, torch_models.__file__, torch_fixtures.__file__, PHOTO], file_suffixes, make_fixtures, report, THREADS)


if __name__ == "__main__":
    main()
