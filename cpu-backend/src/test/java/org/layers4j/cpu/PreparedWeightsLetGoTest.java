package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;
import org.layers4j.spi.ConvGeometry;

/**
 * Prepared weights let their plain values go once packed when nothing else holds or reads them, and unpack the same
 * values when a path needs them again: the outputs never change.
 */
class PreparedWeightsLetGoTest {
    private static CpuBackend backend() {
        return new CpuBackend(Config.of(Map.of(), Map.of(), Map.of()).with(CpuBackend.WARMUP_KEY, "false"));
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    /** unpackWeights inverts packWeights for both layouts, groups and row counts off the tile heights. */
    @Test
    void unpackingGivesBackThePackedWeights() {
        SplittableRandom r = new SplittableRandom(11);
        ParallelRunner runner = new ParallelRunner(1);
        try {
            Kernels kn = Kernels.select("auto");
            IndirectConvolution packer = new IndirectConvolution(kn, runner);
            int[][] shapes = {{1, 3, 5, 3, 3}, {2, 8, 6, 1, 1}, {4, 12, 20, 3, 3}, {1, 16, 37, 1, 7}, {3, 9, 3, 5, 5}};
            for (int[] s : shapes) {
                int groups = s[0];
                ConvGeometry g = new ConvGeometry(1, s[1] * groups, 9, 9, s[2] * groups, s[3], s[4], 1, 1, 0, 0, 1, 1,
                        groups);
                float[] w = random(r, g.k() * g.cPerGroup() * g.kh() * g.kw());
                RowBlocks blocks = RowBlocks.of(g.kPerGroup(), kn);
                for (boolean tapMajor : new boolean[] {false, true}) {
                    float[] a = new float[g.groups() * blocks.kpad() * g.cPerGroup() * g.kh() * g.kw()];
                    packer.packWeights(g, w, blocks, tapMajor, a);
                    float[] back = new float[w.length];
                    IndirectConvolution.unpackWeights(g, a, blocks, tapMajor, back);
                    assertArrayEquals(w, back, java.util.Arrays.toString(s) + " tapMajor " + tapMajor);
                }
            }
        } finally {
            runner.close();
        }
    }

    @Test
    void aPackedOnlyWeightIsHeldOncePackedAndReadBackUnchanged() {
        try (CpuBackend be = backend()) {
            SplittableRandom r = new SplittableRandom(3);
            ConvGeometry g = new ConvGeometry(2, 64, 12, 12, 96, 1, 1, 1, 1, 0, 0, 1, 1, 1);
            Shape ws = Shape.of(96, 64, 1, 1);
            float[] values = random(r, ws.size());
            float[] x = random(r, 2 * 64 * 144);
            try (Tensor in = be.upload(x, Shape.of(2, 64, 12, 12));
                 Tensor plainW = be.upload(values, ws);
                 Tensor expected = be.allocate(Shape.of(2, 96, 12, 12));
                 Tensor got = be.allocate(Shape.of(2, 96, 12, 12))) {
                be.convolution().forward(g, in, plainW, expected);
                long before = be.memory().liveBytes();
                Tensor prepared;
                try (Tensor w = be.adopt(values.clone(), ws)) {
                    prepared = be.convolution().prepareWeights(w, 1);
                }
                try (prepared) {
                    assertEquals(before + 4L * ws.size(), be.memory().liveBytes(), "the weight, shared, not copied");
                    be.convolution().forward(g, in, prepared, got);
                    assertArrayEquals(expected.toArray(), got.toArray());
                    long packed = be.memory().liveBytes() - before;
                    assertTrue(packed >= 4L * ws.size() && packed < 2 * 4L * ws.size(),
                            "only the panels are held once packed: " + packed + " bytes");
                    assertArrayEquals(values, prepared.toArray(), "the values unpacked from the panels");
                    assertEquals(before + packed + 4L * ws.size(), be.memory().liveBytes(), "kept once read");
                    be.convolution().forward(g, in, prepared, got);
                    assertArrayEquals(expected.toArray(), got.toArray());
                }
                assertEquals(before, be.memory().liveBytes(), "all of it released");
            }
        }
    }

    /** compactPrepared packs at once: the plain values are gone before the first forward; depthwise keeps them. */
    @Test
    void compactingPacksNowAndLeavesDirectWeightsAlone() {
        try (CpuBackend be = backend()) {
            SplittableRandom r = new SplittableRandom(9);
            Shape ws = Shape.of(64, 16, 3, 3);
            float[] values = random(r, ws.size());
            long before = be.memory().liveBytes();
            Tensor prepared;
            try (Tensor w = be.adopt(values.clone(), ws)) {
                prepared = be.convolution().prepareWeights(w, 2);
            }
            try (prepared) {
                be.convolution().compactPrepared(prepared);
                long packed = be.memory().liveBytes() - before;
                assertTrue(packed >= 4L * ws.size() && packed < 2 * 4L * ws.size(), packed + " bytes");
                ConvGeometry g = new ConvGeometry(1, 32, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 2);
                try (Tensor in = be.upload(random(r, 32 * 49), Shape.of(1, 32, 7, 7));
                     Tensor plainW = be.upload(values, ws);
                     Tensor expected = be.allocate(Shape.of(1, 64, 7, 7));
                     Tensor got = be.allocate(Shape.of(1, 64, 7, 7))) {
                    be.convolution().forward(g, in, plainW, expected);
                    be.convolution().forward(g, in, prepared, got);
                    assertArrayEquals(expected.toArray(), got.toArray());
                }
            }
            Shape dw = Shape.of(32, 1, 3, 3);
            try (Tensor w = be.adopt(random(r, dw.size()), dw);
                 Tensor depthwise = be.convolution().prepareWeights(w, 32)) {
                long held = be.memory().liveBytes();
                be.convolution().compactPrepared(depthwise);
                assertEquals(held, be.memory().liveBytes(), "a direct-path weight is not packed");
            }
        }
    }

    @Test
    void aWeightSharedWithItsModelIsNotLetGo() {
        try (CpuBackend be = backend()) {
            SplittableRandom r = new SplittableRandom(5);
            ConvGeometry g = new ConvGeometry(1, 32, 10, 10, 48, 1, 1, 1, 1, 0, 0, 1, 1, 1);
            Shape ws = Shape.of(48, 32, 1, 1);
            try (Tensor w = be.upload(random(r, ws.size()), ws);
                 Tensor in = be.upload(random(r, 32 * 100), Shape.of(1, 32, 10, 10));
                 Tensor y = be.allocate(Shape.of(1, 48, 10, 10));
                 Tensor prepared = be.convolution().prepareWeights(w, 1)) {
                long before = be.memory().liveBytes();
                be.convolution().forward(g, in, prepared, y);
                assertTrue(be.memory().liveBytes() > before, "the panels are added");
                assertArrayEquals(w.toArray(), prepared.toArray(), "the model's own values, still there");
            }
        }
    }
}
