package org.layers4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
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
import org.layers4j.graph.GraphBuilder;
import org.layers4j.graph.GraphModule;
import org.layers4j.graph.Node;
import org.layers4j.graph.Node.Ref;
import org.layers4j.io.Models;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;

/** LayersTransformer on graph model files: a dict-output (segmentation-shaped) graph and a ResNet-shaped one. */
class GraphModelTransformerTest {
    static final int[] SHAPE = {3, 8, 8};
    static final int SAMPLE = 3 * 8 * 8;
    static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.IntegerType, false)
            .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), true);

    @TempDir
    static Path tmp;
    static SparkSession spark;
    static JavaSparkContext jsc;
    static Path segFile;
    static Path resnetFile;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkTestSession.start("layers4j-spark-graph-test", tmp.resolve("warehouse"));
        jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        segFile = save(segmentationGraph(), "seg.safetensors");
        resnetFile = save(resnetGraph(), "tiny_resnet.safetensors");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    // ---- the model files ------------------------------------------------------------------------------

    private static Map<String, Object> spec(String op, Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", op);
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static Map<String, Object> conv(long in, long out, long k, long stride) {
        return spec("conv2d", "in_channels", in, "out_channels", out, "kernel_size", List.of(k, k),
                "stride", List.of(stride, stride), "padding", List.of(k / 2, k / 2), "dilation", List.of(1L, 1L),
                "groups", 1L, "bias", k == 1, "padding_mode", "zeros");
    }

    private static Map<String, Object> bn(long c) {
        return spec("batchnorm2d", "num_features", c, "eps", 1e-5, "momentum", 0.1, "affine", true,
                "track_running_stats", true);
    }

    /** x [N, 3, 8, 8] -> conv 3x3 -> relu -> {"out": conv 1x1 to 5 classes, "aux": conv 1x1 to 2 classes}. */
    static GraphModule segmentationGraph() {
        GraphBuilder g = new GraphBuilder();
        Ref x = g.input("x");
        Ref h = g.call("relu", g.callModule("backbone", x));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("out", g.callModule("classifier", h));
        out.put("aux", g.callModule("aux_classifier", h));
        g.output(new Node.Dict(out));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        modules.put("backbone", conv(3, 4, 3, 1));
        modules.put("classifier", conv(4, 5, 1, 1));
        modules.put("aux_classifier", conv(4, 2, 1, 1));
        return new GraphModule(g.build(modules), Backends.get("cpu"));
    }

    /**
     * ResNet-shaped: stem conv (stride 2) + BN + ReLU, one basic block (conv-BN-ReLU-conv-BN, the identity
     * added, ReLU), adaptive average pool, flatten, linear to 4 classes.
     */
    static GraphModule resnetGraph() {
        GraphBuilder g = new GraphBuilder();
        Ref x = g.input("x");
        Ref h = g.callModule("relu", g.callModule("bn1", g.callModule("conv1", x)));
        Ref b = g.callModule("layer1.0.relu", g.callModule("layer1.0.bn1", g.callModule("layer1.0.conv1", h)));
        b = g.callModule("layer1.0.bn2", g.callModule("layer1.0.conv2", b));
        h = g.callModule("layer1.0.relu", g.call("add", b, h));
        h = g.callModule("flatten", g.callModule("avgpool", h));
        g.output(g.callModule("fc", h));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        modules.put("conv1", conv(3, 8, 3, 2));
        modules.put("bn1", bn(8));
        modules.put("relu", spec("relu", "inplace", true));
        modules.put("layer1.0.conv1", conv(8, 8, 3, 1));
        modules.put("layer1.0.bn1", bn(8));
        modules.put("layer1.0.relu", spec("relu", "inplace", true));
        modules.put("layer1.0.conv2", conv(8, 8, 3, 1));
        modules.put("layer1.0.bn2", bn(8));
        modules.put("avgpool", spec("adaptiveavgpool2d", "output_size", List.of(1L, 1L)));
        modules.put("flatten", spec("flatten", "start_dim", 1L, "end_dim", -1L));
        modules.put("fc", spec("linear", "in_features", 8L, "out_features", 4L, "bias", true));
        return new GraphModule(g.build(modules), Backends.get("cpu"));
    }

    /** Random state (running variances positive), saved; the module is closed. */
    private static Path save(GraphModule m, String name) throws IOException {
        SplittableRandom r = new SplittableRandom(name.hashCode());
        try (m) {
            m.stateDict().forEach((k, t) -> {
                if (t.dtype() == org.layers4j.DType.FLOAT32) {
                    float[] v = new float[t.shape().size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = k.endsWith("running_var") ? (float) (0.5 + r.nextDouble()) : (float) (r.nextDouble() - 0.5);
                    }
                    m.setParameter(k, v);
                }
            });
            Path file = tmp.resolve(name);
            Models.save(m, file);
            return file;
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------

    static float[][] randomRows(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[][] rows = new float[n][SAMPLE];
        for (float[] row : rows) {
            for (int j = 0; j < SAMPLE; j++) {
                row[j] = (float) (rng.nextDouble() * 4 - 2);
            }
        }
        return rows;
    }

    static Dataset<Row> frame(float[][] rows, int partitions) {
        List<Row> list = new ArrayList<>();
        for (int i = 0; i < rows.length; i++) {
            list.add(RowFactory.create(i, LayersTransformerTest.sparkArray(rows[i])));
        }
        return spark.createDataFrame(jsc.parallelize(list, partitions), SCHEMA);
    }

    static LayersTransformer transformer(Path model) {
        return new LayersTransformer().setModelPath(model.toString()).setInputCol("features").setOutputCol("y")
                .setInputShape(SHAPE).setBatchSize(64).setBackend("cpu");
    }

    /** Every output of the model file run directly (no Spark) on each row alone, by name, flattened per row. */
    static Map<String, float[][]> direct(Path model, float[][] rows) throws IOException {
        Backend be = Backends.get("cpu");
        Map<String, float[][]> out = new LinkedHashMap<>();
        try (Module m = Models.load(model, be)) {
            GraphModule g = assertInstanceOf(GraphModule.class, m);
            for (int i = 0; i < rows.length; i++) {
                try (Tensor x = be.upload(rows[i], Shape.of(1, 3, 8, 8))) {
                    Map<String, Tensor> ys = g.forwardNamed(x);
                    for (Map.Entry<String, Tensor> e : ys.entrySet()) {
                        out.computeIfAbsent(e.getKey(), k -> new float[rows.length][])[i] = e.getValue().toArray();
                        e.getValue().close();
                    }
                }
            }
        }
        return out;
    }

    static void assertScores(float[][] expected, List<Row> out, String what) {
        assertEquals(expected.length, out.size(), what);
        for (int i = 0; i < expected.length; i++) {
            Row r = out.get(i);
            assertEquals(i, r.getInt(0), what + ": row order");
            List<Object> l = r.getList(r.fieldIndex("y"));
            float[] y = new float[l.size()];
            for (int j = 0; j < y.length; j++) {
                y[j] = (Float) l.get(j);
            }
            assertEquals(expected[i].length, y.length, what + ", row " + i);
            for (int j = 0; j < y.length; j++) {
                assertEquals(expected[i][j], y[j], 1e-5 * Math.max(1, Math.abs(expected[i][j])), what + ", row " + i + "[" + j + "]");
            }
        }
    }

    // ---- tests ---------------------------------------------------------------------------------------

    @Test
    void aResNetShapedGraphFileScoresAsItsDirectForward() throws IOException {
        float[][] rows = randomRows(11, 1);
        float[][] expected = direct(resnetFile, rows).get("output");
        assertEquals(4, expected[0].length);
        assertScores(expected, transformer(resnetFile).transform(frame(rows, 3)).collectAsList(), "default output");
        assertScores(expected, transformer(resnetFile).setOutputName("output").transform(frame(rows, 2)).collectAsList(),
                "outputName output");
    }

    @Test
    void outputNameSelectsADictOutputAndTheDefaultIsTheFirst() throws IOException {
        float[][] rows = randomRows(9, 2);
        Map<String, float[][]> expected = direct(segFile, rows);
        assertEquals(List.of("out", "aux"), new ArrayList<>(expected.keySet()));
        LayersTransformer t = transformer(segFile);
        assertNull(t.getOutputName());
        assertScores(expected.get("out"), t.transform(frame(rows, 2)).collectAsList(), "default: the first output");
        for (String name : List.of("out", "aux")) {
            LayersTransformer named = transformer(segFile).setOutputName(name);
            assertEquals(name, named.getOutputName());
            assertScores(expected.get(name), named.transform(frame(rows, 3)).collectAsList(), "outputName " + name);
            // the public Row path too
            assertScores(expected.get(name), named.transformRows(frame(rows, 1), named.transformSchema(SCHEMA))
                    .collectAsList(), "Row path, outputName " + name);
        }
        assertEquals(5 * 64, expected.get("out")[0].length);
        assertEquals(2 * 64, expected.get("aux")[0].length);
    }

    @Test
    void anUnknownOutputNameIsRejectedOnTheDriverListingTheOutputs() {
        LayersTransformer t = transformer(segFile).setOutputName("logits");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.transformSchema(SCHEMA));
        assertEquals("outputName 'logits': the model " + segFile + " has no such output; its outputs are [out, aux]",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.transform(frame(randomRows(2, 3), 1)));
        IllegalArgumentException single = assertThrows(IllegalArgumentException.class,
                () -> transformer(resnetFile).setOutputName("out").transformSchema(SCHEMA));
        assertTrue(single.getMessage().endsWith("its outputs are [output]"), single.getMessage());
        assertThrows(IllegalArgumentException.class, () -> transformer(segFile).setOutputName(" "));
    }

    @Test
    void aNameOnlyTheRunCanRuleOutFailsOnTheExecutorListingTheOutputs() {
        // 'aux.0' could be the first of a tuple that the 'aux' node returns: the driver lets it through
        LayersTransformer t = transformer(segFile).setOutputName("aux.0");
        t.transformSchema(SCHEMA);
        Exception e = assertThrows(Exception.class, () -> t.transform(frame(randomRows(2, 4), 1)).collectAsList());
        String all = LayersTransformerTest.messages(e);
        assertTrue(all.contains("outputName 'aux.0': the model " + segFile + " has no such output; its outputs are"
                + " [out, aux]"), all);
    }

    @Test
    void theHeaderAloneDeclaresTheOutputs() throws IOException {
        assertEquals(List.of("out", "aux"), ModelOutputs.read(segFile).names());
        assertEquals(List.of("output"), ModelOutputs.read(resnetFile).names());
        assertTrue(ModelOutputs.read(resnetFile).accepts("0"), "a node's value may be a tuple at run time");
        assertTrue(!ModelOutputs.read(segFile).accepts("0"));
        assertEquals(Arrays.asList("output"), ModelOutputs.read(SparkTestSession.models()
                .resolve("vgg_bn_model.safetensors")).names(), "a Sequential file");
    }
}
