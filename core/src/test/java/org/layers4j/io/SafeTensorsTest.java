package org.layers4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.testing.TestData;

class SafeTensorsTest {

    @Test
    void writtenFileReadsBackTheSameTensorsAndMetadata() {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("weight", new HostTensor(Shape.of(2, 3), new float[] {1, 2, 3, 4, 5, -6.5f}));
        t.put("bias", new HostTensor(Shape.of(2), new float[] {0.25f, Float.NaN}));
        byte[] bytes = SafeTensors.serialize(t, Map.of("op", "conv1d"));
        SafeTensors.Contents c = SafeTensors.parse(bytes);
        assertEquals(Shape.of(2, 3), c.tensor("weight").shape());
        assertArrayEquals(t.get("weight").data(), c.tensor("weight").data());
        assertArrayEquals(t.get("bias").data(), c.tensor("bias").data());
        assertEquals("conv1d", c.metadata().get("op"));
        assertEquals(0, (bytes.length - 8 - 6 * 4 - 2 * 4) % 8, "header padded to 8 bytes");
    }

    @Test
    void readsAFixtureWrittenByPyTorch() throws Exception {
        SafeTensors.Contents c = SafeTensors.read(TestData.fixtureDir().resolve("seed_groups2_1x1.safetensors"));
        assertEquals("conv2d", c.metadata().get("op"));
        assertEquals(Shape.of(8, 2, 1, 1), c.tensor("weight").shape());
        float[] expected = new float[16];
        for (int i = 0; i < 16; i++) {
            expected[i] = i + 1;
        }
        assertArrayEquals(expected, c.tensor("weight").data());
    }

    @Test
    void unsupportedDtypesAreRejectedNamingTheTensorAndTheSupportedList() {
        String header = "{\"x\":{\"dtype\":\"U16\",\"shape\":[1],\"data_offsets\":[0,2]}}";
        byte[] bytes = file(header, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.parse(bytes));
        assertEquals("tensor 'x' has dtype U16, which is not supported; supported: " + SafeTensors.SUPPORTED, e.getMessage());
    }

    @Test
    void int64TensorsRoundTripAsInt64() {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("w", new HostTensor(Shape.of(3), new float[] {1, 2, 3}));
        t.put("1.num_batches_tracked", HostTensor.ofLongs(Shape.of(), new long[] {Long.MIN_VALUE}));
        t.put("idx", HostTensor.ofLongs(Shape.of(2, 2), new long[] {0, -1, Long.MAX_VALUE, 7}));
        SafeTensors.Contents c = SafeTensors.parse(SafeTensors.serialize(t, Map.of()));
        assertEquals(java.util.List.of("w", "1.num_batches_tracked", "idx"), java.util.List.copyOf(c.tensors().keySet()));
        assertEquals(org.layers4j.DType.INT64, c.tensor("idx").dtype());
        assertEquals(Shape.of(2, 2), c.tensor("idx").shape());
        assertArrayEquals(t.get("idx").longs(), c.tensor("idx").longs());
        assertArrayEquals(new long[] {Long.MIN_VALUE}, c.tensor("1.num_batches_tracked").longs());
        assertEquals(org.layers4j.DType.FLOAT32, c.tensor("w").dtype());
        assertTrue(c.metadata().isEmpty());
    }

    @Test
    void readsASequentialFixtureWithInt64Buffers() throws Exception {
        Path f = TestData.fixtureDir().resolveSibling("layers").resolve("seq_vgg_bn_eval.safetensors");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(f), "no layers fixtures at " + f);
        SafeTensors.Contents c = SafeTensors.read(f);
        assertEquals("sequential", c.metadata().get("op"));
        assertEquals(org.layers4j.DType.INT64, c.tensor("1.num_batches_tracked").dtype());
        assertEquals(Shape.of(), c.tensor("1.num_batches_tracked").shape());
        assertEquals(Shape.of(8, 3, 3, 3), c.tensor("0.weight").shape());
    }

    @Test
    void offsetsOutsideTheFileAreRejected() {
        byte[] bytes = file("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.parse(bytes));
        assertEquals("tensor 'x' has data_offsets [0,16] past the end of the data (8 bytes)", e.getMessage());
    }

    @Test
    void truncatedFileIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.parse(new byte[] {1, 2, 3}));
        assertThrows(java.io.IOException.class, () -> SafeTensors.read(Path.of("no/such/file.safetensors")));
    }

    private static byte[] file(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[8 + h.length + dataBytes];
        java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h);
        Arrays.fill(out, 8 + h.length, out.length, (byte) 0);
        return out;
    }
}
