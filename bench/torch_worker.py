"""Persistent PyTorch benchmark worker.

Reads one JSON request per line from stdin, e.g.

  {"model": "mobilenet_v2", "batch": 1, "iters": 10, "threads": 2, "mode": "grad"}

and answers each with one JSON line on stdout:

  {"times_ms": [...], "input_shape": [1, 3, 224, 224]}

mode "forward": model(x) under torch.no_grad().
mode "grad":    d/dx of sum_b logits[b, target[b]], target = argmax of the
                warm-up logits.
Models come from scripts/torch_models.py with the fixture weights (seed 0)
and are cached per name. The input is a fixed seeded normal tensor of the
model's fixture size (224, or 299 for inception_v3) unless "size" is given.
Each request runs 2 untimed warm-up iterations. Errors are reported as
{"error": "..."}. Exits on EOF.
"""

import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import torch_models  # noqa: E402
from torch_worker_common import serve, set_threads  # noqa: E402

WARMUP = 2
_models = {}


def get_model(name):
    if name not in _models:
        _models[name] = torch_models.build(name, seed=0)
    return _models[name]


def run(req):
    name = req["model"]
    batch = int(req.get("batch", 1))
    iters = int(req.get("iters", 10))
    mode = req.get("mode", "forward")
    if mode not in ("forward", "grad"):
        raise ValueError(f"unknown mode {mode!r}")
    set_threads(int(req.get("threads", 1)))
    model = get_model(name)
    size = int(req.get("size", torch_models.input_size(name)))
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 3, size, size, generator=g)

    if mode == "forward":
        def step():
            with torch.no_grad():
                model(x)
    else:
        with torch.no_grad():
            target = model(x).argmax(dim=1)
        rows = torch.arange(batch)
        xg = x.clone().requires_grad_(True)

        def step():
            logits = model(xg)
            torch.autograd.grad(logits[rows, target].sum(), xg)

    for _ in range(WARMUP):
        step()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000.0)
    return {"times_ms": times, "input_shape": list(x.shape)}


if __name__ == "__main__":
    serve(run)
