package org.layers4j.cpu;

import org.layers4j.Tensor;
import org.layers4j.spi.ActivationOps;

/**
 * Activations on the pointwise kernels, split in chunks across the threads, and softmax / log_softmax
 * along the middle axis of [outer, size, inner]: contiguous rows (inner = 1) on the vector kernels,
 * otherwise strips of inner positions, each reduced across the axis.
 */
final class CpuActivationOps implements ActivationOps {
    /** Inner positions per softmax strip task. */
    private static final int STRIP = 512;
    /** Elements per softmax task (whole rows or strips). */
    private static final int CHUNK = 1 << 15;

    private final Kernels kn;
    private final PointwiseKernels pk;
    private final Elementwise split;
    private final ParallelRunner runner;

    CpuActivationOps(Kernels kn, Elementwise split, ParallelRunner runner) {
        this.kn = kn;
        this.pk = kn.pointwise();
        this.split = split;
        this.runner = runner;
    }

    @Override
    public void relu(Tensor x, Tensor y) {
        float[] xv = CpuStorage.of(x);
        float[] yv = CpuStorage.overwrite(y);
        split.runChunks(xv.length, (from, to) -> pk.relu(from, to, xv, yv));
    }

    @Override
    public void reluBackward(Tensor x, Tensor dy, Tensor dx) {
        float[] xv = CpuStorage.of(x);
        float[] g = CpuStorage.of(dy);
        float[] d = CpuStorage.overwrite(dx);
        split.runChunks(xv.length, (from, to) -> pk.reluBackward(from, to, xv, g, d));
    }

    @Override
    public void leakyRelu(double slope, Tensor x, Tensor y) {
        float s = (float) slope;
        float[] xv = CpuStorage.of(x);
        float[] yv = CpuStorage.overwrite(y);
        split.runChunks(xv.length, (from, to) -> pk.leakyRelu(from, to, s, xv, yv));
    }

    @Override
    public void leakyReluBackward(double slope, Tensor x, Tensor dy, Tensor dx) {
        float s = (float) slope;
        float[] xv = CpuStorage.of(x);
        float[] g = CpuStorage.of(dy);
        float[] d = CpuStorage.overwrite(dx);
        split.runChunks(xv.length, (from, to) -> pk.leakyReluBackward(from, to, s, xv, g, d));
    }

    @Override
    public void sigmoid(Tensor x, Tensor y) {
        float[] xv = CpuStorage.of(x);
        float[] yv = CpuStorage.overwrite(y);
        split.runChunks(xv.length, (from, to) -> pk.sigmoid(from, to, xv, yv));
    }

    @Override
    public void sigmoidBackward(Tensor y, Tensor dy, Tensor dx) {
        float[] yv = CpuStorage.of(y);
        float[] g = CpuStorage.of(dy);
        float[] d = CpuStorage.overwrite(dx);
        split.runChunks(yv.length, (from, to) -> pk.sigmoidBackward(from, to, yv, g, d));
    }

    @Override
    public void tanh(Tensor x, Tensor y) {
        float[] xv = CpuStorage.of(x);
        float[] yv = CpuStorage.overwrite(y);
        split.runChunks(xv.length, (from, to) -> pk.tanh(from, to, xv, yv));
    }

    @Override
    public void tanhBackward(Tensor y, Tensor dy, Tensor dx) {
        float[] yv = CpuStorage.of(y);
        float[] g = CpuStorage.of(dy);
        float[] d = CpuStorage.overwrite(dx);
        split.runChunks(yv.length, (from, to) -> pk.tanhBackward(from, to, yv, g, d));
    }

    @Override
    public void softmax(boolean log, int outer, int size, int inner, Tensor x, Tensor y) {
        float[] xv = CpuStorage.of(x);
        float[] yv = CpuStorage.overwrite(y);
        if (inner == 1) {
            forRows(outer, size, r -> softmaxRow(log, xv, yv, r * size, size));
            return;
        }
        forStrips(outer, size, inner, (o, j0, j1) -> softmaxStrip(log, xv, yv, o * size * inner, size, inner, j0, j1));
    }

    @Override
    public void softmaxBackward(boolean log, int outer, int size, int inner, Tensor y, Tensor dy, Tensor dx) {
        float[] yv = CpuStorage.of(y);
        float[] g = CpuStorage.of(dy);
        float[] d = CpuStorage.overwrite(dx);
        if (inner == 1) {
            forRows(outer, size, r -> {
                int off = r * size;
                if (log) {
                    pk.logSoftmaxGrad(size, yv, off, g, off, kn.sum(size, g, off), d, off);
                } else {
                    pk.productCentered(size, yv, off, g, off, kn.dot(size, g, off, yv, off), d, off);
                }
            });
            return;
        }
        forStrips(outer, size, inner, (o, j0, j1) -> backwardStrip(log, yv, g, d, o * size * inner, size, inner, j0, j1));
    }

    private void softmaxRow(boolean log, float[] x, float[] y, int off, int size) {
        float max = pk.max(size, x, off);
        if (log) {
            // the exponentials go to scratch: y may be x itself
            float sum = pk.expShift(size, x, off, max, Workspace.get().floats(Workspace.Slot.ROW, size), 0);
            pk.affine(size, x, off, max, 1f, (float) -Math.log(sum), y, off);
            return;
        }
        float sum = pk.expShift(size, x, off, max, y, off);
        pk.affine(size, y, off, 0f, 1f / sum, 0f, y, off);
    }

    /** Columns [j0, j1) of the [size, inner] block at base: max and sum per column across the rows. */
    private static void softmaxStrip(boolean log, float[] x, float[] y, int base, int size, int inner, int j0, int j1) {
        int w = j1 - j0;
        Workspace ws = Workspace.get();
        float[] max = ws.floats(Workspace.Slot.ROW, w);
        float[] sum = ws.floats(Workspace.Slot.ROW2, w);
        for (int j = 0; j < w; j++) {
            max[j] = Float.NEGATIVE_INFINITY;
            sum[j] = 0f;
        }
        for (int r = 0; r < size; r++) {
            int row = base + r * inner + j0;
            for (int j = 0; j < w; j++) {
                max[j] = Math.max(max[j], x[row + j]);
            }
        }
        for (int r = 0; r < size; r++) {
            int row = base + r * inner + j0;
            for (int j = 0; j < w; j++) {
                float e = DetMath.exp(x[row + j] - max[j]);
                if (!log) {
                    y[row + j] = e; // log_softmax keeps x intact: y may be x itself
                }
                sum[j] += e;
            }
        }
        for (int j = 0; j < w; j++) {
            sum[j] = log ? (float) -Math.log(sum[j]) : 1f / sum[j];
        }
        for (int r = 0; r < size; r++) {
            int row = base + r * inner + j0;
            for (int j = 0; j < w; j++) {
                y[row + j] = log ? (x[row + j] - max[j]) + sum[j] : y[row + j] * sum[j];
            }
        }
    }

    private static void backwardStrip(boolean log, float[] y, float[] dy, float[] dx, int base, int size, int inner,
                                      int j0, int j1) {
        int w = j1 - j0;
        float[] sum = Workspace.get().floats(Workspace.Slot.ROW, w);
        java.util.Arrays.fill(sum, 0, w, 0f);
        for (int r = 0; r < size; r++) {
            int row = base + r * inner + j0;
            for (int j = 0; j < w; j++) {
                sum[j] += log ? dy[row + j] : dy[row + j] * y[row + j];
            }
        }
        for (int r = 0; r < size; r++) {
            int row = base + r * inner + j0;
            for (int j = 0; j < w; j++) {
                dx[row + j] = log ? Math.fma(DetMath.exp(y[row + j]), -sum[j], dy[row + j]) : y[row + j] * (dy[row + j] - sum[j]);
            }
        }
    }

    private void forRows(int rows, int size, ParallelRunner.Task row) {
        int per = Math.max(1, CHUNK / Math.max(1, size));
        runner.run((rows + per - 1) / per, t -> {
            int end = Math.min(rows, (t + 1) * per);
            for (int r = t * per; r < end; r++) {
                row.run(r);
            }
        });
    }

    @FunctionalInterface
    private interface Strip {
        void run(int outer, int j0, int j1);
    }

    private void forStrips(int outer, int size, int inner, Strip strip) {
        int strips = (inner + STRIP - 1) / STRIP;
        long total = (long) outer * size * inner;
        if (total < CHUNK) {
            for (int o = 0; o < outer; o++) {
                for (int s = 0; s < strips; s++) {
                    strip.run(o, s * STRIP, Math.min(inner, (s + 1) * STRIP));
                }
            }
            return;
        }
        runner.run(outer * strips, t -> {
            int s = t % strips;
            strip.run(t / strips, s * STRIP, Math.min(inner, (s + 1) * STRIP));
        });
    }
}
