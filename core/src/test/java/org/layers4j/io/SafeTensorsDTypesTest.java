package org.layers4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layers4j.DType;
import org.layers4j.Shape;

/** Reading every supported dtype, and the exactness of the F16 / BF16 / F64 conversions. */
class SafeTensorsDTypesTest {

    /** A file holding one tensor {@code x} of the given dtype and shape with these raw little-endian bytes. */
    static byte[] single(String dtype, String shape, byte[] data) {
        String header = "{\"x\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[0," + data.length + "]},"
                + "\"__metadata__\":{\"format\":\"pt\"}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).put(data).array();
    }

    static ByteBuffer le(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] shorts(int... v) {
        ByteBuffer b = le(2 * v.length);
        for (int x : v) {
            b.putShort((short) x);
        }
        return b.array();
    }

    /** Reads {@code x} back, then writes and re-reads it, checking the written file holds the same values. */
    private static HostTensor readAndRoundTrip(byte[] file, DType expected) {
        SafeTensors.Contents c = SafeTensors.parse(file);
        HostTensor x = c.tensor("x");
        assertEquals(expected, x.dtype());
        assertEquals("pt", c.metadata().get("format"));
        HostTensor again = SafeTensors.parse(SafeTensors.serialize(c.tensors(), c.metadata())).tensor("x");
        assertEquals(x.shape(), again.shape());
        assertEquals(expected, again.dtype());
        if (expected == DType.FLOAT32) {
            assertArrayEquals(rawBits(x.data()), rawBits(again.data()), "F32 written bit-exact");
        } else {
            assertArrayEquals(x.longs(), again.longs());
        }
        return x;
    }

    private static int[] rawBits(float[] f) {
        int[] b = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            b[i] = Float.floatToRawIntBits(f[i]);
        }
        return b;
    }

    @Test
    void f16KnownValuesConvertExactly() {
        // 1.0, -2.5, 65504 (largest half), 2^-14 (smallest normal), 1023 * 2^-24 (largest subnormal, ~6.1e-5),
        // 2^-24 (smallest subnormal), -0, +inf, -inf, NaN
        byte[] f = single("F16", "[2,5]", shorts(0x3C00, 0xC100, 0x7BFF, 0x0400, 0x03FF, 0x0001, 0x8000, 0x7C00, 0xFC00, 0x7E00));
        HostTensor x = readAndRoundTrip(f, DType.FLOAT32);
        assertEquals(Shape.of(2, 5), x.shape());
        float[] expected = {1.0f, -2.5f, 65504f, 6.1035156e-5f, 6.097555e-5f, 5.9604645e-8f, -0.0f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        assertEquals(Float.floatToRawIntBits((float) Math.scalb(1023.0, -24)), Float.floatToRawIntBits(expected[4]));
        assertEquals(Float.floatToRawIntBits((float) Math.scalb(1.0, -24)), Float.floatToRawIntBits(expected[5]));
        for (int i = 0; i < 9; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(x.data()[i]), "element " + i);
        }
        assertTrue(Float.isNaN(x.data()[9]));
        assertEquals(0x7FC00000, Float.floatToRawIntBits(x.data()[9]), "quiet NaN keeps its payload bit");
    }

    @Test
    void everyF16ValueMatchesTheBinary16Formula() {
        for (int h = 0; h < 0x10000; h++) {
            int sign = h >>> 15;
            int exp = (h >>> 10) & 0x1f;
            int mant = h & 0x3ff;
            float got = SafeTensors.halfToFloat((short) h);
            if (exp == 0x1f && mant != 0) {
                assertTrue(Float.isNaN(got), Integer.toHexString(h));
                assertEquals((sign << 31) | 0x7f800000 | (mant << 13), Float.floatToRawIntBits(got), Integer.toHexString(h));
                continue;
            }
            double magnitude = exp == 0x1f ? Double.POSITIVE_INFINITY
                    : exp == 0 ? mant * Math.pow(2, -24) : (1024 + mant) * Math.pow(2, exp - 25);
            float expected = (float) (sign == 1 ? -magnitude : magnitude);
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(got), Integer.toHexString(h));
        }
    }

    @Test
    void bf16IsTheUpperHalfOfAFloat32() {
        // 1.0, -2.5, largest finite bf16, smallest subnormal bf16 (2^-133), +inf, NaN
        byte[] f = single("BF16", "[6]", shorts(0x3F80, 0xC020, 0x7F7F, 0x0001, 0x7F80, 0x7FC0));
        float[] got = readAndRoundTrip(f, DType.FLOAT32).data();
        assertEquals(1.0f, got[0]);
        assertEquals(-2.5f, got[1]);
        assertEquals((float) (255 * Math.pow(2, 127 - 7)), got[2]);
        assertEquals((float) Math.pow(2, -133), got[3]);
        assertEquals(Float.POSITIVE_INFINITY, got[4]);
        assertTrue(Float.isNaN(got[5]));
        for (int b = 0; b < 0x10000; b++) {
            float v = SafeTensors.bfloat16ToFloat((short) b);
            int exp = (b >>> 7) & 0xff;
            int mant = b & 0x7f;
            if (exp == 0xff && mant != 0) {
                assertTrue(Float.isNaN(v));
                continue;
            }
            double magnitude = exp == 0xff ? Double.POSITIVE_INFINITY
                    : exp == 0 ? mant * Math.pow(2, -133) : (128 + mant) * Math.pow(2, exp - 134);
            assertEquals(Float.floatToRawIntBits((float) ((b >>> 15) == 1 ? -magnitude : magnitude)), Float.floatToRawIntBits(v),
                    Integer.toHexString(b));
        }
    }

    @Test
    void f64IsRoundedToNearestEven() {
        double[] in = {0.1, -2.5, 1 + Math.pow(2, -24), 1 + 3 * Math.pow(2, -24), 1e300, -1e-50, Double.NaN, 65504.0};
        ByteBuffer b = le(8 * in.length);
        for (double d : in) {
            b.putDouble(d);
        }
        float[] got = readAndRoundTrip(single("F64", "[8]", b.array()), DType.FLOAT32).data();
        assertEquals(0.1f, got[0]);
        assertEquals(-2.5f, got[1]);
        assertEquals(1.0f, got[2], "a tie rounds to the even neighbour");
        assertEquals((float) (1 + Math.pow(2, -22)), got[3], "a tie rounds to the even neighbour");
        assertEquals(Float.POSITIVE_INFINITY, got[4]);
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(got[5]));
        assertTrue(Float.isNaN(got[6]));
        assertEquals(65504f, got[7]);
    }

    @Test
    void f32ReadsBitExact() {
        ByteBuffer b = le(12).putFloat(-0.0f).putFloat(Float.MIN_VALUE).putFloat(Float.intBitsToFloat(0x7fc00001));
        float[] got = readAndRoundTrip(single("F32", "[3]", b.array()), DType.FLOAT32).data();
        assertArrayEquals(new int[] {0x80000000, 1, 0x7fc00001}, rawBits(got));
    }

    @Test
    void integerDtypesBecomeInt64() {
        assertArrayEquals(new long[] {Long.MIN_VALUE, -1, Long.MAX_VALUE},
                readAndRoundTrip(single("I64", "[3]", le(24).putLong(Long.MIN_VALUE).putLong(-1).putLong(Long.MAX_VALUE).array()),
                        DType.INT64).longs());
        assertArrayEquals(new long[] {Integer.MIN_VALUE, -1, Integer.MAX_VALUE},
                readAndRoundTrip(single("I32", "[3]", le(12).putInt(Integer.MIN_VALUE).putInt(-1).putInt(Integer.MAX_VALUE).array()),
                        DType.INT64).longs());
        assertArrayEquals(new long[] {-32768, -1, 32767}, readAndRoundTrip(single("I16", "[3]", shorts(0x8000, 0xFFFF, 0x7FFF)),
                DType.INT64).longs());
        assertArrayEquals(new long[] {-128, -1, 127}, readAndRoundTrip(single("I8", "[3]", new byte[] {(byte) 0x80, -1, 127}),
                DType.INT64).longs());
        assertArrayEquals(new long[] {128, 255, 0}, readAndRoundTrip(single("U8", "[3]", new byte[] {(byte) 0x80, -1, 0}),
                DType.INT64).longs());
        HostTensor bool = readAndRoundTrip(single("BOOL", "[2,2]", new byte[] {1, 0, 0, 1}), DType.INT64);
        assertEquals(Shape.of(2, 2), bool.shape());
        assertArrayEquals(new long[] {1, 0, 0, 1}, bool.longs());
    }

    @Test
    void boolBytesOtherThanZeroAndOneAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.parse(single("BOOL", "[3]", new byte[] {0, 1, 2})));
        assertEquals("tensor 'x' is BOOL but element 2 is the byte 2; a BOOL byte must be 0 or 1", e.getMessage());
    }

    @Test
    void emptyAndScalarTensorsOfEveryDtype() {
        for (String dt : new String[] {"F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"}) {
            HostTensor empty = SafeTensors.parse(single(dt, "[0,3]", new byte[0])).tensor("x");
            assertEquals(Shape.of(0, 3), empty.shape(), dt);
            assertEquals(0, empty.shape().size(), dt);
        }
        assertArrayEquals(new float[] {1.0f}, SafeTensors.parse(single("F16", "[]", shorts(0x3C00))).tensor("x").data());
    }

    @Test
    void writesEachTensorByItsDtype() {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("f", new HostTensor(Shape.of(1), new float[] {1.5f}));
        t.put("i", HostTensor.ofLongs(Shape.of(1), new long[] {-2}));
        byte[] bytes = SafeTensors.serialize(t, null);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) b.getLong(0);
        String header = new String(bytes, 8, headerLength, StandardCharsets.UTF_8).trim();
        assertEquals("{\"f\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"i\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[4,12]}}", header);
        assertEquals(1.5f, b.getFloat(8 + headerLength));
        assertEquals(-2L, b.getLong(8 + headerLength + 4));
        assertEquals(8 + headerLength + 12, bytes.length);
    }
}
