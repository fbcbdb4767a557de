#!/usr/bin/env bash
# Builds target/gpu-bundle/: everything needed to run layers4j's CUDA checks on a Linux x86-64 host
# that has an NVIDIA driver but no Java or Maven — a jlinked JRE, the CLI with its dependencies
# (including layers4j-cuda and the JCuda / JCublas natives), the conformance and layer fixtures, the benchmark suite,
# cuda-backend's compiled JUnit tests (and the GpuChecks program among them) with JUnit's console launcher, and run.sh. cuDNN and cuBLAS themselves are not bundled (hundreds of MB); run.sh finds them on the host.
# Usage: scripts/gpu-bundle.sh [--skip-build]     The bundle must stay under 64 MiB.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/target/gpu-bundle"
limit=$((64 * 1024 * 1024))

if [ "${1:-}" != "--skip-build" ]; then
  echo "gpu-bundle: building the CLI and its modules (mvn package, no tests) ..." >&2
  (cd "$root" && mvn -q -B -DskipTests package -pl cli,cuda-backend -am)
fi
cli="$root/cli/target/layers4j-cli.jar"
[ -f "$cli" ] || { echo "gpu-bundle: $cli is missing" >&2; exit 1; }
[ -f "$root/cli/target/lib/layers4j-cuda-0.1.0-SNAPSHOT.jar" ] || {
  echo "gpu-bundle: cli/target/lib has no layers4j-cuda jar (is it a runtime dependency of cli?)" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/app/lib" "$out/fixtures"
cp "$cli" "$out/app/"
for jar in "$root"/cli/target/lib/*.jar; do
  case "$(basename "$jar")" in
    jcuda-natives-*)
      # only the driver and runtime JNI libraries are used; NVRTC / PTX-compiler bindings are 24 MB of dead weight
      tmp="$(mktemp -d)"
      (cd "$tmp" && unzip -q "$jar" && rm -f lib/libJNvPTXCompiler-* lib/libJNvrtc-* && zip -q -r -9 "$out/app/lib/$(basename "$jar")" .)
      rm -rf "$tmp" ;;
    jcublas-natives-*)
      # Linear's GEMM uses cuBLAS when the host has libcublas.so.12; only the cuBLAS v2 binding (JCublas2) is loaded
      tmp="$(mktemp -d)"
      (cd "$tmp" && unzip -q "$jar" && find . -name 'libJCublas-*' -delete && zip -q -r -9 "$out/app/lib/$(basename "$jar")" .)
      rm -rf "$tmp" ;;
    *) cp "$jar" "$out/app/lib/" ;;
  esac
done
cp -r "$root/fixtures/conformance" "$out/fixtures/"
# the layer and model fixtures (pooling, batch norm, softmax, Linear, Embedding, Sequential models ...)
cp -r "$root/fixtures/layers" "$out/fixtures/"
unzip -p "$cli" org/layers4j/cli/suite.json > "$out/suite.json"
# cuda-backend's JUnit tests, run on the GPU host by run.sh (core's test-jar holds the shared suites)
mkdir -p "$out/tests"
cp -r "$root/cuda-backend/target/test-classes" "$out/tests/classes"
# run.sh launches the GPU checks from there: GpuChecks is test code and not in the layers4j-cuda jar
[ -f "$out/tests/classes/org/layers4j/cuda/tools/GpuChecks.class" ] || {
  echo "gpu-bundle: cuda-backend/target/test-classes has no org/layers4j/cuda/tools/GpuChecks.class (run mvn test-compile)" >&2; exit 1; }
cp "$root/core/target/layers4j-core-0.1.0-SNAPSHOT-tests.jar" "$out/tests/"
# JUnit Platform 1.14.1 goes with the build's JUnit Jupiter 5.14.1
(cd "$root" && mvn -q -B dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:1.14.1 \
  -DoutputDirectory="$out/tests")
cp "$root/cuda-backend/src/bundle/run.sh" "$root/cuda-backend/src/bundle/torch_cuda_bench.py" "$out/"
chmod +x "$out/run.sh"

# the JRE: exactly the modules the jars need, plus the Vector API the CPU backend uses when present
modules="$(jdeps --ignore-missing-deps --multi-release 17 --print-module-deps \
  --class-path "$out/app/lib/*" "$out/app/layers4j-cli.jar" "$out"/app/lib/*.jar 2> /dev/null | tail -n 1)"
case "$modules" in java.base*) ;; *) echo "gpu-bundle: jdeps gave no module list: $modules" >&2; exit 1 ;; esac
# jdk.zipfs: JUnit's class-path scanning opens jars as file systems
modules="$modules,jdk.incubator.vector,jdk.zipfs"
echo "gpu-bundle: jlink --add-modules $modules" >&2
jlink --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress=2 --output "$out/jre"

size="$(du -sb "$out" | cut -f1)"
echo "gpu-bundle: $out is $((size / 1024 / 1024)) MiB ($size bytes)" >&2
if [ "$size" -ge "$limit" ]; then
  echo "gpu-bundle: over the 64 MiB limit" >&2
  exit 1
fi
