package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.conv.PaddingMode;
import org.layers4j.spi.PaddingPlan;

/** ReLU, bias and explicit padding against hand-computed values and the float64 reference. */
class ElementwiseTest {

    private static CpuBackend backend() {
        return TestSupport.backend("vector", 2);
    }

    @Test
    void reluForwardKeepsPositivesAndZeroesNegatives() {
        try (CpuBackend b = backend(); Tensor x = b.upload(new float[] {-2f, -0f, 0f, 0.5f, 3f}, Shape.of(5));
             Tensor y = b.upload(new float[] {9, 9, 9, 9, 9}, Shape.of(5))) {
            b.activation().relu(x, y);
            float[] v = y.toArray();
            assertEquals(0f, v[0]);
            assertEquals(0f, Math.abs(v[1]));
            assertEquals(0f, v[2]);
            assertEquals(0.5f, v[3]);
            assertEquals(3f, v[4]);
        }
    }

    @Test
    void reluForwardPropagatesNaN() {
        try (CpuBackend b = backend(); Tensor x = b.upload(new float[] {Float.NaN, -1f}, Shape.of(2));
             Tensor y = b.allocate(Shape.of(2))) {
            b.activation().relu(x, y);
            assertTrue(Float.isNaN(y.toArray()[0]));
            assertEquals(0f, y.toArray()[1]);
        }
    }

    @Test
    void reluForwardCoversTensorsLargerThanOneChunk() {
        int size = (1 << 16) * 3 + 17;
        float[] x = TestSupport.random(11, size);
        try (CpuBackend b = backend(); Tensor xt = b.upload(x, Shape.of(size)); Tensor y = b.allocate(Shape.of(size))) {
            b.activation().relu(xt, y);
            double[] expected = new double[size];
            for (int i = 0; i < size; i++) {
                expected[i] = Math.max(0, x[i]);
            }
            TestSupport.assertClose(expected, y.toArray());
        }
    }

    @Test
    void reluBackwardGradientAtExactlyZeroIsZero() {
        try (CpuBackend b = backend(); Tensor x = b.upload(new float[] {0f, -0f}, Shape.of(2));
             Tensor dy = b.upload(new float[] {5f, 5f}, Shape.of(2)); Tensor dx = b.upload(new float[] {7f, 7f}, Shape.of(2))) {
            b.activation().reluBackward(x, dy, dx);
            assertEquals(0f, dx.toArray()[0]);
            assertEquals(0f, dx.toArray()[1]);
        }
    }

    @Test
    void reluBackwardPassesGradientWherePositiveOnly() {
        try (CpuBackend b = backend(); Tensor x = b.upload(new float[] {-1f, 2f, 1e-30f}, Shape.of(3));
             Tensor dy = b.upload(new float[] {3f, 4f, 5f}, Shape.of(3)); Tensor dx = b.allocate(Shape.of(3))) {
            b.activation().reluBackward(x, dy, dx);
            float[] v = dx.toArray();
            assertEquals(0f, v[0]);
            assertEquals(4f, v[1]);
            assertEquals(5f, v[2]);
        }
    }

    @Test
    void reluBackwardPassesGradientThroughNaNInputAsPyTorch() {
        // PyTorch's threshold_backward computes x <= 0 ? 0 : dy, which is dy for NaN
        try (CpuBackend b = backend(); Tensor x = b.upload(new float[] {Float.NaN}, Shape.of(1));
             Tensor dy = b.upload(new float[] {2f}, Shape.of(1)); Tensor dx = b.allocate(Shape.of(1))) {
            b.activation().reluBackward(x, dy, dx);
            assertEquals(2f, dx.toArray()[0]);
        }
    }

    @Test
    void biasAddBroadcastsOverBatchAndSpace() {
        Shape s = Shape.of(2, 3, 2, 2);
        float[] y = TestSupport.random(12, s.size());
        float[] bias = {1f, -2f, 0.5f};
        try (CpuBackend b = backend(); Tensor yt = b.upload(y, s); Tensor bt = b.upload(bias, Shape.of(3))) {
            b.convolution().biasAdd(yt, bt);
            double[] expected = new double[s.size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = y[i] + bias[(i / 4) % 3];
            }
            TestSupport.assertClose(expected, yt.toArray());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vector", "scalar"})
    void aPlaneTimesItsChannelsScaleIsTheProductOfEachPair(String kernels) {
        // the squeeze-excitation multiply: x [n, c, h, w] times s [n, c, 1, 1], either operand first; planes
        // narrower than, as wide as and wider than a vector, a NaN, an infinity and a negative zero
        // (700 channels: rows split over several tasks, the last partial vector of a row stored whole)
        for (int[] hw : new int[][] {{7, 7}, {4, 4}, {3, 11}, {7, 7, 700}, {1, 1, 40}, {2, 9, 300}}) {
            int ch = hw.length > 2 ? hw[2] : 3;
            Shape xs = Shape.of(2, ch, hw[0], hw[1]);
            Shape ss = Shape.of(2, ch, 1, 1);
            float[] x = TestSupport.random(21, xs.size());
            x[5] = Float.NaN;
            x[9] = Float.NEGATIVE_INFINITY;
            x[11] = -0f;
            float[] sc = TestSupport.random(22, ss.size());
            try (CpuBackend b = TestSupport.backend(kernels, 2); Tensor xt = b.upload(x, xs); Tensor st = b.upload(sc, ss);
                 Tensor y1 = b.allocate(xs); Tensor y2 = b.allocate(xs)) {
                b.pointwise().binary(org.layers4j.spi.BinaryOp.MUL, 1.0,
                        org.layers4j.spi.Broadcast.of(xs.dims(), ss.dims()), xt, st, y1);
                b.pointwise().binary(org.layers4j.spi.BinaryOp.MUL, 1.0,
                        org.layers4j.spi.Broadcast.of(ss.dims(), xs.dims()), st, xt, y2);
                float[] a = y1.toArray();
                float[] c = y2.toArray();
                int plane = hw[0] * hw[1];
                for (int i = 0; i < x.length; i++) {
                    float expected = x[i] * sc[i / plane];
                    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(a[i]), "x * s at " + i);
                    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(c[i]), "s * x at " + i);
                }
                // in place: x *= s
                b.pointwise().binary(org.layers4j.spi.BinaryOp.MUL, 1.0,
                        org.layers4j.spi.Broadcast.of(xs.dims(), ss.dims()), xt, st, xt);
                float[] inPlace = xt.toArray();
                for (int i = 0; i < x.length; i++) {
                    assertEquals(Float.floatToIntBits(a[i]), Float.floatToIntBits(inPlace[i]), "x *= s at " + i);
                }
            }
        }
    }

    @Test
    void biasGradientSumsOverBatchAndSpace() {
        Shape s = Shape.of(3, 4, 50, 70);
        float[] dy = TestSupport.random(13, s.size());
        try (CpuBackend b = backend(); Tensor dyt = b.upload(dy, s); Tensor db = b.upload(new float[] {9, 9, 9, 9}, Shape.of(4))) {
            b.convolution().biasGradient(dyt, db);
            double[] expected = new double[4];
            for (int i = 0; i < dy.length; i++) {
                expected[(i / 3500) % 4] += dy[i];
            }
            TestSupport.assertClose(expected, db.toArray());
        }
    }

    /** Summed in double on both kernel families: values that cancel in float32 leave the exact remainder. */
    @ParameterizedTest
    @ValueSource(strings = {"vector", "scalar"})
    void biasGradientSumsInDoubleAtEveryPlaneLength(String kernels) {
        try (CpuBackend b = TestSupport.backend(kernels, 2)) {
            for (int plane = 1; plane <= 70; plane++) {
                Shape s = Shape.of(2, 2, plane);
                float[] dy = new float[s.size()];
                double[] expected = new double[2];
                for (int i = 0; i < dy.length; i++) {
                    // +-2^24 pairs cancel exactly; a float32 sum would round the small values away next to them
                    int pos = i % plane;
                    dy[i] = pos == 0 ? 16777216f : pos == plane - 1 && plane > 2 ? -16777216f : 0.25f + i % 3;
                    expected[(i / plane) % 2] += dy[i];
                }
                try (Tensor dyt = b.upload(dy, s); Tensor db = b.allocate(Shape.of(2))) {
                    b.convolution().biasGradient(dyt, db);
                    float[] got = db.toArray();
                    for (int ch = 0; ch < 2; ch++) {
                        assertEquals((float) expected[ch], got[ch], "plane " + plane + ", channel " + ch);
                    }
                }
            }
        }
    }

    @Test
    void biasGradientOfConv1dShapedGradient() {
        Shape s = Shape.of(2, 3, 5);
        float[] dy = TestSupport.random(14, s.size());
        try (CpuBackend b = backend(); Tensor dyt = b.upload(dy, s); Tensor db = b.allocate(Shape.of(3))) {
            b.convolution().biasGradient(dyt, db);
            double[] expected = new double[3];
            for (int i = 0; i < dy.length; i++) {
                expected[(i / 5) % 3] += dy[i];
            }
            TestSupport.assertClose(expected, db.toArray());
        }
    }

    @ParameterizedTest
    @EnumSource(PaddingMode.class)
    void padMatchesSourceIndexForEveryMode(PaddingMode mode) {
        PaddingPlan plan = new PaddingPlan(mode, 2, 1, 3, 2);
        Shape in = Shape.of(2, 3, 5, 6);
        float[] x = TestSupport.random(15, in.size());
        try (CpuBackend b = backend(); Tensor xt = b.upload(x, in);
             Tensor padded = b.upload(TestSupport.random(16, plan.paddedShape(in).size()), plan.paddedShape(in))) {
            b.layout().pad(plan, xt, padded);
            TestSupport.assertClose(Reference.pad(plan, x, 6, 5, 6), padded.toArray());
        }
    }

    @ParameterizedTest
    @EnumSource(PaddingMode.class)
    void padBackwardFoldsEveryPaddedElementOntoItsSource(PaddingMode mode) {
        PaddingPlan plan = new PaddingPlan(mode, 1, 2, 4, 3);
        Shape in = Shape.of(2, 2, 4, 5);
        Shape out = plan.paddedShape(in);
        float[] dPadded = TestSupport.random(17, out.size());
        try (CpuBackend b = backend(); Tensor dp = b.upload(dPadded, out);
             Tensor dx = b.upload(TestSupport.random(18, in.size()), in)) {
            b.layout().padBackward(plan, dp, dx);
            TestSupport.assertClose(Reference.padBackward(plan, dPadded, 4, 4, 5), dx.toArray());
        }
    }

    @ParameterizedTest
    @EnumSource(PaddingMode.class)
    void padOfConv1dShapedInputPadsTheLastAxisOnly(PaddingMode mode) {
        PaddingPlan plan = new PaddingPlan(mode, 0, 0, 2, 3);
        Shape in = Shape.of(1, 2, 1, 7);
        float[] x = TestSupport.random(19, in.size());
        try (CpuBackend b = backend(); Tensor xt = b.upload(x, in); Tensor padded = b.allocate(plan.paddedShape(in))) {
            b.layout().pad(plan, xt, padded);
            TestSupport.assertClose(Reference.pad(plan, x, 2, 1, 7), padded.toArray());
        }
    }
}
