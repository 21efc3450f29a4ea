#!/usr/bin/env bash
# Generate PyTorch reference fixtures (ONNX models, inputs, gradients) into
# test/fixtures/torch/. Installs Debian's torch/torchvision only if missing.
# Usage: scripts/torch-fixtures.sh [--force] [model ...]   (default: all models)
set -euo pipefail

PY=/usr/bin/python3
cd "$(dirname "$0")/.."

# Debian's torch links the reference BLAS by default; OpenBLAS (picked up via
# update-alternatives) makes float64 convolutions and Linear layers several
# times faster.
need=()
if ! "$PY" -c 'import torch, torchvision' >/dev/null 2>&1; then
  need+=(python3-torch python3-torchvision)
fi
# matplotlib: the colormap test compares cnnlens's colormaps with matplotlib's own tables
if ! "$PY" -c 'import matplotlib' >/dev/null 2>&1; then
  need+=(python3-matplotlib)
fi
# Fashion-MNIST: the trained models' accuracy test and the dataset tests read it
if [ ! -d /usr/share/datasets/fashion-mnist ]; then
  need+=(dataset-fashion-mnist)
fi
if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so\.0'; then
  need+=(libopenblas0-pthread)
fi
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "installing Debian packages: ${need[*]}" >&2
  $SUDO apt-get update >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >&2
fi

exec "$PY" scripts/torch_fixtures.py "$@"
