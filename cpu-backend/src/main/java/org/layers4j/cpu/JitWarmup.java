package org.layers4j.cpu;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.layers4j.spi.ConvGeometry;

/**
 * Drives every convolution path through small problems once per JVM and kernel family, when the first
 * backend is created. Vector API code runs orders of magnitude slower until C2 has compiled it with its
 * intrinsics (each vector operation allocates before that), and C2 only compiles methods that have run
 * some ten thousand times: without this, the first second of real work, or a benchmark with a handful
 * of warm-up runs, would measure the interpreter. Small shapes keep it to a fraction of a second.
 */
final class JitWarmup {
    private static final Set<String> DONE = ConcurrentHashMap.newKeySet();
    /** Direct calls of each kernel: past C2's compile thresholds (5,000 calls, 15,000 calls + loop iterations). */
    private static final int KERNEL_CALLS = 16_000;
    /** Passes over the geometries, for the (scalar, quickly compiled) code around the kernels. */
    private static final int ROUNDS = 400;

    private JitWarmup() {
    }

    static void once(Kernels kn, ConvEngine engine) {
        if (!DONE.add(kn.getClass().getName())) {
            return;
        }
        try {
            warm(kn, engine);
        } catch (RuntimeException | Error e) {
            DONE.remove(kn.getClass().getName()); // the next backend tries again
            throw e;
        }
    }

    /** Forgets which kernel families were warmed up, so that the next backend warms up again (tests). */
    static void forget() {
        DONE.clear();
    }

    private static void warm(Kernels kn, ConvEngine engine) {
        warmKernels(kn);
        ConvGeometry[] geometries = {
            new ConvGeometry(1, 8, 6, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1),
            new ConvGeometry(1, 2, 9, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1),
            new ConvGeometry(1, 16, 4, 4, 16, 3, 3, 1, 1, 1, 1, 1, 1, 16),
            new ConvGeometry(1, 8, 5, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8),
            new ConvGeometry(1, 16, 4, 4, 16, 3, 3, 1, 1, 1, 1, 1, 1, 2),
            // one vector of outputs per group: the lane weight gradient
            new ConvGeometry(1, 16, 5, 6, 2 * kn.lanes(), 3, 3, 1, 1, 1, 1, 1, 1, 2),
        };
        float[][] buffers = new float[geometries.length * 4][];
        for (int i = 0; i < geometries.length; i++) {
            ConvGeometry g = geometries[i];
            buffers[4 * i] = filled(g.n() * g.c() * g.h() * g.w());
            buffers[4 * i + 1] = filled(g.k() * g.cPerGroup() * g.kh() * g.kw());
            buffers[4 * i + 2] = filled(g.n() * g.k() * g.outH() * g.outW());
            buffers[4 * i + 3] = new float[Math.max(buffers[4 * i].length, buffers[4 * i + 1].length)];
        }
        for (int round = 0; round < ROUNDS; round++) {
            if (round % 64 == 0) {
                Workspace.get().discardAll();
            }
            for (int i = 0; i < geometries.length; i++) {
                ConvGeometry g = geometries[i];
                float[] x = buffers[4 * i];
                float[] w = buffers[4 * i + 1];
                float[] y = buffers[4 * i + 2];
                float[] scratch = buffers[4 * i + 3];
                // with and without a bias (the weights serve as one: any k values do), and every fourth round with a
                // residual (the input serves as one: it is at least as long) and a ReLU, so every store compiles
                Epilogue ep = round % 4 == 3 ? Epilogue.of(kn, w, x.length >= y.length ? x : null, true, null)
                        : Epilogue.bias(kn, (round & 1) == 0 ? null : w);
                engine.forward(g, x, ConvWeights.of(w), ep, y);
                engine.backwardData(g, y, w, scratch);
                engine.backwardFilter(g, x, y, scratch);
            }
        }
        awaitCompilerQuiet();
    }

    /**
     * C2 compiles in the background after the thresholds are crossed; waits (at most a second) until the
     * JIT's accumulated compile time stops growing, so that the compiled kernels are installed before the
     * first real call returns to its caller's stopwatch.
     */
    private static void awaitCompilerQuiet() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long deadline = System.nanoTime() + 1_000_000_000L;
        long last = jit.getTotalCompilationTime();
        int quiet = 0;
        while (quiet < 3 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(15);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long now = jit.getTotalCompilationTime();
            quiet = now == last ? quiet + 1 : 0;
            last = now;
        }
    }

    /** Tiny calls of every kernel method, both accumulate variants: cheap even before they are compiled. */
    private static void warmKernels(Kernels kn) {
        int mr = kn.mr();
        int nr = kn.nr();
        int depth = 4;
        float[] a = filled(mr * depth);
        float[] b = filled(nr * depth + 4 * nr);
        float[] c = new float[mr * nr];
        int[] rows = {0, 1, 2, 3};
        int[] tapRows = new int[mr];
        for (int i = 0; i < mr; i++) {
            tapRows[i] = i;
        }
        float[] w = filled(4);
        float[] out = new float[5 * nr];
        float[] lanes = new float[16 * kn.dotBlockLength()];
        for (int i = 0; i < KERNEL_CALLS; i++) {
            boolean acc = (i & 1) == 0;
            kn.tile(depth, a, 0, b, 0, c, 0, nr, acc);
            kn.tileRows(depth, a, 0, b, rows, 0, i & 3, c, 0, nr, acc);
            kn.tileRowsA(depth, b, tapRows, 0, i & 3, b, 0, c, 0, nr, acc);
            if (kn.shortMr() < mr) {
                kn.tileShort(depth, a, 0, b, 0, c, 0, nr, acc);
                kn.tileRowsShort(depth, a, 0, b, rows, 0, i & 3, c, 0, nr, acc);
            }
            kn.taps(2 * nr + (i & 7), b, 0, rows, w, 0, 4, out, 0);
            kn.dot(2 * nr + (i & 7), b, 0, out, 0);
            kn.tapDots(2 * nr + (i & 7), b, 0, b, 0, rows, 3 + (i & 1), out, 0);
            kn.axpy(nr + (i & 7), 0.5f, b, 0, out, 0);
            kn.sum(2 * nr + (i & 7), b, 0);
            kn.dotTileLanes(2 * nr, b, 0, nr, b, rows, 0, lanes, 0);
            kn.laneRowDots(1 + i % 3, 1 + (i & 7), b, 0, 2, b, 2 * kn.lanes(), out, 0, 3 * kn.lanes());
        }
        warmPointwise(kn.pointwise(), nr);
    }

    /** The pointwise kernels, on lengths with and without a scalar tail. */
    private static void warmPointwise(PointwiseKernels pk, int nr) {
        float[] x = filled(2 * nr + 8);
        float[] y = filled(2 * nr + 8);
        float[] z = new float[2 * nr + 8];
        for (int i = 0; i < KERNEL_CALLS / 4; i++) {
            int len = nr + (i & 7);
            pk.relu(0, len, x, z);
            pk.reluBackward(0, len, x, y, z);
            pk.leakyRelu(0, len, 0.01f, x, z);
            pk.leakyReluBackward(0, len, 0.01f, x, y, z);
            pk.sigmoid(0, len, x, z);
            pk.sigmoidBackward(0, len, x, y, z);
            pk.tanh(0, len, x, z);
            pk.tanhBackward(0, len, x, y, z);
            pk.add(0, len, x, y, z);
            pk.multiply(0, len, x, y, z);
            pk.addInto(len, x, 0, z, 0);
            pk.maxInto(len, x, 0, z, 0);
            pk.divideInto(len, y, 0, z, 0);
            pk.max(len, x, 0);
            pk.sumSquaredDeviation(len, x, 0, 0.5f);
            pk.dotCentered(len, x, 0, y, 0, 0.5f);
            pk.affine(len, x, 0, 0.5f, 2f, 1f, z, 0);
            pk.combine(len, 0.5f, x, 0, 0.25f, y, 0, 0.5f, 1f, z, 0);
            pk.expShift(len, x, 0, 1f, z, 0);
            pk.productCentered(len, x, 0, y, 0, 0.5f, z, 0);
            pk.logSoftmaxGrad(len, x, 0, y, 0, 0.5f, z, 0);
        }
    }

    private static float[] filled(int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (i % 7) * 0.25f - 0.75f;
        }
        return a;
    }
}
