#!/usr/bin/env bash
# Rows/s of LayersTransformer on local[2] against one JVM without Spark and against batchSize 1.
# Usage (from the repository root; Spark resolved once with `mvn -pl spark -am install -DskipTests`):
#   spark/bench.sh [MODEL_FILE] [ROWS] [BATCH_SIZES] [REPS] [ROW_SHAPE]   e.g. spark/bench.sh "" 4096 1,16,64,256 5 3,16,16
# The CIFAR VGG-11-BN (3x32x32 rows): /usr/bin/python3 scripts/torch_models.py export-example target/vgg11_bn.safetensors --example vgg11_bn
#   then spark/bench.sh target/vgg11_bn.safetensors 512 1,16,64 3 3,32,32
# BENCH_JAVA_OPTS adds JVM options, e.g. BENCH_JAVA_OPTS=-Dlayers4j.cpu.threads=1 (one compute thread per task)
set -euo pipefail
cd "$(dirname "$0")/.."
# -am: layers4j-core and layers4j-cpu from this checkout (target/classes), not from ~/.m2
mvn -o -q -pl spark -am test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
FLAGS=(--add-modules jdk.incubator.vector)
for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
         java.util.concurrent.atomic sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  FLAGS+=("--add-opens=java.base/$p=ALL-UNNAMED")
done
MODEL="${1:-fixtures/models/vgg_bn_model.safetensors}"
shift || true
exec java "${FLAGS[@]}" -Djdk.reflect.useDirectMethodHandle=false -Xmx4g ${BENCH_JAVA_OPTS:-} -Dlayers4jRepoRoot="$PWD" \
  -cp "spark/target/test-classes:spark/target/classes:$(cat spark/target/bench.classpath)" \
  org.layers4j.spark.TransformerBench "$MODEL" "$@"
