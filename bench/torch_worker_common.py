"""What the persistent PyTorch benchmark workers share: the threads policy and the request loop.

serve(run) reads one JSON request per line from stdin and answers each with one
JSON line on stdout: run(request), or {"error": "..."} when run raises (the
worker keeps serving). Blank lines are skipped; it returns on EOF.
"""

import ctypes
import json
import sys

import torch


def _blas():
    try:
        lib = ctypes.CDLL("libblas.so.3")
        lib.openblas_set_num_threads  # noqa: B018 (probe the symbol)
        return lib
    except (OSError, AttributeError):
        return None


_BLAS = _blas()


def set_threads(n):
    """n torch intra-op threads; OpenBLAS (if in use) stays single-threaded.

    OpenBLAS' own pthread pool spins next to torch's OpenMP pool and, on a
    small machine, causes large timing spikes; this torch build calls BLAS
    only for GEMMs (e.g. Linear), so one BLAS thread costs little.
    """
    torch.set_num_threads(n)
    if _BLAS is not None:
        _BLAS.openblas_set_num_threads(1)


def serve(run):
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        try:
            reply = run(json.loads(line))
        except Exception as e:  # report and keep serving
            reply = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
