#!/usr/bin/env bash
# layers4j GPU bundle runner (built by scripts/gpu-bundle.sh). On a Linux x86-64 host with an NVIDIA
# driver: finds cuDNN 9 (and cuBLAS 12 when present), prints info, runs cuda-backend's JUnit tests, the
# conformance and layer fixtures on the CUDA backend, the leak, concurrency, tiny-workspace, determinism and benchmark-mode checks, and the
# benchmark suite; where a CUDA-enabled PyTorch is installed it also times PyTorch (TF32 off) on the
# same suite for a side-by-side ratio.
# Everything is written to a report file (report-<UTC time>.txt here, or $GPU_BUNDLE_REPORT).
# SKIP_BENCH=1 leaves out the benchmark and PyTorch timing (the checks alone take a minute or two).
# Exit status: 0 all passed, 1 a check failed, 2 CUDA is unavailable (the reason is printed).
# cuDNN is looked for in: $CUDNN_LIB_DIR, $LD_LIBRARY_PATH, a Python nvidia-cudnn-cu12 package under
# a site-packages / dist-packages directory, the ldconfig cache, /usr/local/cuda. cuBLAS (libcublas.so.12,
# optional: without it Linear's GEMM runs on cuDNN as a 1x1 convolution) likewise, from $CUBLAS_LIB_DIR,
# $LD_LIBRARY_PATH, a Python nvidia-cublas-cu12 package, the ldconfig cache, /usr/local/cuda*.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
report="${GPU_BUNDLE_REPORT:-$here/report-$stamp.txt}"
java="$here/jre/bin/java"
cp="$here/app/layers4j-cli.jar:$here/app/lib/*"
# --enable-native-access: JCuda loads its JNI libraries with System.loadLibrary, a restricted method that
# Java 24+ warns about otherwise (every JRE from 17 on knows the flag; the probe only guards an odd one)
native_access=()
"$java" --enable-native-access=ALL-UNNAMED -version > /dev/null 2>&1 && native_access=(--enable-native-access=ALL-UNNAMED)
jvm=(--add-modules jdk.incubator.vector ${native_access[@]+"${native_access[@]}"} -cp "$cp")
# GpuChecks is test code: it lives in cuda-backend's test classes (tests/classes), not in the layers4j-cuda jar
checks_jvm=(--add-modules jdk.incubator.vector ${native_access[@]+"${native_access[@]}"} -cp "$here/tests/classes:$cp")
failed=()
# the JIT needs a few hundred calls before the Java side of a layer call is compiled; PyTorch gets the same runs
bench_runs=(--warmup "${BENCH_WARMUP:-200}" --reps "${BENCH_REPS:-50}")

: > "$report"
log() { echo "$*" | tee -a "$report"; }
step() { # step LABEL COMMAND...: runs it, output into the report, returns its status
  local label="$1"; shift
  log ""
  log "== $label"
  "$@" 2>&1 | tee -a "$report"
  return "${PIPESTATUS[0]}"
}

# find_lib LIB PIP_DIR EXTRA_DIR...: the directory holding LIB (e.g. libcudnn.so.9) from the extra
# directories (env overrides), LD_LIBRARY_PATH, a Python nvidia/PIP_DIR/lib package, ldconfig, CUDA dirs
find_lib() {
  local lib="$1" pip="$2" d sp py f; shift 2
  for d in "$@" $(echo "${LD_LIBRARY_PATH:-}" | tr ':' ' '); do
    [ -n "$d" ] && [ -f "$d/$lib" ] && { echo "$d"; return 0; }
  done
  for py in python3 python; do
    command -v "$py" > /dev/null 2>&1 || continue
    for sp in $("$py" -c 'import site, sys; print("\n".join(site.getsitepackages() + [site.getusersitepackages()] + sys.path))' 2> /dev/null); do
      [ -f "$sp/nvidia/$pip/lib/$lib" ] && { echo "$sp/nvidia/$pip/lib"; return 0; }
    done
  done
  for d in /usr/local/lib/python3*/dist-packages /usr/lib/python3/dist-packages /usr/local/lib/python3*/site-packages \
           "$HOME"/.local/lib/python3*/site-packages /opt/conda/lib/python3*/site-packages; do
    [ -f "$d/nvidia/$pip/lib/$lib" ] && { echo "$d/nvidia/$pip/lib"; return 0; }
  done
  f="$(ldconfig -p 2> /dev/null | awk -v l="$lib" '$1 == l {print $NF; exit}')"
  [ -n "$f" ] && { dirname "$f"; return 0; }
  for d in /usr/lib/x86_64-linux-gnu /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
           /usr/local/cuda-12*/lib64 /usr/local/cuda-12*/targets/x86_64-linux/lib; do
    [ -f "$d/$lib" ] && { echo "$d"; return 0; }
  done
  return 1
}
find_cudnn() { find_lib libcudnn.so.9 cudnn "${CUDNN_LIB_DIR:-}"; }
find_cublas() { find_lib libcublas.so.12 cublas "${CUBLAS_LIB_DIR:-}"; }

log "layers4j GPU bundle run, $(date -u '+%Y-%m-%d %H:%M:%S') UTC, host $(hostname)"
if command -v nvidia-smi > /dev/null 2>&1; then
  step "nvidia-smi" nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
else
  log "nvidia-smi: not found"
fi
if dir="$(find_cudnn)"; then
  export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  log "cuDNN: $dir/libcudnn.so.9"
else
  log "cuDNN: libcudnn.so.9 not found (set CUDNN_LIB_DIR, or pip install nvidia-cudnn-cu12)"
fi
if dir="$(find_cublas)"; then
  case ":${LD_LIBRARY_PATH:-}:" in *":$dir:"*) ;; *) export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ;; esac
  log "cuBLAS: $dir/libcublas.so.12"
else
  log "cuBLAS: libcublas.so.12 not found (optional; set CUBLAS_LIB_DIR or pip install nvidia-cublas-cu12) —"
  log "        Linear's GEMM runs on cuDNN as a 1x1 convolution"
fi

step "layers4j info" "$java" "${jvm[@]}" org.layers4j.cli.Main info || true
if ! step "CUDA availability" "$java" "${checks_jvm[@]}" org.layers4j.cuda.tools.GpuChecks info; then
  log ""
  log "RESULT: CUDA unavailable — nothing ran on a GPU. Report: $report"
  exit 2
fi

if [ -d "$here/tests" ]; then
  tcp="$here/tests/classes:$(ls "$here"/tests/*.jar "$here"/app/lib/*.jar | tr '\n' ':')"
  if step "cuda-backend JUnit tests on this GPU" "$java" --add-modules jdk.incubator.vector ${native_access[@]+"${native_access[@]}"} \
       -Dlayers4jRepoRoot="$here" -cp "$tcp" org.junit.platform.console.ConsoleLauncher execute \
       --select-package org.layers4j.cuda --details=summary --disable-banner \
       --reports-dir "$here/junit-$stamp"; then :; else failed+=(junit); fi
fi
# the convolution fixtures and the layer / model fixtures (pooling, batch norm, softmax, activations, Linear,
# Embedding, Sequential models), forward and backward on the GPU
if step "conformance --backend cuda" "$java" "${jvm[@]}" org.layers4j.cli.Main conformance --backend cuda \
     "$here/fixtures/conformance" "$here/fixtures/layers"; then :; else failed+=(conformance); fi
for check in leak concurrency oom determinism benchmark; do
  step "GPU check: $check" "$java" "${checks_jvm[@]}" org.layers4j.cuda.tools.GpuChecks "$check" || failed+=("$check")
done
if [ "${SKIP_BENCH:-0}" = 1 ]; then
  log ""
  log "bench: skipped (SKIP_BENCH=1)"
else
step "bench --backend cuda (forward)" "$java" "${jvm[@]}" org.layers4j.cli.Main bench --backend cuda "${bench_runs[@]}" \
  --json "$here/bench-cuda-forward-$stamp.json" "$here/suite.json" || failed+=(bench-forward)
step "bench --backend cuda (backward)" "$java" "${jvm[@]}" org.layers4j.cli.Main bench --backend cuda --backward "${bench_runs[@]}" \
  --json "$here/bench-cuda-backward-$stamp.json" "$here/suite.json" || failed+=(bench-backward)

if command -v python3 > /dev/null 2>&1 && python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2> /dev/null; then
  for mode in forward backward; do
    step "PyTorch CUDA ($mode, TF32 off) and ratio" python3 "$here/torch_cuda_bench.py" --suite "$here/suite.json" \
      --mode "$mode" "${bench_runs[@]}" --json "$here/bench-torch-$mode-$stamp.json" --compare "$here/bench-cuda-$mode-$stamp.json" \
      || failed+=("torch-$mode")
  done
else
  log ""
  log "PyTorch with CUDA: not installed here, no side-by-side timing"
fi
fi

log ""
if [ "${#failed[@]}" -eq 0 ]; then
  log "RESULT: all passed. Report: $report"
  exit 0
fi
log "RESULT: failed: ${failed[*]}. Report: $report"
exit 1
