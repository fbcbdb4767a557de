package org.layers4j.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.layers4j.nn.conv.PaddingMode;

/** The strided-copy steps, applied in plain Java, equal padding element by element by sourceIndex. */
class PaddingPlanTest {

    @ParameterizedTest
    @EnumSource(PaddingMode.class)
    void stepsBuildTheSamePaddedTensorAsSourceIndex(PaddingMode mode) {
        SplittableRandom rng = new SplittableRandom(mode.ordinal());
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + rng.nextInt(2);
            int c = 1 + rng.nextInt(3);
            int h = 1 + rng.nextInt(6);
            int w = 1 + rng.nextInt(6);
            int limH = mode == PaddingMode.REFLECT ? h - 1 : mode == PaddingMode.CIRCULAR ? h : 4;
            int limW = mode == PaddingMode.REFLECT ? w - 1 : mode == PaddingMode.CIRCULAR ? w : 4;
            PaddingPlan plan = new PaddingPlan(mode, rng.nextInt(limH + 1), rng.nextInt(limH + 1),
                    rng.nextInt(limW + 1), rng.nextInt(limW + 1));
            float[] x = new float[n * c * h * w];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rng.nextDouble();
            }
            assertArrayEquals(byIndex(plan, x, n, c, h, w), bySteps(plan, x, n, c, h, w), plan + " on " + h + "x" + w);
            float[] dp = new float[n * c * (h + plan.top() + plan.bottom()) * (w + plan.left() + plan.right())];
            for (int i = 0; i < dp.length; i++) {
                dp[i] = (float) rng.nextInt(100); // integers: the sums are exact in any order
            }
            assertArrayEquals(foldByIndex(plan, dp, n, c, h, w), foldBySteps(plan, dp, n, c, h, w), plan + " backward");
        }
    }

    @ParameterizedTest
    @EnumSource(PaddingMode.class)
    void zerosPlanIsOneInteriorCopyAndOthersCopyLineByLineOrByBlock(PaddingMode mode) {
        List<PaddingPlan.Step> steps = new PaddingPlan(mode, 2, 1, 3, 0).steps(1, 1, 5, 5);
        int expected = switch (mode) {
            case ZEROS -> 1;
            case CIRCULAR -> 1 + 3;
            default -> 1 + 3 + 3;
        };
        assertEquals(expected, steps.size());
    }

    static float[] byIndex(PaddingPlan p, float[] x, int n, int c, int h, int w) {
        int hp = h + p.top() + p.bottom();
        int wp = w + p.left() + p.right();
        float[] out = new float[n * c * hp * wp];
        for (int nc = 0; nc < n * c; nc++) {
            for (int i = 0; i < hp; i++) {
                int si = p.sourceIndex(i, h, p.top());
                for (int j = 0; j < wp; j++) {
                    int sj = p.sourceIndex(j, w, p.left());
                    out[(nc * hp + i) * wp + j] = si < 0 || sj < 0 ? 0 : x[(nc * h + si) * w + sj];
                }
            }
        }
        return out;
    }

    static float[] foldByIndex(PaddingPlan p, float[] dp, int n, int c, int h, int w) {
        int hp = h + p.top() + p.bottom();
        int wp = w + p.left() + p.right();
        float[] dx = new float[n * c * h * w];
        for (int nc = 0; nc < n * c; nc++) {
            for (int i = 0; i < hp; i++) {
                int si = p.sourceIndex(i, h, p.top());
                for (int j = 0; j < wp; j++) {
                    int sj = p.sourceIndex(j, w, p.left());
                    if (si >= 0 && sj >= 0) {
                        dx[(nc * h + si) * w + sj] += dp[(nc * hp + i) * wp + j];
                    }
                }
            }
        }
        return dx;
    }

    static float[] bySteps(PaddingPlan p, float[] x, int n, int c, int h, int w) {
        float[] out = new float[n * c * (h + p.top() + p.bottom()) * (w + p.left() + p.right())];
        for (PaddingPlan.Step s : p.steps(n, c, h, w)) {
            copy(s.fromInput() ? x : out, s.from(), out, s.to(), false);
        }
        return out;
    }

    static float[] foldBySteps(PaddingPlan p, float[] dp, int n, int c, int h, int w) {
        float[] scratch = dp.clone();
        float[] dx = new float[n * c * h * w];
        List<PaddingPlan.Step> steps = p.steps(n, c, h, w);
        for (int k = steps.size() - 1; k >= 0; k--) {
            PaddingPlan.Step s = steps.get(k);
            if (s.fromInput()) {
                copy(scratch, s.to(), dx, s.from(), false);
            } else {
                copy(scratch, s.to(), scratch, s.from(), true);
            }
        }
        return dx;
    }

    private static void copy(float[] src, PaddingPlan.View from, float[] dst, PaddingPlan.View to, boolean accumulate) {
        int[] d = from.dims();
        assertArrayEquals(d, to.dims());
        for (int a = 0; a < d[0]; a++) {
            for (int b = 0; b < d[1]; b++) {
                for (int c = 0; c < d[2]; c++) {
                    for (int e = 0; e < d[3]; e++) {
                        float v = src[(int) from.index(a, b, c, e)];
                        int t = (int) to.index(a, b, c, e);
                        dst[t] = accumulate ? dst[t] + v : v;
                    }
                }
            }
        }
    }
}
