#!/usr/bin/env bash
# Every check of issue 8 that needs a CUDA device, in one run (a GPU machine's time is scarce):
#   1. the gpu-marked tests (torch-CUDA float64 against torch-CPU on the same draws, 1e-9);
#   2. benchmarks/bench_gpu.py (seconds per point, fraction of the float64 matmul rate,
#      speed-up over NumPy);
#   3. float32 accuracy against float64 on the device, N, T up to 8190 (M = 6300).
# Run from the repository root with a Python that has torch (CUDA), numpy, scipy and the
# package's other dependencies; the source tree is used in place (no install needed):
#   bash benchmarks/gpu_checks.sh [python]
set -euo pipefail
PY=${1:-python3}
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
"$PY" - <<'EOF'
import importlib.util, sys
missing = [m for m in ("numpy", "scipy", "torch", "array_api_compat", "psutil", "click", "rich")
           if importlib.util.find_spec(m) is None]
if missing:
    sys.exit(f"missing Python packages: {', '.join(missing)}")
import torch
print(f"torch {torch.__version__}; CUDA available: {torch.cuda.is_available()}")
EOF
"$PY" -m pytest -q -p no:cacheprovider -m gpu tests/simulation/test_backends.py
"$PY" benchmarks/bench_gpu.py
"$PY" benchmarks/bench_float32_accuracy.py --backend torch --device cuda --M 6300
