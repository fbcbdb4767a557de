package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Map;
import java.util.Random;
import org.layers4j.Tensor;
import org.layers4j.config.Config;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.ConvolutionOps;

/** Backends, random data and the tolerance check shared by the CPU backend tests. */
final class TestSupport {
    /** The project-wide tolerance: max|a - e| <= 1e-4 * max(1, max|e|). */
    static final double RELATIVE_TOLERANCE = 1e-4;

    private TestSupport() {
    }

    /** A backend with the given kernel family ({@code vector} or {@code scalar}) and thread count. */
    static CpuBackend backend(String kernels, int threads) {
        Config config = Config.of(Map.of(), Map.of(), Map.of())
                .with(Kernels.KERNELS_KEY, kernels)
                .with(Config.CPU_THREADS, Integer.toString(threads));
        return new CpuBackend(config);
    }

    static float[] random(long seed, int size) {
        Random r = new Random(seed);
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = r.nextFloat() * 2f - 1f;
        }
        return a;
    }

    static void assertClose(double[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "length");
        double max = 0;
        for (double e : expected) {
            max = Math.max(max, Math.abs(e));
        }
        double limit = RELATIVE_TOLERANCE * Math.max(1, max);
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            if (!(err <= limit)) {
                fail("element " + i + ": expected " + expected[i] + " but got " + actual[i] + " (|error| " + err
                        + " > " + limit + ")");
            }
        }
    }

    /**
     * Like {@link #assertClose}, but non-finite expected values must be matched exactly (NaN by NaN, an
     * infinity by the same infinity), and the tolerance scales with the largest finite expected value.
     */
    static void assertCloseNonFinite(double[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "length");
        double max = 0;
        for (double e : expected) {
            if (Double.isFinite(e)) {
                max = Math.max(max, Math.abs(e));
            }
        }
        double limit = RELATIVE_TOLERANCE * Math.max(1, max);
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            float a = actual[i];
            boolean ok;
            if (Double.isNaN(e)) {
                ok = Float.isNaN(a);
            } else if (Double.isInfinite(e)) {
                ok = a == e;
            } else {
                ok = Math.abs(a - e) <= limit;
            }
            if (!ok) {
                fail("element " + i + ": expected " + e + " but got " + a + " (limit " + limit + ")");
            }
        }
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /**
     * {@code ops}' abstract methods only: every default method of the SPI runs as {@code ConvolutionOps} defines it
     * (the two-pass forward with its bias, the unfused epilogue), on {@code ops}' own kernels.
     */
    static ConvolutionOps defaultsOf(ConvolutionOps ops) {
        return new ConvolutionOps() {
            @Override
            public void forward(ConvGeometry g, Tensor x, Tensor w,
                                Tensor y) {
                ops.forward(g, x, w, y);
            }

            @Override
            public void backwardData(ConvGeometry g, Tensor dy, Tensor w,
                                     Tensor dx) {
                ops.backwardData(g, dy, w, dx);
            }

            @Override
            public void backwardFilter(ConvGeometry g, Tensor x, Tensor dy,
                                       Tensor dw) {
                ops.backwardFilter(g, x, dy, dw);
            }

            @Override
            public void biasAdd(Tensor y, Tensor bias) {
                ops.biasAdd(y, bias);
            }

            @Override
            public void biasGradient(Tensor dy, Tensor db) {
                ops.biasGradient(dy, db);
            }
        };
    }
}
