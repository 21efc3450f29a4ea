#!/usr/bin/env python3
"""Reference for bench/datasets.bench.ts: dataset search written as a straightforward PyTorch loop.

Same architecture as models/mnist-cnn.onnx (scripts/train_mnist.py's Net; the time does not depend on
the weights), the 10,000 MNIST test images in batches of 256, a forward hook on relu4, the maximum of
each unit over space, and a running top-k per unit by concatenation and torch.topk.
Prints one JSON line: seconds, images per second.
"""
import json
import os
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'scripts'))
import train_mnist  # noqa: E402


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    k = 9
    torch.set_num_threads(threads)
    _, _, x, _ = train_mnist.load('mnist')
    model = train_mnist.Net().eval()
    acts = {}
    model.relu4.register_forward_hook(lambda m, i, o: acts.__setitem__('a', o))
    best_v = torch.full((64, 0), -float('inf'))
    best_i = torch.zeros((64, 0), dtype=torch.long)
    t0 = time.time()
    with torch.no_grad():
        for s in range(0, len(x), 256):
            model(x[s:s + 256])
            v = acts['a'].amax(dim=(2, 3)).t()  # [64, B]
            idx = torch.arange(s, s + v.shape[1]).expand(64, -1)
            cv = torch.cat([best_v, v], 1)
            ci = torch.cat([best_i, idx], 1)
            best_v, j = cv.topk(min(k, cv.shape[1]), dim=1)
            best_i = ci.gather(1, j)
    sec = time.time() - t0
    print(json.dumps({'threads': threads, 'seconds': sec, 'imagesPerSecond': len(x) / sec}))


if __name__ == '__main__':
    main()
