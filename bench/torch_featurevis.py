"""Persistent PyTorch worker: a straightforward feature-visualization loop.

The PyTorch side of bench/featurevis.bench.ts. Reads one JSON request per line
from stdin, e.g.

  {"model": "mobilenet_v2", "batch": 4, "steps": 64, "channel": 7,
   "threads": 2, "seed": 0}

and answers each with one JSON line on stdout:

  {"total_ms": ..., "step_ms": [...], "start": [...], "end": [...]}

total_ms covers the whole run as cnnlens's visualize() does: the start
image's objective, the steps, the final image's objective (both no_grad).

The loop is what cnnlens's `visualize()` does with its defaults, written the
plain PyTorch way (Lucid's render_vis ported to torch):

  - parameters: a complex spectrum [n, 3, 2, 256, 256] (real and imaginary
    parts, N(0, 0.01)) on the power-of-two grid above 224, scaled by
    sqrt(256*256)/4 / max(|f|, 1/256) (frequency-decay preconditioning);
    planes = Re(ifft2(spectrum))[:, :, :224, :224];
  - decorrelated colour: rgb = M t with Lucid's colour matrix; sigmoid;
  - transforms: Lucid's standard ones scaled to 224 (pad 21 with grey, jitter
    14, scale 0.9..1.1, rotate -10..10 degrees, jitter 7, centre crop to 224),
    composed into one affine map per example and applied by one bilinear
    grid_sample (taps outside read grey 0.5), exactly the geometry of
    src/featurevis/transforms.ts;
  - ImageNet mean/std, then features[:15] of the torchvision MobileNetV2
    (scripts/torch_models.py, fixture weights) and the objective: the mean of
    one channel of its output, summed over the batch;
  - autograd backward to the parameters, torch.optim.Adam(lr=0.05) ascending.

The random draws (start, transforms) come from torch's and Python's own
generators, not cnnlens's, so the two sides optimize different random starts
and transforms of the same distributions. Errors are reported as
{"error": "..."}. Exits on EOF.
"""

import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import torch_models  # noqa: E402
from torch_worker_common import serve, set_threads  # noqa: E402

SIZE = 224
GRID = 256
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
SVD_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.0, -0.05], [0.27, -0.09, 0.03]])
COLOR = SVD_SQRT / SVD_SQRT.norm(dim=0).max()

_heads = {}


def get_head(name):
    """The model up to the feature map the fixture ONNX exposes as 'feature'."""
    if name not in _heads:
        wrapped = torch_models.wrap(name, torch_models.build(name, seed=0))
        for p in wrapped.parameters():
            p.requires_grad_(False)
        _heads[name] = wrapped.head
    return _heads[name]


def spectrum_scale(decay=1.0):
    f = torch.fft.fftfreq(GRID, dtype=torch.float64)
    mag = torch.sqrt(f[:, None] ** 2 + f[None, :] ** 2).clamp(min=1.0 / GRID)
    return (math.sqrt(GRID * GRID) / 4 / mag**decay).float()


# ---- transforms: the affine maps of src/featurevis/transforms.ts --------------------------------
# (sy, sx) = (a00 oy + a01 ox + by, a10 oy + a11 ox + bx), pixel centres at integers.


def chain(outer, inner):
    a, b, c, d, e, f = outer
    p, q, r, s, t, u = inner
    return (a * p + b * s, a * q + b * t, a * r + b * u + c, d * p + e * s, d * q + e * t, d * r + e * u + f)


def about_centre(h, w, m00, m01, m10, m11):
    cy, cx = (h - 1) / 2, (w - 1) / 2
    return (m00, m01, cy - m00 * cy - m01 * cx, m10, m11, cx - m10 * cy - m11 * cx)


def snap(v):
    r = round(v)
    return r if abs(v - r) < 1e-12 else v


def standard_maps(rng, size=SIZE):
    """One composed map per call for Lucid's standard transforms scaled to `size`, plus fit."""
    k = max(1, size / 128)

    def r(v):
        return max(1, round(v * k))

    p, j1, j2 = r(12), r(8), r(4)
    scales = [1 + (i - 5) / 50 for i in range(11)]
    angles = [i - 10 for i in range(21)] + [0] * 5
    h = w = size
    m = (1, 0, -p, 0, 1, -p)  # pad
    h, w = h + 2 * p, w + 2 * p
    m = chain(m, (1, 0, rng.randrange(j1 + 1), 0, 1, rng.randrange(j1 + 1)))  # jitter
    h, w = h - j1, w - j1
    s = rng.choice(scales)
    m = chain(m, about_centre(h, w, 1 / s, 0, 0, 1 / s))
    t = rng.choice(angles) * math.pi / 180
    c, si = snap(math.cos(t)), snap(math.sin(t))
    m = chain(m, about_centre(h, w, c, si, -si, c))
    m = chain(m, (1, 0, rng.randrange(j2 + 1), 0, 1, rng.randrange(j2 + 1)))  # jitter
    h, w = h - j2, w - j2
    m = chain(m, (1, 0, (h - size) // 2, 0, 1, (w - size) // 2))  # centre crop
    return m


def sampling_grid(maps, size=SIZE):
    """grid_sample coordinates (align_corners=True) for each example's map."""
    oy = torch.arange(size, dtype=torch.float32).view(1, size, 1)
    ox = torch.arange(size, dtype=torch.float32).view(1, 1, size)
    a = torch.tensor(maps, dtype=torch.float32).view(-1, 6, 1, 1)
    sy = a[:, 0] * oy + a[:, 1] * ox + a[:, 2]
    sx = a[:, 3] * oy + a[:, 4] * ox + a[:, 5]
    return torch.stack((2 * sx / (size - 1) - 1, 2 * sy / (size - 1) - 1), dim=-1)


# ---- the loop ------------------------------------------------------------------------------------


def run(req):
    name = req.get("model", "mobilenet_v2")
    n = int(req.get("batch", 4))
    steps = int(req.get("steps", 512))
    ch = int(req.get("channel", 0))
    seed = int(req.get("seed", 0))
    set_threads(int(req.get("threads", 2)))
    head = get_head(name)
    scale = spectrum_scale()
    gen = torch.Generator().manual_seed(seed)
    rng = random.Random(seed)
    params = (torch.randn(n, 3, 2, GRID, GRID, generator=gen) * 0.01).requires_grad_(True)
    opt = torch.optim.Adam([params], lr=0.05)

    def render():
        spectrum = torch.complex(params[:, :, 0] * scale, params[:, :, 1] * scale)
        planes = torch.fft.ifft2(spectrum).real[:, :, :SIZE, :SIZE]
        rgb = torch.einsum("ij,njhw->nihw", COLOR, planes)
        return torch.sigmoid(rgb)

    def objective(image):
        return head((image - MEAN) / STD)[:, ch].mean(dim=(1, 2))

    t_all = time.perf_counter()
    with torch.no_grad():
        start = objective(render()).tolist()
    step_ms = []
    for _ in range(steps):
        t0 = time.perf_counter()
        image = render()
        grid = sampling_grid([standard_maps(rng) for _ in range(n)])
        moved = F.grid_sample(image - 0.5, grid, mode="bilinear", padding_mode="zeros", align_corners=True) + 0.5
        loss = -objective(moved).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step_ms.append((time.perf_counter() - t0) * 1000.0)
    with torch.no_grad():
        end = objective(render()).tolist()
    total_ms = (time.perf_counter() - t_all) * 1000.0
    return {"total_ms": total_ms, "step_ms": step_ms, "start": start, "end": end}


if __name__ == "__main__":
    serve(run)
