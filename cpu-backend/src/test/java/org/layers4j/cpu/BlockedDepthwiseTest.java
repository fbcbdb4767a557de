package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.UnaryOp;

/**
 * The channel-blocked depthwise forward ({@link BlockedDepthwise}) gives every output the bits of the plane path
 * ({@link DirectConvolution} with {@code planes}): strides 1 to 3, dilations, asymmetric kernels and padding, planes
 * narrower than a vector group and wider than a band, channel counts with a tail of plane-path channels, every epilogue
 * (bias or none, residual, ReLU and the one-pass activations, GELU), inputs of mixed magnitudes so that a product
 * rounded before its sum (the plane path's last partial vector) shows, and special values. Run at every vector width
 * of the build.
 */
class BlockedDepthwiseTest {
    private static final Kernels VECTOR = Kernels.select("vector");
    private static final int L = VECTOR.depthwiseLanes();

    static Stream<Arguments> cases() {
        int[][] shapes = { // n, channels (in lanes), h, w, kh, kw, stride h, stride w, pad h, pad w, dilation
            {1, 1, 7, 7, 5, 5, 1, 1, 2, 2, 1}, {1, 2, 14, 14, 5, 5, 2, 2, 2, 2, 1}, {2, 1, 7, 7, 3, 3, 1, 1, 1, 1, 1},
            {1, 3, 13, 11, 3, 3, 2, 2, 1, 1, 1}, {1, 1, 5, 9, 3, 5, 1, 2, 0, 2, 1}, {3, 1, 9, 9, 3, 3, 3, 3, 1, 1, 1},
            {1, 1, 12, 12, 3, 3, 1, 1, 2, 2, 2}, {1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1}, {1, 1, 3, 2, 1, 1, 1, 1, 0, 0, 1},
            {1, 2, 6, 6, 2, 2, 2, 2, 0, 0, 1}, {1, 1, 150, 130, 3, 3, 1, 1, 1, 1, 1}, {1, 1, 113, 97, 5, 5, 2, 2, 2, 2, 1},
            {2, 1, 28, 28, 3, 3, 2, 2, 1, 1, 1}, {1, 1, 17, 3, 7, 1, 1, 1, 3, 0, 1},
        };
        List<Arguments> cases = new ArrayList<>();
        int i = 0;
        for (int[] s : shapes) {
            for (int tail : new int[] {0, 3}) {
                int c = s[1] * L + tail;
                cases.add(Arguments.of(new ConvGeometry(s[0], c, s[2], s[3], c, s[4], s[5], s[6], s[7], s[8], s[9],
                        s[10], s[10], c), i++));
            }
        }
        return cases.stream();
    }

    private static final List<Epilogue> EPILOGUES = List.of(
            Epilogue.NONE,
            Epilogue.of(VECTOR, null, null, false, UnaryOp.of(UnaryOp.Kind.SILU)),
            Epilogue.of(VECTOR, null, null, true, null));

    private static List<Epilogue> epilogues(ConvGeometry g, int index) {
        float[] bias = TestSupport.random(3 + index, g.k());
        bias[g.k() / 2] = -0f;
        float[] residual = TestSupport.random(4 + index, g.n() * g.k() * g.outH() * g.outW());
        List<Epilogue> all = new ArrayList<>(EPILOGUES);
        all.add(Epilogue.bias(VECTOR, bias));
        all.add(Epilogue.of(VECTOR, bias, null, true, null));
        all.add(Epilogue.of(VECTOR, bias, null, false, UnaryOp.of(UnaryOp.Kind.SILU)));
        all.add(Epilogue.of(VECTOR, bias, null, false, UnaryOp.of(UnaryOp.Kind.HARDSWISH)));
        all.add(Epilogue.of(VECTOR, bias, null, false, UnaryOp.relu6()));
        all.add(Epilogue.of(VECTOR, bias, null, false, UnaryOp.of(UnaryOp.Kind.GELU)));
        all.add(Epilogue.of(VECTOR, bias, residual, true, null));
        all.add(Epilogue.of(VECTOR, bias, residual, false, UnaryOp.of(UnaryOp.Kind.HARDSIGMOID)));
        all.add(Epilogue.of(VECTOR, null, residual, false, null));
        return all;
    }

    private static float[] input(ConvGeometry g, int index) {
        float[] x = TestSupport.random(1 + index, g.n() * g.c() * g.h() * g.w());
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, -0f, Float.NEGATIVE_INFINITY, 3e38f};
        for (int i = 0; i < x.length; i++) {
            if (i % 7 == 3) {
                x[i] *= 1e5f; // magnitudes apart: a product rounded before its sum differs from the fused one
            } else if (i % 997 == 500) {
                x[i] = special[(i / 997) % special.length];
            }
        }
        return x;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void blockedChannelsHaveThePlanePathsBits(ConvGeometry g, int index) {
        float[] x = input(g, index);
        float[] w = TestSupport.random(2 + index, g.k() * g.kh() * g.kw());
        int outputs = g.n() * g.k() * g.outH() * g.outW();
        for (int threads : new int[] {1, 3}) {
            try (ParallelRunner runner = new ParallelRunner(threads)) {
                DirectConvolution planes = new DirectConvolution(VECTOR, runner, "planes");
                DirectConvolution blocked = new DirectConvolution(VECTOR, runner, "blocked");
                assertEquals(0, planes.blockedChannels(g));
                assertEquals(g.k() / L * L, blocked.blockedChannels(g));
                List<Epilogue> eps = epilogues(g, index);
                for (int e = 0; e < eps.size(); e++) {
                    float[] expected = new float[outputs];
                    Arrays.fill(expected, 7f);
                    planes.forward(g, x, w, eps.get(e), expected);
                    float[] actual = new float[outputs];
                    Arrays.fill(actual, 7f);
                    blocked.forward(g, x, w, eps.get(e), actual);
                    for (int i = 0; i < outputs; i++) {
                        if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                            int plane = g.outH() * g.outW();
                            throw new AssertionError(g + ", " + threads + " threads, epilogue " + e + ": output "
                                    + i + " (image " + i / plane / g.k() + ", channel " + i / plane % g.k()
                                    + ", position " + i % plane + ") is " + actual[i] + ", the plane path gives "
                                    + expected[i]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void transposeMovesEveryValueWhereItsRowsSay() {
        float[] x = TestSupport.random(9, 5 + 37 * L);
        int[] rows = new int[3 + L];
        for (int i = 0; i < L; i++) {
            rows[3 + i] = (L - 1 - i) * (L + 2) + i % 3; // descending, with gaps between the rows
        }
        float[] d = new float[11 + L * (L + 2) + 3];
        Arrays.fill(d, Float.NaN);
        VECTOR.transpose(x, 5, 37, d, 11, rows, 3);
        boolean[] written = new boolean[d.length];
        for (int i = 0; i < L; i++) {
            for (int j = 0; j < L; j++) {
                int at = 11 + rows[3 + i] + j;
                assertEquals(x[5 + j * 37 + i], d[at], "row " + i + ", column " + j);
                written[at] = true;
            }
        }
        for (int i = 0; i < d.length; i++) {
            if (!written[i]) {
                assertTrue(Float.isNaN(d[i]), "nothing written outside the rows: " + i);
            }
        }
    }

    @Test
    void byDefaultOnlySmallPlanesAreBlocked() {
        try (ParallelRunner runner = new ParallelRunner(1)) {
            DirectConvolution auto = new DirectConvolution(VECTOR, runner, "auto");
            int c = 42 * L;
            ConvGeometry strided7 = new ConvGeometry(1, c, 14, 14, c, 5, 5, 2, 2, 2, 2, 1, 1, c);
            assertEquals(c, auto.blockedChannels(strided7));
            ConvGeometry tail = new ConvGeometry(2, c + 1, 14, 14, c + 1, 3, 3, 2, 2, 1, 1, 1, 1, c + 1);
            assertEquals(c, auto.blockedChannels(tail));
            ConvGeometry unit7 = new ConvGeometry(1, c, 7, 7, c, 5, 5, 1, 1, 2, 2, 1, 1, c);
            assertEquals(c, auto.blockedChannels(unit7));
            ConvGeometry unit14 = new ConvGeometry(1, c, 14, 14, c, 3, 3, 1, 1, 1, 1, 1, 1, c);
            assertEquals(0, auto.blockedChannels(unit14));
            ConvGeometry wide14 = new ConvGeometry(1, c, 14, 14, c, 5, 5, 1, 1, 2, 2, 1, 1, c);
            assertEquals(c, auto.blockedChannels(wide14));
            ConvGeometry wide28 = new ConvGeometry(1, c, 28, 28, c, 5, 5, 1, 1, 2, 2, 1, 1, c);
            assertEquals(0, auto.blockedChannels(wide28));
            ConvGeometry strided14 = new ConvGeometry(1, c, 28, 28, c, 3, 3, 2, 2, 1, 1, 1, 1, c);
            assertEquals(c, auto.blockedChannels(strided14));
            ConvGeometry strided28 = new ConvGeometry(1, c, 56, 56, c, 5, 5, 2, 2, 2, 2, 1, 1, c);
            assertEquals(0, auto.blockedChannels(strided28));
            ConvGeometry multiplier = new ConvGeometry(1, c, 14, 14, 2 * c, 3, 3, 2, 2, 1, 1, 1, 1, c);
            assertEquals(0, auto.blockedChannels(multiplier));
            ConvGeometry few = new ConvGeometry(1, L - 1, 14, 14, L - 1, 3, 3, 2, 2, 1, 1, 1, 1, L - 1);
            assertEquals(0, auto.blockedChannels(few));
            DirectConvolution scalar = new DirectConvolution(Kernels.select("scalar"), runner, "blocked");
            assertEquals(0, scalar.blockedChannels(strided7));
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> new DirectConvolution(VECTOR, runner, "lanes"));
            assertTrue(bad.getMessage().contains("layers4j.cpu.depthwise must be auto, blocked or planes, but got 'lanes'"),
                    bad.getMessage());
        }
    }
}
