package org.layers4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.io.HostTensor;
import org.layers4j.io.Models;
import org.layers4j.io.SafeTensors;
import org.layers4j.nn.Module;

class LayersTransformerTest {
    static final int[] SHAPE = {3, 16, 16};
    static final int SAMPLE = 3 * 16 * 16;
    static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.IntegerType, false)
            .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), true);

    @TempDir
    static Path tmp;
    static SparkSession spark;
    static JavaSparkContext jsc;
    static Path modelFile;
    static Module direct;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkTestSession.start("layers4j-spark-test", tmp.resolve("warehouse"));
        jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        modelFile = SparkTestSession.models().resolve("vgg_bn_model.safetensors");
        direct = Models.load(modelFile, Backends.get("cpu"));
    }

    @AfterAll
    static void stop() {
        if (direct != null) {
            direct.close();
        }
        if (spark != null) {
            spark.stop();
        }
    }

    static LayersTransformer transformer(int batch) {
        return new LayersTransformer().setModelPath(modelFile.toString()).setInputCol("features")
                .setOutputCol("scores").setInputShape(SHAPE).setBatchSize(batch).setBackend("cpu");
    }

    static float[][] randomRows(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[][] rows = new float[n][SAMPLE];
        for (float[] r : rows) {
            for (int j = 0; j < SAMPLE; j++) {
                r[j] = (float) (rng.nextDouble() * 4 - 2);
            }
        }
        return rows;
    }

    static Object sparkArray(float[] v) {
        if (v == null) {
            return null;
        }
        Float[] boxed = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            boxed[i] = v[i];
        }
        return scala.collection.immutable.ArraySeq.unsafeWrapArray(boxed);
    }

    /** rows[i] as (id = i, features), in {@code partitions} slices (ParallelCollectionRDD: contiguous, in order). */
    static Dataset<Row> frame(float[][] rows, int partitions) {
        List<Row> list = new ArrayList<>();
        for (int i = 0; i < rows.length; i++) {
            list.add(RowFactory.create(i, sparkArray(rows[i])));
        }
        JavaRDD<Row> rdd = jsc.parallelize(list, partitions);
        return spark.createDataFrame(rdd, SCHEMA);
    }

    static float[] floats(Row r, String col) {
        if (r.isNullAt(r.fieldIndex(col))) {
            return null;
        }
        List<Object> l = r.getList(r.fieldIndex(col));
        float[] v = new float[l.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (Float) l.get(i);
        }
        return v;
    }

    /** The model run directly (no Spark) on these rows, as one batch. */
    static float[][] forward(List<float[]> rows) {
        float[] data = new float[rows.size() * SAMPLE];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, data, i * SAMPLE, SAMPLE);
        }
        try (Tensor x = direct.backend().upload(data, Shape.of(rows.size(), 3, 16, 16)); Tensor y = direct.forward(x)) {
            float[] all = y.toArray();
            int per = all.length / rows.size();
            float[][] out = new float[rows.size()][];
            for (int i = 0; i < out.length; i++) {
                out[i] = Arrays.copyOfRange(all, i * per, (i + 1) * per);
            }
            return out;
        }
    }

    /**
     * Expected outputs when Spark splits the rows into these partitions and each partition into
     * batches of {@code batch} non-null rows: the same forward calls made directly.
     */
    static float[][] expectedBatched(float[][] rows, List<List<Row>> partitions, int batch) {
        float[][] out = new float[rows.length][];
        for (List<Row> part : partitions) {
            for (int start = 0; start < part.size(); start += batch) {
                List<Integer> ids = new ArrayList<>();
                List<float[]> in = new ArrayList<>();
                for (Row r : part.subList(start, Math.min(part.size(), start + batch))) {
                    int id = r.getInt(0);
                    if (rows[id] != null) {
                        ids.add(id);
                        in.add(rows[id]);
                    }
                }
                if (!in.isEmpty()) {
                    float[][] y = forward(in);
                    for (int k = 0; k < ids.size(); k++) {
                        out[ids.get(k)] = y[k];
                    }
                }
            }
        }
        return out;
    }

    @Test
    void aModelExportedFromPyTorchScoresADataFrameWithPyTorchsOutputs() throws IOException {
        HostTensor input = SafeTensors.read(SparkTestSession.models().resolve("vgg_bn_input.safetensors")).tensor("input");
        HostTensor expected = SafeTensors.read(SparkTestSession.models().resolve("vgg_bn_output.safetensors")).tensor("output");
        int n = input.shape().dim(0);
        int classes = expected.shape().dim(1);
        float[][] rows = new float[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = Arrays.copyOfRange(input.floats(), i * SAMPLE, (i + 1) * SAMPLE);
        }
        for (int batch : new int[] {1, 2}) {
            List<Row> out = transformer(batch).transform(frame(rows, 2)).collectAsList();
            assertEquals(n, out.size());
            double maxExpected = 0;
            for (float e : expected.floats()) {
                maxExpected = Math.max(maxExpected, Math.abs(e));
            }
            double tol = 1e-4 * Math.max(1, maxExpected);
            for (int i = 0; i < n; i++) {
                assertEquals(i, out.get(i).getInt(0));
                float[] y = floats(out.get(i), "scores");
                assertEquals(classes, y.length);
                for (int c = 0; c < classes; c++) {
                    double err = Math.abs(y[c] - expected.floats()[i * classes + c]);
                    assertTrue(err <= tol, "row " + i + " class " + c + ": |err| " + err + " > " + tol);
                }
            }
        }
    }

    @Test
    void outputsAreTheDirectForwardsOfTheSameBatchesBitForBitForEveryPartitioningAndBatchSize() {
        float[][] rows = randomRows(37, 1);
        float[][] oneBatch = forward(Arrays.asList(rows));
        for (int partitions : new int[] {1, 3, 8}) {
            Dataset<Row> df = frame(rows, partitions);
            List<List<Row>> parts = df.javaRDD().glom().collect();
            assertEquals(partitions, parts.size());
            for (int batch : new int[] {1, 4, 16, 64}) {
                List<Row> out = transformer(batch).transform(df).collectAsList();
                assertEquals(rows.length, out.size());
                float[][] expected = expectedBatched(rows, parts, batch);
                for (int i = 0; i < rows.length; i++) {
                    Row r = out.get(i);
                    assertEquals(i, r.getInt(0), "row order");
                    float[] y = floats(r, "scores");
                    String where = "partitions " + partitions + ", batch " + batch + ", row " + i;
                    assertArrayEquals(expected[i], y, where);
                    for (int c = 0; c < y.length; c++) {
                        assertEquals(oneBatch[i][c], y[c], 1e-6, where + " against one batch of all rows");
                    }
                }
            }
        }
    }

    @Test
    void thePublicRowPathGivesTheSameValuesAsTheInternalRowPath() {
        float[][] rows = randomRows(13, 7);
        rows[3] = null;
        Dataset<Row> df = frame(rows, 3);
        LayersTransformer t = transformer(4);
        List<Row> fast = t.transform(df).collectAsList();
        List<Row> portable = t.transformRows(df, t.transformSchema(df.schema())).collectAsList();
        assertEquals(fast.size(), portable.size());
        for (int i = 0; i < fast.size(); i++) {
            assertEquals(i, portable.get(i).getInt(0));
            assertArrayEquals(floats(fast.get(i), "scores"), floats(portable.get(i), "scores"), "row " + i);
        }
        Exception e = assertThrows(Exception.class, () -> {
            float[][] bad = randomRows(3, 8);
            bad[2] = new float[5];
            t.transformRows(frame(bad, 1), t.transformSchema(SCHEMA)).collectAsList();
        });
        assertTrue(messages(e).contains("row 2 of partition 0: column 'features' has 5 values, expected 768"), messages(e));
    }

    @Test
    void emptyPartitionsAndPartitionsSmallerThanABatchWork() {
        float[][] rows = randomRows(5, 2);
        Dataset<Row> df = frame(rows, 8);
        List<List<Row>> parts = df.javaRDD().glom().collect();
        assertTrue(parts.stream().anyMatch(List::isEmpty), "some partitions are empty");
        List<Row> out = transformer(2).transform(df).collectAsList();
        float[][] expected = expectedBatched(rows, parts, 2);
        assertEquals(5, out.size());
        for (int i = 0; i < 5; i++) {
            assertEquals(i, out.get(i).getInt(0));
            assertArrayEquals(expected[i], floats(out.get(i), "scores"));
        }
        assertEquals(0, transformer(4).transform(frame(new float[0][], 2)).count());
    }

    @Test
    void aNullRowGivesANullOutputAndTheOthersAreScored() {
        float[][] rows = randomRows(11, 3);
        rows[0] = null;
        rows[4] = null;
        rows[5] = null;
        rows[10] = null;
        Dataset<Row> df = frame(rows, 2);
        List<List<Row>> parts = df.javaRDD().glom().collect();
        List<Row> out = transformer(3).transform(df).collectAsList();
        float[][] expected = expectedBatched(rows, parts, 3);
        for (int i = 0; i < rows.length; i++) {
            float[] y = floats(out.get(i), "scores");
            if (rows[i] == null) {
                assertNull(y, "row " + i);
            } else {
                assertArrayEquals(expected[i], y, "row " + i);
            }
        }
    }

    @Test
    void theSchemaIsCheckedOnTheDriverWithTheColumnAndTheExpectedType() {
        Dataset<Row> df = frame(randomRows(2, 4), 1);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> transformer(2).setInputCol("pixels").transform(df));
        assertTrue(missing.getMessage().contains("input column 'pixels' does not exist"), missing.getMessage());

        Dataset<Row> doubles = df.withColumn("features", df.col("features").cast("array<double>"));
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> transformer(2).transform(doubles));
        assertTrue(wrong.getMessage().contains("input column 'features' is array<double>, expected array<float>"),
                wrong.getMessage());

        Dataset<Row> strings = df.withColumn("features", df.col("id").cast("string"));
        IllegalArgumentException str = assertThrows(IllegalArgumentException.class, () -> transformer(2).transform(strings));
        assertTrue(str.getMessage().contains("input column 'features' is string, expected array<float>"), str.getMessage());

        IllegalArgumentException exists = assertThrows(IllegalArgumentException.class,
                () -> transformer(2).setOutputCol("id").transform(df));
        assertTrue(exists.getMessage().contains("output column 'id' already exists"), exists.getMessage());

        IllegalArgumentException unset = assertThrows(IllegalArgumentException.class,
                () -> new LayersTransformer().setInputCol("features").setModelPath("m").transform(df));
        assertTrue(unset.getMessage().contains("'inputShape' is not set"), unset.getMessage());

        assertThrows(IllegalArgumentException.class, () -> transformer(2).setBatchSize(0));
        assertThrows(IllegalArgumentException.class, () -> transformer(2).setBackend("gpu"));
        assertThrows(IllegalArgumentException.class, () -> transformer(2).setInputShape(3, 0, 16));
        transformer(2).setBackend("cuda:1").setBackend("AUTO");
    }

    @Test
    void aRowOfTheWrongLengthFailsOnTheExecutorNamingItsLengthAndTheShape() {
        float[][] rows = randomRows(6, 5);
        rows[4] = Arrays.copyOf(rows[4], SAMPLE - 1);
        Exception e = assertThrows(Exception.class, () -> transformer(4).transform(frame(rows, 2)).collectAsList());
        String all = messages(e);
        assertTrue(all.contains("row 1 of partition 1: column 'features' has 767 values, expected 768 (the input shape [3, 16, 16])"), all);
    }

    @Test
    void aPipelineWithTheTransformerIsSavedAndLoadedAndScoresTheSame() throws IOException {
        float[][] rows = randomRows(9, 6);
        Dataset<Row> df = frame(rows, 3);
        SQLTransformer keep = new SQLTransformer().setStatement("SELECT id, features FROM __THIS__ WHERE id >= 0");
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {keep, transformer(4)});
        PipelineModel fitted = pipeline.fit(df);
        List<Row> before = fitted.transform(df).collectAsList();

        String pipelineDir = tmp.resolve("pipeline").toString();
        String modelDir = tmp.resolve("pipeline-model").toString();
        pipeline.write().overwrite().save(pipelineDir);
        fitted.write().overwrite().save(modelDir);

        PipelineModel loadedModel = PipelineModel.load(modelDir);
        PipelineModel refitted = Pipeline.load(pipelineDir).fit(df);
        LayersTransformer stage = (LayersTransformer) loadedModel.stages()[1];
        assertEquals(modelFile.toString(), stage.getModelPath());
        assertArrayEquals(SHAPE, stage.getInputShape());
        assertEquals(4, stage.getBatchSize());
        assertEquals("cpu", stage.getBackend());
        assertEquals("scores", stage.getOutputCol());
        for (PipelineModel m : List.of(loadedModel, refitted)) {
            List<Row> after = m.transform(df).collectAsList();
            assertEquals(before.size(), after.size());
            for (int i = 0; i < before.size(); i++) {
                assertArrayEquals(floats(before.get(i), "scores"), floats(after.get(i), "scores"));
            }
        }
    }

    @Test
    void theTransformerAloneIsSavedAndLoadedWithItsParamsAndDefaults() {
        String dir = tmp.resolve("transformer").toString();
        LayersTransformer t = new LayersTransformer().setModelPath("/models/m.safetensors").setInputCol("x")
                .setInputShape(1, 28, 28);
        try {
            t.write().overwrite().save(dir);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        LayersTransformer back = LayersTransformer.load(dir);
        assertEquals(t.uid(), back.uid());
        assertEquals("/models/m.safetensors", back.getModelPath());
        assertEquals("x", back.getInputCol());
        assertArrayEquals(new int[] {1, 28, 28}, back.getInputShape());
        assertEquals("output", back.getOutputCol());
        assertEquals(64, back.getBatchSize());
        assertEquals("auto", back.getBackend());
        LayersTransformer copy = back.copy(new org.apache.spark.ml.param.ParamMap().put(back.batchSize(), 8));
        assertEquals(8, copy.getBatchSize());
        assertEquals(64, back.getBatchSize());
    }

    @Test
    void theModelIsLoadedOncePerPathAndBackendAndSharedByThreads() throws Exception {
        String path = modelFile.toString();
        Module first = ModelCache.get(path, "cpu");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Module>> got = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                got.add(pool.submit(() -> ModelCache.get(path, "cpu")));
            }
            for (Future<Module> f : got) {
                assertSame(first, f.get());
            }
        } finally {
            pool.shutdown();
        }
        Exception e = assertThrows(Exception.class, () -> ModelCache.get(tmp.resolve("nope.safetensors").toString(), "cpu"));
        assertTrue(e.getMessage().contains("nope.safetensors"), e.getMessage());
        assertNotNull(ModelCache.get(path, "cpu"));
    }

    @Test
    void aModelFileShippedWithAddFileIsFoundByItsName() {
        spark.sparkContext().addFile(modelFile.toString());
        float[][] rows = randomRows(3, 9);
        LayersTransformer t = transformer(2).setModelPath("vgg_bn_model.safetensors").setInputShape(List.of(3, 16, 16));
        List<Row> out = t.transform(frame(rows, 1)).collectAsList();
        float[][] expected = forward(Arrays.asList(rows));
        for (int i = 0; i < rows.length; i++) {
            assertArrayEquals(expected[i], floats(out.get(i), "scores"));
        }
    }

    static String messages(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            b.append(c.getMessage()).append(" | ");
        }
        return b.toString();
    }
}
