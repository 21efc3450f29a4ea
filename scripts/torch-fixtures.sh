#!/usr/bin/env bash
# Generate PyTorch reference fixtures (ONNX models, inputs, gradients) into
# test/fixtures/torch/. Installs Debian's torch/torchvision only if missing.
# Usage: scripts/torch-fixtures.sh [model ...]   (default: all models)
set -euo pipefail

PY=/usr/bin/python3
cd "$(dirname "$0")/.."

if ! "$PY" -c 'import torch, torchvision' >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "torch/torchvision not importable; installing Debian packages" >&2
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
    python3-torch python3-torchvision
fi

exec "$PY" scripts/torch_fixtures.py "$@"
