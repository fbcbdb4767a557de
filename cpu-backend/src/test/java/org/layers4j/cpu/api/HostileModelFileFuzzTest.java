package org.layers4j.cpu.api;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.IntRange;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.graph.Graph;
import org.layers4j.graph.GraphBuilder;
import org.layers4j.graph.GraphModule;
import org.layers4j.graph.Node.Ref;
import org.layers4j.internal.Json;
import org.layers4j.io.LayerSpecs;
import org.layers4j.io.Models;
import org.layers4j.io.SafeTensors;
import org.layers4j.io.StateDicts;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;

/**
 * Issue 25, property-based: a valid model file ({@code sequential} or {@code graph}) made hostile — its
 * architecture mutated (unknown ops; missing, ill-typed, empty, zero, negative and huge arguments, among them
 * 2^31-1 and 10^12, so that specs declare huge layers over the file's small tensors; deeply nested JSON), its
 * header's offsets and shapes changed, its bytes truncated or garbled — loads through {@link Models#load} and
 * runs, or is refused with an IOException / IllegalArgumentException, within a few seconds; never an
 * OutOfMemoryError or another exception. Since shapes are compared with the file's before anything is built,
 * no attempt allocates much more than the file holds (a few KiB).
 */
class HostileModelFileFuzzTest {
    private static final Backend BE = Backends.get("cpu");
    private static final long LIMIT_NANOS = 5_000_000_000L;
    private static final List<Object> POOL = List.of("relu", "conv2d", "linear", "batchnorm2d", "embedding",
            "upsample", "sequential", "conv3d", "transformer", "", "module", "call_module", "x", 0L, 1L, -1L, 2L, 3L,
            -2147483648L, 2147483647L, 1_000_000_000_000L, 46000L, 65536L, 0.5, -1.0, 1e12, 1e308, Double.NaN, true,
            false, List.of(), List.of(0L), List.of(-1L, 2L), List.of(2147483647L, 2147483647L),
            List.of(1_000_000_000_000L), List.of(46000L, 46000L), Map.of(), Map.of("node", "x"),
            Map.of("op", "linear", "in_features", 46000L, "out_features", 46000L),
            Map.of("op", "embedding", "num_embeddings", 100000L, "embedding_dim", 100000L),
            Map.of("op", "batchnorm2d", "num_features", 2147483647L),
            Map.of("op", "adaptiveavgpool1d", "output_size", List.of()));

    private static final byte[] SEQUENTIAL = sequentialFile();
    private static final byte[] GRAPH = graphFile();

    private static byte[] sequentialFile() {
        String spec = "{\"op\": \"sequential\", \"layers\": ["
                + "{\"op\": \"conv2d\", \"in_channels\": 3, \"out_channels\": 4, \"kernel_size\": 3, \"padding\": 1},"
                + "{\"op\": \"batchnorm2d\", \"num_features\": 4}, {\"op\": \"relu\"},"
                + "{\"op\": \"maxpool2d\", \"kernel_size\": 2}, {\"op\": \"upsample\", \"scale_factor\": 2.0},"
                + "{\"op\": \"adaptiveavgpool2d\", \"output_size\": [2, 2]}, {\"op\": \"flatten\"},"
                + "{\"op\": \"linear\", \"in_features\": 16, \"out_features\": 5}, {\"op\": \"layernorm\","
                + " \"normalized_shape\": [5]}, {\"op\": \"softmax\", \"dim\": 1}]}";
        try (Module m = LayerSpecs.build(spec, BE)) {
            return SafeTensors.serialize(StateDicts.of(m), Models.metadata(m));
        }
    }

    private static byte[] graphFile() {
        GraphBuilder g = new GraphBuilder();
        Ref x = g.input("x");
        Ref c = g.callModule("conv", x);
        Ref b = g.callModule("body.bn", c);
        Ref s = g.attr("body.scale");
        Ref m = g.call("mul", b, s);
        Ref r = g.call("relu", m);
        Ref f = g.call("flatten", r, 1);
        g.output(g.callModule("fc", f));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        modules.put("conv", Map.of("op", "conv2d", "in_channels", 3L, "out_channels", 4L, "kernel_size", List.of(3L, 3L),
                "padding", List.of(1L, 1L)));
        modules.put("body", Map.of("op", Graph.CONTAINER, "parameters", Map.of("scale", List.of(4L, 1L, 1L))));
        modules.put("body.bn", Map.of("op", "batchnorm2d", "num_features", 4L));
        modules.put("fc", Map.of("op", "linear", "in_features", 256L, "out_features", 3L));
        try (GraphModule model = new GraphModule(g.build(modules), BE)) {
            return SafeTensors.serialize(StateDicts.of(model), Models.metadata(model));
        }
    }

    @Property(tries = 300)
    void aHostileSequentialFileRunsOrIsRefusedQuickly(@ForAll long seed, @ForAll @IntRange(min = 1, max = 4) int mutations)
            throws IOException {
        check(SEQUENTIAL, "layers", seed, mutations);
    }

    @Property(tries = 300)
    void aHostileGraphFileRunsOrIsRefusedQuickly(@ForAll long seed, @ForAll @IntRange(min = 1, max = 4) int mutations)
            throws IOException {
        check(GRAPH, "graph", seed, mutations);
    }

    @Property(tries = 1)
    void theUnmutatedFilesLoadAndRun() throws IOException {
        for (byte[] valid : List.of(SEQUENTIAL, GRAPH)) {
            Path file = Files.createTempFile("valid", ".safetensors");
            try {
                Files.write(file, valid);
                try (Module m = Models.load(file, BE); Tensor in = BE.upload(new float[2 * 3 * 8 * 8], Shape.of(2, 3, 8, 8))) {
                    m.forward(in).close();
                }
            } finally {
                Files.deleteIfExists(file);
            }
        }
    }

    private static void check(byte[] valid, String key, long seed, int mutations) throws IOException {
        SplittableRandom rng = new SplittableRandom(seed);
        byte[] hostile = hostile(valid, key, rng, mutations);
        Path file = Files.createTempFile("hostile", ".safetensors");
        String what = "seed " + seed + ", " + mutations + " mutation(s)";
        long t0 = System.nanoTime();
        try {
            Files.write(file, hostile);
            Module m;
            try {
                m = Models.load(file, BE);
            } catch (IOException | IllegalArgumentException e) {
                if (e.getMessage() == null || e.getMessage().isBlank()) {
                    fail("refused without a message: " + what, e);
                }
                Statistics.collect("refused on loading");
                return;
            } catch (RuntimeException | Error e) {
                throw new AssertionError("loading threw " + e + " (" + what + ")", e);
            }
            try (m; Tensor in = BE.upload(new float[2 * 3 * 8 * 8], Shape.of(2, 3, 8, 8))) {
                m.forward(in).close();
                Statistics.collect("ran");
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                Statistics.collect("loaded, refused the input");
                return; // a model that loads but does not take this input (or runs an op it does not support)
            } catch (RuntimeException | Error e) {
                throw new AssertionError("running threw " + e + " (" + what + ")", e);
            }
        } finally {
            Files.deleteIfExists(file);
            assertTrue(System.nanoTime() - t0 < LIMIT_NANOS, "took " + (System.nanoTime() - t0) / 1_000_000 + " ms: " + what);
        }
    }

    /** The valid file with {@code mutations} random changes: to its architecture, its header or its bytes. */
    static byte[] hostile(byte[] valid, String key, SplittableRandom rng, int mutations) {
        byte[] bytes = valid;
        for (int i = 0; i < mutations; i++) {
            int kind = rng.nextInt(10);
            if (kind < 6) {
                bytes = mutateArchitecture(bytes, key, rng);
            } else if (kind < 8) {
                bytes = mutateHeader(bytes, rng);
            } else {
                bytes = mutateBytes(bytes, rng);
            }
        }
        return bytes;
    }

    private static byte[] mutateArchitecture(byte[] bytes, String key, SplittableRandom rng) {
        SafeTensors.Contents c;
        try {
            c = SafeTensors.parse(bytes);
        } catch (IllegalArgumentException e) {
            return bytes; // already broken: leave it so
        }
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        String text = meta.get(key);
        if (text == null) {
            return bytes;
        }
        if (rng.nextInt(12) == 0) {
            // deep nesting, in place of one value
            int depth = 100 + rng.nextInt(20_000);
            text = "[" + "[".repeat(depth) + "]".repeat(depth) + "," + text + "]";
        } else {
            try {
                Object root = Json.parse(text);
                text = Json.write(rng.nextBoolean() ? mutate(root, rng) : mutateLayerArgument(root, rng));
            } catch (IllegalArgumentException e) {
                return bytes; // not JSON (any more): leave it so
            }
        }
        meta.put(key, text);
        return SafeTensors.serialize(c.tensors(), meta);
    }

    /** Rewrites the JSON header: a tensor's data_offsets, shape or dtype changed. */
    @SuppressWarnings("unchecked")
    private static byte[] mutateHeader(byte[] bytes, SplittableRandom rng) {
        if (bytes.length < 8) {
            return bytes;
        }
        long n = java.nio.ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 2 || n > bytes.length - 8) {
            return bytes;
        }
        Map<String, Object> header;
        try {
            header = Json.parseObject(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            return bytes;
        }
        List<String> names = new ArrayList<>(header.keySet());
        names.remove("__metadata__");
        if (names.isEmpty()) {
            return bytes;
        }
        String name = names.get(rng.nextInt(names.size()));
        if (!(header.get(name) instanceof Map<?, ?> entry)) {
            return bytes;
        }
        Map<String, Object> e = new LinkedHashMap<>((Map<String, Object>) entry);
        String field = List.of("data_offsets", "shape", "dtype").get(rng.nextInt(3));
        e.put(field, switch (field) {
            case "data_offsets" -> List.of(pick(rng), pick(rng));
            case "shape" -> rng.nextBoolean() ? List.of(pick(rng)) : List.of(pick(rng), pick(rng));
            default -> List.of("F32", "F16", "BF16", "I64", "I8", "F64", "U8", "bogus").get(rng.nextInt(8));
        });
        header.put(name, e);
        byte[] h = Json.write(header).getBytes(StandardCharsets.UTF_8);
        byte[] data = java.util.Arrays.copyOfRange(bytes, 8 + (int) n, bytes.length);
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(8 + h.length + data.length)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h).put(data);
        return out.array();
    }

    private static long pick(SplittableRandom rng) {
        long[] v = {0, 1, 3, 4, 16, 64, 4095, 4096, -1, 2147483647L, 1_000_000_000_000L, Long.MAX_VALUE};
        return v[rng.nextInt(v.length)];
    }

    private static byte[] mutateBytes(byte[] bytes, SplittableRandom rng) {
        if (bytes.length == 0) {
            return bytes;
        }
        if (rng.nextBoolean()) {
            return java.util.Arrays.copyOf(bytes, rng.nextInt(bytes.length)); // truncated
        }
        byte[] b = bytes.clone();
        int flips = 1 + rng.nextInt(8);
        for (int i = 0; i < flips; i++) {
            // mostly in the 8-byte length and the header, where a garbled byte matters most
            int at = rng.nextInt(4) == 0 ? rng.nextInt(b.length) : rng.nextInt(Math.min(b.length, 600));
            b[at] = (byte) rng.nextInt(256);
        }
        return b;
    }

    /** One argument of one layer spec (a sequential's layer, a graph's module) set to a hostile value. */
    @SuppressWarnings("unchecked")
    private static Object mutateLayerArgument(Object root, SplittableRandom rng) {
        Object specs = root instanceof Map<?, ?> g ? g.get("modules") : root;
        List<Object> holders = specs instanceof Map<?, ?> m ? new ArrayList<>(m.values())
                : specs instanceof List<?> l ? new ArrayList<>(l) : List.of();
        if (holders.isEmpty() || !(holders.get(rng.nextInt(holders.size())) instanceof Map<?, ?> chosen) || chosen.isEmpty()) {
            return mutate(root, rng);
        }
        Map<String, Object> spec = (Map<String, Object>) chosen;
        List<String> keys = new ArrayList<>(spec.keySet());
        String k = keys.get(rng.nextInt(keys.size()));
        Object v = spec.get(k);
        Object hostile = v instanceof Long n && rng.nextBoolean() ? (Object) (n * (rng.nextBoolean() ? 46000L : -1L))
                : POOL.get(rng.nextInt(POOL.size()));
        Map<String, Object> changed = new LinkedHashMap<>(spec);
        changed.put(k, hostile);
        return replace(root, spec, changed);
    }

    /** {@code root} with the object {@code from} (by identity) replaced by {@code to}. */
    @SuppressWarnings("unchecked")
    private static Object replace(Object root, Object from, Object to) {
        if (root == from) {
            return to;
        }
        if (root instanceof Map<?, ?> m) {
            Map<String, Object> copy = new LinkedHashMap<>();
            ((Map<String, Object>) m).forEach((k, v) -> copy.put(k, replace(v, from, to)));
            return copy;
        }
        if (root instanceof List<?> l) {
            List<Object> copy = new ArrayList<>();
            l.forEach(v -> copy.add(replace(v, from, to)));
            return copy;
        }
        return root;
    }

    /** One random change somewhere in the JSON tree. */
    @SuppressWarnings("unchecked")
    private static Object mutate(Object v, SplittableRandom rng) {
        if (v instanceof Map<?, ?> m && !m.isEmpty() && rng.nextInt(5) != 0) {
            Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) m);
            List<String> keys = new ArrayList<>(copy.keySet());
            String k = keys.get(rng.nextInt(keys.size()));
            switch (rng.nextInt(8)) {
                case 0 -> copy.remove(k);
                case 1 -> copy.put("bogus_arg", POOL.get(rng.nextInt(POOL.size())));
                default -> copy.put(k, mutate(copy.get(k), rng));
            }
            return copy;
        }
        if (v instanceof List<?> l && !l.isEmpty() && rng.nextInt(5) != 0) {
            return JsonMutation.list(l, rng, HostileModelFileFuzzTest::mutate);
        }
        if (v instanceof Long || v instanceof Double) {
            // a size scaled up: a layer declared far larger than its tensors
            return rng.nextBoolean() ? POOL.get(rng.nextInt(POOL.size())) : (Object) (((Number) v).longValue() * 46000L);
        }
        return POOL.get(rng.nextInt(POOL.size()));
    }
}
