package org.layers4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.graph.GraphBuilder;
import org.layers4j.graph.GraphModule;
import org.layers4j.graph.Node;
import org.layers4j.graph.Node.Ref;
import org.layers4j.io.HostTensor;
import org.layers4j.io.Models;
import org.layers4j.io.SafeTensors;
import org.layers4j.spi.Backend;

/** {@code run} and {@code bench --model} on graph model files, a segmentation-shaped one with a dict output. */
class GraphModelCliTest {

    /** A conv2d layer spec as the model format writes it (integers as longs, as JSON parses them). */
    private static Map<String, Object> conv(int in, int out, int k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", "conv2d");
        m.put("in_channels", (long) in);
        m.put("out_channels", (long) out);
        m.put("kernel_size", List.of((long) k, (long) k));
        m.put("stride", List.of(1L, 1L));
        m.put("padding", List.of((long) k / 2, (long) k / 2));
        m.put("dilation", List.of(1L, 1L));
        m.put("groups", 1L);
        m.put("bias", true);
        m.put("padding_mode", "zeros");
        return m;
    }

    /** x [N, 3, H, W] -> conv 3x3 -> relu -> {"out": conv 1x1 (5 classes), "aux": conv 1x1 (5 classes)}. */
    static Path segmentationGraph(Path dir) throws IOException {
        GraphBuilder g = new GraphBuilder();
        Ref x = g.input("x");
        Ref h = g.call("relu", g.callModule("backbone", x));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("out", g.callModule("classifier", h));
        out.put("aux", g.callModule("aux_classifier", h));
        g.output(new Node.Dict(out));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        modules.put("backbone", conv(3, 4, 3));
        modules.put("classifier", conv(4, 5, 1));
        modules.put("aux_classifier", conv(4, 5, 1));
        Path file = dir.resolve("seg.safetensors");
        try (GraphModule m = new GraphModule(g.build(modules), Backends.get("cpu"))) {
            Models.save(m, file);
        }
        return file;
    }

    @Test
    void runPrintsAndWritesEachOutputOfADictGraphByKey(@TempDir Path dir) throws IOException {
        Path model = segmentationGraph(dir);
        float[] x = new float[1 * 3 * 4 * 4];
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextDouble(-1, 1);
        }
        Path input = dir.resolve("in.safetensors");
        SafeTensors.write(input, Map.of("input", new HostTensor(Shape.of(1, 3, 4, 4), x)), Map.of("format", "pt"));
        Path output = dir.resolve("out.safetensors");
        CliTestSupport.Run r = CliTestSupport.run("run", "--backend", "cpu", model.toString(), input.toString(),
                "--output", output.toString());
        assertEquals(0, r.exitCode(), r.err());
        List<String> keys = r.out().lines().filter(l -> l.endsWith(":") && !l.startsWith(" ")).toList();
        assertEquals(List.of("out:", "aux:"), keys, r.out());
        assertEquals(2, r.out().lines().filter(l -> l.startsWith("tensor(")).count(), r.out());
        Map<String, HostTensor> written = SafeTensors.read(output).tensors();
        assertEquals(List.of("aux", "out"), new ArrayList<>(new java.util.TreeMap<>(written).keySet()));
        Backend be = Backends.get("cpu");
        try (org.layers4j.nn.Module m = Models.load(model, be); Tensor in = be.upload(x, Shape.of(1, 3, 4, 4))) {
            m.eval();
            Map<String, Tensor> ys = ((GraphModule) m).forwardNamed(in);
            try {
                for (String k : List.of("out", "aux")) {
                    assertEquals(Shape.of(1, 5, 4, 4), written.get(k).shape(), k);
                    assertArrayEquals(ys.get(k).toArray(), written.get(k).data(), k);
                }
            } finally {
                ys.values().forEach(Tensor::close);
            }
        }
    }

    private static final Pattern PEAK = Pattern.compile(
            "seg\\.safetensors +[0-9.]+ ms   peak tensor memory ([0-9.]+) MiB \\(([0-9.]+) MiB live before the runs\\)"
            + "   JVM heap peak ([0-9.]+) MiB");

    @Test
    void benchOnAGraphFileNamesTheOutputsAndReportsPeakMemory(@TempDir Path dir) throws IOException {
        Path model = segmentationGraph(dir);
        Path json = dir.resolve("bench.json");
        CliTestSupport.Run r = CliTestSupport.run("bench", "--backend", "cpu", "--threads", "1", "--model",
                model.toString(), "--input-shape", "2,3,8,8", "--reps", "2", "--warmup", "1", "--warmup-seconds", "0",
                "--json", json.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("outputs: out [2, 5, 8, 8], aux [2, 5, 8, 8]\n"), r.out());
        Matcher m = PEAK.matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Double.parseDouble(m.group(1)) > 0, r.out());
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals("forward", root.path("mode").asText());
        assertEquals("[2,5,8,8]", root.path("outputs").path("aux").toString());
        long peak = root.path("peak_tensor_bytes").asLong();
        long before = root.path("live_tensor_bytes_before").asLong();
        // the input [2, 3, 8, 8] and the weights are live throughout, then the activations and both outputs
        long weights = 4L * (4 * 3 * 9 + 4 + 2 * (5 * 4 + 5));
        assertTrue(before >= weights + 4L * 2 * 3 * 8 * 8, root.toString());
        assertTrue(peak >= before + 2 * 4L * 2 * 5 * 8 * 8, root.toString());
        assertTrue(root.path("jvm_heap_peak_bytes").asLong() > 0, root.toString());
        assertTrue(root.path("median_ms").asDouble() > 0, root.toString());
    }

    @Test
    void profileChargesEveryNodeOfTheCompiledGraph(@TempDir Path dir) throws IOException {
        Path model = segmentationGraph(dir);
        CliTestSupport.Run r = CliTestSupport.run("bench", "--backend", "cpu", "--threads", "1", "--model",
                model.toString(), "--input-shape", "1,3,8,8", "--reps", "1", "--warmup", "0", "--warmup-seconds", "0",
                "--profile", "3");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("per node (the compiled graph, "), r.out());
        assertTrue(r.out().contains(" 3 observed forwards"), r.out());
        // the convolutions run fused (the ReLU as the backbone's outputs are stored): no ReLU node is left
        assertTrue(r.out().matches("(?s).*per op:\n.*  fused_conv +3 nodes +[0-9.]+ ms.*"), r.out());
        assertFalse(r.out().contains(" ReLU "), r.out());
        // --profile-nodes: the table lists only that many nodes, the per-op totals still every node
        CliTestSupport.Run one = CliTestSupport.run("bench", "--backend", "cpu", "--threads", "1", "--model",
                model.toString(), "--input-shape", "1,3,8,8", "--reps", "1", "--warmup", "0", "--warmup-seconds", "0",
                "--profile", "2", "--profile-nodes", "1");
        assertEquals(0, one.exitCode(), one.err());
        String table = one.out().substring(one.out().indexOf("per node"), one.out().indexOf("per op:"));
        assertEquals(3, table.split("\n").length, table); // the heading, the column names, one node
        assertTrue(one.out().matches("(?s).*per op:\n.*  fused_conv +3 nodes +[0-9.]+ ms.*"), one.out());
    }

    @Test
    void benchTimesTheGivenInputAndWritesTheSameOutputsAsRun(@TempDir Path dir) throws IOException {
        Path model = segmentationGraph(dir);
        float[] x = new float[2 * 3 * 5 * 5];
        SplittableRandom rng = new SplittableRandom(4);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextDouble(-1, 1);
        }
        Path input = dir.resolve("in.safetensors");
        SafeTensors.write(input, Map.of("input", new HostTensor(Shape.of(2, 3, 5, 5), x)), Map.of("format", "pt"));
        Path benchOut = dir.resolve("bench-out.safetensors");
        Path json = dir.resolve("bench.json");
        CliTestSupport.Run r = CliTestSupport.run("bench", "--backend", "cpu", "--threads", "1", "--model",
                model.toString(), "--input", input.toString(), "--output", benchOut.toString(), "--reps", "1",
                "--warmup", "0", "--warmup-seconds", "0", "--json", json.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("input [2, 3, 5, 5]"), r.out());
        assertEquals("[2,3,5,5]", new ObjectMapper().readTree(json.toFile()).path("input_shape").toString());
        Path runOut = dir.resolve("run-out.safetensors");
        assertEquals(0, CliTestSupport.run("run", "--backend", "cpu", model.toString(), input.toString(), "--output",
                runOut.toString()).exitCode());
        Map<String, HostTensor> a = SafeTensors.read(benchOut).tensors();
        Map<String, HostTensor> b = SafeTensors.read(runOut).tensors();
        assertEquals(b.keySet(), a.keySet());
        for (String k : b.keySet()) {
            assertArrayEquals(b.get(k).data(), a.get(k).data(), k);
        }
        CliTestSupport.Run both = CliTestSupport.run("bench", "--backend", "cpu", "--model", model.toString(),
                "--input", input.toString(), "--input-shape", "2,3,5,5");
        assertEquals(ExitCodes.USAGE, both.exitCode(), both.err());
        assertTrue(both.err().contains("--input and --input-shape cannot be combined"), both.err());
    }

    @Test
    void benchTrainsASegmentationOutputOnPerPixelTargetsAndBackwardWorks(@TempDir Path dir) throws IOException {
        Path model = segmentationGraph(dir);
        for (String mode : List.of("--train", "--backward")) {
            CliTestSupport.Run r = CliTestSupport.run("bench", "--backend", "cpu", "--threads", "1", "--model",
                    model.toString(), "--input-shape", "2,3,8,8", "--reps", "1", "--warmup", "1", "--warmup-seconds", "0",
                    mode);
            assertEquals(0, r.exitCode(), mode + ": " + r.err());
            assertTrue(r.out().contains("outputs: out [2, 5, 8, 8], aux [2, 5, 8, 8] (out "
                    + (mode.equals("--train") ? "trained on" : "differentiated") + ")"), r.out());
            assertTrue(PEAK.matcher(r.out()).find(), r.out());
        }
    }

    @Test
    void trainingOnAnOutputWithoutAClassDimensionIsAUsageErrorNamingItsShape(@TempDir Path dir) throws IOException {
        GraphBuilder g = new GraphBuilder();
        g.output(g.call("view", g.input("x"), -1));
        Path model = dir.resolve("flat.safetensors");
        try (GraphModule m = new GraphModule(g.build(Map.of()), Backends.get("cpu"))) {
            Models.save(m, model);
        }
        CliTestSupport.Run r = CliTestSupport.run("bench", "--backend", "cpu", "--model", model.toString(),
                "--input-shape", "2,3,4,4", "--reps", "1", "--train");
        assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
        assertTrue(r.err().contains("--train needs a first output [N, C] or [N, C, H, W] for cross-entropy, but the"
                + " model's output 'output' is [96]"), r.err());
    }

    @Test
    void anInputShapeTheModelCannotTakeIsAUsageErrorBeforeTiming(@TempDir Path dir) throws IOException {
        Path model = segmentationGraph(dir);
        CliTestSupport.Run r = CliTestSupport.run("bench", "--backend", "cpu", "--model", model.toString(),
                "--input-shape", "2,1,8,8", "--reps", "1");
        assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
        assertTrue(r.err().contains("--input-shape 2,1,8,8 (rank 4) does not fit the model: node 'backbone'"), r.err());
        assertTrue(r.err().contains("to have 3 channels, but got 1 channels instead"), r.err());
        assertTrue(!r.out().contains("ms"), "nothing was timed: " + r.out());
        CliTestSupport.Run rank = CliTestSupport.run("bench", "--backend", "cpu", "--model", model.toString(),
                "--input-shape", "2,3", "--reps", "1");
        assertEquals(ExitCodes.USAGE, rank.exitCode(), rank.err());
        assertTrue(rank.err().contains("--input-shape 2,3 (rank 2) does not fit the model"), rank.err());
    }
}
