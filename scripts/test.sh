#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs, builds, makes the PyTorch
# reference fixtures (installing Debian's python3-torch when missing), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build
bash scripts/web.sh
bash scripts/redis.sh install
bash scripts/torch-fixtures.sh
/usr/bin/python3 scripts/torch_cam_fixtures.py
/usr/bin/python3 scripts/torch_ig_fixtures.py
/usr/bin/python3 scripts/torch_camfamily_fixtures.py
/usr/bin/python3 scripts/torch_occlusion_fixtures.py
mapfile -t files < <(find src test -name '*.test.ts' | sort)
exec node --import tsx --test --test-reporter=spec "${files[@]}"
