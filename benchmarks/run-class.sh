#!/usr/bin/env bash
# Runs a main class of the benchmarks module (OrtBench, FmaPeakProbe, ModelPairTiming, ...) with the Vector API
# enabled, on the module's class path (ONNX Runtime included). Build first (no install):
#   mvn -q -pl benchmarks -am package -DskipTests
# Usage: benchmarks/run-class.sh org.layers4j.bench.OrtBench MODEL.onnx --threads 2 ...
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cp_file="$root/benchmarks/target/classpath-all.txt"
# rebuilt when the pom changed (a new dependency such as ONNX Runtime)
if [ ! -s "$cp_file" ] || [ "$root/benchmarks/pom.xml" -nt "$cp_file" ]; then
  # the project's own modules come from their target/classes below, not from any installed jar
  args=(-q -pl benchmarks -am dependency:build-classpath -Dmdep.outputFile="$cp_file" -DexcludeGroupIds=org.layers4j)
  (cd "$root" && { mvn -o "${args[@]}" >/dev/null 2>&1 || mvn "${args[@]}" >/dev/null; })
fi
cp="$root/benchmarks/target/classes:$root/cli/target/classes:$root/cpu-backend/target/classes:$root/core/target/classes:$(cat "$cp_file")"
exec java --add-modules jdk.incubator.vector -cp "$cp" "$@"
