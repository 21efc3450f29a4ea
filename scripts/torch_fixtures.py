"""Write PyTorch reference fixtures for the gradient tests.

For each model (default: all of torch_models.MODELS) this writes into
test/fixtures/torch/:

  <name>.onnx                  wrapper exported with outputs (logits, feature)
  <name>.input.npy             float32 [4, 3, H, W] standard normal input
  <name>.json                  metadata (shapes, targets, timings, f32 errors)
  <name>.logits.{f64,f32}.npy  forward logits
  <name>.feature.f64.npy       forward intermediate feature map
  <name>.grad_input.{f64,f32}.npy     d L / d input
  <name>.grad_feature.{f64,f32}.npy   d L / d feature
  <name>.guided.{f64,f32}.npy         guided backpropagation w.r.t. input
  <name>.deconvnet.{f64,f32}.npy      deconvnet w.r.t. input

with L = sum_b logits[b, targets[b]] and targets = argmax of float64 logits.
The float64 references run the float32 weights upcast to float64. The ONNX
graphs keep BatchNormalization nodes (not folded into Conv), so their
initializers are exactly those float32 weights.

Models already present with a matching stamp (hash of this script,
torch_models.py and the model list) are skipped; pass --force to redo them.
"""

import argparse
import contextlib
import copy
import ctypes
import hashlib
import json
import mmap
import os
import sys
import time
import warnings
import zlib

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402
from fixture_stamp import read_stamp, write_stamp  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "torch")
STAMP = os.path.join(OUT_DIR, "stamp.json")
BATCH = 4
THREADS = 2

FILE_SUFFIXES = [
    ".onnx", ".input.npy", ".json",
    ".logits.f64.npy", ".logits.f32.npy", ".feature.f64.npy",
    ".grad_input.f64.npy", ".grad_input.f32.npy",
    ".grad_feature.f64.npy", ".grad_feature.f32.npy",
    ".guided.f64.npy", ".guided.f32.npy",
    ".deconvnet.f64.npy", ".deconvnet.f32.npy",
]


def set_threads(n):
    """Use n torch intra-op threads and a single-threaded OpenBLAS (if in use).

    Float64 convolutions run im2col + GEMM inside torch's own parallel loop
    over the batch, so extra BLAS threads would only oversubscribe the cores.
    """
    torch.set_num_threads(n)
    try:
        ctypes.CDLL("libblas.so.3").openblas_set_num_threads(1)
    except (OSError, AttributeError):
        pass


# ---------------------------------------------------------------------------
# Modified ReLU backward rules (guided backpropagation, deconvnet)

class _RuleReLU(torch.autograd.Function):
    """ReLU (upper=None) or ReLU6 (upper=6) with a selectable backward rule.

    rule "plain":     standard gradient, g * (0 < x [< upper])
    rule "guided":    clamp(g, min=0) * (0 < x [< upper])
    rule "deconvnet": clamp(g, min=0)
    """

    @staticmethod
    def forward(ctx, x, upper, rule):
        ctx.save_for_backward(x)
        ctx.upper = upper
        ctx.rule = rule
        return x.clamp(min=0) if upper is None else x.clamp(0, upper)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        mask = x > 0
        if ctx.upper is not None:
            mask = mask & (x < ctx.upper)
        if ctx.rule == "plain":
            gi = g * mask
        elif ctx.rule == "guided":
            gi = g.clamp(min=0) * mask
        else:
            gi = g.clamp(min=0)
        return gi, None, None


@contextlib.contextmanager
def relu_rule(rule, counts):
    """Route ReLU/ReLU6 through _RuleReLU while active.

    Covers nn.ReLU and F.relu (also inplace=True), torch.relu(_), F.relu6 and
    F.hardtanh(_) with (0, 6) as used by nn.ReLU6. In-place calls return a
    new tensor, which torchvision code always uses. `counts` is incremented
    per call kind.
    """
    orig = {
        (F, "relu"): F.relu, (F, "relu_"): F.relu_,
        (F, "relu6"): F.relu6,
        (F, "hardtanh"): F.hardtanh, (F, "hardtanh_"): F.hardtanh_,
        (torch, "relu"): torch.relu, (torch, "relu_"): torch.relu_,
    }

    def apply(kind, x, upper):
        counts[kind] = counts.get(kind, 0) + 1
        return _RuleReLU.apply(x, upper, rule)

    def relu(input, inplace=False):
        return apply("relu", input, None)

    def relu6(input, inplace=False):
        return apply("relu6", input, 6.0)

    def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
        if min_val == 0.0 and max_val == 6.0:
            return apply("relu6", input, 6.0)
        return orig[(F, "hardtanh")](input, min_val, max_val, inplace)

    def hardtanh_(input, min_val=-1.0, max_val=1.0):
        if min_val == 0.0 and max_val == 6.0:
            return apply("relu6", input, 6.0)
        return orig[(F, "hardtanh_")](input, min_val, max_val)

    patched = {
        (F, "relu"): relu, (F, "relu_"): lambda input: relu(input),
        (F, "relu6"): relu6,
        (F, "hardtanh"): hardtanh, (F, "hardtanh_"): hardtanh_,
        (torch, "relu"): lambda input: relu(input),
        (torch, "relu_"): lambda input: relu(input),
    }
    try:
        for (mod, attr), fn in patched.items():
            setattr(mod, attr, fn)
        yield
    finally:
        for (mod, attr), fn in orig.items():
            setattr(mod, attr, fn)


def check_relu_rule_restores():
    """The patched functions must be restored even when the pass raises."""
    names = ["relu", "relu_", "relu6", "hardtanh", "hardtanh_"]
    before = [getattr(F, n) for n in names] + [torch.relu, torch.relu_]

    class Probe(Exception):
        pass

    try:
        with relu_rule("guided", {}):
            if F.relu is before[0] or torch.relu is before[-2]:
                raise RuntimeError("relu_rule did not patch F.relu / torch.relu")
            raise Probe
    except Probe:
        pass
    after = [getattr(F, n) for n in names] + [torch.relu, torch.relu_]
    if any(a is not b for a, b in zip(after, before)):
        raise RuntimeError("relu_rule did not restore the original functions")


# ---------------------------------------------------------------------------
# Minimal ONNX protobuf reader (no dependency on the onnx package)

def _varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def _fields(buf, start=0, end=None):
    """Yield (field_number, wire_type, value) of a protobuf message.

    Length-delimited values are returned as (start, end) offsets into buf.
    """
    i = start
    end = len(buf) if end is None else end
    while i < end:
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 2:
            n, i = _varint(buf, i)
            value, i = (i, i + n), i + n
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield field, wire, value


def _string(buf, span):
    return bytes(buf[span[0]:span[1]]).decode()


def onnx_summary(path):
    """Opset, graph input/output names, op type counts and initializer count."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        opsets, graph = {}, None
        for field, _, value in _fields(buf):
            if field == 8:  # ModelProto.opset_import
                domain, version = "", None
                for f2, _, v2 in _fields(buf, *value):
                    if f2 == 1:
                        domain = _string(buf, v2)
                    elif f2 == 2:
                        version = v2
                opsets[domain] = version
            elif field == 7:  # ModelProto.graph
                graph = value
        ops, inputs, outputs, n_init = {}, [], [], 0
        for field, _, value in _fields(buf, *graph):
            if field == 1:  # GraphProto.node
                for f2, _, v2 in _fields(buf, *value):
                    if f2 == 4:  # NodeProto.op_type
                        op = _string(buf, v2)
                        ops[op] = ops.get(op, 0) + 1
            elif field == 5:  # GraphProto.initializer
                n_init += 1
            elif field in (11, 12):  # GraphProto.input / output (ValueInfoProto)
                name = next(_string(buf, v2) for f2, _, v2 in _fields(buf, *value) if f2 == 1)
                (inputs if field == 11 else outputs).append(name)
    return {
        "opset": opsets.get("", opsets.get("ai.onnx")),
        "inputs": inputs,
        "outputs": outputs,
        "ops": dict(sorted(ops.items())),
        "initializers": n_init,
    }


# ---------------------------------------------------------------------------

def rel_err(a, b):
    """max|a - b| / max|b|, computed in float64."""
    a = a.detach().double()
    b = b.detach().double()
    denom = b.abs().max().item()
    return (a - b).abs().max().item() / denom if denom > 0 else float((a - b).abs().max().item())


def rel_err_l2(a, b):
    """||a - b||_2 / ||b||_2, computed in float64."""
    a = a.detach().double()
    b = b.detach().double()
    denom = b.norm().item()
    return (a - b).norm().item() / denom if denom > 0 else float((a - b).norm().item())


def save_npy(path, tensor_or_array, dtype):
    arr = tensor_or_array
    if isinstance(arr, torch.Tensor):
        arr = arr.detach().cpu().numpy()
    arr = np.ascontiguousarray(arr, dtype=np.dtype(dtype).newbyteorder("<"))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        np.save(f, arr)
    os.replace(tmp, path)


def objective(logits, targets):
    return logits[torch.arange(logits.shape[0]), targets].sum()


def forward_checked(wrapper, x):
    """Run head and tail separately, checking the feature is not modified in place."""
    feature = wrapper.head(x)
    version = feature._version
    logits = wrapper.tail(feature)
    if feature._version != version:
        raise RuntimeError("feature tensor was modified in place by the tail")
    return logits, feature


def reference_grads(wrapper, x, targets=None):
    """(logits, feature, dL/dx, dL/dfeature, targets) with standard autograd.

    targets defaults to the argmax of the logits of this forward pass.
    """
    x = x.detach().clone().requires_grad_(True)
    logits, feature = forward_checked(wrapper, x)
    if targets is None:
        targets = logits.detach().argmax(dim=1)
    gx, gf = torch.autograd.grad(objective(logits, targets), [x, feature])
    return logits.detach(), feature.detach(), gx, gf, targets


def rule_grad(wrapper, x, targets, rule):
    """dL/dx under a ReLU backward rule; returns (grad, logits, call counts)."""
    counts = {}
    x = x.detach().clone().requires_grad_(True)
    with relu_rule(rule, counts):
        logits, _ = wrapper(x)
        (gx,) = torch.autograd.grad(objective(logits, targets), [x])
    return gx, logits.detach(), counts


def export_onnx(wrapper, x, path, opset):
    tmp = path + ".tmp"
    with warnings.catch_warnings():
        # PRESERVE warns about constant folding even for eval-mode models.
        warnings.filterwarnings("ignore", message="It is recommended that constant folding")
        torch.onnx.export(
            wrapper, x, tmp,
            input_names=["input"],
            output_names=["logits", "feature"],
            dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}, "feature": {0: "N"}},
            opset_version=opset,
            do_constant_folding=True,
            # Keep BatchNormalization nodes instead of folding them into Conv
            # weights, so the ONNX initializers are exactly the weights the
            # references were computed with.
            training=torch.onnx.TrainingMode.PRESERVE,
        )
    if not os.path.isfile(tmp) or os.path.getsize(tmp) == 0:
        raise RuntimeError(f"ONNX export produced no file: {path}")
    os.replace(tmp, path)


def make_fixtures(name):
    t_start = time.time()
    timings = {}
    out = lambda suffix: os.path.join(OUT_DIR, name + suffix)  # noqa: E731

    def lap(key, t0):
        timings[key] = round(time.time() - t0, 3)

    t0 = time.time()
    m32 = torch_models.build(name, seed=0)
    m64 = copy.deepcopy(m32).double()
    w32 = torch_models.wrap(name, m32)
    w64 = torch_models.wrap(name, m64)
    size = torch_models.input_size(name)
    input_seed = zlib.crc32(name.encode())
    rng = np.random.default_rng(input_seed)
    x_np = rng.standard_normal((BATCH, 3, size, size), dtype=np.float32)
    x32 = torch.from_numpy(x_np)
    x64 = x32.double()
    lap("build", t0)

    t0 = time.time()
    opset = torch_models.OPSET[name]
    export_onnx(w32, x32, out(".onnx"), opset)
    summary = onnx_summary(out(".onnx"))
    if summary["inputs"] != ["input"] or summary["outputs"] != ["logits", "feature"]:
        raise RuntimeError(f"unexpected ONNX graph inputs/outputs: {summary}")
    if summary["opset"] != opset:
        raise RuntimeError(f"ONNX opset {summary['opset']} != {opset}")
    lap("export", t0)

    # Standard gradients; targets from the float64 logits.
    t0 = time.time()
    logits64, feature64, gx64, gf64, targets = reference_grads(w64, x64)
    lap("grad_f64", t0)
    t0 = time.time()
    logits32, _, gx32, gf32, _ = reference_grads(w32, x32, targets)
    with torch.no_grad():
        if not torch.equal(m32(x32), logits32):
            raise RuntimeError("wrapper logits differ from the plain model's")
    lap("grad_f32", t0)

    # Guided backpropagation and deconvnet.
    rules = {}
    for rule in ("guided", "deconvnet"):
        for tag, w, x in (("f64", w64, x64), ("f32", w32, x32)):
            t0 = time.time()
            g, logits, counts = rule_grad(w, x, targets, rule)
            if not torch.equal(logits, logits64 if tag == "f64" else logits32):
                raise RuntimeError(f"{rule}/{tag}: patched forward changed the logits")
            rules[(rule, tag)] = (g, counts)
            lap(f"{rule}_{tag}", t0)

    # The patched pass with the standard rule must reproduce the plain gradient,
    # and the number of patched calls must match the ReLU/Clip nodes exported.
    t0 = time.time()
    g_plain, _, counts = rule_grad(w32, x32, targets, "plain")
    plain_err = rel_err(g_plain, gx32)
    if plain_err > 1e-6:
        raise RuntimeError(f"patched plain-rule gradient differs from autograd: {plain_err:g}")
    n_calls = sum(counts.values())
    n_nodes = summary["ops"].get("Relu", 0) + summary["ops"].get("Clip", 0)
    if n_calls != n_nodes:
        raise RuntimeError(f"{n_calls} patched ReLU calls but {n_nodes} Relu/Clip nodes in ONNX")
    lap("plain_check", t0)

    pairs = {
        "logits": (logits32, logits64),
        "input": (gx32, gx64),
        "feature": (gf32, gf64),
        "guided": (rules[("guided", "f32")][0], rules[("guided", "f64")][0]),
        "deconvnet": (rules[("deconvnet", "f32")][0], rules[("deconvnet", "f64")][0]),
    }
    # PyTorch float32 against the float64 reference: max-abs and L2 relative.
    f32_error = {k: rel_err(a, b) for k, (a, b) in pairs.items()}
    f32_error_l2 = {k: rel_err_l2(a, b) for k, (a, b) in pairs.items()}
    guided_vs_plain = rel_err(rules[("guided", "f64")][0], gx64)

    save_npy(out(".input.npy"), x_np, np.float32)
    save_npy(out(".logits.f64.npy"), logits64, np.float64)
    save_npy(out(".logits.f32.npy"), logits32, np.float32)
    save_npy(out(".feature.f64.npy"), feature64, np.float64)
    save_npy(out(".grad_input.f64.npy"), gx64, np.float64)
    save_npy(out(".grad_input.f32.npy"), gx32, np.float32)
    save_npy(out(".grad_feature.f64.npy"), gf64, np.float64)
    save_npy(out(".grad_feature.f32.npy"), gf32, np.float32)
    for (rule, tag), (g, _) in rules.items():
        save_npy(out(f".{rule}.{tag}.npy"), g, np.float64 if tag == "f64" else np.float32)

    meta = {
        "name": name,
        "opset": opset,
        "inputShape": list(x_np.shape),
        "featureShape": list(feature64.shape),
        "logitsShape": list(logits64.shape),
        "targets": targets.tolist(),
        "seconds": round(time.time() - t_start, 3),
        "f32Error": f32_error,
        "f32ErrorL2": f32_error_l2,
        "weightSeed": 0,
        "inputSeed": input_seed,
        "reluCalls": counts,
        "guidedVsPlainF64": guided_vs_plain,
        "plainRuleVsAutograd": plain_err,
        "onnx": summary,
        "timings": timings,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
    }
    tmp = out(".json.tmp")
    with open(tmp, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    os.replace(tmp, out(".json"))
    return meta


def source_hash():
    h = hashlib.sha256()
    for path in (os.path.abspath(__file__), os.path.abspath(torch_models.__file__)):
        with open(path, "rb") as f:
            h.update(f.read())
    h.update("\n".join(torch_models.MODELS).encode())
    return h.hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*", help=f"default: {' '.join(torch_models.MODELS)}")
    parser.add_argument("--force", action="store_true", help="regenerate even if up to date")
    args = parser.parse_args()
    names = args.models or torch_models.MODELS
    unknown = [n for n in names if n not in torch_models.MODELS]
    if unknown:
        parser.error(f"unknown model(s): {', '.join(unknown)}")

    os.makedirs(OUT_DIR, exist_ok=True)
    digest = source_hash()
    done = read_stamp(STAMP, digest)
    set_threads(THREADS)
    check_relu_rule_restores()

    t_all = time.time()
    for name in names:
        present = all(os.path.isfile(os.path.join(OUT_DIR, name + s)) for s in FILE_SUFFIXES)
        if not args.force and name in done and present:
            print(f"{name}: up to date")
            continue
        done.discard(name)
        write_stamp(STAMP, digest, done)
        meta = make_fixtures(name)
        done.add(name)
        write_stamp(STAMP, digest, done)
        err = meta["f32Error"]
        print(
            f"{name}: {meta['seconds']:.1f}s  feature {tuple(meta['featureShape'])}  "
            f"f32 rel err input {err['input']:.2e} feature {err['feature']:.2e} "
            f"guided {err['guided']:.2e} deconvnet {err['deconvnet']:.2e}  "
            f"relu calls {meta['reluCalls']}",
            flush=True,
        )
    print(f"total {time.time() - t_all:.1f}s")


if __name__ == "__main__":
    main()
