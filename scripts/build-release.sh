#!/usr/bin/env bash
# Builds only the cmkctl binary, optimised, into BUILD_DIR: BUILD_DIR/reconciler/cli/cmkctl.
# deploy/Dockerfile RUNs this in its build stage and tests/deploy/check_deploy.sh runs it on the host,
# so the image is built by the same steps the test exercises. Tests and benchmarks are not configured
# (no GoogleTest or Google Benchmark needed). JOBS sets the parallel compile jobs (default: all cores).
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 64
fi
build_dir=$1
source_dir=$(cd "$(dirname "$0")/.." && pwd)
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
  -DCMK_BUILD_TESTS=OFF -DCMK_BUILD_BENCH=OFF
cmake --build "$build_dir" --target cmkctl -j "$jobs"
"$build_dir/reconciler/cli/cmkctl" --version
