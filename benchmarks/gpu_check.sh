#!/usr/bin/env bash
# The device check, in one run: tests/gpu (cupy against numba) and the GPU part of
# bench_fmm.py at N = 1e6. Installs nothing; needs cupy, numba, numpy, scipy, pytest.
# Output under $OUT (default /tmp/rom_gpu): device.txt, tests_gpu.txt, bench_fmm_gpu.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/rom_gpu}
mkdir -p "$out"
export PYTHONPATH=.
{ date -u; nvidia-smi -L 2>&1; python -c "import cupy; print('cupy', cupy.__version__)"; } \
  >"$out/device.txt" 2>&1
timeout "${ROM_GPU_TESTS_S:-300}" python -m pytest tests/gpu -q -ra -p no:randomly \
  -p no:cacheprovider -o addopts="" 2>&1 | tee "$out/tests_gpu.txt"
timeout "${ROM_GPU_BENCH_S:-240}" python benchmarks/bench_fmm.py --backend cupy --gpu-only \
  --sizes 1000000 2>&1 | tee "$out/bench_fmm_gpu.txt"
