"""Peak memory of one PyTorch Integrated Gradients run (50 steps in one batch), for bench/methods-memory.ts.

  /usr/bin/python3 bench/torch_methods_memory.py --model resnet50 --input X.f32 [--threads 2] [--steps 50]

Loads the model (bench/torch_methods_worker.py's implementation and threads
policy), runs one untimed warm-up IG, records the resident set size, resets the
kernel's high-water mark (/proc/self/clear_refs, 5), runs the measured IG and
prints one JSON line (KiB): the RSS after loading, the lifetime peak before the
reset (loading and warm-up), the RSS before the measured run, and the peak
during it (getrusage ru_maxrss, which follows the reset; VmHWM alongside).
"""

import argparse
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_methods_worker as w  # noqa: E402


def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def maxrss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=50)
    a = ap.parse_args()
    w.set_threads(a.threads)
    m = w.get_model(a.model)
    x = w.get_input(a.input)
    loaded = status("VmRSS")
    opts = {"steps": a.steps}
    w.integrated_gradients(m, x, opts)
    warm_peak = maxrss()
    before = status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    reset = maxrss()
    t0 = time.perf_counter()
    w.integrated_gradients(m, x, opts)
    ms = (time.perf_counter() - t0) * 1000.0
    peak = maxrss()
    print(json.dumps({
        "side": "pytorch", "model": a.model, "steps": a.steps, "ms": ms,
        "loadedKiB": loaded, "warmupPeakKiB": warm_peak, "beforeKiB": before,
        "peakKiB": peak, "vmHwmKiB": status("VmHWM"), "resetOk": reset < warm_peak or reset <= before + 1024,
    }))


if __name__ == "__main__":
    main()
