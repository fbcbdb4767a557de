package org.layers4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.conv.PaddingMode;
import org.layers4j.spi.Backend;
import org.layers4j.spi.PaddingPlan;
import org.layers4j.testing.TestData;

/**
 * The list of strided cuDNN copies / accumulations the backend runs for padding, interpreted here
 * in Java exactly as cudnnSetTensor and cudnnTransformTensor (beta 0: copy, beta 1: accumulate) define them, on random
 * data, and compared with the CPU backend's pad and padBackward: forward bit-identical, backward
 * within float rounding (the sums are formed in another order).
 */
class PadProgramTest {

    /** What cuDNN does with one program: y = x on views, y += x on views, y = 0. */
    static void interpret(PadProgram program, float[] input, float[] output, float[] scratch) {
        for (PadProgram.Op op : program.ops()) {
            float[] dst = buffer(op.dst().buffer(), input, output, scratch);
            float[] src = op.src() == null ? null : buffer(op.src().buffer(), input, output, scratch);
            int[] d = op.dst().layout().dims();
            if (op.src() != null) {
                assertArrayEquals(d, op.src().layout().dims(), "cuDNN copies need equal dims");
            }
            for (int a = 0; a < d[0]; a++) {
                for (int b = 0; b < d[1]; b++) {
                    for (int c = 0; c < d[2]; c++) {
                        for (int e = 0; e < d[3]; e++) {
                            int di = index(op.dst(), a, b, c, e);
                            switch (op.kind()) {
                                case ZERO:
                                    dst[di] = 0;
                                    break;
                                case COPY:
                                    dst[di] = src[index(op.src(), a, b, c, e)];
                                    break;
                                default:
                                    dst[di] += src[index(op.src(), a, b, c, e)];
                            }
                        }
                    }
                }
            }
        }
    }

    private static int index(PadProgram.View v, int a, int b, int c, int d) {
        int[] s = v.layout().strides();
        return Math.toIntExact(v.offset() + (long) a * s[0] + (long) b * s[1] + (long) c * s[2] + (long) d * s[3]);
    }

    private static float[] buffer(PadProgram.Buffer b, float[] input, float[] output, float[] scratch) {
        return b == PadProgram.Buffer.INPUT ? input : b == PadProgram.Buffer.OUTPUT ? output : scratch;
    }

    private record Case(String name, PaddingPlan plan, int n, int c, int h, int w) {
    }

    private static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        int[][] pads = {{1, 1, 1, 1}, {0, 1, 2, 0}, {2, 0, 0, 3}, {3, 2, 1, 4}, {0, 0, 1, 2}, {1, 0, 0, 0}};
        for (PaddingMode mode : PaddingMode.values()) {
            for (int[] p : pads) {
                // reflect needs pad < size, circular pad <= size: 5 x 6 leaves room for every pad above
                out.add(new Case(mode.torchName() + " " + java.util.Arrays.toString(p),
                        new PaddingPlan(mode, p[0], p[1], p[2], p[3]), 2, 3, 5, 6));
            }
            out.add(new Case(mode.torchName() + " 1-D as height 1", new PaddingPlan(mode, 0, 0, 2, 1), 2, 3, 1, 7));
        }
        out.add(new Case("circular pad = size", new PaddingPlan(PaddingMode.CIRCULAR, 5, 5, 6, 6), 1, 2, 5, 6));
        for (FixtureCases.Case f : FixtureCases.convolutions()) {
            if (f.plan().padding() != null) {
                Shape s = f.plan().input4d();
                out.add(new Case("fixture " + f.name(), f.plan().padding(), s.dim(0), s.dim(1), s.dim(2), s.dim(3)));
            }
        }
        return out;
    }

    @Test
    void fixturesExerciseEveryExplicitPaddingKind() {
        List<PaddingPlan> plans = new ArrayList<>();
        FixtureCases.convolutions().stream().filter(f -> f.plan().padding() != null).forEach(f -> plans.add(
                f.plan().padding()));
        for (PaddingMode m : List.of(PaddingMode.REFLECT, PaddingMode.REPLICATE, PaddingMode.CIRCULAR, PaddingMode.ZEROS)) {
            assertTrue(plans.stream().anyMatch(p -> p.mode() == m), "no fixture pads with " + m);
        }
    }

    @TestFactory
    Stream<DynamicTest> programMatchesTheCpuBackendsPadding() {
        Backend cpu = Backends.get("cpu");
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name, () -> check(cpu, c)));
    }

    private static void check(Backend cpu, Case k) {
        SplittableRandom rng = new SplittableRandom(k.name.hashCode());
        Shape in = Shape.of(k.n, k.c, k.h, k.w);
        Shape padded = k.plan.paddedShape(in);
        float[] x = TestData.randomFloats(rng, in.size());

        PadProgram fwd = PadProgram.forward(k.plan, k.n, k.c, k.h, k.w);
        assertFalse(fwd.needsScratch());
        float[] ours = new float[padded.size()];
        java.util.Arrays.fill(ours, Float.NaN); // every element must be written
        interpret(fwd, x, ours, null);
        float[] expected;
        try (Tensor tx = cpu.upload(x, in); Tensor tp = cpu.allocate(padded)) {
            cpu.layout().pad(k.plan, tx, tp);
            expected = tp.toArray();
        }
        assertArrayEquals(expected, ours, "pad");

        float[] dPadded = TestData.randomFloats(rng, padded.size());
        float[] dPaddedCopy = dPadded.clone();
        PadProgram bwd = PadProgram.backward(k.plan, k.n, k.c, k.h, k.w);
        float[] dx = new float[in.size()];
        java.util.Arrays.fill(dx, Float.NaN);
        interpret(bwd, dPadded, dx, bwd.needsScratch() ? new float[padded.size()] : null);
        assertArrayEquals(dPaddedCopy, dPadded, "the padded gradient must be left untouched");
        float[] expectedDx;
        try (Tensor tdp = cpu.upload(dPadded, padded); Tensor tdx = cpu.allocate(in)) {
            cpu.layout().padBackward(k.plan, tdp, tdx);
            expectedDx = tdx.toArray();
        }
        assertEquals(null, TestData.mismatch(dx, TestData.toDouble(expectedDx)), "padBackward");
    }

    @Test
    void zerosPaddingFillsTheBorderAndBackwardNeedsNoScratch() {
        PaddingPlan plan = new PaddingPlan(PaddingMode.ZEROS, 0, 1, 1, 0);
        PadProgram fwd = PadProgram.forward(plan, 1, 1, 2, 2);
        assertEquals(PadProgram.Kind.ZERO, fwd.ops().get(0).kind());
        assertEquals(2, fwd.ops().size());
        PadProgram bwd = PadProgram.backward(plan, 1, 1, 2, 2);
        assertFalse(bwd.needsScratch());
        assertEquals(1, bwd.ops().size());
        float[] y = new float[9];
        interpret(fwd, new float[] {1, 2, 3, 4}, y, null);
        assertArrayEquals(new float[] {0, 1, 2, 0, 3, 4, 0, 0, 0}, y);
    }
}
