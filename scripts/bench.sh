#!/usr/bin/env bash
# Benchmarks: forward + input gradient against ONNX Runtime forward alone and PyTorch autograd.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/torch-fixtures.sh mobilenet_v2 resnet50
case "${1:-}" in methods) shift; npx tsx bench/methods.bench.ts "$@" && exec npx tsx bench/methods-memory.ts ;; *) exec npx tsx bench/gradient.bench.ts "$@" ;; esac
