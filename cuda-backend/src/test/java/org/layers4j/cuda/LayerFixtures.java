package org.layers4j.cuda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.layers4j.spi.PoolGeometry;
import org.layers4j.testing.TestData;

/**
 * The layer fixtures ({@code fixtures/layers/*.safetensors}) with what this module's tests need from
 * their metadata: pooling geometries (PyTorch's output-size rule, ceil mode included, checked against
 * the fixture's own output shape), and the input shapes of the other ops.
 */
final class LayerFixtures {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One fixture's metadata and tensor shapes, from the safetensors header (no tensor data read). */
    record Fixture(String name, Map<String, String> metadata, Map<String, int[]> shapes, Map<String, long[]> offsets,
                   byte[] file, int dataStart) {
        /** A tensor's raw little-endian bytes. */
        ByteBuffer raw(String tensor) {
            long[] o = offsets.get(tensor);
            if (o == null) {
                throw new IllegalArgumentException(name + " has no tensor " + tensor + ": " + offsets.keySet());
            }
            return ByteBuffer.wrap(file, dataStart + (int) o[0], (int) (o[1] - o[0])).slice().order(ByteOrder.LITTLE_ENDIAN);
        }

        float[] floats(String tensor) {
            ByteBuffer b = raw(tensor);
            float[] v = new float[b.remaining() / 4];
            b.asFloatBuffer().get(v);
            return v;
        }

        long[] longs(String tensor) {
            ByteBuffer b = raw(tensor);
            long[] v = new long[b.remaining() / 8];
            b.asLongBuffer().get(v);
            return v;
        }

        String op() {
            return metadata.get("op");
        }

        int[] input() {
            return shapes.get("input");
        }

        int[] output() {
            return shapes.get("output");
        }

        String meta(String key) {
            return metadata.get(key);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private LayerFixtures() {
    }

    static Path dir() {
        return TestData.fixtureDir().resolveSibling("layers");
    }

    static List<Fixture> all() {
        try (Stream<Path> files = Files.list(dir())) {
            List<Fixture> out = new ArrayList<>();
            for (Path f : files.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList()) {
                out.add(header(f));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The safetensors header: 8 bytes little-endian length, then JSON. Read directly because core's
     * reader in this branch takes float32 tensors only, and the batch-norm fixtures hold an int64
     * num_batches_tracked.
     */
    static Fixture header(Path f) throws IOException {
        byte[] all = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode h = JSON.readTree(new String(all, 8, Math.toIntExact(n), StandardCharsets.UTF_8));
        Map<String, String> meta = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        Map<String, long[]> offsets = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                e.getValue().fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
            } else {
                JsonNode shape = e.getValue().get("shape");
                int[] dims = new int[shape.size()];
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = shape.get(i).asInt();
                }
                shapes.put(e.getKey(), dims);
                JsonNode o = e.getValue().get("data_offsets");
                offsets.put(e.getKey(), new long[] {o.get(0).asLong(), o.get(1).asLong()});
            }
        }
        return new Fixture(f.getFileName().toString().replaceFirst("\\.safetensors$", ""), meta, shapes, offsets, all,
                8 + Math.toIntExact(n));
    }

    static List<Fixture> withOp(String... ops) {
        List<String> wanted = List.of(ops);
        return all().stream().filter(f -> wanted.contains(f.op())).toList();
    }

    /** A pair (h, w) from a metadata value: "3", "[2, 3]", or "null" (the fallback). */
    static int[] pair(String value, int[] fallback, boolean oneD) {
        try {
            JsonNode n = JSON.readTree(value);
            if (n == null || n.isNull()) {
                return fallback;
            }
            if (n.isInt()) {
                return oneD ? new int[] {1, n.asInt()} : new int[] {n.asInt(), n.asInt()};
            }
            return oneD ? new int[] {1, n.get(0).asInt()} : new int[] {n.get(0).asInt(), n.get(1).asInt()};
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** PyTorch's pooling output size, ceil mode included (a last window must start inside input or left padding). */
    static int poolOut(int in, int k, int s, int p, int d, boolean ceil) {
        int num = in + 2 * p - d * (k - 1) - 1;
        int out = (ceil ? Math.floorDiv(num + s - 1, s) : Math.floorDiv(num, s)) + 1;
        if (ceil && (out - 1) * s >= in + p) {
            out--;
        }
        return out;
    }

    /** The PoolGeometry core builds for a max / avg pooling fixture (1-D as height 1). */
    static PoolGeometry poolGeometry(Fixture f) {
        boolean oneD = f.op().endsWith("1d");
        int[] in = f.input();
        int n = in[0];
        int c = in[1];
        int h = oneD ? 1 : in[2];
        int w = oneD ? in[2] : in[3];
        int[] k = pair(f.meta("kernel_size"), null, oneD);
        int[] s = pair(f.meta("stride"), k, oneD);
        int[] p = pair(f.meta("padding"), new int[] {0, 0}, oneD);
        if (oneD) {
            p[0] = 0;
        }
        int[] d = f.meta("dilation") == null ? new int[] {1, 1} : pair(f.meta("dilation"), new int[] {1, 1}, oneD);
        if (oneD) {
            d[0] = 1;
        }
        boolean ceil = Boolean.parseBoolean(f.meta("ceil_mode"));
        boolean includePad = f.meta("count_include_pad") == null || Boolean.parseBoolean(f.meta("count_include_pad"));
        String div = f.meta("divisor_override");
        int divisor = div == null || div.trim().equals("null") ? 0 : Integer.parseInt(div.trim());
        int oh = poolOut(h, k[0], s[0], p[0], d[0], ceil);
        int ow = poolOut(w, k[1], s[1], p[1], d[1], ceil);
        return new PoolGeometry(n, c, h, w, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], oh, ow, includePad, divisor);
    }
}
