#!/usr/bin/env bash
# Regenerates src/main/resources/org/layers4j/cuda/kernels.ptx from kernels.cu (run after editing it,
# commit both). PTX for compute_75 (the oldest architecture CUDA 13 supports), JIT-compiled by the
# driver for the actual GPU. nvcc 13 writes PTX ISA 9.0, which needs a driver for CUDA 13 (>= 580).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
nvcc="${NVCC:-$(command -v nvcc || ls -d /usr/local/cuda*/bin/nvcc 2> /dev/null | tail -n 1)}"
out="$here/../resources/org/layers4j/cuda/kernels.ptx"
"$nvcc" --version | tail -n 2
"$nvcc" -ptx -arch=compute_75 -O3 -o "$out" "$here/kernels.cu"
grep -m 2 -E '^\.(version|target)' "$out"
