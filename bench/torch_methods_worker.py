"""Persistent PyTorch worker for the explanation-method benchmark (bench/methods.bench.ts).

Straightforward PyTorch implementations of the methods cnnlens times, on the
torchvision models of scripts/torch_models.py with the fixture weights (seed 0),
batched the way a careful user would batch them. Parameters are frozen
(requires_grad False): only the gradients a method needs are computed, and the
forward pass records a graph only where one is needed.

Reads one JSON request per line from stdin, e.g.

  {"model": "resnet50", "method": "integrated-gradients", "input": "/tmp/x.f32",
   "iters": 3, "warmup": 1, "threads": 2, "save": "/tmp/map.f32"}

and answers each with one JSON line on stdout:

  {"times_ms": [...], "target": 988, "map_shape": [1, 3, 224, 224]}

"input" is a raw little-endian float32 file holding one preprocessed image
[1, 3, 224, 224] (the bench writes the tensor cnnlens explains). Every method
starts from that tensor, runs its own forward pass of it (the explained class is
its top class, as in cnnlens explain) and ends with the finished map:

  gradcam      forward hook on the layer (ResNet: layer4, MobileNetV2: features),
               torch.autograd.grad of the target logit w.r.t. the layer's output,
               alpha_k = spatial mean, ReLU(sum_k alpha_k A_k), bilinear upsampling
               to the input size (align_corners False)
  saliency     d logit / d input, max |.| over channels
  integrated-gradients
               "steps" (50) points of the straight path from the black baseline
               (pixel 0 through the ImageNet mean/std) with the trapezoid rule
               alpha_k = k / (n - 1), all in one batch, one backward pass
  smoothgrad   "samples" (25) copies with N(0, (noise (max - min))^2) noise,
               noise 0.15, in one batch, one backward pass; the mean gradient
  occlusion    a grey (pixel 128) window of "window" (32) pixels every "stride"
               (16) pixels (169 positions at 224), "chunk" (16) occluded copies per
               forward under torch.no_grad(); per pixel, the mean softmax
               probability of the class over the windows covering it
  scorecam     every channel of the layer, bilinearly upsampled to the input size
               and min-max normalized to [0, 1], times the input; "chunk" (32)
               masked copies per forward under torch.no_grad(); weights = softmax
               over channels of the class's logit (as pytorch-grad-cam), ReLU of
               the weighted sum of the layer's maps, upsampled bilinearly

"warmup" untimed runs come first (default 0). With "save", the map of the last
run is written there as raw float32. Errors are reported as {"error": "..."}.
Exits on EOF.
"""

import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
sys.path.insert(0, HERE)
import torch_models  # noqa: E402
from torch_worker_common import serve, set_threads  # noqa: E402  (same threads policy and request loop as the gradient benchmark)

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

_models = {}
_inputs = {}


def pixel(p):
    """Pixel value p (0..255) of every channel in the model's input space, [1, 3, 1, 1]."""
    return (p / 255.0 - MEAN) / STD


class Explained:
    """A model with its parameters frozen and a forward hook keeping the CAM layer's output."""

    def __init__(self, name):
        self.model = torch_models.build(name, seed=0)
        for p in self.model.parameters():
            p.requires_grad_(False)
        layer = self.model.layer4 if name.startswith("resnet") else self.model.features
        self.acts = {}
        self.keep_grad = False

        def hook(_module, _inputs, out):
            if self.keep_grad:
                out.requires_grad_(True)  # a leaf here: nothing below it needs a graph
            self.acts["layer"] = out

        layer.register_forward_hook(hook)

    def __call__(self, x):
        return self.model(x)


def get_model(name):
    if name not in _models:
        _models[name] = Explained(name)
    return _models[name]


def get_input(path):
    if path not in _inputs:
        _inputs[path] = torch.from_numpy(np.fromfile(path, dtype="<f4").reshape(1, 3, 224, 224).copy())
    return _inputs[path]


def gradcam(m, x, _o):
    m.keep_grad = True
    try:
        logits = m(x)
    finally:
        m.keep_grad = False
    a = m.acts.pop("layer")
    t = int(logits[0].argmax())
    (g,) = torch.autograd.grad(logits[0, t], a)
    with torch.no_grad():
        alpha = g.mean(dim=(2, 3), keepdim=True)
        cam = F.relu((alpha * a).sum(1, keepdim=True))
        return t, F.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)[:, 0]


def saliency(m, x, _o):
    xg = x.clone().requires_grad_(True)
    logits = m(xg)
    t = int(logits[0].argmax())
    (g,) = torch.autograd.grad(logits[0, t], xg)
    return t, g.abs().amax(dim=1)


def top_class(m, x):
    with torch.no_grad():
        return int(m(x)[0].argmax())


def integrated_gradients(m, x, o):
    n = int(o.get("steps", 50))
    t = top_class(m, x)
    base = pixel(0.0).expand_as(x)
    alphas = torch.arange(n, dtype=torch.float32) / (n - 1)
    weights = torch.full((n,), 1.0 / (n - 1))
    weights[0] = weights[-1] = 0.5 / (n - 1)
    path = (base + alphas.view(n, 1, 1, 1) * (x - base)).requires_grad_(True)
    logits = m(path)
    (g,) = torch.autograd.grad(logits[:, t].sum(), path)
    with torch.no_grad():
        return t, (x - base) * (weights.view(n, 1, 1, 1) * g).sum(0, keepdim=True)


def smoothgrad(m, x, o):
    n = int(o.get("samples", 25))
    t = top_class(m, x)
    sigma = float(o.get("noise", 0.15)) * float(x.max() - x.min())
    gen = torch.Generator().manual_seed(0)
    noisy = (x + sigma * torch.randn((n,) + tuple(x.shape[1:]), generator=gen)).requires_grad_(True)
    logits = m(noisy)
    (g,) = torch.autograd.grad(logits[:, t].sum(), noisy)
    return t, g.mean(0, keepdim=True)


def window_starts(size, window, stride):
    starts = list(range(0, size - window + 1, stride))
    if starts[-1] + window < size:
        starts.append(size - window)
    return starts


def occlusion(m, x, o):
    window = int(o.get("window", 32))
    stride = int(o.get("stride", 16))
    chunk = int(o.get("chunk", 16))
    h, w = x.shape[2:]
    grey = pixel(128.0)
    boxes = [(y, z) for y in window_starts(h, window, stride) for z in window_starts(w, window, stride)]
    with torch.no_grad():
        t = int(m(x)[0].argmax())
        total = torch.zeros(h, w)
        count = torch.zeros(h, w)
        for s in range(0, len(boxes), chunk):
            part = boxes[s : s + chunk]
            batch = x.repeat(len(part), 1, 1, 1)
            for i, (y, z) in enumerate(part):
                batch[i, :, y : y + window, z : z + window] = grey[0]
            p = F.softmax(m(batch), dim=1)[:, t]
            for i, (y, z) in enumerate(part):
                total[y : y + window, z : z + window] += p[i]
                count[y : y + window, z : z + window] += 1
        return t, (total / count)[None]


def scorecam(m, x, o):
    chunk = int(o.get("chunk", 32))
    with torch.no_grad():
        logits = m(x)
        t = int(logits[0].argmax())
        a = m.acts.pop("layer")
        up = F.interpolate(a, size=x.shape[2:], mode="bilinear", align_corners=False)[0]  # [K, H, W]
        lo = up.amin(dim=(1, 2), keepdim=True)
        hi = up.amax(dim=(1, 2), keepdim=True)
        masks = torch.where(hi > lo, (up - lo) / (hi - lo).clamp_min(1e-12), torch.zeros_like(up))
        scores = torch.empty(masks.shape[0])
        for s in range(0, masks.shape[0], chunk):
            mk = masks[s : s + chunk, None]  # [k, 1, H, W]
            scores[s : s + chunk] = m(x * mk)[:, t]
        weights = F.softmax(scores, dim=0)
        cam = F.relu((weights.view(1, -1, 1, 1) * a).sum(1, keepdim=True))
        return t, F.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)[:, 0]


METHODS = {
    "gradcam": gradcam,
    "saliency": saliency,
    "integrated-gradients": integrated_gradients,
    "smoothgrad": smoothgrad,
    "occlusion": occlusion,
    "scorecam": scorecam,
}


def run(req):
    method = METHODS.get(req["method"])
    if method is None:
        raise ValueError(f"unknown method {req['method']!r}; expected one of {sorted(METHODS)}")
    set_threads(int(req.get("threads", 1)))
    m = get_model(req["model"])
    x = get_input(req["input"])
    opts = req.get("options", {})
    for _ in range(int(req.get("warmup", 0))):
        target, out = method(m, x, opts)
    times = []
    for _ in range(int(req.get("iters", 1))):
        t0 = time.perf_counter()
        target, out = method(m, x, opts)
        times.append((time.perf_counter() - t0) * 1000.0)
    if req.get("save"):
        out.detach().numpy().astype("<f4").tofile(req["save"])
    return {"times_ms": times, "target": target, "map_shape": list(out.shape)}


if __name__ == "__main__":
    serve(run)
