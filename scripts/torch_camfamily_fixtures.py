"""Write PyTorch reference fixtures for the CAM-family parity test.

For each case of CASES (a model of torch_models.build with its seeded random
weights, an input size, and Score-CAM's channel count: 0 = all) this writes
into test/fixtures/torch-camfamily/:

  <case>.onnx               exported with outputs (logits, layer): `layer` is
                            the last conv feature map (as in torch_cam_fixtures)
  <case>.input.npy          float32 [2, 3, S, S]: the photo
                            examples/images/grace_hopper.jpg (shorter side
                            resized to S with Pillow bilinear, centre crop,
                            [0,1], ImageNet mean/std) and a standard-normal image
  <case>.json               metadata: targets, Score-CAM's channel count and
                            the margin of its selection, Eigen-CAM's eigenvalue
                            gap, and PyTorch float32's own error per map and
                            example (max-abs relative to the float64 reference)
  <case>.<map>_layer.f64.npy   the map at the layer's resolution [2, h, w]
  <case>.<map>.f64.npy         the same upsampled to [2, S, S]

Maps, with A the layer, g = d y_c / d A, y_c the pre-softmax logit of
c = argmax of the float64 logits, all written out below in plain PyTorch:
  gradcampp    ReLU(sum_k w_k A_k), w_k = sum_ij alpha ReLU(g),
               alpha = g^2 / (2 g^2 + sum_ab A_k g^3) (0 where that is 0)
  xgradcam     ReLU(sum_k alpha_k A_k), alpha_k = sum_ij A_k g / sum_ij A_k
  hirescam     sum_k g_k * A_k
  layercam     ReLU(sum_k ReLU(g_k) * A_k)
  eigencam     X v_1: X = A as [positions, channels] centred per channel,
               v_1 its first right singular vector (torch.linalg.svd), sign
               so that it correlates positively with sum_k A_k
  ablationcam  ReLU(sum_k w_k A_k), w_k = (y_c - y_c^k) / y_c, y_c^k the
               head above the layer run on A with channel k zeroed
  scorecam     ReLU(sum_k alpha_k A_k), alpha = softmax over the kept
               channels of y_c(x * minmax(upsample(A_k))); kept: all, or the
               N channels with the largest mean activation (ties: lower index)
Upsampling is F.interpolate(mode='bilinear', align_corners=False). The
float64 references run the float32 weights upcast to float64; the float32
runs measure PyTorch's own error. Score-CAM over all channels runs on a
40 x 40 input (resnet18's layer is then 2 x 2): 2 x 512 forward passes of
resnet18 at 224 in float64 would take minutes on two cores; for the same
reason mobilenet_v2 (slow in float64) keeps only 4 channels.

Fixtures with a matching stamp (hash of this script, torch_models.py,
torch_fixtures.py, torch_cam_fixtures.py and the photo) are skipped; --force
redoes them.
"""

import copy
import json
import os
import sys
import time
import zlib

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_cam_fixtures  # noqa: E402  (model split into trunk and head, ONNX export)
import torch_fixtures  # noqa: E402  (npy writer, errors, threads)
import torch_models  # noqa: E402
from fixture_runner import fixture_main  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "torch-camfamily")
PHOTO = os.path.join(ROOT, "examples", "images", "grace_hopper.jpg")
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
THREADS = 2
SCORECAM_BATCH = 32
ABLATION_BATCH = 128

# case -> (model, input size, Score-CAM channels: 0 = all)
CASES = {
    "resnet18-224": ("resnet18", 224, 16),
    "mobilenet_v2-224": ("mobilenet_v2", 224, 4),
    "resnet18-40": ("resnet18", 40, 0),
}

MAPS = ["gradcampp", "xgradcam", "hirescam", "layercam", "eigencam", "ablationcam", "scorecam"]


def file_suffixes():
    out = [".onnx", ".input.npy", ".json"]
    for m in MAPS:
        out += [f".{m}_layer.f64.npy", f".{m}.f64.npy"]
    return out


def photo_input(size):
    """The photo as the ImageNet evaluation transform makes it at `size`: [3, size, size] float32."""
    img = Image.open(PHOTO).convert("RGB")
    w, h = img.size
    if w <= h:
        nw, nh = size, int(size * h / w)
    else:
        nw, nh = int(size * w / h), size
    img = img.resize((nw, nh), Image.BILINEAR)
    left = int(round((nw - size) / 2.0))
    top = int(round((nh - size) / 2.0))
    img = img.crop((left, top, left + size, top + size))
    x = np.asarray(img, dtype=np.float32) / 255.0
    x = (x - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32)


def upsample(maps, size):
    return F.interpolate(maps[:, None], size=(size, size), mode="bilinear", align_corners=False)[:, 0]


def kept_channels(a_b, top):
    """Indices of the `top` channels of a_b [K, h, w] with the largest mean (ties: lower index); all for 0."""
    k = a_b.shape[0]
    if top <= 0 or top >= k:
        return list(range(k))
    means = a_b.mean(dim=(1, 2)).tolist()
    return sorted(sorted(range(k), key=lambda i: (-means[i], i))[:top])


def eigencam(a):
    out = []
    for a_b in a:
        k = a_b.shape[0]
        x = a_b.reshape(k, -1).T                          # [positions, channels]
        x = x - x.mean(dim=0, keepdim=True)
        _, _, vh = torch.linalg.svd(x, full_matrices=False)
        proj = x @ vh[0]
        if (proj * a_b.sum(dim=0).flatten()).sum() < 0:
            proj = -proj
        out.append(proj.reshape(a_b.shape[1:]))
    return torch.stack(out)


def references(trunk, head, model, x, targets, top, kept=None):
    """All layer-resolution maps for one precision; `kept` fixes Score-CAM's channels (else chosen here)."""
    with torch.no_grad():
        a = trunk(x)
    a = a.detach().requires_grad_(True)
    logits = head(a)
    n = x.shape[0]
    rows = torch.arange(n)
    y = logits[rows, targets]
    (g,) = torch.autograd.grad(y.sum(), [a])
    a = a.detach()
    y = y.detach()
    out = {"logits": logits.detach()}

    s = a.sum(dim=(2, 3), keepdim=True)
    g2, g3 = g * g, g * g * g
    den = 2 * g2 + s * g3
    alpha = torch.where(den != 0, g2 / torch.where(den != 0, den, torch.ones_like(den)), torch.zeros_like(den))
    w = (alpha * F.relu(g)).sum(dim=(2, 3))
    out["gradcampp"] = F.relu((w[:, :, None, None] * a).sum(dim=1))

    s2 = a.sum(dim=(2, 3))
    w = torch.where(s2 != 0, (a * g).sum(dim=(2, 3)) / torch.where(s2 != 0, s2, torch.ones_like(s2)), torch.zeros_like(s2))
    out["xgradcam"] = F.relu((w[:, :, None, None] * a).sum(dim=1))
    out["hirescam"] = (g * a).sum(dim=1)
    out["layercam"] = F.relu((F.relu(g) * a).sum(dim=1))
    out["eigencam"] = eigencam(a)

    k = a.shape[1]
    ablation = []
    with torch.no_grad():
        for b in range(n):
            yk = []
            for start in range(0, k, ABLATION_BATCH):
                ks = torch.arange(start, min(k, start + ABLATION_BATCH))
                copies = a[b].repeat(len(ks), 1, 1, 1)
                copies[torch.arange(len(ks)), ks] = 0
                yk.append(head(copies)[:, targets[b]])
            yk = torch.cat(yk)
            wb = (y[b] - yk) / y[b]
            ablation.append(F.relu((wb[:, None, None] * a[b]).sum(dim=0)))
    out["ablationcam"] = torch.stack(ablation)

    size = x.shape[-1]
    chosen = []
    score = []
    with torch.no_grad():
        for b in range(n):
            ks = kept[b] if kept is not None else kept_channels(a[b], top)
            chosen.append(ks)
            up = upsample(a[b, ks], size)                  # [kept, S, S]
            lo = up.amin(dim=(1, 2), keepdim=True)
            hi = up.amax(dim=(1, 2), keepdim=True)
            mask = torch.where(hi > lo, (up - lo) / torch.where(hi > lo, hi - lo, torch.ones_like(hi)), torch.zeros_like(up))
            masked = x[b][None] * mask[:, None]             # [kept, 3, S, S]
            scores = torch.cat([model(masked[i:i + SCORECAM_BATCH])[:, targets[b]] for i in range(0, len(ks), SCORECAM_BATCH)])
            wb = torch.softmax(scores, dim=0)
            score.append(F.relu((wb[:, None, None] * a[b, ks]).sum(dim=0)))
    out["scorecam"] = torch.stack(score)
    out["layer"] = a
    return out, chosen


def selection_margin(a, top):
    """Per example: the gap between the top-th and the next channel mean, relative to the largest mean."""
    if top <= 0 or top >= a.shape[1]:
        return [None] * a.shape[0]
    out = []
    for a_b in a:
        m = a_b.mean(dim=(1, 2)).sort(descending=True).values
        out.append(((m[top - 1] - m[top]) / m[0].abs()).item())
    return out


def eigen_gap(a):
    """Per example: lambda_2 / lambda_1 of the centred activations (Eigen-CAM's sign and vector are stable when < 1)."""
    out = []
    for a_b in a:
        x = a_b.reshape(a_b.shape[0], -1).T
        x = x - x.mean(dim=0, keepdim=True)
        sv = torch.linalg.svdvals(x)
        out.append((sv[1] ** 2 / sv[0] ** 2).item() if len(sv) > 1 and sv[0] > 0 else 0.0)
    return out


def make_fixtures(case):
    t_start = time.time()
    name, size, top = CASES[case]
    out = lambda suffix: os.path.join(OUT_DIR, case + suffix)  # noqa: E731
    m32 = torch_models.build(name, seed=0)
    m64 = copy.deepcopy(m32).double()
    input_seed = zlib.crc32(("camfamily:" + case).encode())
    noise = np.random.default_rng(input_seed).standard_normal((3, size, size), dtype=np.float32)
    x_np = np.stack([photo_input(size), noise])
    x32 = torch.from_numpy(x_np)
    x64 = x32.double()

    w32 = torch_cam_fixtures.wrap(name, m32)
    torch_cam_fixtures.export_onnx(w32, x32, out(".onnx"))

    t64, h64, _ = torch_cam_fixtures.split(name, m64)
    t32, h32, _ = torch_cam_fixtures.split(name, m32)
    with torch.no_grad():
        targets = m64(x64).argmax(dim=1)
    r64, kept = references(t64, h64, m64, x64, targets, top)
    r32, _ = references(t32, h32, m32, x32, targets, top, kept)
    if not torch.equal(r32["logits"].argmax(dim=1), targets):
        raise RuntimeError("float32 and float64 disagree on the top class")

    f32_error = {}
    for m in MAPS:
        up64 = upsample(r64[m], size)
        up32 = upsample(r32[m], size)
        f32_error[m + "_layer"] = [torch_fixtures.rel_err(r32[m][b], r64[m][b]) for b in range(len(x_np))]
        f32_error[m] = [torch_fixtures.rel_err(up32[b], up64[b]) for b in range(len(x_np))]
        torch_fixtures.save_npy(out(f".{m}_layer.f64.npy"), r64[m], np.float64)
        torch_fixtures.save_npy(out(f".{m}.f64.npy"), up64, np.float64)
    torch_fixtures.save_npy(out(".input.npy"), x_np, np.float32)

    top2 = r64["logits"].topk(2, dim=1).values
    meta = {
        "case": case,
        "model": name,
        "size": size,
        "scorecamTop": top,
        "scorecamChannels": [len(k) for k in kept],
        "scorecamSelectionMargin": selection_margin(r64["layer"], top),
        "eigenRatio": eigen_gap(r64["layer"]),
        "inputShape": list(x_np.shape),
        "inputs": ["examples/images/grace_hopper.jpg", f"standard normal, seed {input_seed}"],
        "layerShape": list(r64["layer"].shape),
        "targets": targets.tolist(),
        "top2MarginRel": ((top2[:, 0] - top2[:, 1]) / r64["logits"].abs().amax(dim=1)).tolist(),
        "f32Error": f32_error,
        "weightSeed": 0,
        "seconds": round(time.time() - t_start, 3),
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
    err = ", ".join(f"{k} {max(v):.1e}" for k, v in meta["f32Error"].items() if not k.endswith("_layer"))
    return f"{meta['seconds']:.1f}s layer {tuple(meta['layerShape'])} targets {meta['targets']} f32 rel err: {err}"


def main():
    fixture_main(__doc__, CASES, OUT_DIR, [__file__, torch_models.__file__, torch_fixtures.__file__, torch_cam_fixtures.__file__, PHOTO], lambda _name: file_suffixes(), make_fixtures, report, THREADS, what="case")


if __name__ == "__main__":
    main()
