#!/usr/bin/env bash
# Runs the layers4j CPU suite runner (forward, then backward) with the Vector API enabled.
# Usage: benchmarks/run-suite.sh [SuiteRunner args...]   e.g. --threads 2 --json /tmp/l4j.json
# Build first: mvn -q -pl benchmarks -am package -DskipTests
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cp_file="$root/benchmarks/target/classpath.txt"
if [ ! -s "$cp_file" ]; then
  (cd "$root" && mvn -q -pl benchmarks dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null)
fi
cp="$root/benchmarks/target/classes:$root/cpu-backend/target/classes:$root/core/target/classes:$(cat "$cp_file")"
exec java --add-modules jdk.incubator.vector -cp "$cp" org.layers4j.bench.SuiteRunner \
  --suite "$root/../shared/bench/suite.json" "$@"
