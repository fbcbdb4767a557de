package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.spi.PaddingPlan;

/**
 * The memory-bound operations (zero fill, bias, explicit padding) and the work splitting the other
 * memory-bound families share: split into chunks of whole planes or
 * about {@link #CHUNK} elements so that large tensors use every thread and small ones run inline.
 * Plain loops: the JIT vectorizes them well enough for operations limited by memory bandwidth.
 */
final class Elementwise {
    /** Elements per task: large enough to amortize a hand-off, small enough to balance two threads. */
    private static final int CHUNK = 1 << 16;

    private final ParallelRunner runner;
    private final Kernels kn;

    Elementwise(ParallelRunner runner, Kernels kn) {
        this.runner = runner;
        this.kn = kn;
    }

    /** Zeroes a whole array, in parallel chunks when it is large. */
    void zero(float[] a) {
        runChunks(a.length, (from, to) -> Arrays.fill(a, from, to, 0f));
    }

    /** y[n][k][s] += bias[k] in place; {@code plane} is the spatial size. */
    void biasAdd(float[] y, float[] bias, int n, int k, int plane) {
        int planes = n * k;
        int per = Math.max(1, CHUNK / Math.max(1, plane));
        runner.run((planes + per - 1) / per, t -> {
            int end = Math.min(planes, (t + 1) * per);
            for (int p = t * per; p < end; p++) {
                float b = bias[p % k];
                int off = p * plane;
                for (int i = 0; i < plane; i++) {
                    y[off + i] += b;
                }
            }
        });
    }

    /** db[k] = sum of dy[n][k][s], each plane summed in double lanes ({@link PointwiseKernels#sumDouble}). */
    void biasGradient(float[] dy, float[] db, int n, int k, int plane) {
        // summed in double: a bias gradient is often a sum of values that cancel (a bias before BatchNorm
        // sums to ~0), where a float32 accumulation would leave its rounding noise
        PointwiseKernels pw = kn.pointwise();
        runner.run(k, ch -> {
            double t = 0;
            for (int img = 0; img < n; img++) {
                t += pw.sumDouble(plane, dy, (img * k + ch) * plane);
            }
            db[ch] = (float) t;
        });
    }

    /** padded[n][c] = the plane of x padded as the plan says, element by element through sourceIndex. */
    void pad(PaddingPlan plan, float[] x, float[] padded, int planes, int h, int w) {
        int hp = h + plan.top() + plan.bottom();
        int wp = w + plan.left() + plan.right();
        int[] rowSrc = sources(plan, hp, h, plan.top());
        int[] colSrc = sources(plan, wp, w, plan.left());
        forPlanes(planes, hp * wp, p -> {
            int src = p * h * w;
            int dst = p * hp * wp;
            for (int r = 0; r < hp; r++) {
                int d = dst + r * wp;
                int sr = rowSrc[r];
                if (sr < 0) {
                    Arrays.fill(padded, d, d + wp, 0f);
                    continue;
                }
                int s = src + sr * w;
                for (int col = 0; col < plan.left(); col++) {
                    int sc = colSrc[col];
                    padded[d + col] = sc < 0 ? 0f : x[s + sc];
                }
                System.arraycopy(x, s, padded, d + plan.left(), w);
                for (int col = plan.left() + w; col < wp; col++) {
                    int sc = colSrc[col];
                    padded[d + col] = sc < 0 ? 0f : x[s + sc];
                }
            }
        });
    }

    /** dx = every element of the padded gradient added onto the input element it was copied from. */
    void padBackward(PaddingPlan plan, float[] dPadded, float[] dx, int planes, int h, int w) {
        int hp = h + plan.top() + plan.bottom();
        int wp = w + plan.left() + plan.right();
        int[] rowSrc = sources(plan, hp, h, plan.top());
        int[] colSrc = sources(plan, wp, w, plan.left());
        forPlanes(planes, hp * wp, p -> {
            int dst = p * h * w;
            int src = p * hp * wp;
            Arrays.fill(dx, dst, dst + h * w, 0f);
            for (int r = 0; r < hp; r++) {
                int sr = rowSrc[r];
                if (sr < 0) {
                    continue;
                }
                int d = dst + sr * w;
                int s = src + r * wp;
                for (int col = 0; col < wp; col++) {
                    int sc = colSrc[col];
                    if (sc >= 0) {
                        dx[d + sc] += dPadded[s + col];
                    }
                }
            }
        });
    }

    private static int[] sources(PaddingPlan plan, int padded, int size, int before) {
        int[] src = new int[padded];
        for (int i = 0; i < padded; i++) {
            src[i] = plan.sourceIndex(i, size, before);
        }
        return src;
    }

    /** A contiguous range of elements [from, to). */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    /** Runs body over [0, size) in chunks of {@link #CHUNK} elements, in parallel when there are several. */
    void runChunks(int size, Range body) {
        int tasks = (size + CHUNK - 1) / CHUNK;
        runner.run(tasks, t -> body.run(t * CHUNK, Math.min(size, (t + 1) * CHUNK)));
    }

    /** Runs body for every plane index, whole planes per task, about {@link #CHUNK} elements per task. */
    void forPlanes(int planes, int planeSize, ParallelRunner.Task body) {
        int per = Math.max(1, CHUNK / Math.max(1, planeSize));
        runner.run((planes + per - 1) / per, t -> {
            int end = Math.min(planes, (t + 1) * per);
            for (int p = t * per; p < end; p++) {
                body.run(p);
            }
        });
    }
}
