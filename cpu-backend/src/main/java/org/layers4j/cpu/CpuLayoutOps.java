package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.LayoutOps;
import org.layers4j.spi.PaddingPlan;

/**
 * Explicit padding ({@link Elementwise}), axis permutation (row by row of the output, each row a copy when
 * the last output axis is x's last axis, else a strided gather), Embedding's row gather / scatter-add, and
 * the slab copies, broadcast and constant padding of the shape ops (row by row, in parallel).
 */
final class CpuLayoutOps implements LayoutOps {
    /** Elements per task. */
    private static final int CHUNK = 1 << 16;

    private final PointwiseKernels pk;
    private final ParallelRunner runner;
    private final Elementwise elementwise;

    CpuLayoutOps(PointwiseKernels pk, ParallelRunner runner, Elementwise elementwise) {
        this.pk = pk;
        this.runner = runner;
        this.elementwise = elementwise;
    }

    @Override
    public void pad(PaddingPlan plan, Tensor x, Tensor padded) {
        Shape s = x.shape();
        elementwise.pad(plan, CpuStorage.of(x), CpuStorage.overwrite(padded), s.dim(0) * s.dim(1), s.dim(2), s.dim(3));
    }

    @Override
    public void padBackward(PaddingPlan plan, Tensor dPadded, Tensor dx) {
        Shape s = dx.shape();
        elementwise.padBackward(plan, CpuStorage.of(dPadded), CpuStorage.overwrite(dx), s.dim(0) * s.dim(1), s.dim(2),
                s.dim(3));
    }

    @Override
    public void permute(Tensor x, int[] dims, Tensor y) {
        float[] src = CpuStorage.of(x);
        float[] dst = CpuStorage.overwrite(y);
        Shape xs = x.shape();
        int rank = dims.length;
        int size = xs.size();
        if (size == 0) {
            return;
        }
        if (rank == 0) {
            dst[0] = src[0];
            return;
        }
        int[] xStride = new int[rank];
        int st = 1;
        for (int i = rank - 1; i >= 0; i--) {
            xStride[i] = st;
            st *= xs.dim(i);
        }
        int[] yDim = new int[rank];
        int[] stride = new int[rank];
        for (int i = 0; i < rank; i++) {
            yDim[i] = xs.dim(dims[i]);
            stride[i] = xStride[dims[i]];
        }
        int inner = yDim[rank - 1];
        int innerStride = stride[rank - 1];
        int rows = size / inner;
        int per = Math.max(1, CHUNK / inner);
        runner.run((rows + per - 1) / per, t -> {
            int r0 = t * per;
            int r1 = Math.min(rows, r0 + per);
            int[] idx = new int[rank];
            int off = 0;
            int rem = r0;
            for (int a = rank - 2; a >= 0; a--) {
                idx[a] = rem % yDim[a];
                rem /= yDim[a];
                off += idx[a] * stride[a];
            }
            for (int r = r0; r < r1; r++) {
                int d = r * inner;
                if (innerStride == 1) {
                    System.arraycopy(src, off, dst, d, inner);
                } else {
                    for (int j = 0, s = off; j < inner; j++, s += innerStride) {
                        dst[d + j] = src[s];
                    }
                }
                for (int a = rank - 2; a >= 0; a--) {
                    off += stride[a];
                    if (++idx[a] < yDim[a]) {
                        break;
                    }
                    off -= idx[a] * stride[a];
                    idx[a] = 0;
                }
            }
        });
    }

    @Override
    public void gatherRows(Tensor indices, Tensor table, Tensor out) {
        long[] idx = CpuLongStorage.of(indices);
        float[] tab = CpuStorage.of(table);
        float[] o = CpuStorage.overwrite(out);
        int m = idx.length;
        if (m == 0) {
            return;
        }
        int e = o.length / m;
        int per = Math.max(1, CHUNK / Math.max(1, e));
        runner.run((m + per - 1) / per, t -> {
            int end = Math.min(m, (t + 1) * per);
            for (int i = t * per; i < end; i++) {
                System.arraycopy(tab, (int) idx[i] * e, o, i * e, e);
            }
        });
    }

    @Override
    public void scatterAddRows(Tensor indices, Tensor dOut, Tensor dTable, long skipIndex) {
        long[] idx = CpuLongStorage.of(indices);
        float[] g = CpuStorage.of(dOut);
        float[] dt = CpuStorage.overwrite(dTable);
        int v = dTable.shape().dim(0);
        int e = v == 0 ? 0 : dt.length / v;
        int m = idx.length;
        // tasks own disjoint ranges of table rows (each scans all indices), so no two write one row
        long work = (long) m * e + dt.length;
        int tasks = work < 2L * CHUNK ? 1 : Math.min(v, 4 * runner.threads());
        runner.run(tasks, t -> {
            int v0 = (int) ((long) t * v / tasks);
            int v1 = (int) ((long) (t + 1) * v / tasks);
            Arrays.fill(dt, v0 * e, v1 * e, 0f);
            for (int i = 0; i < m; i++) {
                long row = idx[i];
                if (row != skipIndex && row >= v0 && row < v1) {
                    pk.addInto(e, g, i * e, dt, (int) row * e);
                }
            }
        });
    }

    @Override
    public void copySlab(Tensor src, int srcMid, int srcStart, int srcStep, Tensor dst, int dstMid, int dstStart,
                         int dstStep, int outer, int count, int inner) {
        float[] a = CpuStorage.of(src);
        float[] b = CpuStorage.of(dst); // a partial write: the rest of dst must keep its values
        if (srcStep == 1 && dstStep == 1) {
            // one contiguous run of count * inner elements per outer index
            int run = count * inner;
            int per = Math.max(1, CHUNK / Math.max(1, run));
            runner.run((outer + per - 1) / per, t -> {
                int end = Math.min(outer, (t + 1) * per);
                for (int o = t * per; o < end; o++) {
                    System.arraycopy(a, (o * srcMid + srcStart) * inner, b, (o * dstMid + dstStart) * inner, run);
                }
            });
            return;
        }
        int rows = outer * count;
        int per = Math.max(1, CHUNK / Math.max(1, inner));
        runner.run((rows + per - 1) / per, t -> {
            int end = Math.min(rows, (t + 1) * per);
            for (int r = t * per; r < end; r++) {
                int o = r / count;
                int j = r - o * count;
                System.arraycopy(a, (o * srcMid + srcStart + j * srcStep) * inner, b,
                        (o * dstMid + dstStart + j * dstStep) * inner, inner);
            }
        });
    }

    @Override
    public void padConstant(Tensor x, int[] before, float value, Tensor y) {
        float[] src = CpuStorage.of(x);
        float[] dst = CpuStorage.overwrite(y);
        int[] xDim = x.shape().dims();
        int[] yDim = y.shape().dims();
        int rank = yDim.length;
        if (rank == 0) {
            dst[0] = src[0];
            return;
        }
        int[] xStride = new int[rank];
        int st = 1;
        for (int i = rank - 1; i >= 0; i--) {
            xStride[i] = st;
            st *= xDim[i];
        }
        int inner = yDim[rank - 1];
        int lastBefore = before[rank - 1];
        int lastSize = xDim[rank - 1];
        // the y columns [c0, c1) read x columns [c0 - lastBefore, c1 - lastBefore)
        int c0 = Math.min(inner, Math.max(0, lastBefore));
        int c1 = Math.max(c0, Math.min(inner, lastSize + lastBefore));
        int rows = dst.length / inner;
        int per = Math.max(1, CHUNK / inner);
        runner.run((rows + per - 1) / per, t -> {
            int r1 = Math.min(rows, (t + 1) * per);
            for (int r = t * per; r < r1; r++) {
                int d = r * inner;
                int off = 0;
                boolean inside = true;
                int rem = r;
                for (int a = rank - 2; a >= 0; a--) {
                    int idx = rem % yDim[a] - before[a];
                    rem /= yDim[a];
                    if (idx < 0 || idx >= xDim[a]) {
                        inside = false;
                        break;
                    }
                    off += idx * xStride[a];
                }
                if (!inside || c1 == c0) {
                    Arrays.fill(dst, d, d + inner, value);
                    continue;
                }
                Arrays.fill(dst, d, d + c0, value);
                System.arraycopy(src, off + c0 - lastBefore, dst, d + c0, c1 - c0);
                Arrays.fill(dst, d + c1, d + inner, value);
            }
        });
    }
}
