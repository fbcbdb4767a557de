package org.layers4j.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.io.Models;
import org.layers4j.nn.Module;

/**
 * Rows per second of {@link LayersTransformer} on local[2] against the same model run in one JVM
 * without Spark, and against batchSize 1 (row-by-row scoring). Run with {@code spark/bench.sh}
 * (arguments: model file, rows, batch sizes, repetitions; defaults: the VGG-BN fixture, 4096 rows,
 * 1,16,64,256, 5). Prints the median of the repetitions after two warm-up rounds; the variants run
 * interleaved, round by round.
 */
public final class TransformerBench {
    private TransformerBench() {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args.length > 0 ? args[0] : SparkTestSession.models().resolve("vgg_bn_model.safetensors").toString());
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
        int[] batches = Arrays.stream((args.length > 2 ? args[2] : "1,16,64,256").split(",")).mapToInt(Integer::parseInt).toArray();
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        int[] shape = Arrays.stream((args.length > 4 ? args[4] : "3,16,16").split(",")).mapToInt(Integer::parseInt)
                .toArray();
        int sample = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        int[] batchDims = new int[shape.length + 1];
        for (int i = 0; i < shape.length; i++) {
            batchDims[i + 1] = shape[i];
        }
        SplittableRandom rng = new SplittableRandom(42);
        float[][] rows = new float[n][sample];
        for (float[] r : rows) {
            for (int j = 0; j < sample; j++) {
                r[j] = (float) (rng.nextDouble() * 4 - 2);
            }
        }
        System.out.printf(Locale.ROOT, "model %s, %d rows of %s, %d cores, java %s%n", model.getFileName(), n,
                Arrays.toString(shape), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));

        Path warehouse = Files.createTempDirectory("layers4j-bench");
        SparkSession spark = SparkTestSession.start("layers4j-spark-bench", warehouse);
        double[][] single = new double[batches.length][reps];
        double[][] sparkRate = new double[batches.length][reps];
        double[] scanRate = new double[reps];
        try (Module m = Models.load(model, Backends.get("cpu"))) {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            StructType schema = new StructType().add("id", DataTypes.IntegerType, false)
                    .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), true);
            List<Row> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Float[] boxed = new Float[sample];
                for (int j = 0; j < sample; j++) {
                    boxed[j] = rows[i][j];
                }
                list.add(RowFactory.create(i, scala.collection.immutable.ArraySeq.unsafeWrapArray(boxed)));
            }
            // localCheckpoint: the rows sit in the executors' block store and the lineage no longer holds the
            // parallelized collection, which every task would otherwise ship again
            Dataset<Row> df = spark.createDataFrame(jsc.parallelize(list, 2), schema).localCheckpoint(true);
            list.clear();
            Runnable scan = () -> df.select("id", "features").write().format("noop").mode("overwrite").save();
            Runnable[] oneJvm = new Runnable[batches.length];
            Runnable[] onSpark = new Runnable[batches.length];
            for (int b = 0; b < batches.length; b++) {
                int batch = batches[b];
                oneJvm[b] = () -> {
                    for (int start = 0; start < n; start += batch) {
                        int k = Math.min(batch, n - start);
                        float[] data = new float[k * sample];
                        for (int i = 0; i < k; i++) {
                            System.arraycopy(rows[start + i], 0, data, i * sample, sample);
                        }
                        int[] dims = batchDims.clone();
                        dims[0] = k;
                        try (Tensor x = m.backend().upload(data, Shape.of(dims)); Tensor y = m.forward(x)) {
                            y.toArray();
                        }
                    }
                };
                LayersTransformer t = new LayersTransformer().setModelPath(model.toString()).setInputCol("features")
                        .setOutputCol("scores").setInputShape(shape).setBatchSize(batch).setBackend("cpu");
                onSpark[b] = () -> t.transform(df).write().format("noop").mode("overwrite").save();
            }
            // two warm-up rounds, then `reps` rounds; within a round every variant runs once, interleaved,
            // so that the load of the shared machine falls on all of them alike
            for (int round = -2; round < reps; round++) {
                double s = rate(scan, n);
                if (round >= 0) {
                    scanRate[round] = s;
                }
                for (int b = 0; b < batches.length; b++) {
                    double one = rate(oneJvm[b], n);
                    double sp = rate(onSpark[b], n);
                    if (round >= 0) {
                        single[b][round] = one;
                        sparkRate[b][round] = sp;
                    }
                }
            }
        } finally {
            spark.stop();
        }
        double scan = median(scanRate);
        System.out.printf(Locale.ROOT, "Spark local[2], checkpointed DataFrame (2 partitions), scanned, no model: %.0f rows/s%n", scan);
        System.out.printf(Locale.ROOT, "%-6s %14s %16s %12s %14s%n", "batch", "one JVM rows/s", "local[2] rows/s", "spark/JVM", "vs batch " + batches[0]);
        double sparkFirst = median(sparkRate[0]);
        for (int b = 0; b < batches.length; b++) {
            double one = median(single[b]);
            double sp = median(sparkRate[b]);
            System.out.printf(Locale.ROOT, "%-6d %14.0f %16.0f %11.2fx %13.2fx%n", batches[b], one, sp, sp / one, sp / sparkFirst);
        }
    }

    static double rate(Runnable run, int rows) {
        long t0 = System.nanoTime();
        run.run();
        return rows / ((System.nanoTime() - t0) / 1e9);
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }
}
