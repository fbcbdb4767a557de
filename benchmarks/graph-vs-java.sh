#!/usr/bin/env bash
# The graph interpreter's cost: ResNet-18 eval forward as the hand-written Java model (bench --model resnet18)
# and as a graph model file with the same weights (written by SaveResNet18), alternating within each round.
# Usage: benchmarks/graph-vs-java.sh [ROUNDS] [BATCHES]   (default 5 rounds, batches "1 8"); keeps each run's output
# under ${OUT:-/tmp/graph-vs-java}/ and prints one line per run.
# Build first: mvn -q -pl cli,benchmarks -am package -DskipTests
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${1:-5}"
batches="${2:-1 8}"
out="${OUT:-/tmp/graph-vs-java}"
mkdir -p "$out"
# the CLI jar's manifest names its runtime dependencies; SaveResNet18 is in the benchmarks module's classes
cp="$root/benchmarks/target/classes:$root/cli/target/layers4j-cli.jar"
graph="$out/resnet18-java-graph.safetensors"
java --add-modules jdk.incubator.vector -cp "$cp" org.layers4j.bench.SaveResNet18 "$graph" 2>/dev/null
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(grep -o -m1 'avx512f' /proc/cpuinfo || echo avx2)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  for b in $batches; do
    for m in resnet18 "$graph"; do
      name=$([ "$m" = resnet18 ] && echo java || echo graph)
      log="$out/r$r-b$b-$name.txt"
      "$root/layers4j" bench --backend cpu --threads 2 --model "$m" --input-shape "$b,3,224,224" --reps 10 \
        --warmup 3 >"$log" 2>&1
      echo "round $r batch $b $name $(grep -o -m1 '[0-9.]* ms' "$log")"
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
