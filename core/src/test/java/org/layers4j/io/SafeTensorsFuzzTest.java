package org.layers4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.layers4j.Shape;

/**
 * Issue 10, property-based: the safetensors reader on random, mutated and adversarially built byte
 * strings. The only outcomes allowed are a result that is right (every F32 value as the bytes say) or
 * the documented exception — IllegalArgumentException from {@link SafeTensors#parse}, IOException
 * from {@link SafeTensors#read} — never another exception or an OutOfMemoryError.
 */
class SafeTensorsFuzzTest {

    /** parse and read agree: both succeed with the same tensors, or both fail the documented way. */
    private static SafeTensors.Contents check(byte[] bytes) {
        SafeTensors.Contents parsed = null;
        String parseError = null;
        try {
            parsed = SafeTensors.parse(bytes);
        } catch (IllegalArgumentException e) {
            parseError = e.getMessage();
        }
        Path f = null;
        try {
            f = Files.createTempFile("fuzz", ".safetensors");
            Files.write(f, bytes);
            SafeTensors.Contents read = SafeTensors.read(f);
            assertEquals(null, parseError, "read accepted what parse rejected");
            assertEquals(parsed.tensors().keySet(), read.tensors().keySet());
            parsed.tensors().forEach((k, t) -> {
                HostTensor r = read.tensors().get(k);
                assertEquals(t.shape(), r.shape());
                assertEquals(t.dtype(), r.dtype());
                if (t.dtype() == org.layers4j.DType.FLOAT32) {
                    assertArrayEquals(t.floats(), r.floats());
                } else {
                    assertArrayEquals(t.asLongs(), r.asLongs());
                }
            });
        } catch (IOException e) {
            assertEquals(true, parseError != null, "read failed where parse succeeded: " + e.getMessage());
        } finally {
            if (f != null) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // temp file
                }
            }
        }
        return parsed;
    }

    @Property(tries = 300)
    void randomBytes(@ForAll @Size(max = 96) byte[] bytes) {
        check(bytes);
    }

    @Property(tries = 300)
    void randomBytesBehindAPlausibleHeaderLength(@ForAll @Size(max = 80) byte[] tail, @ForAll("lengths") long length) {
        ByteBuffer b = ByteBuffer.allocate(8 + tail.length).order(ByteOrder.LITTLE_ENDIAN).putLong(length).put(tail);
        check(b.array());
    }

    @Provide
    Arbitrary<Long> lengths() {
        return Arbitraries.oneOf(Arbitraries.longs().between(0, 100), Arbitraries.of(-1L, Long.MAX_VALUE,
                Long.MIN_VALUE, 1L << 31, 1L << 32, 100_000_001L));
    }

    private static final String[] DTYPES = {"\"F32\"", "\"F16\"", "\"BF16\"", "\"F64\"", "\"I64\"", "\"I32\"",
        "\"I16\"", "\"I8\"", "\"U8\"", "\"BOOL\"", "\"F8_E4M3\"", "\"f32\"", "1", "null"};
    private static final String[] DIMS = {"0", "1", "2", "3", "4294967297", "-1", "1.5", "\"2\"", "2147483647",
        "65536", "1e3", "true"};

    /** One adversarial header entry: [json, byte length it claims when well-formed (or -1)]. */
    @Provide
    Arbitrary<List<String[]>> entries() {
        Arbitrary<String> dtype = Arbitraries.of(DTYPES);
        Arbitrary<List<String>> shape = Arbitraries.of(DIMS).list().ofMaxSize(3);
        Arbitrary<Integer> offsetKind = Arbitraries.integers().between(0, 9);
        Arbitrary<Boolean> missing = Arbitraries.integers().between(0, 15).map(i -> i == 0);
        return Combinators.combine(dtype, shape, offsetKind, missing).as((d, s, k, m) -> new String[] {d,
                String.join(",", s), Integer.toString(k), Boolean.toString(m)}).list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 400)
    void adversarialHeaders(@ForAll("entries") List<String[]> entries, @ForAll @Size(max = 64) byte[] data,
                            @ForAll boolean metadataString) {
        StringBuilder h = new StringBuilder("{");
        if (metadataString) {
            h.append("\"__metadata__\":{\"format\":\"pt\"},");
        } else {
            h.append("\"__metadata__\":{\"n\":1},");
        }
        long at = 0;
        for (int i = 0; i < entries.size(); i++) {
            String[] e = entries.get(i);
            long count = 1;
            boolean numeric = true;
            for (String d : e[1].isEmpty() ? new String[0] : e[1].split(",")) {
                try {
                    count *= Long.parseLong(d);
                } catch (NumberFormatException ex) {
                    numeric = false;
                }
            }
            int size = switch (e[0]) {
                case "\"F64\"", "\"I64\"" -> 8;
                case "\"F32\"", "\"I32\"" -> 4;
                case "\"F16\"", "\"BF16\"", "\"I16\"" -> 2;
                default -> 1;
            };
            long bytes = numeric ? count * size : 3;
            String offsets = switch (Integer.parseInt(e[2])) {
                case 0, 1, 2, 3 -> "[" + at + "," + (at + bytes) + "]";
                case 4 -> "[" + at + "," + (at + bytes + 1) + "]";
                case 5 -> "[0," + bytes + "]";
                case 6 -> "[" + at + ".0," + (at + bytes) + "]";
                case 7 -> "[\"" + at + "\"," + (at + bytes) + "]";
                case 8 -> "[" + (at + bytes) + "," + at + "]";
                default -> "[" + at + "," + Long.MAX_VALUE + "]";
            };
            at += Math.max(0, bytes);
            h.append(i > 0 ? "," : "").append("\"t").append(i).append("\":{\"dtype\":").append(e[0]);
            if (!Boolean.parseBoolean(e[3])) {
                h.append(",\"shape\":[").append(e[1]).append("]");
            }
            h.append(",\"data_offsets\":").append(offsets).append("}");
        }
        h.append("}");
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        // data: exactly what the well-formed offsets claim when that is small, else the random bytes
        byte[] payload = at >= 0 && at <= 4096 ? new byte[(int) at] : data;
        for (int i = 0; i < Math.min(payload.length, data.length); i++) {
            payload[i] = (byte) (data[i] & 1); // 0 / 1: valid BOOL bytes, small numbers otherwise
        }
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header).put(payload);
        check(b.array());
    }

    @Property(tries = 200)
    void validFilesRoundTripAndTheirMutationsAreCaughtOrHarmless(@ForAll @Size(min = 1, max = 3) List<@Size(max = 20) float[]> values,
                                                                @ForAll int position, @ForAll byte replacement) {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < values.size(); i++) {
            tensors.put("w" + i, new HostTensor(Shape.of(values.get(i).length), values.get(i)));
        }
        byte[] bytes = SafeTensors.serialize(tensors, Map.of("format", "pt"));
        SafeTensors.Contents c = check(bytes);
        for (int i = 0; i < values.size(); i++) {
            assertArrayEquals(values.get(i), c.tensor("w" + i).floats());
        }
        byte[] mutated = bytes.clone();
        int at = Math.floorMod(position, mutated.length);
        mutated[at] = replacement;
        SafeTensors.Contents m = check(mutated);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (m != null && at >= 8 + headerLength) {
            // a data byte changed: the file is still valid, and exactly the float holding that byte changed
            List<Float> before = new ArrayList<>();
            List<Float> after = new ArrayList<>();
            for (int i = 0; i < values.size(); i++) {
                for (float f : c.tensor("w" + i).floats()) {
                    before.add(f);
                }
                for (float f : m.tensor("w" + i).floats()) {
                    after.add(f);
                }
            }
            int index = (int) ((at - 8 - headerLength) / 4);
            ByteBuffer d = ByteBuffer.wrap(mutated).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(Float.floatToRawIntBits(d.getFloat((int) (8 + headerLength) + 4 * index)),
                    Float.floatToRawIntBits(after.get(index)));
            for (int i = 0; i < before.size(); i++) {
                if (i != index) {
                    assertEquals(Float.floatToRawIntBits(before.get(i)), Float.floatToRawIntBits(after.get(i)));
                }
            }
        }
    }
}
